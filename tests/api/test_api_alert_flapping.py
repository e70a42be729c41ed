"""Flapping alerts (SPEC 16), on SQLite and PostgreSQL: an alert changing state 4 times in 30 minutes
flaps (and so its incident), does not reopen the incident, suppresses its notifications, and calms down
once its changes leave the window; the team's setting over gRPC."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from incidents_service import auth
from incidents_service.domain.model import AlertEvent, AlertOutcome, FlappingPolicy, IncidentState, IncidentStatus
from incidents_service.domain.queries import PageRequest
from incidents_service.operations import IncidentOperations
from tests.builders import RESOLVED, TRIGGERED, alert, get, report, violated_fields
from tests.conftest import Client

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIRES, CLEARS = IncidentState.TRIGGERED, IncidentState.RESOLVED


def test_an_alert_flapping_4_times_in_30_minutes_reopens_nothing_and_calms_down(engine) -> None:
    team = auth.create_team(engine, f"flap-{uuid.uuid4().hex[:10]}")
    clock = [T0]
    operations = IncidentOperations(engine, clock=lambda: clock[0])
    incident_id = ""

    def step(state: IncidentState, minutes: int, instance: str = "a") -> AlertOutcome:
        nonlocal incident_id
        clock[0] = T0 + timedelta(minutes=minutes)
        event = AlertEvent("flappy", uuid.uuid4().hex, state, clock[0], alert_instance_id=instance)
        [result] = operations.report_alert_events(team.id, [event])
        incident_id = result.incident_id or incident_id
        return result.outcome

    def seen() -> tuple[IncidentState, IncidentStatus, bool, bool, bool]:
        incident = operations.get_incident(team.id, incident_id).incident
        listed = operations.incident_alerts(team.id, incident_id, PageRequest(size=10))
        [flappy] = [found for found in listed.page.items if found.key == "a"]
        return (incident.state, incident.status, flappy.is_flapping(clock[0]), incident.is_flapping(clock[0]),
                incident.suppresses_notifications(clock[0]))  # fmt: skip

    assert step(FIRES, 0) is AlertOutcome.CREATED
    # Each step: the event, its outcome, then state, status, alert flapping, incident flapping, suppressed.
    script = [
        (CLEARS, 1, AlertOutcome.UPDATED, (CLEARS, IncidentStatus.RESOLVED, False, False, False)),
        (FIRES, 2, AlertOutcome.REOPENED, (FIRES, IncidentStatus.TRIGGERED, False, False, False)),
        (CLEARS, 3, AlertOutcome.UPDATED, (CLEARS, IncidentStatus.RESOLVED, False, False, False)),
        # The fourth change within 30 minutes: flapping, so firing again does not reopen it.
        (FIRES, 4, AlertOutcome.UPDATED, (FIRES, IncidentStatus.RESOLVED, True, True, True)),
        (CLEARS, 5, AlertOutcome.UPDATED, (CLEARS, IncidentStatus.RESOLVED, True, True, True)),
        (FIRES, 6, AlertOutcome.UPDATED, (FIRES, IncidentStatus.RESOLVED, True, True, True)),
    ]
    for state, minute, outcome, after in script:
        assert step(state, minute) is outcome, minute
        assert seen() == after, minute
    # Calm once fewer than 4 of its changes are within the last 30 minutes: from minute 33 (3 + 30).
    clock[0] = T0 + timedelta(minutes=32)
    assert seen()[2:] == (True, True, True)
    clock[0] = T0 + timedelta(minutes=33)
    assert seen()[2:] == (False, False, False)
    assert step(CLEARS, 40) is AlertOutcome.UPDATED
    assert step(FIRES, 41) is AlertOutcome.REOPENED  # calm again: firing reopens as usual
    assert seen() == (FIRES, IncidentStatus.TRIGGERED, False, False, False)
    listed = operations.incident_alerts(team.id, incident_id, PageRequest(size=10))
    assert listed.page.items[0].state_changes == 8


def test_the_team_setting_decides_what_flaps(engine) -> None:
    team = auth.create_team(engine, f"flap-{uuid.uuid4().hex[:10]}")
    operations = IncidentOperations(engine)
    operations.update_alert_settings(team.id, FlappingPolicy(2, timedelta(minutes=5)))
    states = [FIRES, CLEARS, FIRES]  # two changes within five minutes
    events = [AlertEvent("k", uuid.uuid4().hex, s, T0 + timedelta(minutes=m)) for m, s in enumerate(states)]
    results = operations.report_alert_events(team.id, events)
    assert [result.outcome for result in results] == [AlertOutcome.CREATED, AlertOutcome.UPDATED, AlertOutcome.UPDATED]
    incident = operations.get_incident(team.id, results[0].incident_id or "").incident
    assert incident.flapping_until == T0 + timedelta(minutes=1 + 5)


def _settings(client: Client) -> alr_grpc.AlertSettingsServiceStub:
    return alr_grpc.AlertSettingsServiceStub(client.channel)


def test_alert_settings_over_grpc_and_flapping_in_list_incident_alerts(client: Client, teams) -> None:
    stub = _settings(client)
    got = stub.GetAlertSettings(alr.GetAlertSettingsRequest(), metadata=client.metadata)
    assert (got.settings.flapping_threshold, got.settings.flapping_window_minutes) == (4, 30)
    wanted = alr.AlertSettings(flapping_threshold=3, flapping_window_minutes=60)
    stub.UpdateAlertSettings(alr.UpdateAlertSettingsRequest(settings=wanted), metadata=client.metadata)
    assert stub.GetAlertSettings(alr.GetAlertSettingsRequest(), metadata=client.metadata).settings == wanted
    with pytest.raises(grpc.RpcError) as info:
        bad = alr.AlertSettings(flapping_threshold=1, flapping_window_minutes=0)
        stub.UpdateAlertSettings(alr.UpdateAlertSettingsRequest(settings=bad), metadata=client.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(info.value) == ["settings.flapping_threshold", "settings.flapping_window_minutes"]
    reader = teams.key(client.team_name, "reader", frozenset({auth.READ}))
    with pytest.raises(grpc.RpcError) as info:
        stub.UpdateAlertSettings(alr.UpdateAlertSettingsRequest(settings=wanted), metadata=reader.metadata)
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    other = teams.team()  # another team keeps the defaults
    assert _settings(other).GetAlertSettings(alr.GetAlertSettingsRequest(), metadata=other.metadata).settings == (
        alr.AlertSettings(flapping_threshold=4, flapping_window_minutes=30)
    )

    # Three changes within the hour (the team's setting now): flapping, shown as of now.
    now = datetime.now(UTC).replace(microsecond=0)
    key = f"flap-{uuid.uuid4().hex[:8]}"
    events = [alert(key, uuid.uuid4().hex, state, now - timedelta(minutes=5 - n))
              for n, state in enumerate([TRIGGERED, RESOLVED, TRIGGERED, RESOLVED, TRIGGERED])]  # fmt: skip
    incident_id = client.ingestion.ReportAlertEvents(report(*events)).results[0].incident_id
    incident = client.incidents.GetIncident(get(incident_id)).incident
    assert (incident.state, incident.status) == (pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATUS_RESOLVED)
    answer = alr_grpc.IncidentAlertsServiceStub(client.channel).ListIncidentAlerts(
        alr.ListIncidentAlertsRequest(incident_id=incident_id), metadata=client.metadata
    )
    assert answer.alerts[0].flapping and answer.summary.flapping
    assert answer.summary.flapping_until.ToDatetime(UTC) == now - timedelta(minutes=3) + timedelta(minutes=60)
