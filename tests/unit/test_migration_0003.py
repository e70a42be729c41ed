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


def _history(engine, columns: dict[str, set[str]] | None = None) -> tuple[list, list]:
    """The incidents and events as rows of {column: value}; with `columns`, only those of each table
    (a database migrated down has fewer: later migrations' columns go with them)."""

    def rows(table, order) -> list[dict]:
        names = [c.name for c in table.c if columns is None or c.name in columns[table.name]]
        with engine.connect() as connection:
            found = connection.execute(select(*[table.c[n] for n in names]).order_by(order)).all()
        return [dict(zip(names, row, strict=True)) for row in found]

    return rows(incidents, incidents.c.id), rows(incident_events, incident_events.c.seq)


def _columns(engine) -> dict[str, set[str]]:
    inspector = inspect(engine)
    return {name: {c["name"] for c in inspector.get_columns(name)} for name in ("incidents", "incident_events")}


def _projected(history: tuple[list, list], columns: dict[str, set[str]]) -> tuple[list, list]:
    return (
        [{k: v for k, v in row.items() if k in columns["incidents"]} for row in history[0]],
        [{k: v for k, v in row.items() if k in columns["incident_events"]} for row in history[1]],
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
    at_0002 = _columns(private_engine)
    assert _history(private_engine, at_0002) == _projected(history, at_0002)
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
