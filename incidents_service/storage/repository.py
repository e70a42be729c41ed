"""The incident repository: one team's incidents and events, rows <-> domain objects.

Every statement is scoped to the team, so another team's ids behave exactly like missing ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, or_, select, tuple_
from sqlalchemy.sql import ColumnElement

from incidents_service.domain.model import (
    EventType,
    Incident,
    IncidentEvent,
    IncidentSnapshot,
    IncidentState,
    IncidentStatus,
    Originator,
    OriginatorType,
    Severity,
)
from incidents_service.domain.queries import (
    EventFilter,
    FilterValues,
    IncidentFilter,
    IncidentGroup,
    Page,
    PageRequest,
    SortKey,
)
from incidents_service.domain.statistics import IncidentStatistics, StatisticsQuery
from incidents_service.domain.timeline import LoggedEvent, assignee_left_by
from incidents_service.storage import aggregations, statistics
from incidents_service.storage.driver_sql import DriverStatements, incident_from_row
from incidents_service.storage.incident_query import EVENT_SNAPSHOTS, IncidentQuery
from incidents_service.storage.notifications import NotificationRepository
from incidents_service.storage.tables import (
    correlation_groups,
    incident_alerts,
    incident_events,
    incident_notes,
    incidents,
)

# Parameters per statement stay well under SQLite's and psycopg's limits.
_IN_CHUNK = 500


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), _IN_CHUNK):
        yield values[start : start + _IN_CHUNK]


# Statements run through SQLAlchemy on hot paths (new incidents, an incident's newest events), built
# once: building a statement and computing its cache key costs more than running it on an indexed row.
# Reads by id, the incident update and the event insert run on the driver's cursor (driver_sql.py).
_INSERT_INCIDENTS = insert(incidents)

# An incident shown with its newest events needs what the wire shows of them, not the incident
# snapshot and alert each event also keeps (for event queries): five JSON columns fewer per row.
_EVENT_LOG_COLUMNS = [
    incident_events.c[name]
    for name in (
        "seq",
        "id",
        "incident_id",
        "event_type",
        "timestamp",
        "originator_type",
        "originator_name",
        "payload",
        "cx_event_key",
    )
]
_NEWEST_EVENTS = (
    select(*_EVENT_LOG_COLUMNS)
    .where(incident_events.c.team_id == bindparam("team_id"), incident_events.c.incident_id == bindparam("incident_id"))
    .order_by(incident_events.c.seq.desc())
    .limit(bindparam("newest"))
)


class IncidentRepository:
    def __init__(
        self,
        connection: Connection,
        team_id: str,
        lock_rows: bool,
        outbox: NotificationRepository | None = None,
    ) -> None:
        self._connection = connection
        self._team_id = team_id
        # Every stored change passes the outbox in the same transaction (SPEC 14: nothing lost, nothing invented).
        self._outbox = outbox
        # Writers lock the rows they read (SELECT ... FOR UPDATE on PostgreSQL) so concurrent
        # transitions on one incident serialize; SQLite's single writer lock already does that.
        self._lock_rows = lock_rows and connection.dialect.name == "postgresql"
        self._driver = DriverStatements(connection, team_id, self._lock_rows)

    # ---- incidents -----------------------------------------------------------------------------

    def get(self, incident_id: str) -> Incident | None:
        return self._driver.get(incident_id)

    def get_many(self, incident_ids: Sequence[str]) -> dict[str, Incident]:
        """The incidents found among these ids (each once), locked in id order when writing."""
        return self._driver.get_many(incident_ids)

    def get_with_events(self, incident_id: str, newest: int) -> tuple[Incident, list[IncidentEvent]] | None:
        """The incident and its newest `newest` events (oldest first, without snapshots), in one statement."""
        return self._driver.get_with_events(incident_id, newest)

    def get_many_with_events(
        self, incident_ids: Sequence[str], newest: int
    ) -> dict[str, tuple[Incident, list[IncidentEvent]]]:
        """get_with_events for many ids in one statement; ids not found are absent."""
        return self._driver.get_many_with_events(incident_ids, newest)

    def open_by_correlation_keys(self, correlation_keys: Sequence[str]) -> dict[str, Incident]:
        """The open incident of each key that has one, locked for this transaction when writing.

        One query per chunk, locking in id order like get_many, so concurrent batches that share keys
        queue behind each other instead of deadlocking.
        """
        found: dict[str, Incident] = {}
        for chunk in _chunks(list(dict.fromkeys(correlation_keys))):
            statement = (
                select(incidents)
                .where(
                    incidents.c.team_id == self._team_id,
                    incidents.c.correlation_key.in_(chunk),
                    incidents.c.closed_at.is_(None),
                )
                .order_by(incidents.c.id)
            )
            if self._lock_rows:
                statement = statement.with_for_update()
            for row in self._connection.execute(statement):
                found[row.correlation_key] = incident_from_row(row)
        return found

    def incident_open_at(self, correlation_key: str, moment: datetime) -> Incident | None:
        """The incident of this key open at `moment`: created at or before it, not closed before it."""
        c = incidents.c
        statement = (
            select(incidents)
            .where(
                c.team_id == self._team_id,
                c.correlation_key == correlation_key,
                c.created_at <= moment,
                or_(c.closed_at.is_(None), c.closed_at >= moment),
            )
            .order_by(c.created_at.desc(), c.id.desc())
            .limit(1)
        )
        row = self._connection.execute(statement).first()
        return incident_from_row(row) if row is not None else None

    def incident_id_for_event(self, event_id: str) -> str | None:
        """The incident holding an event, found by the event's id or an alert event's cx_event_key."""
        e = incident_events.c
        statement = (
            select(e.incident_id)
            .where(e.team_id == self._team_id, or_(e.id == event_id, e.cx_event_key == event_id))
            .limit(1)
        )
        found: str | None = self._connection.execute(statement).scalar_one_or_none()
        return found

    def add(self, incident: Incident) -> None:
        self.add_all([incident])

    def add_all(self, new_incidents: Sequence[Incident]) -> None:
        """Insert new incidents and their events, one statement each for the whole batch.

        Rows go in correlation key order: two transactions opening the same new keys then meet on the
        first shared key of the open-key unique index, and the later one waits and retries, instead of
        each holding a key the other needs (a deadlock, every time the batches list keys in other orders).
        """
        if not new_incidents:
            return
        new_incidents = sorted(new_incidents, key=lambda incident: (incident.correlation_key or "", incident.id))
        self._connection.execute(_INSERT_INCIDENTS, [_incident_values(incident) for incident in new_incidents])
        self._notify(new_incidents)
        self._store_new_events(new_incidents)

    def save_all(self, changed: Sequence[Incident]) -> None:
        """Store loaded incidents' changes and the events they recorded (unchanged ones are skipped)."""
        changed = [incident for incident in changed if incident.new_events]
        if not changed:
            return
        rows = []
        for incident in changed:
            values = _incident_values(incident)
            values["incident_id"] = values.pop("id")
            del values["team_id"]
            values["incident_team_id"] = self._team_id
            rows.append(values)
        self._driver.update_incidents(rows)
        self._notify(changed)
        self._store_new_events(changed)

    def delete_many(self, incident_ids: Sequence[str]) -> None:
        for chunk in _chunks(list(incident_ids)):
            self._connection.execute(
                delete(correlation_groups).where(
                    correlation_groups.c.team_id == self._team_id, correlation_groups.c.incident_id.in_(chunk)
                )
            )
            self._connection.execute(
                delete(incident_alerts).where(
                    incident_alerts.c.team_id == self._team_id, incident_alerts.c.incident_id.in_(chunk)
                )
            )
            self._connection.execute(
                delete(incident_notes).where(
                    incident_notes.c.team_id == self._team_id, incident_notes.c.incident_id.in_(chunk)
                )
            )
            self._connection.execute(
                delete(incident_events).where(
                    incident_events.c.team_id == self._team_id, incident_events.c.incident_id.in_(chunk)
                )
            )
            self._connection.execute(
                delete(incidents).where(incidents.c.team_id == self._team_id, incidents.c.id.in_(chunk))
            )

    def list_page(
        self, incident_filter: IncidentFilter, order: Sequence[SortKey], page: PageRequest, now: datetime
    ) -> Page[Incident]:
        query = IncidentQuery(self._connection.dialect.name, self._team_id, page.as_of or now)
        conditions = query.conditions(incident_filter)
        total = page.known_total
        positions = [query.sort_expression(key).label(f"sort_{index}") for index, key in enumerate(order)]
        count = select(func.count()).select_from(incidents).where(*conditions)
        # The first page's count rides along as one more column, an uncorrelated subquery the database
        # runs once: one round trip. An empty first page then means no match at all.
        counted = total is None and page.after is None
        statement = select(incidents, *positions, *([count.scalar_subquery().label("total")] if counted else []))
        statement = statement.where(*conditions)
        if total is None and not counted:
            total = self._connection.execute(count).scalar_one()
        if page.after is not None:
            statement = statement.where(query.after(order, page.after))
        rows = self._connection.execute(statement.order_by(*query.order_by(order)).limit(page.size + 1)).all()
        if counted:
            total = rows[0].total if rows else 0
        assert total is not None
        items = [incident_from_row(row) for row in rows[: page.size]]
        keyset = [tuple(getattr(row, f"sort_{index}") for index in range(len(order))) for row in rows[: page.size]]
        next_after = keyset[-1] if len(rows) > page.size else None
        return Page(items=items, total_size=total, next_after=next_after, positions=keyset)

    def aggregate(
        self, incident_filter: IncidentFilter, group_keys: Sequence[SortKey], page: PageRequest, now: datetime
    ) -> Page[IncidentGroup]:
        query = IncidentQuery(self._connection.dialect.name, self._team_id, page.as_of or now)
        return aggregations.aggregate(self._connection, query, incident_filter, group_keys, page)

    def filter_values(self, incident_filter: IncidentFilter, now: datetime) -> FilterValues:
        query = IncidentQuery(self._connection.dialect.name, self._team_id, now)
        return aggregations.filter_values(self._connection, query, incident_filter)

    # ---- event queries (SPEC 6: filters apply to the incident as it was at each event) ----------

    def _event_conditions(self, event_filter: EventFilter, now: datetime) -> list[ColumnElement[bool]]:
        e = incident_events.c
        query = IncidentQuery(self._connection.dialect.name, self._team_id, now, EVENT_SNAPSHOTS)
        # UPDATE events stay out: the wire's IncidentEventType cannot express them.
        conditions = [*query.conditions(event_filter.incident), e.event_type != EventType.UPDATE.value]
        if event_filter.timestamp_from is not None:
            conditions.append(e.timestamp >= event_filter.timestamp_from)
        if event_filter.timestamp_to is not None:
            conditions.append(e.timestamp < event_filter.timestamp_to)
        return conditions

    def list_events_page(
        self, event_filter: EventFilter, descending: bool, page: PageRequest, now: datetime
    ) -> Page[IncidentEvent]:
        e = incident_events.c
        conditions = self._event_conditions(event_filter, now)
        total = page.known_total
        if total is None:
            total = self._connection.execute(
                select(func.count()).select_from(incident_events).where(*conditions)
            ).scalar_one()
        statement = select(incident_events).where(*conditions)
        if page.after is not None:
            moment, seq = page.after
            # A row comparison, so the (team_id, timestamp, seq) index starts the scan at the position.
            position = tuple_(e.timestamp, e.seq)
            statement = statement.where(position < (moment, seq) if descending else position > (moment, seq))
        order = (e.timestamp.desc(), e.seq.desc()) if descending else (e.timestamp.asc(), e.seq.asc())
        rows = self._connection.execute(statement.order_by(*order).limit(page.size + 1)).all()
        positions = [(row.timestamp, row.seq) for row in rows[: page.size]]
        next_after = positions[-1] if len(rows) > page.size else None
        return Page([_event_from_row(row) for row in rows[: page.size]], total, next_after, positions)

    def count_events(self, event_filter: EventFilter, limit: int, now: datetime) -> int:
        """How many events match, counting no further than `limit` + 1."""
        capped = select(incident_events.c.seq).where(*self._event_conditions(event_filter, now)).limit(limit + 1)
        return int(self._connection.execute(select(func.count()).select_from(capped.subquery())).scalar_one())

    def event_filter_values(self, event_filter: EventFilter, now: datetime) -> FilterValues:
        query = IncidentQuery(self._connection.dialect.name, self._team_id, now, EVENT_SNAPSHOTS)
        extra = self._event_conditions(
            EventFilter(timestamp_from=event_filter.timestamp_from, timestamp_to=event_filter.timestamp_to),
            now,
        )
        return aggregations.filter_values(self._connection, query, event_filter.incident, extra)

    # ---- timeline and statistics ---------------------------------------------------------------

    def count_events_of(self, incident_id: str) -> int:
        e = incident_events.c
        statement = select(func.count()).where(e.team_id == self._team_id, e.incident_id == incident_id)
        return int(self._connection.execute(statement).scalar_one())

    def logged_events(self, incident_id: str, up_to_seq: int | None, limit: int) -> list[tuple[int, LoggedEvent]]:
        """The incident's events from `up_to_seq` (inclusive) back, newest first, each with the snapshot
        of the event before it and the assignee the previous ASSIGN/UNASSIGN left (window functions over
        the incident's log, so each row carries what came before it whatever the page)."""
        e = incident_events.c
        assignment_events = [e.incident_id, e.event_type.in_([EventType.ASSIGN.value, EventType.UNASSIGN.value])]
        previous = [
            func.lag(e[name], type_=e[name].type)
            .over(partition_by=e.incident_id, order_by=e.seq)
            .label(f"before_{name}")
            for name in _SNAPSHOT_COLUMNS
        ]
        log = (
            select(
                incident_events,
                *previous,
                func.lag(e.event_type)
                .over(partition_by=assignment_events, order_by=e.seq)
                .label("before_assignment_type"),
                func.lag(e.payload, type_=e.payload.type)
                .over(partition_by=assignment_events, order_by=e.seq)
                .label("before_assignment_payload"),
            )
            .where(e.team_id == self._team_id, e.incident_id == incident_id)
            .subquery()
        )
        statement = select(log)
        if up_to_seq is not None:
            statement = statement.where(log.c.seq <= up_to_seq)
        rows = self._connection.execute(statement.order_by(log.c.seq.desc()).limit(limit)).all()
        found = []
        for row in rows:
            event = _event_from_row(row)
            before = None
            if row.before_incident_status is not None:
                before = _snapshot_from_row(row, "before_incident_")
            assignee = None
            if event.type in (EventType.ASSIGN, EventType.UNASSIGN):
                assignee = assignee_left_by(row.before_assignment_type, row.before_assignment_payload)
            found.append((int(row.seq), LoggedEvent(event, before, assignee)))
        return found

    def statistics(self, asked: StatisticsQuery, now: datetime) -> IncidentStatistics:
        query = IncidentQuery(self._connection.dialect.name, self._team_id, now)
        return statistics.incident_statistics(self._connection, query, asked)

    # ---- events --------------------------------------------------------------------------------

    def events_of(self, incident_id: str, newest: int | None = None) -> list[IncidentEvent]:
        """The incident's log, oldest first; with `newest`, only the newest that many, without snapshots.

        The log is in the order events were applied (a late alert event keeps its own timestamp but
        comes where it was recorded), so replaying it always reproduces the incident.
        """
        e = incident_events.c
        if newest is None:
            statement = select(incident_events).where(e.team_id == self._team_id, e.incident_id == incident_id)
            return [_event_from_row(row) for row in self._connection.execute(statement.order_by(e.seq))]
        parameters = {"team_id": self._team_id, "incident_id": incident_id, "newest": newest}
        rows = self._connection.execute(_NEWEST_EVENTS, parameters).all()
        return [_log_entry_from_row(row) for row in reversed(rows)]

    def incidents_by_cx_event_keys(self, cx_event_keys: Sequence[str]) -> dict[str, str]:
        """Which of these alert event keys the team has already recorded, and on which incident."""
        e = incident_events.c
        seen: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(cx_event_keys))):
            statement = select(e.cx_event_key, e.incident_id).where(
                e.team_id == self._team_id, e.cx_event_key.in_(chunk)
            )
            for row in self._connection.execute(statement):
                seen[row.cx_event_key] = row.incident_id
        return seen

    def _notify(self, recorded: Sequence[Incident]) -> None:
        """Write the notifications the new events fire, before the events are stored (and drained)."""
        if self._outbox is not None and self._outbox.enabled_rules():
            self._outbox.record_changes(recorded)

    def _store_new_events(self, recorded: Sequence[Incident]) -> None:
        rows = [_event_values(self._team_id, event) for incident in recorded for event in incident.new_events]
        if rows:
            self._driver.insert_events(rows)
        for incident in recorded:
            incident.new_events.clear()
            incident.stored_status, incident.stored_severity = incident.status, incident.severity


# ---- row mapping -------------------------------------------------------------------------------

# The incident snapshot each event keeps; the timeline compares an event's with the one before it.
_SNAPSHOT_COLUMNS = (
    "incident_name",
    "incident_severity",
    "incident_state",
    "incident_status",
    "incident_is_muted",
    "incident_contextual_labels",
    "incident_display_labels",
    "incident_meta_labels",
)


def _incident_values(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "team_id": incident.team_id,
        "correlation_key": incident.correlation_key,
        "name": incident.name,
        "description": incident.description,
        "severity": int(incident.severity),
        "state": incident.state.value,
        "status": incident.status.value,
        "assigned_to": incident.assigned_to,
        "assigned_by": incident.assigned_by,
        "contextual_labels": incident.contextual_labels,
        "display_labels": incident.display_labels,
        "meta_labels": [list(pair) for pair in incident.meta_labels],
        "application_name": incident.application_name,
        "subsystem_name": incident.subsystem_name,
        "created_at": incident.created_at,
        "closed_at": incident.closed_at,
        "last_state_update_time": incident.last_state_update_time,
        "last_state_update_key": incident.last_state_update_key,
        "alert_muted": incident.alert_muted,
        "snoozed_until": incident.snoozed_until,
        "acknowledged_at": incident.acknowledged_at,
        "resolved_at": incident.resolved_at,
        "highest_severity": int(incident.peak_severity),
        "flapping_until": incident.flapping_until,
        "snooze_cancel_on_updates": incident.snooze_cancel_on_updates,
        "correlation_log": incident.correlation_log,
    }


# Rows of select(incidents, ...) start with the table's columns, in table order.


def _event_values(team_id: str, event: IncidentEvent) -> dict[str, Any]:
    snapshot = event.snapshot
    assert snapshot is not None, "a new event is recorded with its snapshot"
    return {
        "id": event.id,
        "team_id": team_id,
        "incident_id": event.incident_id,
        "event_type": event.type.value,
        "timestamp": event.timestamp,
        "originator_type": event.originator.type.value,
        "originator_name": event.originator.name,
        "payload": event.payload,
        "cx_event_key": event.cx_event_key,
        "alert": event.alert,
        "incident_name": snapshot.name,
        "incident_severity": int(snapshot.severity),
        "incident_state": snapshot.state.value,
        "incident_status": snapshot.status.value,
        "incident_is_muted": snapshot.is_muted,
        "incident_contextual_labels": snapshot.contextual_labels,
        "incident_display_labels": snapshot.display_labels,
        "incident_meta_labels": [list(pair) for pair in snapshot.meta_labels],
    }


def _log_entry_from_row(row: Row[Any]) -> IncidentEvent:
    """An event as the incident's log shows it: no snapshot, no alert (see _EVENT_LOG_COLUMNS)."""
    return IncidentEvent(
        id=row.id,
        incident_id=row.incident_id,
        type=EventType(row.event_type),
        timestamp=row.timestamp,
        originator=Originator(OriginatorType(row.originator_type), row.originator_name),
        payload=row.payload,
        cx_event_key=row.cx_event_key,
    )


def _event_from_row(row: Row[Any]) -> IncidentEvent:
    """An event with everything it keeps: the log entry, its alert and the incident snapshot."""
    event = _log_entry_from_row(row)
    event.alert = row.alert
    event.snapshot = _snapshot_from_row(row, "incident_")
    return event


def _snapshot_from_row(row: Row[Any], prefix: str) -> IncidentSnapshot:
    """The incident snapshot an event row carries in its `<prefix>name`, `<prefix>severity`, ... columns."""
    mapping = row._mapping
    return IncidentSnapshot(
        name=mapping[prefix + "name"],
        severity=Severity(mapping[prefix + "severity"]),
        state=IncidentState(mapping[prefix + "state"]),
        status=IncidentStatus(mapping[prefix + "status"]),
        is_muted=mapping[prefix + "is_muted"],
        contextual_labels=mapping[prefix + "contextual_labels"],
        display_labels=mapping[prefix + "display_labels"],
        meta_labels=[(key, value) for key, value in mapping[prefix + "meta_labels"]],
    )
