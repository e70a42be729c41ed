"""The complete authentication / permission / isolation matrix of SPEC section 2, over the real channel.

The rpcs come from the service descriptors (IncidentsService 19, AlertIngestionService 1,
IncidentManagementService 3, IncidentNotesService 5, IncidentInsightsService 2, NotificationRulesService 5,
IncidentActionsService 1, IncidentAlertsService 1, AlertSettingsService 2, MaintenanceWindowsService 3,
CorrelationRulesService 3), each with a valid request on a real incident (and note, notification rule,
maintenance window and correlation rule) of the caller's team, so a call let through by mistake would
succeed and be seen. Every rpc is called:

- with no metadata, a malformed authorization header, an unknown key, a revoked key: UNAUTHENTICATED;
- with a key holding every permission but the one the rpc needs: PERMISSION_DENIED naming it;
- with a key holding only that permission: OK (the control showing each request is valid);
- on another team's incident ids / event ids / cx_event_keys / correlation keys: answered byte for
  byte like a random id that exists nowhere (modulo the id itself), and the other team's data is
  unchanged; list, aggregation, filter-value and event rpcs answer exactly as if the other team's data
  did not exist.

Refused calls change nothing. Keys never appear in the service's logs.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf import descriptor as pb_descriptor
from google.protobuf import message_factory
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.wrappers_pb2 import UInt32Value
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import notifications_pb2 as nt
from incidents_service_api.v1 import notifications_pb2_grpc as nt_grpc

from incidents_service import auth
from tests.builders import alert, get, report, status_details, sv, svs
from tests.conftest import Client, TeamFactory
from tests.spec import SERVICES, SPEC_PERMISSIONS
from tests.support.targets import Target, missing_target

EXPECTED_RPC_COUNTS = {
    "com.coralogixapis.incidents.v1.IncidentsService": 19,
    "incidents_service.v1.AlertIngestionService": 1,
    "incidents_service.v1.IncidentManagementService": 3,
    "incidents_service.v1.IncidentNotesService": 5,
    "incidents_service.v1.IncidentInsightsService": 2,
    "incidents_service.v1.NotificationRulesService": 5,
    "incidents_service.v1.IncidentActionsService": 1,
    "incidents_service.v1.IncidentAlertsService": 1,
    "incidents_service.v1.AlertSettingsService": 2,
    "incidents_service.v1.MaintenanceWindowsService": 3,
    "incidents_service.v1.CorrelationRulesService": 3,
}


def _hex() -> str:
    return uuid.uuid4().hex


def _tag_filter(label: str) -> dict[str, Any]:
    return {"contextual_labels": {"tag": pb.ContextualLabelValues(contextual_label_values=svs([label]))}}


def _event_filter(label: str) -> pb.IncidentEventQueryFilter:
    return pb.IncidentEventQueryFilter(**_tag_filter(label))


def _page(size: int = 1000) -> pb.PaginationRequest:
    return pb.PaginationRequest(page_size=UInt32Value(value=size))


def _statistics_request(incident_filter: pb.IncidentQueryFilter, label_key: str) -> ins.GetIncidentStatisticsRequest:
    """Statistics over the day around now (incidents seeded by the test are in it), in 4 buckets."""
    now = int(time.time())
    return ins.GetIncidentStatisticsRequest(
        filter=incident_filter,
        from_time=Timestamp(seconds=now - 86_400),
        to_time=Timestamp(seconds=now + 86_400),
        bucket_count=4,
        contextual_label_key=label_key,
    )


def _rule(name: str) -> nt.NotificationRule:
    """A disabled rule: the matrix checks who may manage rules, not deliveries (none are made)."""
    return nt.NotificationRule(
        name=name,
        enabled=False,
        changes=[nt.NOTIFICATION_CHANGE_OPENED],
        webhook=nt.WebhookTarget(url="https://receiver.invalid/hook"),
    )


def _ended_window(label: str) -> alr.MaintenanceWindow:
    """A maintenance window that ended yesterday, matching the target's label: it changes nothing the tests
    see, and the many the matrix makes stay under the team's cap of running and upcoming windows."""
    return alr.MaintenanceWindow(
        matchers=[alr.MaintenanceLabelMatcher(key="tag", value=label)],
        starts_at=Timestamp(seconds=int(time.time()) - 90_000),
        ends_at=Timestamp(seconds=int(time.time()) - 86_400),
    )


# A valid request per rpc, naming the target (its id, event id, correlation key or label).
REQUESTS: dict[str, Callable[[Target], Message]] = {
    "GetIncident": lambda t: get(t.incident_id),
    "BatchGetIncident": lambda t: svc.BatchGetIncidentRequest(ids=svs([t.incident_id])),
    "ListIncidents": lambda t: svc.ListIncidentsRequest(
        filter=pb.IncidentQueryFilter(**_tag_filter(t.label)), pagination=_page()
    ),
    "ListIncidentAggregations": lambda t: svc.ListIncidentAggregationsRequest(
        filter=pb.IncidentQueryFilter(**_tag_filter(t.label)),
        group_bys=[pb.GroupBy(contextual_label=sv("tag"))],
        pagination=_page(),
    ),
    "GetFilterValues": lambda t: svc.GetFilterValuesRequest(filter=pb.IncidentQueryFilter(**_tag_filter(t.label))),
    "GetIncidentEvents": lambda t: svc.GetIncidentEventsRequest(incident_id=sv(t.incident_id)),
    "GetIncidentByEventId": lambda t: svc.GetIncidentByEventIdRequest(event_id=sv(t.event_id)),
    "GetIncidentUsingCorrelationKey": lambda t: svc.GetIncidentUsingCorrelationKeyRequest(
        correlation_key=sv(t.correlation_key)
    ),
    "ListIncidentEvents": lambda t: svc.ListIncidentEventsRequest(filter=_event_filter(t.label), pagination=_page()),
    "ListIncidentEventsTotalCount": lambda t: svc.ListIncidentEventsTotalCountRequest(filter=_event_filter(t.label)),
    "ListIncidentEventsFilterValues": lambda t: svc.ListIncidentEventsFilterValuesRequest(
        filter=_event_filter(t.label)
    ),
    "AssignIncidents": lambda t: svc.AssignIncidentsRequest(
        assigned_to=pb.UserDetails(user_id=sv("carol@example.com")), incident_ids=svs([t.incident_id])
    ),
    "UnassignIncidents": lambda t: svc.UnassignIncidentsRequest(incident_ids=svs([t.incident_id])),
    "AcknowledgeIncidents": lambda t: svc.AcknowledgeIncidentsRequest(incident_ids=svs([t.incident_id])),
    "AcknowledgeIncidentByEventId": lambda t: svc.AcknowledgeIncidentByEventIdRequest(event_id=sv(t.event_id)),
    "ResolveIncidents": lambda t: svc.ResolveIncidentsRequest(incident_ids=svs([t.incident_id])),
    "ResolveIncidentByEventId": lambda t: svc.ResolveIncidentByEventIdRequest(event_id=sv(t.event_id)),
    "CloseIncidents": lambda t: svc.CloseIncidentsRequest(incident_ids=svs([t.incident_id])),
    "DeleteIncidents": lambda t: svc.DeleteIncidentsRequest(incident_ids=svs([t.incident_id])),
    "ReportAlertEvents": lambda t: report(
        alert(t.correlation_key, f"cx-{_hex()}", name="matrix", contextual_labels={"tag": t.label})
    ),
    "CreateIncident": lambda t: api.CreateIncidentRequest(name="matrix", contextual_labels={"tag": t.label}),
    "UpdateIncident": lambda t: api.UpdateIncidentRequest(
        incident_id=t.incident_id, name="renamed", update_mask=FieldMask(paths=["name"])
    ),
    "SnoozeIncidents": lambda t: api.SnoozeIncidentsRequest(incident_ids=[t.incident_id], duration_minutes=30),
    "CreateNote": lambda t: ins.CreateNoteRequest(incident_id=t.incident_id, body="matrix note"),
    "GetNote": lambda t: ins.GetNoteRequest(id=t.note_id),
    "ListNotes": lambda t: ins.ListNotesRequest(incident_id=t.incident_id, pagination=_page()),
    "UpdateNote": lambda t: ins.UpdateNoteRequest(id=t.note_id, body="matrix edit"),
    "DeleteNote": lambda t: ins.DeleteNoteRequest(id=t.note_id),
    "GetIncidentTimeline": lambda t: ins.GetIncidentTimelineRequest(incident_id=t.incident_id, pagination=_page()),
    "GetIncidentStatistics": lambda t: _statistics_request(pb.IncidentQueryFilter(**_tag_filter(t.label)), "tag"),
    "CreateNotificationRule": lambda t: nt.CreateNotificationRuleRequest(rule=_rule(f"matrix {t.label}")),
    "GetNotificationRule": lambda t: nt.GetNotificationRuleRequest(id=t.rule_id),
    "ListNotificationRules": lambda t: nt.ListNotificationRulesRequest(pagination=_page()),
    "UpdateNotificationRule": lambda t: nt.UpdateNotificationRuleRequest(
        id=t.rule_id, rule=nt.NotificationRule(name="renamed"), update_mask=FieldMask(paths=["name"])
    ),
    "DeleteNotificationRule": lambda t: nt.DeleteNotificationRuleRequest(id=t.rule_id),
    "ListIncidentActions": lambda t: nt.ListIncidentActionsRequest(incident_id=t.incident_id, pagination=_page()),
    "ListIncidentAlerts": lambda t: alr.ListIncidentAlertsRequest(incident_id=t.incident_id, pagination=_page()),
    "GetAlertSettings": lambda t: alr.GetAlertSettingsRequest(),
    "UpdateAlertSettings": lambda t: alr.UpdateAlertSettingsRequest(
        settings=alr.AlertSettings(flapping_threshold=4, flapping_window_minutes=30)
    ),
    "CreateMaintenanceWindow": lambda t: alr.CreateMaintenanceWindowRequest(window=_ended_window(t.label)),
    "ListMaintenanceWindows": lambda t: alr.ListMaintenanceWindowsRequest(),
    "DeleteMaintenanceWindow": lambda t: alr.DeleteMaintenanceWindowRequest(id=t.window_id),
    # A rule on a label no alert of the tests carries: it joins nothing they see.
    "CreateCorrelationRule": lambda t: alr.CreateCorrelationRuleRequest(
        rule=alr.CorrelationRule(label_keys=[f"matrix-{t.label}"], window_minutes=5)
    ),
    "ListCorrelationRules": lambda t: alr.ListCorrelationRulesRequest(),
    "DeleteCorrelationRule": lambda t: alr.DeleteCorrelationRuleRequest(id=t.correlation_rule_id),
}

# Rpcs that name one incident (by id, event id or correlation key): another team's is NOT_FOUND.
NAMING_RPCS = {
    "GetIncident": "incident_id",
    "GetIncidentEvents": "incident_id",
    "GetIncidentByEventId": "event_id",
    "GetIncidentUsingCorrelationKey": "correlation_key",
    "AssignIncidents": "incident_id",
    "UnassignIncidents": "incident_id",
    "AcknowledgeIncidents": "incident_id",
    "AcknowledgeIncidentByEventId": "event_id",
    "ResolveIncidents": "incident_id",
    "ResolveIncidentByEventId": "event_id",
    "CloseIncidents": "incident_id",
    "DeleteIncidents": "incident_id",
    "UpdateIncident": "incident_id",
    "SnoozeIncidents": "incident_id",
    "CreateNote": "incident_id",
    "ListNotes": "incident_id",
    "GetIncidentTimeline": "incident_id",
    "ListIncidentAlerts": "incident_id",
    "GetNote": "note_id",
    "UpdateNote": "note_id",
    "DeleteNote": "note_id",
    "GetNotificationRule": "rule_id",
    "UpdateNotificationRule": "rule_id",
    "DeleteNotificationRule": "rule_id",
    "ListIncidentActions": "incident_id",
    "DeleteMaintenanceWindow": "window_id",
    "DeleteCorrelationRule": "correlation_rule_id",
}
BATCH_RPCS = {
    "AssignIncidents",
    "UnassignIncidents",
    "AcknowledgeIncidents",
    "ResolveIncidents",
    "CloseIncidents",
    "DeleteIncidents",
    "SnoozeIncidents",
}
# Rpcs over the team's incidents or events as a whole.
QUERY_RPCS = [
    "ListIncidents",
    "ListIncidentAggregations",
    "GetFilterValues",
    "ListIncidentEvents",
    "ListIncidentEventsTotalCount",
    "ListIncidentEventsFilterValues",
    "GetIncidentStatistics",
]


@dataclass(frozen=True)
class Rpc:
    method: pb_descriptor.MethodDescriptor

    @property
    def name(self) -> str:
        return self.method.name

    @property
    def path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def permission(self) -> str:
        return SPEC_PERMISSIONS[self.name]

    def __str__(self) -> str:
        return self.name

    def call(self, channel: grpc.Channel, request: Message, metadata: Any) -> Message:
        response_class = message_factory.GetMessageClass(self.method.output_type)
        send = channel.unary_unary(
            self.path,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=response_class.FromString,
        )
        return send(request, metadata=metadata, timeout=30)


RPCS = [Rpc(method) for service in SERVICES for method in service.methods]


def _bearer(api_key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {api_key}"),)


def _error(call: Callable[[], Any], code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, f"{info.value.code()}: {info.value.details()}"
    return info.value


# ---- the teams -------------------------------------------------------------------------------------


def _seed(client: Client, name: str = "target") -> Target:
    """An open, triggered, assigned incident from an alert event, with labels of every kind."""
    label, correlation_key, cx_event_key = f"tag-{_hex()}", f"corr-{_hex()}", f"cx-{_hex()}"
    [result] = client.ingestion.ReportAlertEvents(
        report(
            alert(
                correlation_key,
                cx_event_key,
                name=name,
                contextual_labels={"tag": label, "env": "prod"},
                display_labels={"owner": "ops"},
                meta_labels={"region": "eu"},
            )
        )
    ).results
    incident_id = result.incident_id
    client.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(
            assigned_to=pb.UserDetails(user_id=sv("owner@example.com")), incident_ids=svs([incident_id])
        )
    )
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    note = ins_grpc.IncidentNotesServiceStub(client.channel).CreateNote(
        ins.CreateNoteRequest(incident_id=incident_id, body=f"note on {name}"), metadata=client.metadata
    )
    rules = nt_grpc.NotificationRulesServiceStub(client.channel)
    # A team holds at most 100 rules and the module's teams seed hundreds of targets: the oldest rules
    # (of targets earlier tests are done with) make room.
    listed = rules.ListNotificationRules(nt.ListNotificationRulesRequest(pagination=_page()), metadata=client.metadata)
    for old in listed.rules[: max(0, len(listed.rules) - 80)]:
        rules.DeleteNotificationRule(nt.DeleteNotificationRuleRequest(id=old.id), metadata=client.metadata)
    rule = rules.CreateNotificationRule(
        nt.CreateNotificationRuleRequest(rule=_rule(f"rule of {name}")), metadata=client.metadata
    )
    window = alr_grpc.MaintenanceWindowsServiceStub(client.channel).CreateMaintenanceWindow(
        alr.CreateMaintenanceWindowRequest(window=_ended_window(label)), metadata=client.metadata
    )
    # The team's correlation rules, a few at most (a team holds 20): the previous targets' go.
    correlation = alr_grpc.CorrelationRulesServiceStub(client.channel)
    for old in correlation.ListCorrelationRules(alr.ListCorrelationRulesRequest(), metadata=client.metadata).rules:
        correlation.DeleteCorrelationRule(alr.DeleteCorrelationRuleRequest(id=old.id), metadata=client.metadata)
    correlation_rule = correlation.CreateCorrelationRule(
        REQUESTS["CreateCorrelationRule"](missing_target()), metadata=client.metadata
    )
    return Target(
        incident_id,
        events.incident_events[0].id.value,
        cx_event_key,
        correlation_key,
        label,
        note.note.id,
        rule.rule.id,
        window.window.id,
        correlation_rule.rule.id,
    )


def _state(client: Client, target: Target) -> tuple[bytes, bytes, bytes, int, bytes]:
    """What the target's team sees of it: the incident, its events and notes, the incidents carrying its
    label, and its notification rule."""
    try:
        incident = client.incidents.GetIncident(get(target.incident_id)).incident
        incident.ClearField("duration")
        shown = incident.SerializeToString(deterministic=True)
        events = client.incidents.GetIncidentEvents(
            svc.GetIncidentEventsRequest(incident_id=sv(target.incident_id))
        ).SerializeToString(deterministic=True)
        notes = (
            ins_grpc.IncidentNotesServiceStub(client.channel)
            .ListNotes(REQUESTS["ListNotes"](target), metadata=client.metadata)
            .SerializeToString(deterministic=True)
        )
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()
        shown, events, notes = b"<gone>", b"", b""
    labelled = client.incidents.ListIncidents(REQUESTS["ListIncidents"](target)).pagination.total_size.value
    try:
        rule = (
            nt_grpc.NotificationRulesServiceStub(client.channel)
            .GetNotificationRule(REQUESTS["GetNotificationRule"](target), metadata=client.metadata)
            .SerializeToString(deterministic=True)
        )
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()
        rule = b"<gone>"
    return shown, events, notes, labelled, rule


@dataclass
class World:
    server: Any
    teams: TeamFactory
    owner: Client  # the caller's team, every permission
    revoked_key: str


@pytest.fixture(scope="module")
def world(server) -> Iterator[World]:
    teams = TeamFactory(server)
    owner = teams.team("owner@example.com")
    revoked = auth.create_api_key(server.engine, owner.team_name, "revoked@example.com", auth.ALL_PERMISSIONS)
    auth.revoke_api_key(server.engine, revoked.key_id)  # before its first use: no cached lookup says "valid"
    yield World(server, teams, owner, revoked.api_key)


def _refused_and_unchanged(world: World, rpc: Rpc, metadata: Any, code: grpc.StatusCode) -> grpc.RpcError:
    target = _seed(world.owner)
    before = _state(world.owner, target)

    error = _error(lambda: rpc.call(world.server.channel, REQUESTS[rpc.name](target), metadata), code)

    assert _state(world.owner, target) == before, f"refused {rpc.name} changed the team's data"
    return error


# ---- the matrix is complete --------------------------------------------------------------------------


def test_the_matrix_covers_every_rpc_of_every_service_with_the_permission_of_spec_section_2():
    counts = {service.full_name: len(service.methods) for service in SERVICES}
    assert counts == EXPECTED_RPC_COUNTS
    names = {rpc.name for rpc in RPCS}
    assert len(names) == len(RPCS) == 45
    assert set(REQUESTS) == names
    assert set(SPEC_PERMISSIONS) == names
    assert {rpc.path: rpc.permission for rpc in RPCS} == auth.METHOD_PERMISSIONS


# ---- UNAUTHENTICATED -------------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_no_metadata_is_unauthenticated(world, rpc):
    _refused_and_unchanged(world, rpc, None, grpc.StatusCode.UNAUTHENTICATED)


def _malformed(api_key: str) -> list[tuple[tuple[str, str], ...]]:
    """Authorization metadata that carries a valid key, but not as `authorization: Bearer <key>`."""
    return [
        (("authorization", f"Token {api_key}"),),
        (("authorization", f"Basic {api_key}"),),
        (("authorization", api_key),),
        (("authorization", f"Bearer{api_key}"),),
        (("authorization", f"Bearer {api_key} {api_key}"),),
        (("authorization", "Bearer"),),
        (("authorization", "Bearer "),),
        (("authorization", ""),),
        (("x-api-key", api_key),),
        (("authorization-bin", f"Bearer {api_key}"),),
    ]


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_malformed_authorization_is_unauthenticated(world, rpc):
    for metadata in _malformed(world.owner.api_key):
        if metadata[0][0].endswith("-bin"):
            metadata = ((metadata[0][0], metadata[0][1].encode()),)
        error = _refused_and_unchanged(world, rpc, metadata, grpc.StatusCode.UNAUTHENTICATED)
        assert world.owner.api_key not in (error.details() or "")


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_unknown_key_is_unauthenticated(world, rpc):
    owner_key = world.owner.api_key
    unknown = [
        f"ik_{uuid.uuid4().hex[:12]}_{uuid.uuid4().hex}{uuid.uuid4().hex}",
        owner_key[:-2] + ("AA" if not owner_key.endswith("AA") else "BB"),  # the owner's key, altered
        owner_key + "x",
    ]
    for api_key in unknown:
        _refused_and_unchanged(world, rpc, _bearer(api_key), grpc.StatusCode.UNAUTHENTICATED)


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_revoked_key_is_unauthenticated(world, rpc):
    _refused_and_unchanged(world, rpc, _bearer(world.revoked_key), grpc.StatusCode.UNAUTHENTICATED)


# ---- permissions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_lacking_the_permission_is_denied_naming_it(world, rpc):
    lacking = world.teams.key(world.owner.team_name, "lacking@example.com", auth.ALL_PERMISSIONS - {rpc.permission})

    error = _refused_and_unchanged(world, rpc, lacking.metadata, grpc.StatusCode.PERMISSION_DENIED)

    assert rpc.permission in (error.details() or "")
    [info] = status_details(error, error_details_pb2.ErrorInfo)
    assert dict(info.metadata) == {"permission": rpc.permission}


@pytest.mark.parametrize("rpc", RPCS, ids=str)
def test_key_with_only_the_permission_is_served(world, rpc):
    """The control: each request of the matrix is valid, so the refusals above are about the key."""
    only = world.teams.key(world.owner.team_name, "narrow@example.com", frozenset({rpc.permission}))
    target = _seed(world.owner)

    response = rpc.call(world.server.channel, REQUESTS[rpc.name](target), only.metadata)

    assert response is not None


# ---- another team's data -----------------------------------------------------------------------------


def _fingerprint(error: grpc.RpcError, names: list[str]) -> tuple[Any, ...]:
    """Everything the client receives of a failed call, with the given names blanked out."""

    def blank(raw: bytes) -> bytes:
        for index, name in enumerate(names):
            raw = raw.replace(name.encode(), f"<name{index}>".encode())
        return raw

    status = rpc_status.from_call(error)
    trailers = sorted(key for key, _ in error.trailing_metadata() or ())
    return (
        error.code(),
        blank((error.details() or "").encode()),
        blank(status.SerializeToString() if status is not None else b""),
        trailers,
    )


def _with_leading_id(request: Message, incident_id: str) -> Message:
    """The batch request with one more id in front."""
    request = type(request).FromString(request.SerializeToString())
    for name in ("incident_ids", "ids"):
        if name in request.DESCRIPTOR.fields_by_name:
            ids = getattr(request, name)
            values = [v.value if hasattr(v, "value") else v for v in ids]
            del ids[:]
            for value in [incident_id, *values]:
                if request.DESCRIPTOR.fields_by_name[name].message_type is not None:
                    ids.add(value=value)
                else:
                    ids.append(value)
    return request


@pytest.fixture
def other(world) -> Client:
    return world.teams.team("mallory@example.com")


NAMING_CASES = [(name, by) for name, by in NAMING_RPCS.items()]
NAMING_CASES += [(name, "cx_event_key") for name, by in NAMING_RPCS.items() if by == "event_id"]


@pytest.mark.parametrize(("name", "by"), NAMING_CASES, ids=[f"{n}-{b}" for n, b in NAMING_CASES])
def test_another_teams_names_answer_byte_for_byte_like_missing_ones_and_change_nothing(world, other, name, by):
    rpc = next(rpc for rpc in RPCS if rpc.name == name)
    theirs, missing = _seed(other), missing_target()
    if by == "cx_event_key":  # the *ByEventId rpcs also take an alert's cx_event_key
        theirs = dataclasses.replace(theirs, event_id=theirs.cx_event_key)
        missing = dataclasses.replace(missing, event_id=missing.cx_event_key)
    mine = _seed(world.owner)
    before_theirs, before_mine = _state(other, theirs), _state(world.owner, mine)
    channel, metadata = world.server.channel, world.owner.metadata

    via_theirs = _error(lambda: rpc.call(channel, REQUESTS[name](theirs), metadata), grpc.StatusCode.NOT_FOUND)
    via_missing = _error(lambda: rpc.call(channel, REQUESTS[name](missing), metadata), grpc.StatusCode.NOT_FOUND)

    assert _fingerprint(via_theirs, theirs.names()) == _fingerprint(via_missing, missing.names())
    named = [info.resource_name for info in status_details(via_theirs, error_details_pb2.ResourceInfo)]
    assert named == [getattr(theirs, by if by != "cx_event_key" else "event_id")]
    if name in BATCH_RPCS:  # with one of the caller's own incidents first: only theirs is named, nothing changes
        mixed = _error(
            lambda: rpc.call(channel, _with_leading_id(REQUESTS[name](theirs), mine.incident_id), metadata),
            grpc.StatusCode.NOT_FOUND,
        )
        mixed_missing = _error(
            lambda: rpc.call(channel, _with_leading_id(REQUESTS[name](missing), mine.incident_id), metadata),
            grpc.StatusCode.NOT_FOUND,
        )
        assert _fingerprint(mixed, theirs.names()) == _fingerprint(mixed_missing, missing.names())
    assert _state(other, theirs) == before_theirs
    assert _state(world.owner, mine) == before_mine


def _blank_response(response: Message, names: list[str]) -> bytes:
    raw = response.SerializeToString(deterministic=True)
    for index, name in enumerate(names):
        raw = raw.replace(name.encode(), f"<name{index}>".encode())
    return raw


def test_batch_get_lists_another_teams_ids_exactly_like_missing_ones(world, other):
    rpc = next(rpc for rpc in RPCS if rpc.name == "BatchGetIncident")
    theirs, missing, mine = _seed(other), missing_target(), _seed(world.owner)
    channel, metadata = world.server.channel, world.owner.metadata

    via_theirs = rpc.call(channel, REQUESTS[rpc.name](theirs), metadata)
    via_missing = rpc.call(channel, REQUESTS[rpc.name](missing), metadata)

    assert dict(via_theirs.incidents) == {}
    assert [v.value for v in via_theirs.not_found_ids] == [theirs.incident_id]
    assert _blank_response(via_theirs, theirs.names()) == _blank_response(via_missing, missing.names())
    mixed = rpc.call(channel, _with_leading_id(REQUESTS[rpc.name](theirs), mine.incident_id), metadata)
    assert list(mixed.incidents) == [mine.incident_id]
    assert [v.value for v in mixed.not_found_ids] == [theirs.incident_id]


def _query_variants(name: str, shared: Target, their_label: str) -> list[Message]:
    """Requests of a query rpc: unfiltered, filtered on labels both teams use, on the other team's label."""
    if name == "ListIncidents":
        return [
            svc.ListIncidentsRequest(pagination=_page()),
            svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(**_tag_filter(shared.label)), pagination=_page()),
            svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(**_tag_filter(their_label)), pagination=_page()),
            svc.ListIncidentsRequest(
                filter=pb.IncidentQueryFilter(
                    assignee=svs(["owner@example.com"]),
                    search_query=pb.IncidentSearchQuery(query=sv("shared")),
                    meta_labels=[pb.MetaLabel(key=sv("region"), value=sv("eu"))],
                ),
                order_bys=[pb.OrderBy(contextual_label=sv("env"))],
                pagination=_page(),
            ),
            svc.ListIncidentsRequest(pagination=_page(1)),  # total_size counts the team's incidents only
        ]
    if name == "ListIncidentAggregations":
        return [
            svc.ListIncidentAggregationsRequest(pagination=_page()),
            svc.ListIncidentAggregationsRequest(
                group_bys=[pb.GroupBy(contextual_label=sv("env")), pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_NAME)],
                pagination=_page(),
            ),
            svc.ListIncidentAggregationsRequest(
                filter=pb.IncidentQueryFilter(**_tag_filter(their_label)),
                group_bys=[pb.GroupBy(contextual_label=sv("tag"))],
                pagination=_page(),
            ),
        ]
    if name == "GetFilterValues":
        return [
            svc.GetFilterValuesRequest(),
            svc.GetFilterValuesRequest(filter=pb.IncidentQueryFilter(**_tag_filter(their_label))),
            svc.GetFilterValuesRequest(filter=pb.IncidentQueryFilter(assignee=svs(["owner@example.com"]))),
        ]
    if name == "GetIncidentStatistics":
        return [
            _statistics_request(pb.IncidentQueryFilter(), "env"),
            _statistics_request(pb.IncidentQueryFilter(**_tag_filter(shared.label)), "tag"),
            _statistics_request(pb.IncidentQueryFilter(**_tag_filter(their_label)), "tag"),
            _statistics_request(pb.IncidentQueryFilter(assignee=svs(["owner@example.com"])), "env"),
        ]
    event_filters = [
        pb.IncidentEventQueryFilter(),
        _event_filter(shared.label),
        _event_filter(their_label),
        pb.IncidentEventQueryFilter(name=sv("shared"), labels=pb.LabelsFilter(meta_labels=[
            pb.MetaLabel(key=sv("region"), value=sv("eu"))
        ])),
    ]  # fmt: skip
    if name == "ListIncidentEvents":
        return [svc.ListIncidentEventsRequest(filter=f, pagination=_page()) for f in event_filters]
    if name == "ListIncidentEventsTotalCount":
        return [svc.ListIncidentEventsTotalCountRequest(filter=f) for f in event_filters]
    return [svc.ListIncidentEventsFilterValuesRequest(filter=f) for f in event_filters]


def _normalized(response: Message) -> bytes:
    """A query answer without what moves with the clock (durations) or the as-of time (page tokens)."""
    response = type(response).FromString(response.SerializeToString())
    if isinstance(response, svc.ListIncidentsResponse):
        for incident in response.incidents:
            incident.ClearField("duration")
        response.pagination.ClearField("next_page_token")
    if isinstance(response, svc.ListIncidentAggregationsResponse | svc.ListIncidentEventsResponse):
        response.pagination.ClearField("next_page_token")
    return response.SerializeToString(deterministic=True)


@pytest.mark.parametrize("name", QUERY_RPCS)
def test_query_answers_are_the_same_whether_or_not_another_team_has_data(world, name):
    """Nothing of the other team shows: no incident, event, label, assignee, name, nor any count."""
    rpc = next(rpc for rpc in RPCS if rpc.name == name)
    mine, theirs = world.teams.team("owner@example.com"), world.teams.team("mallory@example.com")
    shared = _seed(mine, name="shared name")
    _seed(mine, name="shared other")
    their_label = f"tag-{_hex()}"
    variants = _query_variants(name, shared, their_label)

    def answers() -> list[bytes]:
        return [_normalized(rpc.call(world.server.channel, request, mine.metadata)) for request in variants]

    before = answers()
    # The other team: the same correlation keys, cx_event_keys, label keys and values, names and assignee,
    # plus labels of its own, and events of every kind.
    results = theirs.ingestion.ReportAlertEvents(
        report(
            alert(shared.correlation_key, shared.cx_event_key, name="shared name", contextual_labels={
                "tag": shared.label, "env": "prod"}, meta_labels={"region": "eu"}),
            alert(f"corr-{_hex()}", f"cx-{_hex()}", name="shared secret", contextual_labels={
                "tag": their_label, "env": "secret-env"}, display_labels={"owner": "mallory"},
                meta_labels={"secret": "yes"}, application_name="secret-app"),
        )
    ).results  # fmt: skip
    their_ids = svs([result.incident_id for result in results])
    theirs.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv("owner@example.com")), incident_ids=their_ids)
    )
    theirs.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=their_ids[:1]))
    theirs.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=their_ids[1:]))
    theirs.management.CreateIncident(api.CreateIncidentRequest(name="shared manual", assignee="secret-user"))

    after = answers()

    assert after == before
    assert b"secret" not in b"".join(after)
    assert all(result.incident_id.encode() not in b"".join(after) for result in results)
    empty = message_factory.GetMessageClass(rpc.method.output_type)()
    assert before[0] != _normalized(empty), "the caller's own data shows"


def test_ingestion_never_correlates_with_another_teams_keys(world, other):
    theirs, missing = _seed(other), missing_target()
    before = _state(other, theirs)
    mine = world.teams.team("owner@example.com")

    def report_as_caller(target: Target, state: int) -> api.AlertEventResult:
        [result] = mine.ingestion.ReportAlertEvents(
            report(alert(target.correlation_key, target.cx_event_key, state=state))
        ).results
        return result

    # A RESOLVED event for the other team's open correlation key: the caller has no open incident for it.
    resolved_theirs = report_as_caller(dataclasses.replace(theirs, cx_event_key=f"cx-{_hex()}"), 2)
    resolved_missing = report_as_caller(dataclasses.replace(missing, cx_event_key=f"cx-{_hex()}"), 2)
    assert resolved_theirs == resolved_missing == api.AlertEventResult(outcome=api.AlertEventResult.IGNORED)
    # Their cx_event_key is not a duplicate, and their correlation key opens the caller's own incident.
    created = report_as_caller(theirs, 1)
    assert created.outcome == api.AlertEventResult.CREATED
    assert created.incident_id != theirs.incident_id
    assert _state(other, theirs) == before
    found = mine.incidents.GetIncidentUsingCorrelationKey(
        svc.GetIncidentUsingCorrelationKeyRequest(correlation_key=sv(theirs.correlation_key))
    )
    assert found.incident.id.value == created.incident_id


def test_created_incidents_are_invisible_to_another_team(world, other):
    created = world.owner.management.CreateIncident(REQUESTS["CreateIncident"](missing_target())).incident
    missing = str(uuid.uuid4())

    via_created = _error(lambda: other.incidents.GetIncident(get(created.id.value)), grpc.StatusCode.NOT_FOUND)
    via_missing = _error(lambda: other.incidents.GetIncident(get(missing)), grpc.StatusCode.NOT_FOUND)

    assert _fingerprint(via_created, [created.id.value]) == _fingerprint(via_missing, [missing])
    listed = other.incidents.ListIncidents(svc.ListIncidentsRequest(pagination=_page()))
    assert created.id.value not in {incident.id.value for incident in listed.incidents}


def test_another_teams_page_token_reveals_nothing(world, other):
    for _ in range(3):
        _seed(other)
    request = svc.ListIncidentsRequest(pagination=_page(1))
    token = other.incidents.ListIncidents(request).pagination.next_page_token.value
    assert token
    _seed(world.owner)
    request.pagination.page_token.value = token

    error = _error(lambda: world.owner.incidents.ListIncidents(request), grpc.StatusCode.INVALID_ARGUMENT)

    assert "pagination.page_token" in [
        v.field for bad in status_details(error, error_details_pb2.BadRequest) for v in bad.field_violations
    ]


# ---- keys stay out of the logs -------------------------------------------------------------------------


def test_keys_never_appear_in_the_logs(world, caplog):
    caplog.set_level(logging.DEBUG, logger="incidents_service")
    owner = world.owner
    lacking = world.teams.key(owner.team_name, "logs@example.com", frozenset({auth.INGEST}))
    keys = [owner.api_key, lacking.api_key, world.revoked_key]
    target = _seed(owner)
    channel = world.server.channel
    rpc = {r.name: r for r in RPCS}
    last = Timestamp(seconds=253402300799, nanos=999_999_999)  # may log an error (see test_fuzz.py)
    calls: list[tuple[Rpc, Message, Any]] = [
        (rpc["ListIncidents"], REQUESTS["ListIncidents"](target), owner.metadata),
        (rpc["GetIncident"], get(str(uuid.uuid4())), owner.metadata),
        (rpc["CloseIncidents"], REQUESTS["CloseIncidents"](target), owner.metadata),
        (rpc["AcknowledgeIncidents"], REQUESTS["AcknowledgeIncidents"](target), owner.metadata),
        (rpc["CreateIncident"], api.CreateIncidentRequest(name=""), owner.metadata),
        (rpc["ListIncidents"], svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(end_time=last)), owner.metadata),
        (rpc["GetIncident"], get(target.incident_id), lacking.metadata),
        (rpc["GetIncident"], get(target.incident_id), _bearer(world.revoked_key)),
        (rpc["GetIncident"], get(target.incident_id), (("authorization", f"Token {owner.api_key}"),)),
        (rpc["GetIncident"], get(target.incident_id), (("authorization", f"Bearer {owner.api_key} x"),)),
    ]  # fmt: skip
    caplog.clear()

    for method, request, metadata in calls:
        with contextlib.suppress(grpc.RpcError):
            method.call(channel, request, metadata)

    deadline = time.monotonic() + 5
    while len([r for r in caplog.records if r.name == "incidents_service.calls"]) < len(calls):
        assert time.monotonic() < deadline, "every call is logged"
        time.sleep(0.05)
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(
        formatter.format(record) for record in caplog.records if record.name.startswith("incidents_service")
    )
    for api_key in keys:
        secret = api_key.split("_", 2)[2]
        assert api_key not in logged
        assert secret not in logged
        assert secret[:16] not in logged
