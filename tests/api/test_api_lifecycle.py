"""Lifecycle rpcs over the real gRPC channel, on SQLite and PostgreSQL (SPEC sections 4, 5 and 9).

Every row of the SPEC section 4 table for the responder actions is its own test: the fields after the
action and the exact events it recorded (or that it recorded none). Then UpdateIncident, the lookups
by event id and by correlation key, and the batch rules.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.api.convert import encode
from incidents_service.auth import Authenticator
from incidents_service.domain.model import EventType, IncidentEvent, OriginatorType
from incidents_service.operations import IncidentOperations
from incidents_service.storage.unit_of_work import UnitOfWork
from tests.builders import RESOLVED, alert, get, report, status_details, sv, svs, ts

OPEN = pb.INCIDENT_EVENT_TYPE_OPEN
UPSERT_STATE = pb.INCIDENT_EVENT_TYPE_UPSERT_STATE
ACKNOWLEDGE = pb.INCIDENT_EVENT_TYPE_ACKNOWLEDGE
CLOSE = pb.INCIDENT_EVENT_TYPE_CLOSE
ASSIGN = pb.INCIDENT_EVENT_TYPE_ASSIGN
UNASSIGN = pb.INCIDENT_EVENT_TYPE_UNASSIGN
SNOOZE = pb.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR

TRIGGERED_STATUS = pb.INCIDENT_STATUS_TRIGGERED
ACKNOWLEDGED_STATUS = pb.INCIDENT_STATUS_ACKNOWLEDGED
RESOLVED_STATUS = pb.INCIDENT_STATUS_RESOLVED
TRIGGERED_STATE = pb.INCIDENT_STATE_TRIGGERED
RESOLVED_STATE = pb.INCIDENT_STATE_RESOLVED

ASSIGNEE = "bob@example.com"
# Client and server share one clock; this only absorbs the time the calls take.
CLOCK_SLACK = timedelta(seconds=2)


# ---- helpers -----------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _uid() -> str:
    return str(uuid.uuid4())


def _when(stamp) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _create(client, name: str = "incident", **fields: Any) -> str:
    request = api.CreateIncidentRequest(name=name, **fields)
    return client.management.CreateIncident(request).incident.id.value


def _from_alert(client, key: str | None = None, source_system: str = "prometheus", **fields: Any) -> tuple[str, str]:
    """An incident opened by a TRIGGERED alert event: (incident id, the event's cx_event_key)."""
    cx_event_key = f"cx-{_uid()}"
    event = alert(key or f"key-{_uid()}", cx_event_key, source_system=source_system, **fields)
    [result] = client.ingestion.ReportAlertEvents(report(event)).results
    return result.incident_id, cx_event_key


def _alert_resolves(client, key: str, source_system: str = "prometheus") -> str:
    """A RESOLVED alert event for the correlation key; answers its cx_event_key."""
    cx_event_key = f"cx-{_uid()}"
    client.ingestion.ReportAlertEvents(report(alert(key, cx_event_key, RESOLVED, source_system=source_system)))
    return cx_event_key


def acknowledge(client, *ids: str) -> list[pb.Incident]:
    request = svc.AcknowledgeIncidentsRequest(incident_ids=svs(list(ids)))
    return list(client.incidents.AcknowledgeIncidents(request).incidents)


def resolve(client, *ids: str) -> list[pb.Incident]:
    request = svc.ResolveIncidentsRequest(incident_ids=svs(list(ids)))
    return list(client.incidents.ResolveIncidents(request).incidents)


def close(client, *ids: str) -> list[pb.Incident]:
    request = svc.CloseIncidentsRequest(incident_ids=svs(list(ids)))
    return list(client.incidents.CloseIncidents(request).incidents)


def assign(client, *ids: str, to: str = ASSIGNEE) -> list[pb.Incident]:
    request = svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv(to)), incident_ids=svs(list(ids)))
    return list(client.incidents.AssignIncidents(request).incidents)


def unassign(client, *ids: str) -> list[pb.Incident]:
    request = svc.UnassignIncidentsRequest(incident_ids=svs(list(ids)))
    return list(client.incidents.UnassignIncidents(request).incidents)


def snooze(client, *ids: str, minutes: int = 30) -> list[pb.Incident]:
    request = api.SnoozeIncidentsRequest(incident_ids=list(ids), duration_minutes=minutes)
    return list(client.management.SnoozeIncidents(request).incidents)


BATCH_ACTIONS: dict[str, Callable[..., list[pb.Incident]]] = {
    "acknowledge": acknowledge,
    "resolve": resolve,
    "close": close,
    "assign": assign,
    "unassign": unassign,
    "snooze": snooze,
}


def _incident(client, incident_id: str) -> pb.Incident:
    return client.incidents.GetIncident(get(incident_id)).incident


def _events(client, incident_id: str) -> list[pb.IncidentEvent]:
    request = svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
    return list(client.incidents.GetIncidentEvents(request).incident_events)


def _types(events: list[pb.IncidentEvent]) -> list[int]:
    return [event.incident_event_type for event in events]


def _frozen(client, incident_id: str) -> bytes:
    """Everything GetIncident shows (fields and events) except the ever-growing duration of an open one."""
    incident = _incident(client, incident_id)
    incident.ClearField("duration")
    return incident.SerializeToString(deterministic=True)


def _assignee(incident: pb.Incident) -> tuple[str, str] | None:
    if not incident.assignments:
        return None
    [assignment] = incident.assignments
    return assignment.assigned_to.user_id.value, assignment.assigned_by.user_id.value


def _assert_administrative(event: pb.IncidentEvent, principal: str) -> None:
    assert event.originator_type == pb.ORIGINATOR_TYPE_ADMINISTRATIVE
    assert event.WhichOneof("originator") == "administrative_event"
    assert event.administrative_event.user_id.value == principal
    assert event.id.value


def _new_events(client, incident_id: str, before: list[pb.IncidentEvent]) -> list[pb.IncidentEvent]:
    after = _events(client, incident_id)
    assert after[: len(before)] == before, "earlier events must stay as they were"
    return after[len(before) :]


def _engine_of(client):
    return client._server_engine  # set by the `client` fixture override below


def _team_id(client) -> str:
    return Authenticator(_engine_of(client), cache_seconds=0).authenticate(f"Bearer {client.api_key}").team_id


def _stored_events(client, incident_id: str) -> list[IncidentEvent]:
    with UnitOfWork(_engine_of(client), _team_id(client), write=False) as uow:
        return uow.incidents.events_of(incident_id)


def _error(call: Callable[[], Any], code: grpc.StatusCode) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    assert info.value.code() == code, info.value.details()
    return info.value


def _missing(error: grpc.RpcError) -> list[str]:
    return [info.resource_name for info in status_details(error, error_details_pb2.ResourceInfo)]


def _refused(error: grpc.RpcError) -> dict[str, str]:
    [failure] = status_details(error, error_details_pb2.PreconditionFailure)
    return {violation.subject: violation.type for violation in failure.violations}


def _bad_fields(error: grpc.RpcError) -> set[str]:
    fields = set()
    for bad_request in status_details(error, error_details_pb2.BadRequest):
        fields.update(violation.field for violation in bad_request.field_violations)
    return fields


@pytest.fixture
def client(client, server):
    """The conftest client, plus the engine for the few checks that need storage."""
    client._server_engine = server.engine
    return client


def _in(client, status: str) -> str:
    """A new incident in the given status (CLOSED means closed)."""
    if status == "RESOLVED_BY_ALERT":
        key = f"key-{_uid()}"
        incident_id, _ = _from_alert(client, key)
        _alert_resolves(client, key)
        return incident_id
    incident_id = _create(client)
    if status == "ACKNOWLEDGED":
        acknowledge(client, incident_id)
    elif status == "RESOLVED":
        resolve(client, incident_id)
    elif status == "CLOSED":
        close(client, incident_id)
    else:
        assert status == "TRIGGERED"
    return incident_id


OPEN_STATUSES = ["TRIGGERED", "ACKNOWLEDGED", "RESOLVED"]


# ---- Acknowledge -------------------------------------------------------------------------------


def test_acknowledge_triggered_becomes_acknowledged_with_one_acknowledge_event(client):
    incident_id = _create(client)
    before = _events(client, incident_id)

    [answered] = acknowledge(client, incident_id)

    assert answered.id.value == incident_id
    assert answered.status == ACKNOWLEDGED_STATUS and answered.state == TRIGGERED_STATE
    assert list(answered.events) == []
    stored = _incident(client, incident_id)
    assert stored.status == ACKNOWLEDGED_STATUS and stored.state == TRIGGERED_STATE
    assert not stored.HasField("closed_at")
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == ACKNOWLEDGE
    assert event.WhichOneof("incident_event_payload") == "acknowledge"
    assert event.acknowledge.acknowledged_by.user_id.value == client.principal
    _assert_administrative(event, client.principal)


def test_acknowledge_of_an_alert_incident_is_administrative_not_operational(client):
    incident_id, _ = _from_alert(client, source_system="grafana")

    acknowledge(client, incident_id)

    events = _events(client, incident_id)
    assert _types(events) == [OPEN, UPSERT_STATE, ACKNOWLEDGE]
    for operational in events[:2]:
        assert operational.originator_type == pb.ORIGINATOR_TYPE_OPERATIONAL
        assert operational.operational_event.system_name.value == "grafana"
    _assert_administrative(events[2], client.principal)


def test_acknowledge_acknowledged_is_a_no_op_recording_nothing(client):
    incident_id = _in(client, "ACKNOWLEDGED")
    before = _frozen(client, incident_id)

    [answered] = acknowledge(client, incident_id)

    assert answered.status == ACKNOWLEDGED_STATUS
    assert _frozen(client, incident_id) == before
    assert _types(_events(client, incident_id)).count(ACKNOWLEDGE) == 1


@pytest.mark.parametrize("how", ["RESOLVED", "RESOLVED_BY_ALERT"])
def test_acknowledge_resolved_is_failed_precondition_and_changes_nothing(client, how):
    incident_id = _in(client, how)
    before = _frozen(client, incident_id)

    error = _error(lambda: acknowledge(client, incident_id), grpc.StatusCode.FAILED_PRECONDITION)

    assert _refused(error) == {incident_id: "RESOLVED"}
    assert _frozen(client, incident_id) == before


def test_acknowledge_closed_is_failed_precondition_and_changes_nothing(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)

    error = _error(lambda: acknowledge(client, incident_id), grpc.StatusCode.FAILED_PRECONDITION)

    assert _refused(error) == {incident_id: "CLOSED"}
    assert _frozen(client, incident_id) == before


def test_acknowledge_after_a_triggered_alert_reopened_a_resolved_incident_records_a_new_acknowledge(client):
    key = f"key-{_uid()}"
    incident_id, _ = _from_alert(client, key)
    acknowledge(client, incident_id)
    resolve(client, incident_id)
    _from_alert(client, key)  # reopens: status TRIGGERED again
    assert _incident(client, incident_id).status == TRIGGERED_STATUS

    [answered] = acknowledge(client, incident_id)

    assert answered.status == ACKNOWLEDGED_STATUS
    assert _types(_events(client, incident_id)).count(ACKNOWLEDGE) == 2


# ---- Resolve -----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["TRIGGERED", "ACKNOWLEDGED"])
def test_resolve_open_unresolved_sets_state_and_status_resolved_with_an_administrative_upsert(client, status):
    incident_id = _in(client, status)
    before = _events(client, incident_id)

    [answered] = resolve(client, incident_id)

    assert answered.state == RESOLVED_STATE and answered.status == RESOLVED_STATUS
    assert not answered.HasField("closed_at"), "resolving does not close"
    stored = _incident(client, incident_id)
    assert stored.state == RESOLVED_STATE and stored.status == RESOLVED_STATUS
    assert not stored.HasField("closed_at")
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == UPSERT_STATE
    assert event.WhichOneof("incident_event_payload") == "upsert_state"
    assert event.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
    assert not event.upsert_state.payload.HasField("cx_event_key"), "no alert event behind it"
    _assert_administrative(event, client.principal)


def test_resolved_alert_event_records_an_operational_upsert_naming_the_source_system(client):
    key = f"key-{_uid()}"
    incident_id, _ = _from_alert(client, key, source_system="grafana")
    before = _events(client, incident_id)

    cx_event_key = _alert_resolves(client, key, source_system="grafana")

    stored = _incident(client, incident_id)
    assert stored.state == RESOLVED_STATE and stored.status == RESOLVED_STATUS
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == UPSERT_STATE
    assert event.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
    assert event.upsert_state.payload.cx_event_key.value == cx_event_key
    assert event.originator_type == pb.ORIGINATOR_TYPE_OPERATIONAL
    assert event.operational_event.system_name.value == "grafana"


@pytest.mark.parametrize("how", ["RESOLVED", "RESOLVED_BY_ALERT"])
def test_resolve_resolved_is_a_no_op_recording_nothing(client, how):
    incident_id = _in(client, how)
    before = _frozen(client, incident_id)

    [answered] = resolve(client, incident_id)

    assert answered.status == RESOLVED_STATUS
    assert _frozen(client, incident_id) == before


def test_resolve_closed_is_a_no_op_recording_nothing(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)

    [answered] = resolve(client, incident_id)

    assert answered.HasField("closed_at")
    assert _frozen(client, incident_id) == before


# ---- Close -------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_close_open_sets_closed_at_now_state_and_status_resolved_with_one_close_event(client, status):
    incident_id = _in(client, status)
    before = _events(client, incident_id)
    started = _now()

    [answered] = close(client, incident_id)

    finished = _now()
    assert answered.state == RESOLVED_STATE and answered.status == RESOLVED_STATUS
    assert answered.HasField("closed_at")
    closed_at = _when(answered.closed_at)
    assert started - CLOCK_SLACK <= closed_at <= finished + CLOCK_SLACK
    stored = _incident(client, incident_id)
    assert _when(stored.closed_at) == closed_at
    assert stored.state == RESOLVED_STATE and stored.status == RESOLVED_STATUS
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == CLOSE
    assert event.WhichOneof("incident_event_payload") == "close"
    assert event.close.closed_by.user_id.value == client.principal
    _assert_administrative(event, client.principal)
    [stored_close] = [e for e in _stored_events(client, incident_id) if e.type is EventType.CLOSE]
    assert stored_close.timestamp == closed_at, "closed_at is the CLOSE event's time"


def test_duration_is_closed_at_minus_created_at_once_closed_and_stops_growing(client):
    incident_id = _create(client)
    time.sleep(0.05)
    open_incident = _incident(client, incident_id)
    open_for = open_incident.duration.ToTimedelta()
    assert timedelta(milliseconds=50) <= open_for <= _now() - _when(open_incident.created_at) + CLOCK_SLACK

    [closed] = close(client, incident_id)

    expected = _when(closed.closed_at) - _when(closed.created_at)
    assert closed.duration.ToTimedelta() == expected
    time.sleep(0.05)
    assert _incident(client, incident_id).duration.ToTimedelta() == expected


def test_close_closed_is_a_no_op_keeping_the_first_closed_at(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)
    first_closed_at = _incident(client, incident_id).closed_at

    [answered] = close(client, incident_id)

    assert answered.closed_at == first_closed_at
    assert _frozen(client, incident_id) == before
    assert _types(_events(client, incident_id)).count(CLOSE) == 1


def test_a_triggered_alert_after_close_starts_a_new_incident_and_leaves_the_closed_one(client):
    key = f"key-{_uid()}"
    first, _ = _from_alert(client, key)
    close(client, first)
    before = _frozen(client, first)

    second, _ = _from_alert(client, key)

    assert second != first
    assert _frozen(client, first) == before
    assert _incident(client, second).status == TRIGGERED_STATUS


# ---- Assign / Unassign -------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_assign_open_sets_the_one_assignment_with_an_assign_event(client, status):
    incident_id = _in(client, status)
    before = _events(client, incident_id)
    status_before = _incident(client, incident_id).status

    [answered] = assign(client, incident_id, to="carol@example.com")

    assert _assignee(answered) == ("carol@example.com", client.principal)
    stored = _incident(client, incident_id)
    assert _assignee(stored) == ("carol@example.com", client.principal)
    assert stored.status == status_before, "assigning does not change the status"
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == ASSIGN
    assert event.WhichOneof("incident_event_payload") == "assignment"
    assert event.assignment.assignment.assigned_to.user_id.value == "carol@example.com"
    assert event.assignment.assignment.assigned_by.user_id.value == client.principal
    _assert_administrative(event, client.principal)


def test_assign_replaces_the_current_assignment(client, teams):
    incident_id = _create(client)
    assign(client, incident_id, to="carol@example.com")
    other = teams.key(client.team_name, "dave@example.com")

    [answered] = assign(other, incident_id, to="erin@example.com")

    assert _assignee(answered) == ("erin@example.com", "dave@example.com")
    assert len(_incident(client, incident_id).assignments) == 1
    events = [e for e in _events(client, incident_id) if e.incident_event_type == ASSIGN]
    assert [e.assignment.assignment.assigned_to.user_id.value for e in events] == [
        "carol@example.com",
        "erin@example.com",
    ]
    _assert_administrative(events[1], "dave@example.com")


def test_assign_to_the_same_person_again_records_another_assign_by_the_new_assigner(client, teams):
    incident_id = _create(client)
    assign(client, incident_id, to="carol@example.com")
    other = teams.key(client.team_name, "dave@example.com")

    [answered] = assign(other, incident_id, to="carol@example.com")

    assert _assignee(answered) == ("carol@example.com", "dave@example.com")
    assert _types(_events(client, incident_id)).count(ASSIGN) == 2


def test_assign_closed_is_failed_precondition_and_changes_nothing(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)

    error = _error(lambda: assign(client, incident_id), grpc.StatusCode.FAILED_PRECONDITION)

    assert _refused(error) == {incident_id: "CLOSED"}
    assert _frozen(client, incident_id) == before


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_unassign_assigned_clears_the_assignment_with_an_unassign_event(client, status):
    incident_id = _in(client, status)
    assign(client, incident_id)
    before = _events(client, incident_id)

    [answered] = unassign(client, incident_id)

    assert list(answered.assignments) == []
    assert list(_incident(client, incident_id).assignments) == []
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == UNASSIGN
    assert event.WhichOneof("incident_event_payload") == "unassign"
    _assert_administrative(event, client.principal)


@pytest.mark.parametrize("status", [*OPEN_STATUSES, "CLOSED"])
def test_unassign_unassigned_is_a_no_op_recording_nothing(client, status):
    incident_id = _in(client, status)
    before = _frozen(client, incident_id)

    [answered] = unassign(client, incident_id)

    assert list(answered.assignments) == []
    assert _frozen(client, incident_id) == before


def test_unassign_of_a_closed_but_assigned_incident_clears_it(client):
    incident_id = _create(client)
    assign(client, incident_id)
    close(client, incident_id)
    before = _events(client, incident_id)

    [answered] = unassign(client, incident_id)

    assert list(answered.assignments) == [] and answered.HasField("closed_at")
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == UNASSIGN
    _assert_administrative(event, client.principal)


# ---- Snooze ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", OPEN_STATUSES)
def test_snooze_open_mutes_it_with_a_snooze_indicator_event(client, status):
    incident_id = _in(client, status)
    before = _events(client, incident_id)
    unmuted = _incident(client, incident_id)
    assert unmuted.is_muted.value is False
    started = _now()

    [answered] = snooze(client, incident_id, minutes=45)

    finished = _now()
    assert answered.is_muted.value is True
    stored = _incident(client, incident_id)
    assert stored.is_muted.value is True
    assert (stored.status, stored.state) == (unmuted.status, unmuted.state), "snoozing changes no status"
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == SNOOZE
    assert event.WhichOneof("incident_event_payload") == "snooze_indicator"
    assert event.snooze_indicator.duration_minutes.value == 45
    assert event.snooze_indicator.user_id.value == client.principal
    assert started - CLOCK_SLACK <= _when(event.snooze_indicator.start_time) <= finished + CLOCK_SLACK
    _assert_administrative(event, client.principal)


def test_snoozed_incident_is_muted_until_start_plus_duration_and_unmuted_after(client, server):
    incident_id = _create(client)
    snooze(client, incident_id, minutes=30)
    [event] = [e for e in _events(client, incident_id) if e.incident_event_type == SNOOZE]
    start = _when(event.snooze_indicator.start_time)
    team_id = _team_id(client)

    def muted_at(moment: datetime) -> bool:
        operations = IncidentOperations(server.engine, clock=lambda: moment)
        view = operations.get_incident(team_id, incident_id)
        return encode.incident_to_wire(view.incident, operations.now()).is_muted.value

    assert muted_at(start + timedelta(minutes=29, seconds=59)) is True
    assert muted_at(start + timedelta(minutes=30, seconds=1)) is False


def test_snooze_closed_is_failed_precondition_and_changes_nothing(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)

    error = _error(lambda: snooze(client, incident_id), grpc.StatusCode.FAILED_PRECONDITION)

    assert _refused(error) == {incident_id: "CLOSED"}
    assert _frozen(client, incident_id) == before


@pytest.mark.parametrize("minutes", [1, 10080])
def test_snooze_accepts_one_minute_to_one_week(client, minutes):
    incident_id = _create(client)

    [answered] = snooze(client, incident_id, minutes=minutes)

    assert answered.is_muted.value is True
    [event] = [e for e in _events(client, incident_id) if e.incident_event_type == SNOOZE]
    assert event.snooze_indicator.duration_minutes.value == minutes


@pytest.mark.parametrize("minutes", [0, -5, 10081])
def test_snooze_outside_one_minute_to_one_week_is_invalid_argument(client, minutes):
    incident_id = _create(client)
    before = _frozen(client, incident_id)

    error = _error(lambda: snooze(client, incident_id, minutes=minutes), grpc.StatusCode.INVALID_ARGUMENT)

    assert "duration_minutes" in _bad_fields(error)
    assert _frozen(client, incident_id) == before


# ---- UpdateIncident ----------------------------------------------------------------------------

_ORIGINAL = {
    "name": "before",
    "description": "old text",
    "severity": pb.INCIDENT_SEVERITY_WARNING,
    "contextual_labels": {"env": "prod"},
    "display_labels": {"team": "core"},
    "meta_labels": [pb.MetaLabel(key=sv("k"), value=sv("v"))],
}
_REPLACEMENT = {
    "name": "after",
    "description": "new text",
    "severity": pb.INCIDENT_SEVERITY_CRITICAL,
    "contextual_labels": {"env": "staging", "zone": "a"},
    "display_labels": {"owner": "ops"},
    "meta_labels": [
        pb.MetaLabel(key=sv("a"), value=sv("1")),
        pb.MetaLabel(key=sv("a"), value=sv("1")),
        pb.MetaLabel(key=sv("b"), value=sv("2")),
    ],
}
# What the UPDATE event keeps for each path: (old, new).
_LOGGED = {
    "name": ("before", "after"),
    "description": ("old text", "new text"),
    "severity": ("WARNING", "CRITICAL"),
    "contextual_labels": ({"env": "prod"}, {"env": "staging", "zone": "a"}),
    "display_labels": ({"team": "core"}, {"owner": "ops"}),
    "meta_labels": ([["k", "v"]], [["a", "1"], ["b", "2"]]),
}


def _wire_field(incident: pb.Incident, path: str) -> Any:
    if path in ("name", "description"):
        return getattr(incident, path).value
    if path == "severity":
        return incident.severity
    if path == "meta_labels":
        return [(label.key.value, label.value.value) for label in incident.meta_labels]
    return dict(getattr(incident, path))


_WIRE_ORIGINAL = {
    "name": "before",
    "description": "old text",
    "severity": pb.INCIDENT_SEVERITY_WARNING,
    "contextual_labels": {"env": "prod"},
    "display_labels": {"team": "core"},
    "meta_labels": [("k", "v")],
}
_WIRE_REPLACEMENT = {
    "name": "after",
    "description": "new text",
    "severity": pb.INCIDENT_SEVERITY_CRITICAL,
    "contextual_labels": {"env": "staging", "zone": "a"},
    "display_labels": {"owner": "ops"},
    "meta_labels": [("a", "1"), ("b", "2")],
}


def _update(client, incident_id: str, paths: list[str], **values: Any) -> pb.Incident:
    request = api.UpdateIncidentRequest(incident_id=incident_id, update_mask=FieldMask(paths=paths), **values)
    return client.management.UpdateIncident(request).incident


def _updates(client, incident_id: str) -> list[IncidentEvent]:
    return [event for event in _stored_events(client, incident_id) if event.type is EventType.UPDATE]


@pytest.mark.parametrize("path", list(_REPLACEMENT))
def test_update_replaces_only_the_masked_field_and_logs_its_old_and_new_value(client, path):
    incident_id = _create(client, **_ORIGINAL)
    wire_events_before = _events(client, incident_id)

    # Every field carries a new value; only the masked one may change.
    answered = _update(client, incident_id, [path], **_REPLACEMENT)

    for incident in (answered, _incident(client, incident_id)):
        for field in _REPLACEMENT:
            expected = _WIRE_REPLACEMENT[field] if field == path else _WIRE_ORIGINAL[field]
            assert _wire_field(incident, field) == expected, field
    [update] = _updates(client, incident_id)
    old, new = _LOGGED[path]
    assert update.payload == {"changes": {path: {"old": old, "new": new}}}
    assert update.originator.type is OriginatorType.ADMINISTRATIVE
    assert update.originator.name == client.principal
    assert _events(client, incident_id) == wire_events_before, "GetIncidentEvents does not show UPDATE"


def test_update_of_several_fields_records_one_event_with_every_changed_field(client):
    incident_id = _create(client, **_ORIGINAL)

    _update(
        client,
        incident_id,
        ["name", "severity", "description"],
        name="after",
        severity=_REPLACEMENT["severity"],
        description="old text",
    )

    [update] = _updates(client, incident_id)
    assert update.payload == {
        "changes": {
            "name": {"old": "before", "new": "after"},
            "severity": {"old": "WARNING", "new": "CRITICAL"},
        }
    }


def test_update_to_the_values_it_already_has_records_nothing(client):
    incident_id = _create(client, **_ORIGINAL)
    before = _frozen(client, incident_id)

    _update(client, incident_id, list(_ORIGINAL), **_ORIGINAL)

    assert _updates(client, incident_id) == []
    assert _frozen(client, incident_id) == before


def test_updates_are_kept_in_order_with_each_old_value_being_the_previous_new_one(client):
    incident_id = _create(client, name="one")

    _update(client, incident_id, ["name"], name="two")
    _update(client, incident_id, ["name"], name="three")

    assert [u.payload["changes"]["name"] for u in _updates(client, incident_id)] == [
        {"old": "one", "new": "two"},
        {"old": "two", "new": "three"},
    ]


def test_update_of_display_labels_keeps_application_and_subsystem_names_and_logs_the_result(client):
    incident_id = _create(client, application_name="billing", subsystem_name="api")

    answered = _update(client, incident_id, ["display_labels"], display_labels={"owner": "ops"})

    expected = {"owner": "ops", "application_name": "billing", "subsystem_name": "api"}
    assert dict(answered.display_labels) == expected
    [update] = _updates(client, incident_id)
    assert update.payload["changes"]["display_labels"]["new"] == expected


def test_update_of_display_labels_that_leaves_them_as_they_were_records_nothing(client):
    incident_id = _create(client, application_name="billing", display_labels={"team": "core"})
    before = dict(_incident(client, incident_id).display_labels)
    assert before == {"team": "core", "application_name": "billing"}

    answered = _update(client, incident_id, ["display_labels"], display_labels={"team": "core"})

    assert dict(answered.display_labels) == before
    assert [u.payload for u in _updates(client, incident_id)] == []


def test_update_with_an_empty_mask_is_invalid_argument(client):
    incident_id = _create(client)

    error = _error(lambda: _update(client, incident_id, [], name="x"), grpc.StatusCode.INVALID_ARGUMENT)

    assert "update_mask" in _bad_fields(error)
    assert _incident(client, incident_id).name.value == "incident"


def test_update_with_an_unknown_path_is_invalid_argument_and_changes_nothing(client):
    incident_id = _create(client)
    before = _frozen(client, incident_id)

    error = _error(lambda: _update(client, incident_id, ["name", "status"], name="x"), grpc.StatusCode.INVALID_ARGUMENT)

    assert "update_mask" in _bad_fields(error)
    assert _frozen(client, incident_id) == before


def test_update_with_severity_unspecified_in_the_mask_is_invalid_argument(client):
    incident_id = _create(client, severity=pb.INCIDENT_SEVERITY_ERROR)

    error = _error(
        lambda: _update(client, incident_id, ["severity"], severity=pb.INCIDENT_SEVERITY_UNSPECIFIED),
        grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "severity" in _bad_fields(error)
    assert _incident(client, incident_id).severity == pb.INCIDENT_SEVERITY_ERROR


def test_update_of_name_to_empty_is_invalid_argument(client):
    incident_id = _create(client)

    error = _error(lambda: _update(client, incident_id, ["name"], name="  "), grpc.StatusCode.INVALID_ARGUMENT)

    assert "name" in _bad_fields(error)


def test_update_of_a_closed_incident_is_failed_precondition(client):
    incident_id = _in(client, "CLOSED")
    before = _frozen(client, incident_id)

    error = _error(lambda: _update(client, incident_id, ["name"], name="x"), grpc.StatusCode.FAILED_PRECONDITION)

    assert _refused(error) == {incident_id: "CLOSED"}
    assert _frozen(client, incident_id) == before
    assert _updates(client, incident_id) == []


def test_update_of_an_unknown_incident_is_not_found_naming_it(client):
    missing = _uid()

    error = _error(lambda: _update(client, missing, ["name"], name="x"), grpc.StatusCode.NOT_FOUND)

    assert _missing(error) == [missing]


# ---- lookups by event id -----------------------------------------------------------------------


def test_get_incident_by_event_id_finds_it_by_an_events_id(client):
    incident_id = _create(client)
    acknowledge(client, incident_id)
    events = _events(client, incident_id)

    for event in events:
        found = client.incidents.GetIncidentByEventId(svc.GetIncidentByEventIdRequest(event_id=event.id))
        assert found.incident.id.value == incident_id
        assert list(found.incident.events) == events


def test_get_incident_by_event_id_finds_it_by_an_alert_events_cx_event_key(client):
    incident_id, cx_event_key = _from_alert(client)
    _create(client)  # another incident of the team must not be the answer

    found = client.incidents.GetIncidentByEventId(svc.GetIncidentByEventIdRequest(event_id=sv(cx_event_key)))

    assert found.incident.id.value == incident_id
    assert _types(list(found.incident.events)) == [OPEN, UPSERT_STATE]


def test_get_incident_by_an_unknown_event_id_is_not_found_naming_it(client):
    _create(client)
    missing = _uid()

    error = _error(
        lambda: client.incidents.GetIncidentByEventId(svc.GetIncidentByEventIdRequest(event_id=sv(missing))),
        grpc.StatusCode.NOT_FOUND,
    )

    assert _missing(error) == [missing]


@pytest.mark.parametrize("rpc", ["GetIncidentByEventId", "AcknowledgeIncidentByEventId", "ResolveIncidentByEventId"])
def test_lookup_by_event_id_without_an_event_id_is_invalid_argument(client, rpc):
    request = getattr(svc, f"{rpc}Request")()

    error = _error(lambda: getattr(client.incidents, rpc)(request), grpc.StatusCode.INVALID_ARGUMENT)

    assert "event_id" in _bad_fields(error)


@pytest.mark.parametrize("by", ["event id", "cx_event_key"])
def test_acknowledge_incident_by_event_id_acknowledges_its_incident(client, by):
    incident_id, cx_event_key = _from_alert(client)
    before = _events(client, incident_id)
    event_id = before[0].id.value if by == "event id" else cx_event_key

    answered = client.incidents.AcknowledgeIncidentByEventId(
        svc.AcknowledgeIncidentByEventIdRequest(event_id=sv(event_id))
    ).incident

    assert answered.id.value == incident_id and answered.status == ACKNOWLEDGED_STATUS
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == ACKNOWLEDGE
    assert event.acknowledge.acknowledged_by.user_id.value == client.principal
    _assert_administrative(event, client.principal)


def test_acknowledge_incident_by_event_id_follows_the_lifecycle(client):
    incident_id, cx_event_key = _from_alert(client)
    request = svc.AcknowledgeIncidentByEventIdRequest(event_id=sv(cx_event_key))
    client.incidents.AcknowledgeIncidentByEventId(request)
    before = _frozen(client, incident_id)

    again = client.incidents.AcknowledgeIncidentByEventId(request).incident  # idempotent

    assert again.status == ACKNOWLEDGED_STATUS
    assert _frozen(client, incident_id) == before
    resolve(client, incident_id)
    error = _error(lambda: client.incidents.AcknowledgeIncidentByEventId(request), grpc.StatusCode.FAILED_PRECONDITION)
    assert _refused(error) == {incident_id: "RESOLVED"}


@pytest.mark.parametrize("by", ["event id", "cx_event_key"])
def test_resolve_incident_by_event_id_resolves_its_incident(client, by):
    incident_id, cx_event_key = _from_alert(client)
    before = _events(client, incident_id)
    event_id = before[1].id.value if by == "event id" else cx_event_key

    answered = client.incidents.ResolveIncidentByEventId(
        svc.ResolveIncidentByEventIdRequest(event_id=sv(event_id))
    ).incident

    assert answered.id.value == incident_id
    assert answered.state == RESOLVED_STATE and answered.status == RESOLVED_STATUS
    [event] = _new_events(client, incident_id, before)
    assert event.incident_event_type == UPSERT_STATE
    assert event.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
    _assert_administrative(event, client.principal)

    before_again = _frozen(client, incident_id)
    client.incidents.ResolveIncidentByEventId(svc.ResolveIncidentByEventIdRequest(event_id=sv(event_id)))
    assert _frozen(client, incident_id) == before_again, "resolving a resolved incident records nothing"


@pytest.mark.parametrize("rpc", ["AcknowledgeIncidentByEventId", "ResolveIncidentByEventId"])
def test_action_by_an_unknown_event_id_is_not_found_and_changes_nothing(client, rpc):
    incident_id, _ = _from_alert(client)
    before = _frozen(client, incident_id)
    missing = f"cx-{_uid()}"

    error = _error(
        lambda: getattr(client.incidents, rpc)(getattr(svc, f"{rpc}Request")(event_id=sv(missing))),
        grpc.StatusCode.NOT_FOUND,
    )

    assert _missing(error) == [missing]
    assert _frozen(client, incident_id) == before


# ---- GetIncidentUsingCorrelationKey ------------------------------------------------------------


def _by_key(client, key: str, at: datetime | None = None) -> pb.Incident:
    request = svc.GetIncidentUsingCorrelationKeyRequest(correlation_key=sv(key))
    if at is not None:
        request.incident_point_in_time.CopyFrom(ts(at))
    return client.incidents.GetIncidentUsingCorrelationKey(request).incident


def _not_found_by_key(client, key: str, at: datetime | None = None) -> None:
    error = _error(lambda: _by_key(client, key, at), grpc.StatusCode.NOT_FOUND)
    assert _missing(error) == [key]


def test_correlation_key_without_a_point_in_time_finds_the_incident_open_now(client):
    key = f"key-{_uid()}"
    incident_id, _ = _from_alert(client, key)
    _from_alert(client)  # another key

    found = _by_key(client, key)

    assert found.id.value == incident_id
    assert _types(list(found.events)) == [OPEN, UPSERT_STATE]


def test_correlation_key_before_the_incident_existed_is_not_found(client):
    key = f"key-{_uid()}"
    created_at = _now() - timedelta(minutes=30)
    client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{_uid()}", at=created_at)))

    _not_found_by_key(client, key, created_at - timedelta(minutes=1))
    _not_found_by_key(client, key, created_at - timedelta(microseconds=1))
    assert _by_key(client, key, created_at).id.value, "created at the moment counts as open"


def test_correlation_key_of_a_closed_incident_is_found_at_a_moment_it_was_open_only(client):
    key = f"key-{_uid()}"
    created_at = _now() - timedelta(minutes=30)
    [result] = client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{_uid()}", at=created_at))).results
    [closed] = close(client, result.incident_id)
    closed_at = _when(closed.closed_at)

    for moment in (created_at, created_at + timedelta(minutes=10), closed_at):
        found = _by_key(client, key, moment)
        assert found.id.value == result.incident_id
        assert found.HasField("closed_at")
    _not_found_by_key(client, key, closed_at + timedelta(milliseconds=1))
    _not_found_by_key(client, key)


def test_two_incidents_of_one_key_are_each_found_at_their_own_moment(client):
    key = f"key-{_uid()}"
    first_at = _now() - timedelta(hours=2)
    [first] = client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{_uid()}", at=first_at))).results
    client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{_uid()}", at=first_at + timedelta(minutes=5))))
    close(client, first.incident_id)
    time.sleep(0.01)
    between = _now()
    time.sleep(0.01)
    [second] = client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{_uid()}"))).results
    assert second.incident_id != first.incident_id

    assert _by_key(client, key, first_at + timedelta(minutes=30)).id.value == first.incident_id
    _not_found_by_key(client, key, between)
    assert _by_key(client, key, _now()).id.value == second.incident_id
    assert _by_key(client, key).id.value == second.incident_id


def test_correlation_key_that_was_never_seen_is_not_found(client):
    _create(client)
    _not_found_by_key(client, f"key-{_uid()}")


def test_correlation_key_is_required(client):
    error = _error(
        lambda: client.incidents.GetIncidentUsingCorrelationKey(svc.GetIncidentUsingCorrelationKeyRequest()),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "correlation_key" in _bad_fields(error)


# ---- batches -----------------------------------------------------------------------------------


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_with_unknown_ids_is_not_found_naming_exactly_them_and_changes_nothing(client, action):
    known = _create(client)
    assign(client, known)  # so that unassign would change it
    before = _frozen(client, known)
    unknown = [_uid(), _uid()]

    error = _error(
        lambda: BATCH_ACTIONS[action](client, unknown[0], known, unknown[1], unknown[0]),
        grpc.StatusCode.NOT_FOUND,
    )

    assert sorted(_missing(error)) == sorted(unknown)
    assert {info.resource_type for info in status_details(error, error_details_pb2.ResourceInfo)} == {"incident"}
    assert _frozen(client, known) == before


# action -> how to make an incident it refuses, and the state named
REFUSING = {
    "acknowledge": [("RESOLVED", "RESOLVED"), ("RESOLVED_BY_ALERT", "RESOLVED"), ("CLOSED", "CLOSED")],
    "assign": [("CLOSED", "CLOSED")],
    "snooze": [("CLOSED", "CLOSED")],
}
REFUSALS = [(action, setup, label) for action, cases in REFUSING.items() for setup, label in cases]


@pytest.mark.parametrize(("action", "setup", "label"), REFUSALS)
def test_batch_with_a_refused_incident_is_failed_precondition_naming_it_and_changes_nothing(
    client, action, setup, label
):
    fine = _create(client)
    refused = [_in(client, setup), _in(client, setup)]
    before = {incident_id: _frozen(client, incident_id) for incident_id in (fine, *refused)}

    error = _error(
        lambda: BATCH_ACTIONS[action](client, refused[0], fine, refused[1]),
        grpc.StatusCode.FAILED_PRECONDITION,
    )

    assert _refused(error) == {refused[0]: label, refused[1]: label}
    assert {incident_id: _frozen(client, incident_id) for incident_id in before} == before


@pytest.mark.parametrize("action", list(REFUSING))
def test_batch_with_an_unknown_and_a_refused_id_changes_nothing(client, action):
    fine = _create(client)
    refused = _in(client, "CLOSED")
    unknown = _uid()
    before = {incident_id: _frozen(client, incident_id) for incident_id in (fine, refused)}

    error = _error(lambda: BATCH_ACTIONS[action](client, fine, refused, unknown), grpc.StatusCode.NOT_FOUND)

    assert _missing(error) == [unknown]
    assert {incident_id: _frozen(client, incident_id) for incident_id in before} == before


# action -> (status to start from so the action changes it, the event type it records)
CHANGING = {
    "acknowledge": ("TRIGGERED", ACKNOWLEDGE),
    "resolve": ("TRIGGERED", UPSERT_STATE),
    "close": ("TRIGGERED", CLOSE),
    "assign": ("TRIGGERED", ASSIGN),
    "unassign": ("ASSIGNED", UNASSIGN),
    "snooze": ("TRIGGERED", SNOOZE),
}


def _changeable(client, action: str) -> str:
    status, _ = CHANGING[action]
    if status == "ASSIGNED":
        incident_id = _create(client)
        assign(client, incident_id)
        return incident_id
    return _in(client, status)


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_duplicate_ids_count_once(client, action):
    a, b = _changeable(client, action), _changeable(client, action)
    counts = {incident_id: len(_events(client, incident_id)) for incident_id in (a, b)}

    answered = BATCH_ACTIONS[action](client, a, a, b, a, b)

    assert [incident.id.value for incident in answered] == [a, b]
    _, event_type = CHANGING[action]
    for incident_id in (a, b):
        events = _events(client, incident_id)
        assert len(events) == counts[incident_id] + 1
        assert events[-1].incident_event_type == event_type


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_answers_the_incidents_after_the_change_in_request_order_without_events(client, action):
    ids = [_changeable(client, action) for _ in range(4)]
    requested = sorted(ids, reverse=True)  # not the storage's (id ascending) lock order
    requested = [requested[1], requested[3], requested[0], requested[2]]

    answered = BATCH_ACTIONS[action](client, *requested)

    assert [incident.id.value for incident in answered] == requested
    for incident in answered:
        assert list(incident.events) == []
        stored = _incident(client, incident.id.value)
        stored.ClearField("events")
        incident.ClearField("duration")
        stored.ClearField("duration")
        assert incident == stored, "the answer is the incident after the change"


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_of_1001_ids_is_invalid_argument(client, action):
    known = _changeable(client, action)
    before = _frozen(client, known)

    error = _error(
        lambda: BATCH_ACTIONS[action](client, known, *[_uid() for _ in range(1000)]),
        grpc.StatusCode.INVALID_ARGUMENT,
    )

    assert "incident_ids" in _bad_fields(error)
    assert _frozen(client, known) == before


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_of_no_ids_is_invalid_argument(client, action):
    error = _error(lambda: BATCH_ACTIONS[action](client), grpc.StatusCode.INVALID_ARGUMENT)

    assert "incident_ids" in _bad_fields(error)


@pytest.mark.parametrize("action", list(BATCH_ACTIONS))
def test_batch_with_an_empty_id_is_invalid_argument(client, action):
    known = _changeable(client, action)
    before = _frozen(client, known)

    error = _error(lambda: BATCH_ACTIONS[action](client, known, ""), grpc.StatusCode.INVALID_ARGUMENT)

    assert "incident_ids[1]" in _bad_fields(error)
    assert _frozen(client, known) == before


def test_batch_of_1000_ids_is_accepted(client):
    ids = [_create(client, name=f"n{i}") for i in range(3)]
    # 1000 ids, 997 of them repeats of known ones: within the limit, so the call goes through.
    answered = acknowledge(client, *(ids * 334)[:1000])

    assert [incident.id.value for incident in answered] == ids
    assert all(incident.status == ACKNOWLEDGED_STATUS for incident in answered)


def _more(description: str) -> int:
    """The count in an "and N more ..." detail entry."""
    words = description.split()
    assert words[0] == "and" and words[2] == "more", description
    return int(words[1])


def test_batch_of_1000_unknown_ids_is_not_found_naming_them_within_the_trailer_limit(client):
    unknown = [_uid() for _ in range(1000)]

    error = _error(lambda: acknowledge(client, *unknown), grpc.StatusCode.NOT_FOUND)

    infos = status_details(error, error_details_pb2.ResourceInfo)
    named = [info.resource_name for info in infos if info.resource_name]
    [rest] = [info.description for info in infos if not info.resource_name]
    assert len(named) >= 20 and set(named) <= set(unknown)
    assert len(named) + _more(rest) == 1000
    assert "1000 incident id(s) not found" in error.details()


def test_batch_of_many_refused_ids_is_failed_precondition_naming_them_within_the_trailer_limit(client):
    events = [alert(f"key-{i}-{_uid()}", f"cx-{_uid()}") for i in range(300)]
    ids = [result.incident_id for result in client.ingestion.ReportAlertEvents(report(*events)).results]
    close(client, *ids)
    before = [_frozen(client, incident_id) for incident_id in ids[:3]]

    error = _error(lambda: acknowledge(client, *ids), grpc.StatusCode.FAILED_PRECONDITION)

    [failure] = status_details(error, error_details_pb2.PreconditionFailure)
    named = {v.subject: v.type for v in failure.violations if v.subject}
    [rest] = [v.description for v in failure.violations if not v.subject]
    assert len(named) >= 20 and set(named) <= set(ids)
    assert set(named.values()) == {"CLOSED"}
    assert len(named) + _more(rest) == 300
    assert [_frozen(client, incident_id) for incident_id in ids[:3]] == before


def test_batch_of_1000_empty_ids_is_invalid_argument_within_the_trailer_limit(client):
    error = _error(lambda: acknowledge(client, *[""] * 1000), grpc.StatusCode.INVALID_ARGUMENT)

    assert "incident_ids[0]" in _bad_fields(error)
    assert "..." in _bad_fields(error)


def test_assign_without_assigned_to_is_invalid_argument(client):
    incident_id = _create(client)
    before = _frozen(client, incident_id)

    for request in (
        svc.AssignIncidentsRequest(incident_ids=svs([incident_id])),
        svc.AssignIncidentsRequest(incident_ids=svs([incident_id]), assigned_to=pb.UserDetails()),
        svc.AssignIncidentsRequest(incident_ids=svs([incident_id]), assigned_to=pb.UserDetails(user_id=sv(""))),
    ):
        error = _error(lambda r=request: client.incidents.AssignIncidents(r), grpc.StatusCode.INVALID_ARGUMENT)
        assert "assigned_to.user_id" in _bad_fields(error)
    assert _frozen(client, incident_id) == before


def test_a_batch_changes_every_incident_or_none(client):
    """A mixed batch where acknowledging would change one incident and be a no-op on another."""
    triggered, acknowledged = _create(client), _in(client, "ACKNOWLEDGED")
    before_ack = _frozen(client, acknowledged)

    answered = acknowledge(client, acknowledged, triggered)

    assert [incident.status for incident in answered] == [ACKNOWLEDGED_STATUS, ACKNOWLEDGED_STATUS]
    assert _types(_events(client, triggered)).count(ACKNOWLEDGE) == 1
    assert _frozen(client, acknowledged) == before_ack
