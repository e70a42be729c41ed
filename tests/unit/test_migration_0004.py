"""Migration 0004 (alerts inside incidents) on a database with history: each correlated incident gets
the one alert its events named, in the state the service keeps, and the highest severity its log shows;
after it, alert events find their alert (an incident resolves by itself). Both databases, each private
to the test (it migrates down and up)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from incidents_service import auth
from incidents_service.domain.model import AlertEvent, IncidentState, IncidentStatus, Severity
from incidents_service.operations import IncidentDraft, IncidentOperations
from incidents_service.storage.migrate import migrate
from incidents_service.storage.tables import incident_alerts, incidents
from tests.unit.test_migration_0002 import _run
from tests.unit.test_migration_0002 import private_engine as private_engine  # the fixture, shared

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _alerts(engine: Engine) -> set[tuple[str, str, str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                incident_alerts.c.incident_id,
                incident_alerts.c.alert_key,
                incident_alerts.c.state,
                incident_alerts.c.severity,
            )
        )
        return {tuple(row) for row in rows}  # type: ignore[misc]


def _highest(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(select(incidents.c.id, incidents.c.highest_severity)).all())  # type: ignore[arg-type]


def test_the_backfill_gives_each_incident_its_alert_and_highest_severity(private_engine) -> None:
    migrate(private_engine)
    team = auth.create_team(private_engine, "history")
    operations = IncidentOperations(private_engine)

    def alert(key: str, state: IncidentState, minutes: int, **fields) -> str:
        event = AlertEvent(key, uuid.uuid4().hex, state, T0 + timedelta(minutes=minutes), **fields)
        [result] = operations.report_alert_events(team.id, [event])
        assert result.incident_id is not None
        return result.incident_id

    by_rule = alert("k1", IncidentState.TRIGGERED, 0, severity=Severity.CRITICAL, alert_id="rule-1")
    alert("k1", IncidentState.TRIGGERED, 1, severity=Severity.INFO, alert_id="rule-1")
    plain = alert("k2", IncidentState.TRIGGERED, 2, severity=Severity.ERROR)
    alert("k2", IncidentState.RESOLVED, 3)
    manual = operations.create_incident(team.id, "a@x", _draft()).incident.id
    maintained, highest = _alerts(private_engine), _highest(private_engine)
    assert maintained == {(by_rule, "k1", "FIRING", 1), (plain, "k2", "RESOLVED", 4)}
    assert highest == {by_rule: 5, plain: 4, manual: 1}

    _run(private_engine, "downgrade", "0003")
    _run(private_engine, "upgrade", "head")

    assert _alerts(private_engine) == maintained
    assert _highest(private_engine) == highest
    alert("k1", IncidentState.RESOLVED, 4, alert_id="rule-1")
    incident = operations.get_incident(team.id, by_rule).incident
    assert incident.status is IncidentStatus.RESOLVED and incident.peak_severity is Severity.CRITICAL


def _draft() -> IncidentDraft:
    return IncidentDraft(name="manual")
