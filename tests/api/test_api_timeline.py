"""GetIncidentTimeline over gRPC, on SQLite and PostgreSQL: a scripted life read back exactly, paging,
isolation, and random lifecycles whose timeline always agrees with the incident."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.wrappers_pb2 import UInt32Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import RESOLVED, alert, get, report, sv, svs
from tests.conftest import Client

CREATED, CLOSED = ins.TIMELINE_ACTION_CREATED, ins.TIMELINE_ACTION_CLOSED
STATUS_CHANGED, SEVERITY_CHANGED = ins.TIMELINE_ACTION_STATUS_CHANGED, ins.TIMELINE_ACTION_SEVERITY_CHANGED
ASSIGNED, UNASSIGNED = ins.TIMELINE_ACTION_ASSIGNED, ins.TIMELINE_ACTION_UNASSIGNED
UPDATED = ins.TIMELINE_ACTION_UPDATED
TRIGGERED, ACKED, RESOLVED_ = "INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATUS_ACKNOWLEDGED", "INCIDENT_STATUS_RESOLVED"
PROM = "prometheus"


def _timeline(client: Client, incident_id: str, page_size: int = 1000) -> list[ins.TimelineEntry]:
    stub = ins_grpc.IncidentInsightsServiceStub(client.channel)
    entries: list[ins.TimelineEntry] = []
    token = ""
    while True:
        request = ins.GetIncidentTimelineRequest(incident_id=incident_id)
        request.pagination.page_size.CopyFrom(UInt32Value(value=page_size))
        if token:
            request.pagination.page_token.value = token
        page = stub.GetIncidentTimeline(request, metadata=client.metadata, timeout=30)
        entries.extend(page.entries)
        token = page.pagination.next_page_token.value
        if not token:
            return entries


def _alert_at(client: Client, key: str, cx: str, at: datetime, **fields: Any) -> str:
    request = report(alert(key, cx, at=at, source_system="prometheus", **fields))
    [result] = client.ingestion.ReportAlertEvents(request).results
    return result.incident_id


def _events_by_id(client: Client, incident_id: str) -> dict[str, pb.IncidentEvent]:
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    return {event.id.value: event for event in events.incident_events}


def _shape(entry: ins.TimelineEntry) -> tuple[Any, ...]:
    """An entry without its time and event id; enum prefixes of actions and severities dropped."""
    values = [entry.old_value, entry.new_value]
    if entry.field == "severity":
        assert all(value.startswith("INCIDENT_SEVERITY_") for value in values), values
        values = [value.removeprefix("INCIDENT_SEVERITY_") for value in values]
    action = ins.TimelineAction.Name(entry.action).removeprefix("TIMELINE_ACTION_")
    return (action, entry.actor, entry.source_system, entry.field, *values)


def test_a_scripted_life_reads_back_exactly_newest_first(client):
    key = f"checkout-{uuid.uuid4().hex}"
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=10)
    opened_at, raised_at = start, start + timedelta(minutes=1)
    warning = pb.INCIDENT_SEVERITY_WARNING
    incident_id = _alert_at(client, key, "cx-1", opened_at, name="Checkout latency", severity=warning)
    _alert_at(client, key, "cx-2", raised_at, severity=pb.INCIDENT_SEVERITY_CRITICAL, description="p99 at 2.4 s")
    ids = svs([incident_id])
    client.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv("bob@example.com")), incident_ids=ids)
    )
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=ids))
    client.management.UpdateIncident(
        api.UpdateIncidentRequest(
            incident_id=incident_id,
            name="Checkout p99 latency",
            severity=pb.INCIDENT_SEVERITY_ERROR,
            update_mask=FieldMask(paths=["name", "severity"]),
        )
    )
    resolved_at = datetime.now(UTC)
    _alert_at(client, key, "cx-3", resolved_at, state=RESOLVED)
    reopened_at = datetime.now(UTC)
    _alert_at(client, key, "cx-4", reopened_at)
    client.management.SnoozeIncidents(api.SnoozeIncidentsRequest(incident_ids=[incident_id], duration_minutes=30))
    client.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=ids))

    timeline = _timeline(client, incident_id)

    me = client.principal
    assert [_shape(entry) for entry in timeline] == [
        ("CLOSED", me, "", "", "", ""),
        ("STATUS_CHANGED", me, "", "status", TRIGGERED, RESOLVED_),
        ("SNOOZED", me, "", "snoozed_until", "", timeline[2].new_value),
        ("REOPENED", "", PROM, "", "", ""),
        ("STATUS_CHANGED", "", PROM, "status", RESOLVED_, TRIGGERED),
        # The alert fires again at the severity it had (SPEC 16: the incident follows its alerts).
        ("SEVERITY_CHANGED", "", PROM, "severity", "ERROR", "CRITICAL"),
        ("RESOLVED", "", PROM, "", "", ""),
        ("STATUS_CHANGED", "", PROM, "status", ACKED, RESOLVED_),
        ("SEVERITY_CHANGED", me, "", "severity", "CRITICAL", "ERROR"),
        ("UPDATED", me, "", "name", "Checkout latency", "Checkout p99 latency"),
        ("ACKNOWLEDGED", me, "", "", "", ""),
        ("STATUS_CHANGED", me, "", "status", TRIGGERED, ACKED),
        ("ASSIGNED", me, "", "assignee", "", "bob@example.com"),
        ("SEVERITY_CHANGED", "", PROM, "severity", "WARNING", "CRITICAL"),
        ("UPDATED", "", PROM, "description", "", "p99 at 2.4 s"),
        ("CREATED", "", PROM, "", "", ""),
    ]  # fmt: skip

    # Timestamps: the alert's own for alert-driven entries, the logged event's for the rest.
    def stamp(entry: ins.TimelineEntry) -> datetime:
        return entry.timestamp.ToDatetime(tzinfo=UTC)

    assert [stamp(timeline[i]) for i in (3, 4, 5, 6, 7, 13, 14, 15)] == [
        reopened_at, reopened_at, reopened_at, resolved_at, resolved_at, raised_at, raised_at, opened_at
    ]  # fmt: skip
    events = _events_by_id(client, incident_id)
    for entry in timeline:
        if entry.event_id not in events:  # UpdateIncident's entries: the one event GetIncidentEvents omits
            assert entry.action in (SEVERITY_CHANGED, UPDATED) and entry.actor == me
    moments = [stamp(entry) for entry in timeline]
    assert moments == sorted(moments, reverse=True)
    snoozed_from = events[timeline[2].event_id].snooze_indicator.start_time
    assert timeline[2].timestamp == snoozed_from
    expected_end = snoozed_from.ToDatetime(tzinfo=UTC) + timedelta(minutes=30)
    assert datetime.fromisoformat(timeline[2].new_value.replace("Z", "+00:00")) == expected_end
    # Entries of one event share its id; every event but the log's second (the opening alert's own
    # UPSERT_STATE, which changed nothing) gives at least one entry.
    assert len({entry.event_id for entry in timeline}) == len(events) - 1 + 1  # + the UPDATE event


def test_pages_of_any_size_walk_the_same_timeline(client):
    incident_id = client.management.CreateIncident(
        api.CreateIncidentRequest(name="paged", assignee="a@example.com")
    ).incident.id.value
    ids = svs([incident_id])
    for person in ("b@example.com", "c@example.com"):
        client.incidents.AssignIncidents(
            svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv(person)), incident_ids=ids)
        )
    client.incidents.UnassignIncidents(svc.UnassignIncidentsRequest(incident_ids=ids))
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=ids))
    client.incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=ids))
    client.management.UpdateIncident(
        api.UpdateIncidentRequest(
            incident_id=incident_id,
            name="renamed",
            description="new words",
            severity=pb.INCIDENT_SEVERITY_CRITICAL,
            contextual_labels={"service": "checkout"},
            update_mask=FieldMask(paths=["name", "description", "severity", "contextual_labels"]),
        )
    )

    whole = _timeline(client, incident_id)

    assert [(ins.TimelineAction.Name(e.action), e.field, e.old_value, e.new_value) for e in whole] == [
        ("TIMELINE_ACTION_SEVERITY_CHANGED", "severity", "INCIDENT_SEVERITY_INFO", "INCIDENT_SEVERITY_CRITICAL"),
        ("TIMELINE_ACTION_UPDATED", "name", "paged", "renamed"),
        ("TIMELINE_ACTION_UPDATED", "description", "", "new words"),
        ("TIMELINE_ACTION_UPDATED", "contextual_labels", "{}", '{"service":"checkout"}'),
        ("TIMELINE_ACTION_RESOLVED", "", "", ""),
        ("TIMELINE_ACTION_STATUS_CHANGED", "status", "INCIDENT_STATUS_ACKNOWLEDGED", "INCIDENT_STATUS_RESOLVED"),
        ("TIMELINE_ACTION_ACKNOWLEDGED", "", "", ""),
        ("TIMELINE_ACTION_STATUS_CHANGED", "status", "INCIDENT_STATUS_TRIGGERED", "INCIDENT_STATUS_ACKNOWLEDGED"),
        ("TIMELINE_ACTION_UNASSIGNED", "assignee", "c@example.com", ""),
        ("TIMELINE_ACTION_ASSIGNED", "assignee", "b@example.com", "c@example.com"),
        ("TIMELINE_ACTION_ASSIGNED", "assignee", "a@example.com", "b@example.com"),
        ("TIMELINE_ACTION_ASSIGNED", "assignee", "", "a@example.com"),
        ("TIMELINE_ACTION_CREATED", "", "", ""),
    ]  # fmt: skip
    for size in (1, 2, 3, 5, 12, 13):
        assert _timeline(client, incident_id, page_size=size) == whole
    stub = ins_grpc.IncidentInsightsServiceStub(client.channel)
    first = stub.GetIncidentTimeline(
        ins.GetIncidentTimelineRequest(incident_id=incident_id, pagination={"page_size": {"value": 4}}),
        metadata=client.metadata,
    )
    assert first.pagination.total_size.value == 8  # events: OPEN, 3 ASSIGN, UNASSIGN, ACK, RESOLVE, UPDATE


def test_another_teams_incident_has_no_timeline(teams):
    mine, theirs = teams.team(), teams.team("mallory@example.com")
    their_id = theirs.management.CreateIncident(api.CreateIncidentRequest(name="theirs")).incident.id.value
    stub = ins_grpc.IncidentInsightsServiceStub(mine.channel)
    answers = []
    for incident_id in (their_id, str(uuid.uuid4())):
        with pytest.raises(grpc.RpcError) as info:
            stub.GetIncidentTimeline(ins.GetIncidentTimelineRequest(incident_id=incident_id), metadata=mine.metadata)
        answers.append((info.value.code(), (info.value.details() or "").replace(incident_id, "<id>")))
    assert answers[0] == answers[1]
    assert answers[0][0] == grpc.StatusCode.NOT_FOUND


# ---- random lifecycles -------------------------------------------------------------------------

SEVERITIES = [
    pb.INCIDENT_SEVERITY_INFO,
    pb.INCIDENT_SEVERITY_LOW,
    pb.INCIDENT_SEVERITY_WARNING,
    pb.INCIDENT_SEVERITY_ERROR,
    pb.INCIDENT_SEVERITY_CRITICAL,
]
STEP = st.one_of(
    st.tuples(st.just("alert"), st.sampled_from(SEVERITIES), st.sampled_from(["", "name a", "name b"])),
    st.tuples(st.just("alert_resolved")),
    st.tuples(st.just("acknowledge")),
    st.tuples(st.just("resolve")),
    st.tuples(st.just("assign"), st.sampled_from(["p@example.com", "q@example.com"])),
    st.tuples(st.just("unassign")),
    st.tuples(st.just("snooze")),
    st.tuples(st.just("update"), st.sampled_from(SEVERITIES), st.sampled_from(["name a", "name c"])),
)


def _apply(client: Client, key: str, incident_id: str, step: tuple[Any, ...]) -> None:
    ids = svs([incident_id])
    kind = step[0]
    try:
        if kind == "alert":
            client.ingestion.ReportAlertEvents(
                report(alert(key, f"cx-{uuid.uuid4().hex}", severity=step[1], name=step[2]))
            )
        elif kind == "alert_resolved":
            client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{uuid.uuid4().hex}", state=RESOLVED)))
        elif kind == "acknowledge":
            client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=ids))
        elif kind == "resolve":
            client.incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=ids))
        elif kind == "assign":
            client.incidents.AssignIncidents(
                svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv(step[1])), incident_ids=ids)
            )
        elif kind == "unassign":
            client.incidents.UnassignIncidents(svc.UnassignIncidentsRequest(incident_ids=ids))
        elif kind == "snooze":
            snooze = api.SnoozeIncidentsRequest(incident_ids=[incident_id], duration_minutes=5)
            client.management.SnoozeIncidents(snooze)
        else:
            client.management.UpdateIncident(
                api.UpdateIncidentRequest(
                    incident_id=incident_id,
                    severity=step[1],
                    name=step[2],
                    update_mask=FieldMask(paths=["severity", "name"]),
                )
            )
    except grpc.RpcError as error:  # acknowledging a resolved incident is refused, and changes nothing
        assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and kind == "acknowledge", error.details()


def _newest(timeline: list[ins.TimelineEntry], *actions: int) -> ins.TimelineEntry | None:
    return next((entry for entry in timeline if entry.action in actions), None)


def _check_agrees(incident: pb.Incident, timeline: list[ins.TimelineEntry], first: dict[str, str]) -> None:
    assert timeline[-1].action == CREATED
    assert [entry.action for entry in timeline].count(CREATED) == 1
    status = _newest(timeline, STATUS_CHANGED)
    assert (status.new_value if status else "INCIDENT_STATUS_TRIGGERED") == pb.IncidentStatus.Name(incident.status)
    severity = _newest(timeline, SEVERITY_CHANGED)
    expected = severity.new_value if severity else first["severity"]
    assert expected == pb.IncidentSeverity.Name(incident.severity)
    renamed = next((e for e in timeline if e.action == UPDATED and e.field == "name"), None)
    assert (renamed.new_value if renamed else first["name"]) == incident.name.value
    assignment = _newest(timeline, ASSIGNED, UNASSIGNED)
    current = incident.assignments[0].assigned_to.user_id.value if incident.assignments else ""
    assert (assignment.new_value if assignment else "") == current
    # Each change starts from where the previous one of its field ended.
    for field, start in (("status", "INCIDENT_STATUS_TRIGGERED"), ("severity", first["severity"]), ("assignee", "")):
        value = start
        for entry in reversed(timeline):
            if entry.field == field:
                assert entry.old_value == value, (field, entry)
                value = entry.new_value


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, min_size=1, max_size=10), close_at_end=st.booleans())
def test_random_lifecycles_keep_the_timeline_in_agreement_with_the_incident(client, steps, close_at_end):
    key = f"random-{uuid.uuid4().hex}"
    [result] = client.ingestion.ReportAlertEvents(report(alert(key, f"cx-{uuid.uuid4().hex}", name="start"))).results
    incident_id = result.incident_id
    first = {"severity": "INCIDENT_SEVERITY_INFO", "name": "start"}
    for step in [*steps, ("close",)] if close_at_end else steps:
        if step[0] == "close":
            client.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs([incident_id])))
        else:
            _apply(client, key, incident_id, step)
        incident = client.incidents.GetIncident(get(incident_id)).incident
        _check_agrees(incident, _timeline(client, incident_id), first)
    if close_at_end:
        assert _timeline(client, incident_id)[0].action == CLOSED
