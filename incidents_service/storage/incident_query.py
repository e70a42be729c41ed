"""The one query builder: filter conditions, sort and group expressions, keyset positions.

It serves ListIncidents, ListIncidentAggregations and GetFilterValues over the incidents table, and
the event queries over the incident snapshots each event keeps (a QuerySource names the columns).
PostgreSQL answers label filters
with JSONB containment (GIN-indexed); SQLite with json_extract / json_each. Every sort expression is
non-NULL (NULLs are mapped to a value at the end of the ascending order, as PostgreSQL sorts them), so
a keyset position is always comparable.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    String,
    Table,
    and_,
    any_,
    bindparam,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    or_,
    select,
    true,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.sql import ColumnElement

from incidents_service.domain.model import IncidentState, IncidentStatus
from incidents_service.domain.queries import IncidentFilter, SearchField, SortField, SortKey
from incidents_service.storage.tables import UTCDateTime, incident_events, incidents

# Stands in for "not yet" (an open incident's closed_at) in sort order: after every real time.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_STATUS_ORDER = {IncidentStatus.TRIGGERED: 1, IncidentStatus.ACKNOWLEDGED: 2, IncidentStatus.RESOLVED: 3}
_STATE_ORDER = {IncidentState.TRIGGERED: 1, IncidentState.RESOLVED: 2}


# Label filters with at most this many values per key use JSONB containment (GIN-indexed); past it,
# and for value lists past it, PostgreSQL gets one array parameter instead of one parameter per value.
CONTAINMENT_MAX_VALUES = 8


def escape_like(text: str) -> str:
    """A LIKE pattern matching `text` literally (escape character backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass(frozen=True)
class QuerySource:
    """Where the incident fields a filter looks at live: the incident itself or an event's snapshot."""

    table: Table
    status: Any
    state: Any
    severity: Any
    name: Any
    contextual_labels: Any
    display_labels: Any
    meta_labels: Any
    is_muted: Any  # a stored flag, or None: computed from the incident's mute and snooze


INCIDENTS = QuerySource(
    incidents,
    incidents.c.status,
    incidents.c.state,
    incidents.c.severity,
    incidents.c.name,
    incidents.c.contextual_labels,
    incidents.c.display_labels,
    incidents.c.meta_labels,
    None,
)
EVENT_SNAPSHOTS = QuerySource(
    incident_events,
    incident_events.c.incident_status,
    incident_events.c.incident_state,
    incident_events.c.incident_severity,
    incident_events.c.incident_name,
    incident_events.c.incident_contextual_labels,
    incident_events.c.incident_display_labels,
    incident_events.c.incident_meta_labels,
    incident_events.c.incident_is_muted,
)


class IncidentQuery:
    def __init__(self, dialect_name: str, team_id: str, now: datetime, source: QuerySource = INCIDENTS) -> None:
        self._postgres = dialect_name == "postgresql"
        self._team_id = team_id
        self._now = now
        self.source = source

    # ---- filters -------------------------------------------------------------------------------

    def conditions(self, f: IncidentFilter) -> list[ColumnElement[bool]]:
        # Fields only incidents have (assignee, names, times) are never set on an event filter.
        c, source = incidents.c, self.source
        conditions: list[ColumnElement[bool]] = [source.table.c.team_id == self._team_id]
        if f.statuses:
            conditions.append(source.status.in_(sorted(s.value for s in f.statuses)))
        if f.states:
            conditions.append(source.state.in_(sorted(s.value for s in f.states)))
        if f.severities:
            conditions.append(source.severity.in_(sorted(int(s) for s in f.severities)))
        if f.assignees:
            conditions.append(self._one_of(c.assigned_to, f.assignees))
        if f.application_names:
            conditions.append(self._one_of(c.application_name, f.application_names))
        if f.subsystem_names:
            conditions.append(self._one_of(c.subsystem_name, f.subsystem_names))
        for key, values in f.contextual_labels:
            conditions.append(self._label_in(source.contextual_labels, key, values))
        for key, values in f.display_labels:
            conditions.append(self._label_in(source.display_labels, key, values))
        if f.meta_labels:
            conditions.append(self._meta_labels_match(f.meta_labels, f.meta_labels_all))
        if f.is_muted is not None:
            muted = self.is_muted()
            conditions.append(muted if f.is_muted else ~muted)
        if f.created_from is not None:
            conditions.append(c.created_at >= f.created_from)
        if f.created_to is not None:
            conditions.append(c.created_at < f.created_to)
        if f.open_to is not None:
            conditions.append(c.created_at <= f.open_to)
        if f.open_from is not None:
            conditions.append(or_(c.closed_at.is_(None), c.closed_at >= f.open_from))
        if f.search is not None and f.search.text:
            conditions.append(self._search(f.search.field, f.search.label_key, f.search.text))
        return conditions

    def is_muted(self) -> ColumnElement[bool]:
        if self.source.is_muted is not None:
            return self.source.is_muted == true()
        c = incidents.c
        return or_(c.alert_muted == true(), and_(c.snoozed_until.is_not(None), c.snoozed_until > self._now))

    def group_value(self, key: SortKey) -> ColumnElement[Any]:
        """The stored value a group-by reports (its sort_expression gives the group order)."""
        c = incidents.c
        plain = {
            SortField.ID: c.id,
            SortField.SEVERITY: c.severity,
            SortField.NAME: c.name,
            SortField.STATE: c.state,
            SortField.STATUS: c.status,
            SortField.APPLICATION_NAME: c.application_name,
            SortField.SUBSYSTEM_NAME: c.subsystem_name,
        }
        if key.field in plain:
            return plain[key.field]
        return self.sort_expression(key)

    def exploded_labels(self, column: Any) -> Any:
        """A label map as rows (key, value), joinable next to the row that holds it."""
        if self._postgres:
            return func.jsonb_each_text(column).table_valued("key", "value").alias("label")
        return func.json_each(column).table_valued("key", "value").alias("label")

    def exploded_meta_labels(self, column: Any) -> tuple[Any, ColumnElement[str], ColumnElement[str]]:
        """Meta labels ([[key, value], ...]) as rows: the joinable element, its key and its value."""
        if self._postgres:
            element = func.jsonb_array_elements(column).table_valued("value").alias("meta_label")
            return element, element.c.value.op("->>")(0), element.c.value.op("->>")(1)
        element = func.json_each(column).table_valued("value").alias("meta_label")
        return (
            element,
            func.json_extract(element.c.value, "$[0]", type_=String()),
            func.json_extract(element.c.value, "$[1]", type_=String()),
        )

    def contextual_label(self, key: str) -> ColumnElement[str]:
        """The incident's contextual label `key`, NULL when it has none (statistics group on it)."""
        return self._label_value(incidents.c.contextual_labels, key)

    def micros_between(self, later: Any, earlier: Any) -> ColumnElement[int]:
        """later - earlier in whole microseconds, computed the same on both databases."""
        if self._postgres:
            # One interval, turned into a number once: exact (numeric), and far cheaper than two epochs.
            return cast(func.extract("epoch", later - earlier) * 1_000_000, BigInteger)
        return self._sqlite_micros(later) - self._sqlite_micros(earlier)

    @staticmethod
    def _sqlite_micros(moment: Any) -> ColumnElement[int]:
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): whole seconds, then the six digits after the dot.
        seconds = cast(func.strftime("%s", moment), Integer)
        return seconds * 1_000_000 + cast(func.substr(moment, 21, 6), Integer)

    def _label_value(self, column: Any, key: str) -> ColumnElement[str]:
        """The value of label `key`, NULL when the incident lacks it."""
        if self._postgres:
            return column.op("->>", return_type=String())(literal(key, String()))
        # A JSON path cannot quote every key ('"' and '\\' break it), so look the key up as a row.
        label = func.json_each(column).table_valued("key", "value").alias("label_lookup")
        return select(label.c.value).where(label.c.key == key).scalar_subquery()

    def _one_of(self, expression: Any, values: frozenset[str]) -> ColumnElement[bool]:
        """expression IN values. Past a few values the list travels as one parameter (a text[] on
        PostgreSQL, a JSON array on SQLite): a parameter per value made a filter at the caps (SPEC 11:
        thousands of values) spend most of its time, GIL held, in SQLAlchemy expanding the list and in
        the driver rewriting placeholders."""
        ordered = sorted(values)
        if len(ordered) <= CONTAINMENT_MAX_VALUES:
            return expression.in_(ordered)
        if self._postgres:
            return expression == any_(bindparam(None, ordered, type_=ARRAY(String())))
        listed = func.json_each(bindparam(None, json.dumps(ordered), type_=String())).table_valued("value")
        return expression.in_(select(listed.c.value))

    def _label_in(self, column: Any, key: str, values: frozenset[str]) -> ColumnElement[bool]:
        if self._postgres and len(values) <= CONTAINMENT_MAX_VALUES:
            # Containment lets the GIN index on the label column answer it.
            return or_(*[_contains(column, {key: value}) for value in sorted(values)])
        # Past a few values one list: a JSONB literal per value made a filter at the caps (32 keys x 100
        # values) cost seconds to compile and plan (SPEC 11).
        return self._one_of(self._label_value(column, key), values)

    def _meta_labels_match(self, pairs: Sequence[tuple[str, str | None]], every: bool) -> ColumnElement[bool]:
        """The incident has any (or, with `every`, all) of the meta labels: a (key, None) pair asks for
        the key with any value."""
        if len(pairs) > CONTAINMENT_MAX_VALUES:
            return self._meta_labels_match_as_rows(pairs, every)
        matches = [self._has_meta_label(key, value) for key, value in pairs]
        return and_(*matches) if every else or_(*matches)

    def _meta_labels_match_as_rows(self, pairs: Sequence[tuple[str, str | None]], every: bool) -> ColumnElement[bool]:
        # The wanted pairs travel as one or two parameters and become rows, matched against the
        # incident's own pairs in one subquery: 100 pairs as 100 EXISTS subqueries took ~0.3 s of Python
        # to build and bind.
        wanted, wanted_key, wanted_value = self._wanted_meta_labels(pairs)
        element, element_key, element_value = self.exploded_meta_labels(self.source.meta_labels)
        pair_matches = and_(element_key == wanted_key, or_(wanted_value.is_(None), element_value == wanted_value))
        if not every:
            return exists(select(literal(1)).select_from(element).join(wanted, pair_matches))
        has_pair = exists(select(literal(1)).select_from(element).where(pair_matches))
        return ~exists(select(literal(1)).select_from(wanted).where(~has_pair))

    def _wanted_meta_labels(
        self, pairs: Sequence[tuple[str, str | None]]
    ) -> tuple[Any, ColumnElement[str], ColumnElement[str]]:
        """(key, value-or-NULL) pairs as rows: the joinable element, its key and its value."""
        if self._postgres:
            keys = bindparam(None, [key for key, _ in pairs], type_=ARRAY(String()))
            values = bindparam(None, [value for _, value in pairs], type_=ARRAY(String()))
            rows = func.unnest(keys, values).table_valued("key", "value").render_derived("wanted_meta_label")
            return rows, rows.c.key, rows.c.value
        listed = bindparam(None, json.dumps([list(pair) for pair in pairs]), type_=String())
        element = func.json_each(listed).table_valued("value").alias("wanted_meta_label")
        return (
            element,
            func.json_extract(element.c.value, "$[0]", type_=String()),
            func.json_extract(element.c.value, "$[1]", type_=String()),
        )

    def _has_meta_label(self, key: str, value: str | None) -> ColumnElement[bool]:
        column: Any = self.source.meta_labels
        element, element_key, element_value = self.exploded_meta_labels(column)
        pair_matches = [element_key == key]
        if value is not None:
            pair_matches.append(element_value == value)
        exact = exists(select(literal(1)).select_from(element).where(*pair_matches))
        if self._postgres and value is not None:
            # Containment lets the GIN index narrow the rows, but it ignores order inside the pair
            # ([["env","prod"]] contains [["prod","env"]]), so the exact check stays.
            return and_(_contains(column, [[key, value]]), exact)
        return exact

    def _search(self, field: SearchField, label_key: str | None, text: str) -> ColumnElement[bool]:
        c = incidents.c
        target: Any = {
            SearchField.NAME: self.source.name,
            SearchField.ID: c.id,
            SearchField.APPLICATION_NAME: c.application_name,
            SearchField.SUBSYSTEM_NAME: c.subsystem_name,
        }.get(field)
        if field is SearchField.CONTEXTUAL_LABEL:
            target = self._label_value(self.source.contextual_labels, label_key or "")
        pattern = f"%{escape_like(text.lower())}%"
        if self._postgres:
            return target.ilike(pattern, escape="\\")
        return func.lower(target).like(pattern, escape="\\")

    # ---- order ---------------------------------------------------------------------------------

    def sort_expression(self, key: SortKey) -> ColumnElement[Any]:
        c = incidents.c
        field = key.field
        if field is SortField.ID:
            return c.id
        if field is SortField.SEVERITY:
            return c.severity
        if field is SortField.NAME:
            return c.name
        if field is SortField.CREATED_AT:
            return c.created_at
        if field is SortField.CLOSED_AT:
            return func.coalesce(c.closed_at, literal(FAR_FUTURE, UTCDateTime()), type_=UTCDateTime())
        if field is SortField.LAST_STATE_UPDATE_TIME:
            return func.coalesce(c.last_state_update_time, literal(FAR_FUTURE, UTCDateTime()), type_=UTCDateTime())
        if field is SortField.STATE:
            return case(*[(c.state == s.value, rank) for s, rank in _STATE_ORDER.items()], else_=0)
        if field is SortField.STATUS:
            return case(*[(c.status == s.value, rank) for s, rank in _STATUS_ORDER.items()], else_=0)
        if field is SortField.APPLICATION_NAME:
            return c.application_name
        if field is SortField.SUBSYSTEM_NAME:
            return c.subsystem_name
        if field is SortField.DURATION:
            return self._duration_seconds()
        return func.coalesce(self._label_value(c.contextual_labels, key.label_key or ""), "", type_=String())

    def _duration_seconds(self) -> ColumnElement[float]:
        c = incidents.c
        end = func.coalesce(c.closed_at, literal(self._now, UTCDateTime()), type_=UTCDateTime())
        if self._postgres:
            return cast(func.extract("epoch", end - c.created_at), Float)
        # julianday() resolves about 10 microseconds; every page computes the same value for a row.
        return cast(
            (func.julianday(end) - func.julianday(c.created_at)) * 86400.0,
            Float,
        )

    def order_by(self, order: Sequence[SortKey]) -> list[ColumnElement[Any]]:
        return [
            self.sort_expression(key).desc() if key.descending else self.sort_expression(key).asc() for key in order
        ]

    def after(
        self, order: Sequence[SortKey], position: Sequence[Any], expressions: Sequence[Any] | None = None
    ) -> ColumnElement[bool]:
        """Rows strictly after `position` in `order`.

        With one direction throughout this is a row comparison, which an index on the sort keys answers
        as a range. Mixed directions are written out, (k1 > v1) OR (k1 = v1 AND k2 < v2) OR ..., with
        a redundant bound on the first key so an index on it still starts the scan at the position.
        `expressions` stand for the sort keys when they are already selected (a subquery's columns).
        """
        if len(position) != len(order):
            return false()
        if expressions is None:
            expressions = [self.sort_expression(key) for key in order]
        if all(key.descending == order[0].descending for key in order):
            row = tuple_(*expressions)
            return row < tuple(position) if order[0].descending else row > tuple(position)
        alternatives: list[ColumnElement[bool]] = []
        for depth, key in enumerate(order):
            equal_prefix = [expressions[i] == position[i] for i in range(depth)]
            beyond = expressions[depth] < position[depth] if key.descending else expressions[depth] > position[depth]
            alternatives.append(and_(*equal_prefix, beyond))
        first = expressions[0] <= position[0] if order[0].descending else expressions[0] >= position[0]
        return and_(first, or_(*alternatives))


def _contains(column: Any, document: Any) -> ColumnElement[bool]:
    """JSONB containment (`@>`), which the GIN index on the column answers."""
    return column.op("@>")(literal(document, JSONB()))
