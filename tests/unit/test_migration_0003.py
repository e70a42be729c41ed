"""Migration 0003 on a database with history: the notification tables come and go, nothing else changes,
and a history from before them notifies nobody (only changes committed after the upgrade do).

Each database (SQLite file, PostgreSQL scratch database) is private to the test: it migrates down and up.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import inspect, select

from incidents_service import auth
from incidents_service.domain.model import AlertEvent, IncidentState, Severity
from incidents_service.domain.notifications import ChangeType, NotificationTarget, RuleDraft, TargetKind
from incidents_service.notification_operations import NotificationOperations
from incidents_service.operations import IncidentOperations
from incidents_service.storage.migrate import migrate, schema_is_current
from incidents_service.storage.tables import incident_events, incidents, notification_changes, notifications
from tests.unit.test_migration_0002 import _run, private_engine  # noqa: F401  # a fixture

TABLES = {"notification_rules", "notification_changes", "notifications", "notification_attempts"}


def _history(engine) -> tuple[list, list]:
    with engine.connect() as connection:
        return (
            connection.execute(select(incidents).order_by(incidents.c.id)).all(),
            connection.execute(select(incident_events).order_by(incident_events.c.seq)).all(),
        )


def test_0003_adds_the_notification_tables_and_keeps_everything_else(private_engine):  # noqa: F811
    migrate(private_engine)
    team = auth.create_team(private_engine, "history")
    operations = IncidentOperations(private_engine)
    rules = NotificationOperations(operations)
    target = NotificationTarget(TargetKind.WEBHOOK, "https://hooks.example.com/x")
    draft = RuleDraft("all", True, frozenset(ChangeType), None, [], target)
    rules.create_rule(team.id, "ops", draft)
    at = datetime(2026, 1, 1, tzinfo=UTC)
    [opened] = operations.report_alert_events(
        team.id, [AlertEvent("k", uuid.uuid4().hex, IncidentState.TRIGGERED, at, severity=Severity.ERROR)]
    )
    assert opened.incident_id is not None
    history = _history(private_engine)

    _run(private_engine, "downgrade", "0002")
    assert not TABLES & set(inspect(private_engine).get_table_names())
    assert _history(private_engine) == history
    _run(private_engine, "upgrade", "head")

    assert schema_is_current(private_engine)
    assert set(inspect(private_engine).get_table_names()) >= TABLES
    assert _history(private_engine) == history
    with private_engine.connect() as connection:
        assert connection.execute(select(notifications)).all() == []  # nothing of before is sent again
    rule = rules.create_rule(team.id, "ops", draft)
    operations.acknowledge(team.id, "ops", [opened.incident_id])
    with private_engine.connect() as connection:
        [change] = connection.execute(select(notification_changes)).all()
    assert (change.change, change.rule_ids) == ("acknowledged", [rule.id])
