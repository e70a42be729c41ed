"""Storage on both databases: the migrated schema, the constraints the database enforces, round trips,
transactions and concurrent ingestion (SPEC sections 1, 3, 4 and 8)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select

from incidents_service import auth
from incidents_service.domain.errors import ConcurrentConflict, NotFound
from incidents_service.domain.model import (
    AlertEvent,
    AlertOutcome,
    EventType,
    Incident,
    IncidentState,
    IncidentStatus,
    Severity,
)
from incidents_service.operations import IncidentOperations
from incidents_service.storage.migrate import migrate, schema_is_current
from incidents_service.storage.tables import incident_events, incidents, metadata, service_settings
from incidents_service.storage.unit_of_work import UnitOfWork

T0 = datetime(2025, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
ALICE = "alice@example.com"


def new_team(engine: Engine) -> str:
    return auth.create_team(engine, f"storage-{uuid.uuid4().hex[:12]}").id


def key(prefix: str = "k") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def alert(
    correlation_key: str,
    cx_event_key: str | None = None,
    state: IncidentState = IncidentState.TRIGGERED,
    at: datetime = T0,
    **fields,
) -> AlertEvent:
    return AlertEvent(
        correlation_key=correlation_key,
        cx_event_key=cx_event_key or key("cx"),
        state=state,
        timestamp=at,
        **fields,
    )


def add(engine: Engine, team_id: str, *items: Incident) -> None:
    with UnitOfWork(engine, team_id, write=True) as uow:
        for incident in items:
            uow.incidents.add(incident)
        uow.commit()


def load(engine: Engine, team_id: str, incident_id: str) -> Incident | None:
    with UnitOfWork(engine, team_id, write=False) as uow:
        return uow.incidents.get(incident_id)


def stored_event_count(engine: Engine, incident_id: str) -> int:
    with engine.connect() as connection:
        return connection.execute(
            select(func.count()).select_from(incident_events).where(incident_events.c.incident_id == incident_id)
        ).scalar_one()


def open_incident_ids(engine: Engine, team_id: str, correlation_key: str) -> list[str]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(incidents.c.id).where(
                    incidents.c.team_id == team_id,
                    incidents.c.correlation_key == correlation_key,
                    incidents.c.closed_at.is_(None),
                )
            ).scalars()
        )


# ---- schema --------------------------------------------------------------------------------------


def _include_object(dialect_name: str):
    """Leave out indexes the tables declare for another database only (Index.ddl_if)."""

    def include(obj, _name, type_, reflected, _compare_to) -> bool:
        ddl_if = getattr(obj, "_ddl_if", None)
        if type_ == "index" and not reflected and ddl_if is not None and ddl_if.dialect is not None:
            return bool(ddl_if.dialect == dialect_name)
        return True

    return include


def test_migrated_schema_is_exactly_the_declared_tables(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "include_object": _include_object(engine.dialect.name)},
        )
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_migrated_schema_has_the_unique_open_incident_and_event_key_indexes(engine):
    indexes = {index["name"]: index for index in inspect(engine).get_indexes("incidents")}
    assert indexes["uq_incidents_open_correlation_key"]["unique"]
    assert indexes["uq_incidents_open_correlation_key"]["column_names"] == ["team_id", "correlation_key"]
    event_indexes = {index["name"]: index for index in inspect(engine).get_indexes("incident_events")}
    assert event_indexes["uq_incident_events_team_cx_event_key"]["unique"]
    assert set(metadata.tables) <= set(inspect(engine).get_table_names())


def test_migrating_again_is_harmless(engine):
    team_id = new_team(engine)
    incident = Incident.open_from_alert(team_id, alert(key()))
    add(engine, team_id, incident)
    with engine.connect() as connection:
        settings_before = connection.execute(select(service_settings)).all()

    migrate(engine)
    migrate(engine)

    assert schema_is_current(engine)
    with engine.connect() as connection:
        assert connection.execute(select(service_settings)).all() == settings_before
    assert load(engine, team_id, incident.id) == incident


# ---- constraints the database enforces -----------------------------------------------------------


def test_database_refuses_a_second_open_incident_for_the_same_correlation_key(engine):
    team_id = new_team(engine)
    correlation_key = key()
    first = Incident.open_from_alert(team_id, alert(correlation_key))
    second = Incident.open_from_alert(team_id, alert(correlation_key))
    with pytest.raises(ConcurrentConflict), UnitOfWork(engine, team_id, write=True) as uow:
        uow.incidents.add(first)
        uow.incidents.add(second)
        uow.commit()
    assert open_incident_ids(engine, team_id, correlation_key) == []


def test_database_refuses_a_second_open_incident_added_in_a_later_transaction(engine):
    team_id = new_team(engine)
    correlation_key = key()
    first = Incident.open_from_alert(team_id, alert(correlation_key))
    add(engine, team_id, first)
    with pytest.raises(ConcurrentConflict):
        add(engine, team_id, Incident.open_from_alert(team_id, alert(correlation_key)))
    assert open_incident_ids(engine, team_id, correlation_key) == [first.id]


def test_same_correlation_key_may_be_open_in_another_team(engine):
    team_a, team_b = new_team(engine), new_team(engine)
    correlation_key = key()
    in_a = Incident.open_from_alert(team_a, alert(correlation_key))
    in_b = Incident.open_from_alert(team_b, alert(correlation_key))
    add(engine, team_a, in_a)
    add(engine, team_b, in_b)
    assert open_incident_ids(engine, team_a, correlation_key) == [in_a.id]
    assert open_incident_ids(engine, team_b, correlation_key) == [in_b.id]


def test_a_closed_incident_does_not_block_a_new_open_one_for_its_key(engine):
    team_id = new_team(engine)
    correlation_key = key()
    first = Incident.open_from_alert(team_id, alert(correlation_key))
    add(engine, team_id, first)
    with UnitOfWork(engine, team_id, write=True) as uow:
        loaded = uow.incidents.get(first.id)
        assert loaded is not None
        assert loaded.close(ALICE, T0 + timedelta(minutes=5))
        uow.incidents.save_all([loaded])
        uow.commit()

    second = Incident.open_from_alert(team_id, alert(correlation_key, at=T0 + timedelta(minutes=6)))
    add(engine, team_id, second)
    assert open_incident_ids(engine, team_id, correlation_key) == [second.id]


def test_several_manual_incidents_without_correlation_key_may_be_open_together(engine):
    team_id = new_team(engine)
    manual = [Incident.create(team_id, ALICE, T0, name=f"manual {i}") for i in range(3)]
    add(engine, team_id, *manual)
    assert all(load(engine, team_id, incident.id) == incident for incident in manual)


def test_database_refuses_a_second_event_with_the_same_cx_event_key_in_a_team(engine):
    team_id = new_team(engine)
    first = Incident.open_from_alert(team_id, alert(key(), cx_event_key="cx-shared"))
    other_key = Incident.open_from_alert(team_id, alert(key(), cx_event_key="cx-shared"))
    add(engine, team_id, first)
    with pytest.raises(ConcurrentConflict):
        add(engine, team_id, other_key)
    assert load(engine, team_id, other_key.id) is None


def test_the_same_cx_event_key_is_allowed_in_another_team(engine):
    team_a, team_b = new_team(engine), new_team(engine)
    cx_event_key = key("cx")
    in_a = Incident.open_from_alert(team_a, alert(key(), cx_event_key=cx_event_key))
    in_b = Incident.open_from_alert(team_b, alert(key(), cx_event_key=cx_event_key))
    add(engine, team_a, in_a)
    add(engine, team_b, in_b)
    with UnitOfWork(engine, team_b, write=False) as uow:
        assert uow.incidents.incident_id_for_event(cx_event_key) == in_b.id
    with UnitOfWork(engine, team_a, write=False) as uow:
        assert uow.incidents.incident_id_for_event(cx_event_key) == in_a.id


# ---- round trip ----------------------------------------------------------------------------------


def test_incident_and_its_events_read_back_equal(engine):
    team_id = new_team(engine)
    plus_two = timezone(timedelta(hours=2))
    created_at = datetime(2025, 3, 1, 14, 0, 0, 654321, tzinfo=plus_two)
    incident = Incident.create(
        team_id,
        ALICE,
        created_at,
        name="Checkout — 5xx ✓",
        description="multi\nline ünïcode",
        severity=Severity.CRITICAL,
        contextual_labels={"host": "web-1", "ключ": "значение"},
        display_labels={"owner": "payments"},
        meta_labels=[("env", "prod"), ("env", "eu"), ("tier", "1")],
        application_name="shop",
        subsystem_name="checkout",
        assignee="bob@example.com",
    )
    incident.snooze(ALICE, created_at + timedelta(minutes=1), 45)
    incident.acknowledge(ALICE, created_at + timedelta(minutes=2))
    incident.close(ALICE, created_at + timedelta(minutes=3, microseconds=7))
    events = list(incident.new_events)
    add(engine, team_id, incident)

    loaded = load(engine, team_id, incident.id)
    assert loaded == incident
    assert loaded.meta_labels == [("env", "prod"), ("env", "eu"), ("tier", "1")]
    assert (loaded.assigned_to, loaded.assigned_by) == ("bob@example.com", ALICE)
    assert loaded.closed_at == created_at + timedelta(minutes=3, microseconds=7)
    assert loaded.snoozed_until == created_at + timedelta(minutes=46)
    for moment in (loaded.created_at, loaded.closed_at, loaded.snoozed_until):
        assert moment.utcoffset() == timedelta(0)

    with UnitOfWork(engine, team_id, write=False) as uow:
        stored_events = uow.incidents.events_of(incident.id)
    assert stored_events == events
    assert [e.type for e in stored_events] == [
        EventType.OPEN,
        EventType.ASSIGN,
        EventType.SNOOZE_INDICATOR,
        EventType.ACKNOWLEDGE,
        EventType.CLOSE,
    ]
    assert all(e.timestamp.utcoffset() == timedelta(0) for e in stored_events)


def test_alert_incident_reads_back_equal_after_changes_are_saved(engine):
    team_id = new_team(engine)
    incident = Incident.open_from_alert(
        team_id,
        alert(key(), contextual_labels={"a": "1"}, is_muted=True, severity=Severity.LOW, source_system="prom"),
    )
    add(engine, team_id, incident)
    with UnitOfWork(engine, team_id, write=True) as uow:
        loaded = uow.incidents.get(incident.id)
        assert loaded is not None
        loaded.apply_alert(
            alert(incident.correlation_key, at=T0 + timedelta(minutes=1), meta_labels=[("x", "y")], name="n2")
        )
        loaded.resolve(ALICE, T0 + timedelta(minutes=2))
        uow.incidents.save_all([loaded])
        uow.commit()
    again = load(engine, team_id, incident.id)
    assert again == loaded
    assert (again.name, again.status, again.meta_labels) == ("n2", IncidentStatus.RESOLVED, [("x", "y")])
    assert stored_event_count(engine, incident.id) == 4


def test_incidents_read_with_their_newest_events_in_one_statement_match_the_full_log(engine):
    team_id, other_team = new_team(engine), new_team(engine)
    busy = Incident.create(team_id, ALICE, T0, name="busy", contextual_labels={"a": "1"})
    for minute in range(1, 106):  # 105 assignments after OPEN: only the newest 100 events are shown
        busy.assign(f"oncall-{minute}@example.com", ALICE, T0 + timedelta(minutes=minute))
    quiet = Incident.create(team_id, ALICE, T0, name="quiet", meta_labels=[("env", "prod")])
    foreign = Incident.create(other_team, ALICE, T0, name="another team's")
    add(engine, team_id, busy, quiet)
    add(engine, other_team, foreign)

    with UnitOfWork(engine, team_id, write=False) as uow:
        full_logs = {i.id: uow.incidents.events_of(i.id) for i in (busy, quiet)}
        one = uow.incidents.get_with_events(busy.id, 100)
        many = uow.incidents.get_many_with_events([quiet.id, foreign.id, "missing", busy.id, quiet.id], 100)
        assert uow.incidents.get_with_events(foreign.id, 100) is None

    def without_snapshots(events):
        return [replace(event, snapshot=None, alert=None) for event in events]

    assert len(full_logs[busy.id]) == 106
    assert one == (busy, without_snapshots(full_logs[busy.id][-100:]))
    assert [e.payload["assigned_to"] for e in one[1][-2:]] == ["oncall-104@example.com", "oncall-105@example.com"]
    assert set(many) == {busy.id, quiet.id}
    assert many[busy.id] == one
    assert many[quiet.id] == (quiet, without_snapshots(full_logs[quiet.id]))


# ---- report_alert_events -------------------------------------------------------------------------


def test_event_repeated_within_one_batch_is_reported_duplicate_and_changes_nothing(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    correlation_key = key()
    results = operations.report_alert_events(
        team_id,
        [
            alert(correlation_key, "cx-1", name="first"),
            alert(correlation_key, "cx-1", at=T0 + timedelta(minutes=1), name="repeat"),
        ],
    )
    assert [r.outcome for r in results] == [AlertOutcome.CREATED, AlertOutcome.DUPLICATE]
    assert results[1].incident_id == results[0].incident_id
    view = operations.get_incident(team_id, results[0].incident_id)
    assert view.incident.name == "first"
    assert [e.type for e in view.events] == [EventType.OPEN, EventType.UPSERT_STATE]


def test_event_already_seen_in_an_earlier_call_is_reported_duplicate(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    correlation_key = key()
    (first,) = operations.report_alert_events(team_id, [alert(correlation_key, "cx-1")])
    (again,) = operations.report_alert_events(
        team_id, [alert(correlation_key, "cx-1", IncidentState.RESOLVED, at=T0 + timedelta(minutes=1))]
    )
    assert again.outcome is AlertOutcome.DUPLICATE
    assert again.incident_id == first.incident_id
    assert operations.get_incident(team_id, first.incident_id).incident.state is IncidentState.TRIGGERED


def test_events_later_in_a_batch_apply_to_the_incident_the_batch_opened(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    correlation_key = key()
    results = operations.report_alert_events(
        team_id,
        [
            alert(correlation_key, at=T0),
            alert(correlation_key, at=T0 + timedelta(minutes=1), severity=Severity.ERROR),
            alert(correlation_key, state=IncidentState.RESOLVED, at=T0 + timedelta(minutes=2)),
            alert(correlation_key, at=T0 + timedelta(minutes=3)),
        ],
    )
    assert [r.outcome for r in results] == [
        AlertOutcome.CREATED,
        AlertOutcome.UPDATED,
        AlertOutcome.UPDATED,
        AlertOutcome.REOPENED,
    ]
    assert len({r.incident_id for r in results}) == 1
    incident = operations.get_incident(team_id, results[0].incident_id).incident
    assert (incident.state, incident.status, incident.severity) == (
        IncidentState.TRIGGERED,
        IncidentStatus.TRIGGERED,
        Severity.ERROR,
    )
    assert stored_event_count(engine, incident.id) == 5


def test_resolved_event_without_open_incident_is_ignored_and_triggered_after_close_opens_new(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    correlation_key = key()
    (ignored,) = operations.report_alert_events(team_id, [alert(correlation_key, state=IncidentState.RESOLVED)])
    assert (ignored.outcome, ignored.incident_id) == (AlertOutcome.IGNORED, None)
    assert open_incident_ids(engine, team_id, correlation_key) == []

    (first,) = operations.report_alert_events(team_id, [alert(correlation_key)])
    operations.close(team_id, ALICE, [first.incident_id])
    (second,) = operations.report_alert_events(team_id, [alert(correlation_key, at=T0 + timedelta(hours=1))])
    assert second.outcome is AlertOutcome.CREATED
    assert second.incident_id != first.incident_id
    assert open_incident_ids(engine, team_id, correlation_key) == [second.incident_id]


# ---- transactions --------------------------------------------------------------------------------


def test_unit_of_work_that_raises_before_commit_leaves_nothing_behind(engine):
    team_id = new_team(engine)
    incident = Incident.open_from_alert(team_id, alert(key(), cx_event_key="cx-rolled-back"))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), UnitOfWork(engine, team_id, write=True) as uow:
        uow.incidents.add(incident)
        assert uow.incidents.get(incident.id) is not None  # visible inside the transaction
        raise Boom

    assert load(engine, team_id, incident.id) is None
    assert stored_event_count(engine, incident.id) == 0
    # The key was never recorded: the same event may now be stored.
    add(engine, team_id, Incident.open_from_alert(team_id, alert(key(), cx_event_key="cx-rolled-back")))


def test_unit_of_work_left_without_commit_is_rolled_back(engine):
    team_id = new_team(engine)
    incident = Incident.create(team_id, ALICE, T0, name="never committed")
    with UnitOfWork(engine, team_id, write=True) as uow:
        uow.incidents.add(incident)
    assert load(engine, team_id, incident.id) is None


def test_concurrent_first_events_of_the_same_keys_make_one_incident_per_key(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    keys = [key(f"race{i}") for i in range(20)]
    barrier = threading.Barrier(2)
    results: dict[int, list] = {}
    errors: list[BaseException] = []

    def report(worker: int) -> None:
        batch = [alert(k, cx_event_key=f"{k}-from-{worker}") for k in keys]
        try:
            barrier.wait(timeout=5)
            results[worker] = operations.report_alert_events(team_id, batch)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=report, args=(worker,)) for worker in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []

    for index, correlation_key in enumerate(keys):
        outcomes = sorted(results[worker][index].outcome for worker in (0, 1))
        assert outcomes == [AlertOutcome.CREATED, AlertOutcome.UPDATED]
        incident_ids = {results[worker][index].incident_id for worker in (0, 1)}
        assert incident_ids == set(open_incident_ids(engine, team_id, correlation_key))
        assert len(incident_ids) == 1
        (incident_id,) = incident_ids
        # OPEN plus one UPSERT_STATE from each worker: neither worker's event was lost.
        assert stored_event_count(engine, incident_id) == 3


# ---- delete --------------------------------------------------------------------------------------


def test_delete_incidents_removes_the_incidents_and_their_events(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    first, second, kept = operations.report_alert_events(
        team_id, [alert(key(), "cx-a"), alert(key(), "cx-b"), alert(key(), "cx-kept")]
    )
    operations.acknowledge(team_id, ALICE, [first.incident_id])

    deleted = operations.delete_incidents(team_id, [first.incident_id, second.incident_id, first.incident_id])

    assert deleted == [first.incident_id, second.incident_id]
    for gone in (first, second):
        with pytest.raises(NotFound):
            operations.get_incident(team_id, gone.incident_id)
        assert stored_event_count(engine, gone.incident_id) == 0
    for cx_event_key in ("cx-a", "cx-b"):
        with pytest.raises(NotFound):
            operations.incident_id_for_event(team_id, cx_event_key)
    assert operations.get_incident(team_id, kept.incident_id).incident.id == kept.incident_id
    assert stored_event_count(engine, kept.incident_id) == 2


def test_delete_with_an_unknown_id_fails_not_found_and_deletes_nothing(engine):
    team_id = new_team(engine)
    operations = IncidentOperations(engine)
    (existing,) = operations.report_alert_events(team_id, [alert(key())])

    with pytest.raises(NotFound) as raised:
        operations.delete_incidents(team_id, [existing.incident_id, "no-such-incident"])

    assert raised.value.ids == ["no-such-incident"]
    assert operations.get_incident(team_id, existing.incident_id).incident.id == existing.incident_id
    assert stored_event_count(engine, existing.incident_id) == 2


def test_delete_of_another_teams_incident_fails_not_found_and_deletes_nothing(engine):
    owner, intruder = new_team(engine), new_team(engine)
    operations = IncidentOperations(engine)
    (theirs,) = operations.report_alert_events(owner, [alert(key())])

    with pytest.raises(NotFound) as raised:
        operations.delete_incidents(intruder, [theirs.incident_id])

    assert raised.value.ids == [theirs.incident_id]
    assert operations.get_incident(owner, theirs.incident_id).incident.id == theirs.incident_id
    assert stored_event_count(engine, theirs.incident_id) == 2
