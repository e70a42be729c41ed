"""Alerts inside incidents (SPEC 16) over gRPC, Connect and the Alertmanager intake, on SQLite and
PostgreSQL: an incident follows its alerts, event by event; ListIncidentAlerts pages, isolation and
permission; and, for random alert streams, the incident's state and severity are at every step the
function of its alerts that SPEC 16 defines."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.wrappers_pb2 import UInt32Value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from incidents_service import auth
from incidents_service.domain.model import AlertEvent, IncidentState, IncidentStatus, Severity
from incidents_service.operations import IncidentOperations
from tests.builders import RESOLVED, TRIGGERED, alert, get, report, sv
from tests.conftest import Client, RunningServer
from tests.http_calls import call

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIRING, CLEARED = alr.ALERT_STATE_FIRING, alr.ALERT_STATE_RESOLVED


class Alerts:
    """The IncidentAlertsService stub with the client's key on every call."""

    def __init__(self, client: Client) -> None:
        self._stub = alr_grpc.IncidentAlertsServiceStub(client.channel)
        self._metadata = client.metadata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)
        return lambda request: method(request, metadata=self._metadata, timeout=30)


def _alerts_of(client: Client, incident_id: str, page_size: int = 0) -> tuple[list[alr.IncidentAlert], Any]:
    found: list[alr.IncidentAlert] = []
    token = ""
    while True:
        request = alr.ListIncidentAlertsRequest(incident_id=incident_id)
        if page_size:
            request.pagination.page_size.CopyFrom(UInt32Value(value=page_size))
        if token:
            request.pagination.page_token.value = token
        page = Alerts(client).ListIncidentAlerts(request)
        found.extend(page.alerts)
        token = page.pagination.next_page_token.value
        if not token:
            return found, page.summary


def _incident(client: Client, incident_id: str) -> pb.Incident:
    incident: pb.Incident = client.incidents.GetIncident(get(incident_id)).incident
    return incident


def _event(key: str, instance: str, state: int, minutes: int, severity: int = 0) -> Any:
    return alert(key, uuid.uuid4().hex, state, T0 + timedelta(minutes=minutes), alert_instance_id=instance,
                 severity=severity, alert_labels={"instance": instance})  # fmt: skip


def test_two_alerts_one_incident_it_follows_them_and_resolves_by_itself(client: Client) -> None:
    key = f"checkout-{uuid.uuid4().hex[:8]}"
    outcomes = api_outcomes(client, _event(key, "a", TRIGGERED, 0, pb.INCIDENT_SEVERITY_CRITICAL))
    assert outcomes[0][0] == "CREATED"
    incident_id = outcomes[0][1]
    # Each step: the event, its outcome, and the incident's state, status and severity after it.
    steps = [
        (_event(key, "b", TRIGGERED, 1, pb.INCIDENT_SEVERITY_WARNING), "UPDATED",
         pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_SEVERITY_CRITICAL),
        # One of two resolves: still TRIGGERED, its severity drops to the other's.
        (_event(key, "a", RESOLVED, 2), "UPDATED",
         pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_SEVERITY_WARNING),
        # The other resolves: RESOLVED by itself; the severity stays the last firing one's.
        (_event(key, "b", RESOLVED, 3), "UPDATED",
         pb.INCIDENT_STATE_RESOLVED, pb.INCIDENT_STATUS_RESOLVED, pb.INCIDENT_SEVERITY_WARNING),
        # One fires again: reopened, at its own severity.
        (_event(key, "a", TRIGGERED, 4, pb.INCIDENT_SEVERITY_ERROR), "REOPENED",
         pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_SEVERITY_ERROR),
    ]  # fmt: skip
    for event, outcome, state, status, severity in steps:
        assert api_outcomes(client, event) == [(outcome, incident_id)]
        incident = _incident(client, incident_id)
        assert (incident.state, incident.status, incident.severity) == (state, status, severity), event
    alerts, summary = _alerts_of(client, incident_id)
    assert [(a.alert_key, a.state, a.severity, a.state_changes, dict(a.labels)) for a in alerts] == [
        ("a", FIRING, pb.INCIDENT_SEVERITY_ERROR, 2, {"instance": "a"}),
        ("b", CLEARED, pb.INCIDENT_SEVERITY_WARNING, 1, {"instance": "b"}),
    ]
    assert alerts[0].first_seen.ToDatetime(UTC) == T0
    assert alerts[0].last_seen.ToDatetime(UTC) == T0 + timedelta(minutes=4)
    assert (summary.highest_severity, summary.firing_alerts, summary.total_alerts) == (
        pb.INCIDENT_SEVERITY_CRITICAL, 1, 2
    )  # fmt: skip
    # The event log is the one history: one event per alert event, each naming its alert.
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    assert [e.incident_event_type for e in events.incident_events] == [
        pb.INCIDENT_EVENT_TYPE_OPEN, *[pb.INCIDENT_EVENT_TYPE_UPSERT_STATE] * 5
    ]  # fmt: skip


def api_outcomes(client: Client, *events: Any) -> list[tuple[str, str]]:
    results = client.ingestion.ReportAlertEvents(report(*events)).results
    return [(result.Outcome.Name(result.outcome), result.incident_id) for result in results]


def test_a_late_event_of_one_alert_does_not_move_it_back(client: Client) -> None:
    key = f"late-{uuid.uuid4().hex[:8]}"
    [(_, incident_id)] = api_outcomes(client, _event(key, "a", TRIGGERED, 10, pb.INCIDENT_SEVERITY_ERROR))
    api_outcomes(client, _event(key, "a", RESOLVED, 5))  # older than the alert's last event
    assert _incident(client, incident_id).state == pb.INCIDENT_STATE_TRIGGERED
    # A new alert is not late however old its event: it joins.
    api_outcomes(client, _event(key, "b", TRIGGERED, 1, pb.INCIDENT_SEVERITY_CRITICAL))
    assert _incident(client, incident_id).severity == pb.INCIDENT_SEVERITY_CRITICAL


def test_list_incident_alerts_pages_is_scoped_to_the_team_and_needs_read(server: RunningServer, teams) -> None:
    alice = teams.team()
    key = f"many-{uuid.uuid4().hex[:8]}"
    events = [_event(key, f"i{n:02}", TRIGGERED, n) for n in range(7)]
    incident_id = api_outcomes(alice, *events)[0][1]
    alerts, summary = _alerts_of(alice, incident_id, page_size=3)
    assert [a.alert_key for a in alerts] == [f"i{n:02}" for n in range(7)]
    assert summary.total_alerts == summary.firing_alerts == 7

    other = teams.team()
    ingest_only = teams.key(alice.team_name, "w", frozenset({auth.INGEST}))
    for client, code in ((other, grpc.StatusCode.NOT_FOUND), (ingest_only, grpc.StatusCode.PERMISSION_DENIED)):
        with pytest.raises(grpc.RpcError) as info:
            Alerts(client).ListIncidentAlerts(alr.ListIncidentAlertsRequest(incident_id=incident_id))
        assert info.value.code() == code
    with pytest.raises(grpc.RpcError) as info:
        Alerts(alice).ListIncidentAlerts(alr.ListIncidentAlertsRequest())
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    # The same rpc over Connect.
    answer = call(server.http_url, "/incidents_service.v1.IncidentAlertsService/ListIncidentAlerts",
                  {"incidentId": incident_id}, key=alice.api_key)  # fmt: skip
    assert answer.status == 200, answer.body
    assert len(answer.json()["alerts"]) == 7 and answer.json()["summary"]["totalAlerts"] == 7


def _notification(group: str, alerts: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """An Alertmanager webhook notification of a group: instance -> (status, severity)."""
    started = "2026-03-01T12:00:00Z"
    return {
        "version": "4", "groupKey": group, "receiver": "incidents",
        "status": "firing" if any(status == "firing" for status, _ in alerts.values()) else "resolved",
        "groupLabels": {"alertname": "Latency"}, "commonLabels": {"alertname": "Latency", "service": "checkout"},
        "commonAnnotations": {"summary": "Checkout latency"}, "externalURL": "http://alertmanager.example",
        "alerts": [
            {"status": status, "labels": {"alertname": "Latency", "instance": instance, "severity": severity},
             "annotations": {}, "startsAt": started,
             "endsAt": "2026-03-01T12:05:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
             "fingerprint": f"fp-{instance}"}
            for instance, (status, severity) in alerts.items()
        ],
    }  # fmt: skip


def test_each_alert_of_an_alertmanager_group_is_its_own_alert(server: RunningServer, client: Client) -> None:
    group = f'{{}}:{{alertname="Latency", run="{uuid.uuid4().hex[:8]}"}}'
    intake = "/v1/intake/alertmanager"
    steps = [
        ({"a": ("firing", "critical"), "b": ("firing", "warning")}, "CREATED",
         pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_SEVERITY_CRITICAL),
        # The group still fires (b): the incident stays TRIGGERED at b's severity.
        ({"a": ("resolved", "critical"), "b": ("firing", "warning")}, "UPDATED",
         pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_SEVERITY_WARNING),
        ({"a": ("resolved", "critical"), "b": ("resolved", "warning")}, "UPDATED",
         pb.INCIDENT_STATE_RESOLVED, pb.INCIDENT_SEVERITY_WARNING),
    ]  # fmt: skip
    incident_id = ""
    for alerts, outcome, state, severity in steps:
        answer = call(server.http_url, intake, _notification(group, alerts), key=client.api_key)
        assert answer.status == 200, answer.body
        assert answer.json()["outcome"] == outcome
        incident_id = answer.json()["incident_id"]
        incident = _incident(client, incident_id)
        assert (incident.state, incident.severity) == (state, severity)
    found, _ = _alerts_of(client, incident_id)
    assert [(a.alert_key, a.state, a.labels["instance"]) for a in found] == [
        ("fp-a", CLEARED, "a"), ("fp-b", CLEARED, "b")
    ]  # fmt: skip
    # An alert's own bad field is named as the sender spells it.
    bad = _notification(group, {"a": ("firing", "critical")})
    bad["alerts"][0]["fingerprint"] = "x" * 2000
    answer = call(server.http_url, intake, bad, key=client.api_key)
    assert answer.status == 400 and answer.json()["errors"][0]["field"] == "alerts[0].fingerprint", answer.body


# ---- the function SPEC 16 defines, over random alert streams ---------------------------------------

SEVERITIES = [None, *Severity]
STREAMS = st.lists(
    st.tuples(st.sampled_from("abc"), st.booleans(), st.sampled_from(SEVERITIES)), min_size=1, max_size=12
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stream=STREAMS)
def test_random_alert_streams_keep_the_incident_the_function_of_its_alerts(engine, stream) -> None:
    """After each event: TRIGGERED (status not RESOLVED) iff some alert fires; severity the highest of the
    firing alerts, unchanged while none fires; the highest severity ever reached kept beside it."""
    team = auth.create_team(engine, f"stream-{uuid.uuid4().hex[:10]}")
    operations = IncidentOperations(engine)
    key = "stream"
    alerts: dict[str, tuple[bool, Severity]] = {}  # the model: instance -> (firing, severity)
    severity: Severity | None = None
    highest: Severity | None = None
    incident_id: str | None = None
    for minute, (instance, fires, event_severity) in enumerate(stream):
        state = IncidentState.TRIGGERED if fires else IncidentState.RESOLVED
        # Ten minutes apart, no alert ever changes 4 times within 30 minutes: none flaps (flapping alerts
        # reopen nothing, tests/test_api_alert_flapping.py), so the status follows the state alone.
        at = T0 + timedelta(minutes=10 * minute)
        event = AlertEvent(key, uuid.uuid4().hex, state, at, severity=event_severity, alert_instance_id=instance)
        [result] = operations.report_alert_events(team.id, [event])
        if incident_id is None and not fires:
            assert result.incident_id is None  # nothing open: ignored
            continue
        incident_id = result.incident_id
        known = alerts.get(instance)
        alerts[instance] = (fires, event_severity or (known[1] if known else Severity.INFO))
        firing = [level for is_firing, level in alerts.values() if is_firing]
        severity = max(firing) if firing else severity
        highest = max(highest or Severity.INFO, severity or Severity.INFO)
        assert incident_id is not None
        incident = operations.get_incident(team.id, incident_id).incident
        assert incident.state is (IncidentState.TRIGGERED if firing else IncidentState.RESOLVED)
        assert (incident.status is IncidentStatus.RESOLVED) is not bool(firing)
        assert (incident.severity, incident.peak_severity) == (severity, highest)
