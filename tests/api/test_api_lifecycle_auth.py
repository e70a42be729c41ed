"""Permissions and team isolation of the lifecycle rpcs over the real gRPC channel (SPEC sections 2, 4, 5).

Each rpc is called on a real incident of the caller's team, so a call let through by mistake would
change something (or read something) and be seen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service import auth
from tests.builders import alert, get, report, status_details, sv, svs
from tests.support.targets import Target, missing_target


def _uid() -> str:
    return str(uuid.uuid4())


def _target(client) -> Target:
    """An open, triggered, assigned incident from an alert event: every rpc below would change or find it."""
    key, cx_event_key = f"key-{_uid()}", f"cx-{_uid()}"
    [result] = client.ingestion.ReportAlertEvents(report(alert(key, cx_event_key, name="target"))).results
    incident_id = result.incident_id
    client.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(
            assigned_to=pb.UserDetails(user_id=sv("owner@example.com")), incident_ids=svs([incident_id])
        )
    )
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    return Target(incident_id, events.incident_events[0].id.value, cx_event_key, key)


@dataclass(frozen=True)
class Rpc:
    stub: str  # Client attribute: "incidents" or "management"
    name: str
    permission: str
    request: Callable[[Target], Any]
    named_by: str  # which Target field the request names: what NOT_FOUND must name

    def __str__(self) -> str:
        return self.name

    def call(self, client, target: Target) -> Any:
        return getattr(getattr(client, self.stub), self.name)(self.request(target))


RPCS = [
    Rpc(
        "incidents",
        "AssignIncidents",
        auth.ASSIGN,
        lambda t: svc.AssignIncidentsRequest(
            assigned_to=pb.UserDetails(user_id=sv("intruder@example.com")), incident_ids=svs([t.incident_id])
        ),
        "incident_id",
    ),
    Rpc(
        "incidents",
        "UnassignIncidents",
        auth.ASSIGN,
        lambda t: svc.UnassignIncidentsRequest(incident_ids=svs([t.incident_id])),
        "incident_id",
    ),
    Rpc(
        "incidents",
        "AcknowledgeIncidents",
        auth.ACKNOWLEDGE,
        lambda t: svc.AcknowledgeIncidentsRequest(incident_ids=svs([t.incident_id])),
        "incident_id",
    ),
    Rpc(
        "incidents",
        "AcknowledgeIncidentByEventId",
        auth.ACKNOWLEDGE,
        lambda t: svc.AcknowledgeIncidentByEventIdRequest(event_id=sv(t.cx_event_key)),
        "cx_event_key",
    ),
    Rpc(
        "incidents",
        "ResolveIncidents",
        auth.CLOSE,
        lambda t: svc.ResolveIncidentsRequest(incident_ids=svs([t.incident_id])),
        "incident_id",
    ),
    Rpc(
        "incidents",
        "ResolveIncidentByEventId",
        auth.CLOSE,
        lambda t: svc.ResolveIncidentByEventIdRequest(event_id=sv(t.event_id)),
        "event_id",
    ),
    Rpc(
        "incidents",
        "CloseIncidents",
        auth.CLOSE,
        lambda t: svc.CloseIncidentsRequest(incident_ids=svs([t.incident_id])),
        "incident_id",
    ),
    Rpc(
        "management",
        "SnoozeIncidents",
        auth.CLOSE,
        lambda t: api.SnoozeIncidentsRequest(incident_ids=[t.incident_id], duration_minutes=60),
        "incident_id",
    ),
    Rpc(
        "management",
        "UpdateIncident",
        auth.WRITE,
        lambda t: api.UpdateIncidentRequest(
            incident_id=t.incident_id, name="renamed", update_mask=FieldMask(paths=["name"])
        ),
        "incident_id",
    ),
    Rpc(
        "incidents",
        "GetIncidentByEventId",
        auth.READ,
        lambda t: svc.GetIncidentByEventIdRequest(event_id=sv(t.event_id)),
        "event_id",
    ),
    Rpc(
        "incidents",
        "GetIncidentUsingCorrelationKey",
        auth.READ,
        lambda t: svc.GetIncidentUsingCorrelationKeyRequest(correlation_key=sv(t.correlation_key)),
        "correlation_key",
    ),
]
READS = {"GetIncidentByEventId", "GetIncidentUsingCorrelationKey"}


def _frozen(client, incident_id: str) -> bytes:
    """Everything GetIncident shows (fields and events) except the ever-growing duration."""
    incident = client.incidents.GetIncident(get(incident_id)).incident
    incident.ClearField("duration")
    return incident.SerializeToString(deterministic=True)


def _error(call: Callable[[], Any], code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, info.value.details()
    return info.value


def _not_found_shape(error: grpc.RpcError, name: str) -> tuple[str, list[tuple[str, str]]]:
    """The NOT_FOUND answer with the name itself blanked out, to compare two answers."""
    message = (error.details() or "").replace(name, "<name>")
    resources = [
        (info.resource_type, info.resource_name.replace(name, "<name>"))
        for info in status_details(error, error_details_pb2.ResourceInfo)
    ]
    return message, resources


def test_every_lifecycle_rpc_requires_the_permission_of_spec_section_2():
    for rpc in RPCS:
        service = "/incidents_service.v1.IncidentManagementService/" if rpc.stub == "management" else None
        service = service or "/com.coralogixapis.incidents.v1.IncidentsService/"
        assert auth.METHOD_PERMISSIONS[service + rpc.name] == rpc.permission, rpc.name


# ---- permissions -------------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_without_the_rpcs_permission_is_denied_naming_it_and_nothing_changes(client, teams, rpc):
    target = _target(client)
    before = _frozen(client, target.incident_id)
    lacking = teams.key(client.team_name, "limited@example.com", auth.ALL_PERMISSIONS - {rpc.permission})

    error = _error(lambda: rpc.call(lacking, target), grpc.StatusCode.PERMISSION_DENIED)

    assert rpc.permission in (error.details() or "")
    [info] = status_details(error, error_details_pb2.ErrorInfo)
    assert info.reason == "MISSING_PERMISSION"
    assert dict(info.metadata) == {"permission": rpc.permission}
    assert _frozen(client, target.incident_id) == before


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_denied_key_gets_the_same_answer_for_a_missing_target(client, teams, rpc):
    """Without the permission nothing is looked up: the answer cannot tell what exists."""
    lacking = teams.key(client.team_name, "limited@example.com", auth.ALL_PERMISSIONS - {rpc.permission})
    existing = _error(lambda: rpc.call(lacking, _target(client)), grpc.StatusCode.PERMISSION_DENIED)
    missing = _error(lambda: rpc.call(lacking, missing_target()), grpc.StatusCode.PERMISSION_DENIED)

    assert existing.details() == missing.details()


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_with_only_the_rpcs_permission_is_allowed_and_acts_as_its_principal(client, teams, rpc):
    target = _target(client)
    before = _frozen(client, target.incident_id)
    only = teams.key(client.team_name, "narrow@example.com", frozenset({rpc.permission}))

    answer = rpc.call(only, target)

    assert answer is not None
    if rpc.name in READS:
        assert answer.incident.id.value == target.incident_id
        assert _frozen(client, target.incident_id) == before
        return
    assert _frozen(client, target.incident_id) != before, "the call must have changed the incident"
    if rpc.name == "UpdateIncident":
        return  # UPDATE events are not shown by GetIncidentEvents
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(target.incident_id)))
    newest = events.incident_events[-1]
    assert newest.originator_type == pb.ORIGINATOR_TYPE_ADMINISTRATIVE
    assert newest.administrative_event.user_id.value == "narrow@example.com"


# ---- team isolation ----------------------------------------------------------------------------


@pytest.fixture
def other_team(teams):
    return teams.team("mallory@example.com")


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_another_teams_incident_answers_exactly_like_a_missing_one_and_is_not_changed(client, other_team, rpc):
    theirs = _target(other_team)
    before = _frozen(other_team, theirs.incident_id)
    missing = missing_target()
    _target(client)  # the caller's team has incidents of its own

    via_theirs = _error(lambda: rpc.call(client, theirs), grpc.StatusCode.NOT_FOUND)
    via_missing = _error(lambda: rpc.call(client, missing), grpc.StatusCode.NOT_FOUND)

    theirs_name, missing_name = getattr(theirs, rpc.named_by), getattr(missing, rpc.named_by)
    assert [info.resource_name for info in status_details(via_theirs, error_details_pb2.ResourceInfo)] == [theirs_name]
    assert _not_found_shape(via_theirs, theirs_name) == _not_found_shape(via_missing, missing_name)
    assert theirs.incident_id not in (via_theirs.details() or "") or rpc.named_by == "incident_id"
    assert _frozen(other_team, theirs.incident_id) == before


@pytest.mark.parametrize(
    "rpc",
    [rpc for rpc in RPCS if rpc.name.endswith("ByEventId")],
    ids=str,
)
@pytest.mark.parametrize("by", ["event_id", "cx_event_key"])
def test_another_teams_event_ids_and_cx_event_keys_answer_like_missing_ones(client, other_team, rpc, by):
    theirs = _target(other_team)
    before = _frozen(other_team, theirs.incident_id)
    request_type = type(rpc.request(theirs))

    def call(event_id: str) -> Any:
        return getattr(client.incidents, rpc.name)(request_type(event_id=sv(event_id)))

    name = getattr(theirs, by)
    via_theirs = _error(lambda: call(name), grpc.StatusCode.NOT_FOUND)
    missing = _uid()
    via_missing = _error(lambda: call(missing), grpc.StatusCode.NOT_FOUND)

    assert _not_found_shape(via_theirs, name) == _not_found_shape(via_missing, missing)
    assert _frozen(other_team, theirs.incident_id) == before


def test_a_batch_naming_another_teams_incident_fails_naming_only_it_and_changes_neither(client, other_team):
    mine, theirs = _target(client), _target(other_team)
    before_mine, before_theirs = _frozen(client, mine.incident_id), _frozen(other_team, theirs.incident_id)

    error = _error(
        lambda: client.incidents.CloseIncidents(
            svc.CloseIncidentsRequest(incident_ids=svs([mine.incident_id, theirs.incident_id]))
        ),
        grpc.StatusCode.NOT_FOUND,
    )

    assert [info.resource_name for info in status_details(error, error_details_pb2.ResourceInfo)] == [
        theirs.incident_id
    ]
    assert _frozen(client, mine.incident_id) == before_mine
    assert _frozen(other_team, theirs.incident_id) == before_theirs


def test_the_same_cx_event_key_and_correlation_key_in_two_teams_each_find_their_own(client, other_team):
    key, cx_event_key = f"key-{_uid()}", f"cx-{_uid()}"
    found = {}
    for team in (client, other_team):
        [result] = team.ingestion.ReportAlertEvents(report(alert(key, cx_event_key))).results
        assert result.outcome == api.AlertEventResult.CREATED, "another team's key is not a duplicate"
        found[team.team_name] = result.incident_id
    assert found[client.team_name] != found[other_team.team_name]

    for team in (client, other_team):
        by_event = team.incidents.GetIncidentByEventId(svc.GetIncidentByEventIdRequest(event_id=sv(cx_event_key)))
        by_key = team.incidents.GetIncidentUsingCorrelationKey(
            svc.GetIncidentUsingCorrelationKeyRequest(correlation_key=sv(key))
        )
        assert by_event.incident.id.value == found[team.team_name]
        assert by_key.incident.id.value == found[team.team_name]

    client.incidents.AcknowledgeIncidentByEventId(svc.AcknowledgeIncidentByEventIdRequest(event_id=sv(cx_event_key)))
    mine = client.incidents.GetIncident(get(found[client.team_name])).incident
    theirs = other_team.incidents.GetIncident(get(found[other_team.team_name])).incident
    assert mine.status == pb.INCIDENT_STATUS_ACKNOWLEDGED
    assert theirs.status == pb.INCIDENT_STATUS_TRIGGERED
