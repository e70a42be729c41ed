"""Maintenance windows (SPEC 16), on SQLite and PostgreSQL: alerts a running window covers are recorded
but open and reopen nothing and notify no one; the incident shows maintenance none, partial, active; all
is normal once the window ends. The rpcs (validation, permission, isolation, delete) and the CLI."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from incidents_service import auth, cli
from incidents_service.domain.maintenance import LabelMatcher, MaintenanceState
from incidents_service.domain.model import AlertEvent, AlertOutcome, IncidentState, IncidentStatus
from incidents_service.domain.queries import PageRequest
from incidents_service.operations import IncidentOperations, MaintenanceDraft
from tests.builders import TRIGGERED, alert, report, violated_fields
from tests.conftest import Client, RunningServer

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FIRES, CLEARS = IncidentState.TRIGGERED, IncidentState.RESOLVED
OPEN, DONE = IncidentStatus.TRIGGERED, IncidentStatus.RESOLVED
NONE, PARTIAL, ACTIVE = MaintenanceState.NONE, MaintenanceState.PARTIAL, MaintenanceState.ACTIVE


def test_a_window_covering_some_then_all_alerts_opens_nothing_and_all_is_normal_after_it(engine) -> None:
    team = auth.create_team(engine, f"maint-{uuid.uuid4().hex[:10]}")
    clock = [T0]
    operations = IncidentOperations(engine, clock=lambda: clock[0])
    incident_id = ""

    def window(instance: str, start: int, end: int) -> None:
        matchers = (LabelMatcher("instance", instance), LabelMatcher("env", "staging", not_equal=True))
        draft = MaintenanceDraft("deploy", matchers, T0 + timedelta(minutes=start), T0 + timedelta(minutes=end))
        operations.create_maintenance_window(team.id, "ops@example.com", draft)

    def step(state: IncidentState, minute: int, instance: str) -> AlertOutcome:
        nonlocal incident_id
        clock[0] = T0 + timedelta(minutes=minute)
        event = AlertEvent("deploying", uuid.uuid4().hex, state, clock[0], alert_instance_id=instance,
                           alert_labels={"instance": instance, "env": "prod"})  # fmt: skip
        [result] = operations.report_alert_events(team.id, [event])
        incident_id = result.incident_id or incident_id
        return result.outcome

    def seen() -> tuple[IncidentState, IncidentStatus, MaintenanceState, bool]:
        incident = operations.get_incident(team.id, incident_id).incident
        listed = operations.incident_alerts(team.id, incident_id, PageRequest(size=10))
        # Notifications ask the incident as ingestion loads it: with every alert that fires.
        incident.alerts = {found.key: found for found in listed.page.items}
        return incident.state, incident.status, listed.maintenance, incident.suppresses_notifications(clock[0])

    window("a", 0, 60)
    script = [
        # Covered: recorded in an incident it does not open (RESOLVED from the start), notifying no one.
        (FIRES, 1, "a", AlertOutcome.CREATED, (FIRES, DONE, ACTIVE, True)),
        # Not covered: opens it as usual; some of its alerts are in maintenance.
        (FIRES, 2, "b", AlertOutcome.REOPENED, (FIRES, OPEN, PARTIAL, False)),
    ]
    for state, minute, instance, outcome, after in script:
        assert step(state, minute, instance) is outcome, minute
        assert seen() == after, minute
    window("b", 3, 60)  # now a window covers b too: from its next event, all its alerts are covered
    assert step(FIRES, 4, "b") is AlertOutcome.UPDATED
    assert seen() == (FIRES, OPEN, ACTIVE, True)
    assert step(CLEARS, 5, "a") is AlertOutcome.UPDATED and step(CLEARS, 6, "b") is AlertOutcome.UPDATED
    assert seen() == (CLEARS, DONE, ACTIVE, False)
    # Once the windows end: nothing is in maintenance, and an alert firing reopens the incident.
    assert step(FIRES, 61, "a") is AlertOutcome.REOPENED
    assert seen() == (FIRES, OPEN, NONE, False)


def _windows(client: Client) -> alr_grpc.MaintenanceWindowsServiceStub:
    return alr_grpc.MaintenanceWindowsServiceStub(client.channel)


def _at(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def test_maintenance_window_rpcs(client: Client, teams) -> None:
    stub, now = _windows(client), datetime.now(UTC).replace(microsecond=0)
    planned = alr.MaintenanceWindow(
        name="db upgrade",
        matchers=[alr.MaintenanceLabelMatcher(key="service", value="db")],
        starts_at=_at(now - timedelta(minutes=5)),
        ends_at=_at(now + timedelta(hours=1)),
    )
    created = stub.CreateMaintenanceWindow(
        alr.CreateMaintenanceWindowRequest(window=planned), metadata=client.metadata
    ).window
    assert created.id and created.created_by == client.principal and created.matchers == planned.matchers
    listed = stub.ListMaintenanceWindows(alr.ListMaintenanceWindowsRequest(), metadata=client.metadata).windows
    assert [window.id for window in listed] == [created.id]

    # An alert the window covers, over gRPC: its incident is not opened; deleting the window lifts it.
    key = f"db-{uuid.uuid4().hex[:8]}"
    labels = {"service": "db"}
    covered = alert(key, uuid.uuid4().hex, TRIGGERED, alert_labels=labels)
    incident_id = client.ingestion.ReportAlertEvents(report(covered)).results[0].incident_id
    alerts = alr_grpc.IncidentAlertsServiceStub(client.channel)
    answer = alerts.ListIncidentAlerts(alr.ListIncidentAlertsRequest(incident_id=incident_id), metadata=client.metadata)
    assert answer.summary.maintenance == alr.MAINTENANCE_STATE_ACTIVE and answer.alerts[0].in_maintenance
    assert answer.alerts[0].maintenance_window_id == created.id

    other = teams.team()
    reader = teams.key(client.team_name, "r", frozenset({auth.READ}))
    for caller, code in ((other, grpc.StatusCode.NOT_FOUND), (reader, grpc.StatusCode.PERMISSION_DENIED)):
        with pytest.raises(grpc.RpcError) as info:
            _windows(caller).DeleteMaintenanceWindow(alr.DeleteMaintenanceWindowRequest(id=created.id),
                                                     metadata=caller.metadata)  # fmt: skip
        assert info.value.code() == code
    stub.DeleteMaintenanceWindow(alr.DeleteMaintenanceWindowRequest(id=created.id), metadata=client.metadata)
    answer = alerts.ListIncidentAlerts(alr.ListIncidentAlertsRequest(incident_id=incident_id), metadata=client.metadata)
    assert answer.summary.maintenance == alr.MAINTENANCE_STATE_NONE and not answer.alerts[0].in_maintenance
    assert not stub.ListMaintenanceWindows(alr.ListMaintenanceWindowsRequest(), metadata=client.metadata).windows

    bad = alr.MaintenanceWindow(starts_at=_at(now), ends_at=_at(now - timedelta(minutes=1)))
    with pytest.raises(grpc.RpcError) as info:
        stub.CreateMaintenanceWindow(alr.CreateMaintenanceWindowRequest(window=bad), metadata=client.metadata)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(info.value) == ["window.matchers", "window.ends_at"]


def test_the_cli_plans_lists_and_deletes_windows(server: RunningServer, client: Client, capsys) -> None:
    database = ["--database-url", server.database_url]
    end = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    assert cli.main(["maintenance", "create", *database, "--team", client.team_name, "--match", "service=db",
                     "--match", "env!=staging", "--end", end, "--name", "db upgrade"]) == 0  # fmt: skip
    window_id = capsys.readouterr().out.split()[3]
    assert cli.main(["maintenance", "list", *database, "--team", client.team_name]) == 0
    listed = capsys.readouterr().out
    assert window_id in listed and "service=db,env!=staging" in listed and "db upgrade" in listed
    assert cli.main(["maintenance", "create", *database, "--team", client.team_name, "--match", "nokey",
                     "--end", end]) == 2  # fmt: skip
    assert "--match" in capsys.readouterr().err
    assert cli.main(["maintenance", "delete", *database, "--team", client.team_name, window_id]) == 0
    assert cli.main(["maintenance", "delete", *database, "--team", client.team_name, window_id]) == 1
