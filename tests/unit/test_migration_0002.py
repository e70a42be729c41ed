"""Migration 0002 on a database with history: the backfill of acknowledged_at / resolved_at from the event
log equals what the service itself maintains, and every incident's timeline reads the same after it.

Each database (SQLite file, PostgreSQL scratch database) is private to the test: it migrates down and up.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import Engine, select

from incidents_service import auth
from incidents_service.domain.model import AlertEvent, IncidentState, Severity
from incidents_service.domain.queries import PageRequest
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import alembic_config, migrate
from incidents_service.storage.tables import incidents
from tests.conftest import _admin_connection, _postgres_url


@pytest.fixture(params=["sqlite", "postgresql"])
def private_engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = create_database_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("postgres_database_url")  # skips (or fails in CI) without PostgreSQL
    name = f"incidents_migrate_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = create_database_engine(_postgres_url(name))
    try:
        yield engine
    finally:
        engine.dispose()
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def _response_times(engine: Engine) -> dict[str, tuple[datetime | None, datetime | None]]:
    with engine.connect() as connection:
        rows = connection.execute(select(incidents.c.id, incidents.c.acknowledged_at, incidents.c.resolved_at))
        return {row.id: (row.acknowledged_at, row.resolved_at) for row in rows}


def test_the_backfill_rebuilds_response_times_from_the_log_and_timelines_read_the_same(private_engine):
    migrate(private_engine)
    team = auth.create_team(private_engine, "history")
    clock = [datetime(2026, 1, 1, tzinfo=UTC)]
    operations = IncidentOperations(private_engine, clock=lambda: clock[0])

    def alert(key: str, state: IncidentState, minutes: int, **fields) -> str:
        at = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
        event = AlertEvent(key, uuid.uuid4().hex, state, at, source_system="prom", **fields)
        [result] = operations.report_alert_events(team.id, [event])
        assert result.incident_id is not None
        return result.incident_id

    def at(minutes: int) -> None:
        clock[0] = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)

    ids = [alert(f"k{i}", IncidentState.TRIGGERED, i, severity=Severity.ERROR) for i in range(6)]
    at(10)
    operations.acknowledge(team.id, "a@x", ids[:4])
    at(20)
    operations.acknowledge(team.id, "b@x", ids[:1])  # idempotent: the first acknowledge stays
    alert("k1", IncidentState.RESOLVED, 25)  # resolved by the alert
    operations.resolve(team.id, "a@x", ids[2:3])  # resolved by a responder
    alert("k2", IncidentState.TRIGGERED, 30)  # reopened: not resolved any more
    alert("k3", IncidentState.RESOLVED, 31)
    alert("k3", IncidentState.TRIGGERED, 32)
    alert("k3", IncidentState.RESOLVED, 33)  # resolved again: the last resolution counts
    at(40)
    operations.close(team.id, "a@x", [ids[4], ids[1]])  # closing resolves; closing a resolved one keeps it
    maintained = _response_times(private_engine)
    assert maintained[ids[1]][1] == datetime(2026, 1, 1, 0, 25, tzinfo=UTC)
    assert maintained[ids[2]][1] is None and maintained[ids[5]] == (None, None)
    timelines = {i: operations.incident_timeline(team.id, i, PageRequest(size=1000)).items for i in ids}

    _run(private_engine, "downgrade", "0001")
    _run(private_engine, "upgrade", "head")

    assert _response_times(private_engine) == maintained
    assert {i: operations.incident_timeline(team.id, i, PageRequest(size=1000)).items for i in ids} == timelines
