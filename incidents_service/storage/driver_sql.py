"""The hot statements as prebuilt SQL on the driver's cursor: incidents by id (with their newest
events), the incident update and the event insert.

GetIncident, BatchGetIncident and every batch action read incidents by id, and every lifecycle action
updates them and records events. Through SQLAlchemy Core each statement costs more Python than
PostgreSQL spends answering it (execution context, result metadata, type processing per column), so
these statements are plain SQL text, written once per dialect and run on the unit of work's own driver
connection: the same transaction, the same row locks, and the same interrupt when the call ends. An
incident and its newest events come back in one statement (its events aggregated into one JSON array
column), one round trip instead of two.

Values cross in the form SQLAlchemy's types use: reads give aware UTC datetimes and decoded JSON, so the
repository maps rows with the same function it uses for Core rows; writes bind through the columns' own
SQLAlchemy bind processors, so what is stored is exactly what a Core insert or update would store.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from weakref import WeakKeyDictionary

import orjson
from sqlalchemy import JSON, Column, Connection, Dialect

from incidents_service.domain.model import (
    EventType,
    Incident,
    IncidentEvent,
    IncidentState,
    IncidentStatus,
    Originator,
    OriginatorType,
    Severity,
)
from incidents_service.storage.tables import UTCDateTime, incident_events, incidents

_INCIDENT_COLUMNS = ", ".join(f"i.{column.name}" for column in incidents.c)  # table order, as select(incidents)
# What an incident's log shows of an event (no snapshot, no alert), as one JSON array per event; seq
# first so the events can be put in recording order after aggregation.
_EVENT_FIELDS = (
    "e.seq, e.id, e.event_type, e.timestamp, e.originator_type, e.originator_name, {payload}, e.cx_event_key"
)
_NEWEST_EVENTS = (
    "SELECT seq, id, event_type, timestamp, originator_type, originator_name, payload, cx_event_key"
    " FROM incident_events WHERE team_id = i.team_id AND incident_id = i.id ORDER BY seq DESC LIMIT :newest"
)
# The newest events of each incident read, aggregated into one column of its row. PostgreSQL builds
# the array with json_agg; SQLite with json_group_array, and stores JSON as text, so the payload is
# passed through json() to nest as an object rather than a string. SQLite before 3.44 cannot order
# rows inside an aggregate, so the events are also put in order (by seq) after decoding.
_EVENTS_COLUMN = {
    "postgresql": f"(SELECT json_agg(json_build_array({_EVENT_FIELDS.format(payload='e.payload')}) ORDER BY e.seq)"
    f" FROM ({_NEWEST_EVENTS}) AS e)",
    "sqlite": f"(SELECT json_group_array(json_array({_EVENT_FIELDS.format(payload='json(e.payload)')}))"
    f" FROM ({_NEWEST_EVENTS}) AS e)",
}
# Many ids in one bind parameter, so one statement text serves any batch: a PostgreSQL array, or a
# JSON array SQLite unpacks with json_each.
_ID_IN_LIST = {
    "postgresql": "i.id = ANY(:incident_ids)",
    "sqlite": "i.id IN (SELECT value FROM json_each(:incident_ids))",
}


def _statement(dialect: str, with_events: bool, many: bool, lock: bool) -> str:
    columns = _INCIDENT_COLUMNS + (f", {_EVENTS_COLUMN[dialect]} AS events" if with_events else "")
    condition = _ID_IN_LIST[dialect] if many else "i.id = :incident_id"
    # A fixed lock order keeps two batches over the same incidents from deadlocking.
    sql = f"SELECT {columns} FROM incidents AS i WHERE i.team_id = :team_id AND {condition}"
    sql += " ORDER BY i.id" if many else ""
    sql += " FOR UPDATE OF i" if lock else ""
    return _placeholders(dialect, sql)


def _placeholders(dialect: str, sql: str) -> str:
    # The texts use SQLite's named style; psycopg wants its own.
    return re.sub(r":(\w+)", r"%(\1)s", sql) if dialect == "postgresql" else sql


_STATEMENTS = {
    (dialect, with_events, many, lock): _statement(dialect, with_events, many, lock)
    for dialect in ("postgresql", "sqlite")
    for with_events in (False, True)
    for many in (False, True)
    for lock in ((False, True) if dialect == "postgresql" else (False,))  # SQLite has one writer: no row locks
}


# Every stored column but the keys, bound by name (the key as "incident_id": repository._incident_values).
_UPDATED_COLUMNS = [column for column in incidents.c if column.name not in ("id", "team_id")]
_UPDATE_INCIDENT = (
    f"UPDATE incidents SET {', '.join(f'{column.name} = :{column.name}' for column in _UPDATED_COLUMNS)}"
    " WHERE id = :incident_id AND team_id = :incident_team_id"
)
_EVENT_COLUMNS = [column for column in incident_events.c if column.name != "seq"]  # seq: recording order
_INSERT_EVENT = (
    f"INSERT INTO incident_events ({', '.join(column.name for column in _EVENT_COLUMNS)})"
    f" VALUES ({', '.join(f':{column.name}' for column in _EVENT_COLUMNS)})"
)
_WRITES = {
    dialect: (_placeholders(dialect, _UPDATE_INCIDENT), _placeholders(dialect, _INSERT_EVENT))
    for dialect in ("postgresql", "sqlite")
}
# Per dialect instance: processors carry their engine's settings (the JSON serializer).
_BIND_PROCESSORS: WeakKeyDictionary[Dialect, dict[str, list[tuple[str, Callable[[Any], Any]]]]] = WeakKeyDictionary()


def _bind_processors(dialect: Dialect, table: str, columns: Sequence[Column[Any]]) -> list[tuple[str, Any]]:
    """The columns' SQLAlchemy bind processors on this dialect (UTC datetimes, JSON), built once."""
    of_dialect = _BIND_PROCESSORS.setdefault(dialect, {})
    found = of_dialect.get(table)
    if found is None:
        found = []
        for column in columns:
            processor = column.type._cached_bind_processor(dialect)
            if processor is not None:
                found.append((column.name, processor))
        of_dialect[table] = found
    return found


# ---- driver values -> the values SQLAlchemy's column types give ---------------------------------

_SEQ = itemgetter(0)  # an aggregated event's seq
_SEVERITIES = {int(severity): severity for severity in Severity}
_STATES = {state.value: state for state in IncidentState}
_STATUSES = {status.value: status for status in IncidentStatus}
_EVENT_TYPES = {event_type.value: event_type for event_type in EventType}
_ORIGINATOR_TYPES = {originator_type.value: originator_type for originator_type in OriginatorType}
_DATETIME_COLUMNS = tuple(index for index, column in enumerate(incidents.c) if isinstance(column.type, UTCDateTime))
_JSON_COLUMNS = tuple(index for index, column in enumerate(incidents.c) if isinstance(column.type, JSON))
_ALERT_MUTED = incidents.c.keys().index("alert_muted")


def _postgres_row(row: Sequence[Any]) -> list[Any]:
    # psycopg decodes JSON (with the engine's orjson) and timestamps (in the session's zone, UTC).
    return list(row)


def _sqlite_row(row: Sequence[Any]) -> list[Any]:
    # sqlite3 gives the stored text: JSON, naive UTC timestamps, and 0/1 for booleans.
    values = list(row)
    for index in _DATETIME_COLUMNS:
        if values[index] is not None:
            values[index] = datetime.fromisoformat(values[index]).replace(tzinfo=UTC)
    for index in _JSON_COLUMNS:
        values[index] = orjson.loads(values[index])
    values[_ALERT_MUTED] = bool(values[_ALERT_MUTED])
    if len(values) > len(incidents.c) and values[-1] is not None:
        values[-1] = orjson.loads(values[-1])  # the events column
    return values


_ROW_DECODERS: dict[str, Callable[[Sequence[Any]], list[Any]]] = {"postgresql": _postgres_row, "sqlite": _sqlite_row}


def incident_from_row(row: Sequence[Any]) -> Incident:
    """An incident from a row whose leading columns are the incidents table's, in table order, as
    SQLAlchemy's types give them. List pages build up to 1000 of these: no per-column name lookups."""
    return Incident(
        id=row[0],
        team_id=row[1],
        correlation_key=row[2],
        name=row[3],
        description=row[4],
        severity=_SEVERITIES[row[5]],
        state=_STATES[row[6]],
        status=_STATUSES[row[7]],
        assigned_to=row[8],
        assigned_by=row[9],
        contextual_labels=row[10],
        display_labels=row[11],
        meta_labels=[(key, value) for key, value in row[12]],
        application_name=row[13],
        subsystem_name=row[14],
        created_at=row[15],
        closed_at=row[16],
        last_state_update_time=row[17],
        last_state_update_key=row[18],
        alert_muted=row[19],
        snoozed_until=row[20],
        acknowledged_at=row[21],
        resolved_at=row[22],
        highest_severity=_SEVERITIES[row[23]] if row[23] is not None else None,
        flapping_until=row[24],
        snooze_cancel_on_updates=bool(row[25]),  # SQLite gives 0/1
        correlation_log=row[26],
        stored_status=_STATUSES[row[7]],
        stored_severity=_SEVERITIES[row[5]],
    )


def _log_from_json(incident_id: str, entries: list[list[Any]] | None) -> list[IncidentEvent]:
    """An incident's newest events from the aggregated column, oldest first (see _EVENTS_COLUMN)."""
    if not entries:
        return []
    entries.sort(key=_SEQ)  # in order already on PostgreSQL: a linear pass
    originators: dict[tuple[str, str], Originator] = {}  # a log repeats few originators
    events = []
    for _seq, event_id, event_type, timestamp, originator_type, originator_name, payload, cx_event_key in entries:
        originator = originators.get((originator_type, originator_name))
        if originator is None:
            originator = Originator(_ORIGINATOR_TYPES[originator_type], originator_name)
            originators[originator_type, originator_name] = originator
        moment = datetime.fromisoformat(timestamp)  # PostgreSQL writes +00:00, SQLite stores naive UTC
        if moment.tzinfo is not UTC:
            moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        events.append(
            IncidentEvent(
                id=event_id,
                incident_id=incident_id,
                type=_EVENT_TYPES[event_type],
                timestamp=moment,
                originator=originator,
                payload=payload,
                cx_event_key=cx_event_key,
            )
        )
    return events


# ---- running them ------------------------------------------------------------------------------


class DriverStatements:
    """The hot statements of one unit of work, on its connection, through the driver's cursor."""

    def __init__(self, connection: Connection, team_id: str, lock_rows: bool) -> None:
        self._connection = connection
        self._dialect = connection.dialect.name
        self._team_id = team_id
        self._lock = lock_rows
        self._decode = _ROW_DECODERS[self._dialect]

    def _run(self, statement: str, parameters: Any, many: bool = False) -> list[Any]:
        """Execute on the unit of work's driver connection; the rows a query returns."""
        connection = self._connection
        cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
        # Listeners on statements (tracing, SQLite's BEGIN) see these too, as SQLAlchemy would show them.
        listened = connection._has_events or connection.engine._has_events
        try:
            if listened:
                connection.dispatch.before_cursor_execute(connection, cursor, statement, parameters, None, many)
            rows: list[Any] = []
            if many and len(parameters) > 1:
                cursor.executemany(statement, parameters)
            else:
                # One row (a lifecycle action on one incident): psycopg's executemany would enter and
                # leave pipeline mode for it, costing more than the statement.
                cursor.execute(statement, parameters[0] if many else parameters)
                if not many:
                    rows = cursor.fetchall()
            if listened:
                connection.dispatch.after_cursor_execute(connection, cursor, statement, parameters, None, many)
            return rows
        except Exception as exc:
            # As SQLAlchemy would: the driver's error wrapped in sqlalchemy.exc (what the unit of work
            # translates), and a lost connection invalidated.
            connection._handle_dbapi_exception(exc, statement, parameters, cursor, None)
        finally:
            cursor.close()

    def _rows(self, with_events: bool, many: bool, parameters: dict[str, Any]) -> list[list[Any]]:
        statement = _STATEMENTS[self._dialect, with_events, many, self._lock]
        parameters["team_id"] = self._team_id
        if many and self._dialect == "sqlite":
            parameters["incident_ids"] = orjson.dumps(parameters["incident_ids"]).decode()
        return [self._decode(row) for row in self._run(statement, parameters)]

    def _write(self, statement: str, rows: list[dict[str, Any]], table: str, columns: Sequence[Column[Any]]) -> None:
        processors = _bind_processors(self._connection.dialect, table, columns)
        for row in rows:
            for name, process in processors:
                row[name] = process(row[name])
        self._run(statement, rows, many=True)

    def update_incidents(self, rows: list[dict[str, Any]]) -> None:
        """UPDATE each incident by id: every stored column but the keys (bound in place)."""
        self._write(_WRITES[self._dialect][0], rows, "incidents", _UPDATED_COLUMNS)

    def insert_events(self, rows: list[dict[str, Any]]) -> None:
        """INSERT events, in order (their seq is their recording order); the rows are bound in place."""
        self._write(_WRITES[self._dialect][1], rows, "incident_events", _EVENT_COLUMNS)

    def get(self, incident_id: str) -> Incident | None:
        rows = self._rows(False, False, {"incident_id": incident_id})
        return incident_from_row(rows[0]) if rows else None

    def get_many(self, incident_ids: Sequence[str]) -> dict[str, Incident]:
        rows = self._rows(False, True, {"incident_ids": list(dict.fromkeys(incident_ids))})
        return {row[0]: incident_from_row(row) for row in rows}

    def get_with_events(self, incident_id: str, newest: int) -> tuple[Incident, list[IncidentEvent]] | None:
        rows = self._rows(True, False, {"incident_id": incident_id, "newest": newest})
        if not rows:
            return None
        return incident_from_row(rows[0]), _log_from_json(incident_id, rows[0][-1])

    def get_many_with_events(
        self, incident_ids: Sequence[str], newest: int
    ) -> dict[str, tuple[Incident, list[IncidentEvent]]]:
        parameters = {"incident_ids": list(dict.fromkeys(incident_ids)), "newest": newest}
        return {
            row[0]: (incident_from_row(row), _log_from_json(row[0], row[-1]))
            for row in self._rows(True, True, parameters)
        }
