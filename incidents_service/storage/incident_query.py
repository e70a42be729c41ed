"""The one query builder for incidents: filter conditions, sort expressions and keyset positions.

Used by ListIncidents and (to come) aggregations and filter values. PostgreSQL answers label filters
with JSONB containment (GIN-indexed); SQLite with json_extract / json_each. Every sort expression is
non-NULL (NULLs are mapped to a value at the end of the ascending order, as PostgreSQL sorts them), so
a keyset position is always comparable.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Float, String, and_, case, cast, exists, false, func, literal, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement

from incidents_service.domain.model import IncidentState, IncidentStatus
from incidents_service.domain.queries import IncidentFilter, SearchField, SortField, SortKey
from incidents_service.storage.tables import UTCDateTime, incidents

# Stands in for "not yet" (an open incident's closed_at) in sort order: after every real time.
FAR_FUTURE = datetime(9999, 12, 31, tzinfo=UTC)
_STATUS_ORDER = {IncidentStatus.TRIGGERED: 1, IncidentStatus.ACKNOWLEDGED: 2, IncidentStatus.RESOLVED: 3}
_STATE_ORDER = {IncidentState.TRIGGERED: 1, IncidentState.RESOLVED: 2}


def escape_like(text: str) -> str:
    """A LIKE pattern matching `text` literally (escape character backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class IncidentQuery:
    def __init__(self, dialect_name: str, team_id: str, now: datetime) -> None:
        self._postgres = dialect_name == "postgresql"
        self._team_id = team_id
        self._now = now

    # ---- filters -------------------------------------------------------------------------------

    def conditions(self, f: IncidentFilter) -> list[ColumnElement[bool]]:
        c = incidents.c
        conditions: list[ColumnElement[bool]] = [c.team_id == self._team_id]
        if f.statuses:
            conditions.append(c.status.in_(sorted(s.value for s in f.statuses)))
        if f.states:
            conditions.append(c.state.in_(sorted(s.value for s in f.states)))
        if f.severities:
            conditions.append(c.severity.in_(sorted(int(s) for s in f.severities)))
        if f.assignees:
            conditions.append(c.assigned_to.in_(sorted(f.assignees)))
        if f.application_names:
            conditions.append(c.application_name.in_(sorted(f.application_names)))
        if f.subsystem_names:
            conditions.append(c.subsystem_name.in_(sorted(f.subsystem_names)))
        for key, values in f.contextual_labels:
            conditions.append(self._label_in(c.contextual_labels, key, values))
        for key, values in f.display_labels:
            conditions.append(self._label_in(c.display_labels, key, values))
        if f.meta_labels:
            matches = [self._has_meta_label(key, value) for key, value in f.meta_labels]
            conditions.append(and_(*matches) if f.meta_labels_all else or_(*matches))
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
        c = incidents.c
        return or_(c.alert_muted == true(), and_(c.snoozed_until.is_not(None), c.snoozed_until > self._now))

    def _label_value(self, column: Any, key: str) -> ColumnElement[str]:
        return column[key].as_string()

    def _label_in(self, column: Any, key: str, values: frozenset[str]) -> ColumnElement[bool]:
        if self._postgres:
            # Containment lets the GIN index on the label column answer it.
            return or_(*[_contains(column, {key: value}) for value in sorted(values)])
        return self._label_value(column, key).in_(sorted(values))

    def _has_meta_label(self, key: str, value: str | None) -> ColumnElement[bool]:
        column: Any = incidents.c.meta_labels
        if self._postgres:
            if value is not None:
                return _contains(column, [[key, value]])
            element = func.jsonb_array_elements(column).table_valued("value").alias("meta_label")
            return exists(select(literal(1)).select_from(element).where(element.c.value.op("->>")(0) == key))
        element = func.json_each(column).table_valued("value").alias("meta_label")
        pair_matches = [func.json_extract(element.c.value, "$[0]") == key]
        if value is not None:
            pair_matches.append(func.json_extract(element.c.value, "$[1]") == value)
        return exists(select(literal(1)).select_from(element).where(*pair_matches))

    def _search(self, field: SearchField, label_key: str | None, text: str) -> ColumnElement[bool]:
        c = incidents.c
        target: Any = {
            SearchField.NAME: c.name,
            SearchField.ID: c.id,
            SearchField.DESCRIPTION: c.description,
            SearchField.APPLICATION_NAME: c.application_name,
            SearchField.SUBSYSTEM_NAME: c.subsystem_name,
        }.get(field)
        if field is SearchField.CONTEXTUAL_LABEL:
            target = self._label_value(c.contextual_labels, label_key or "")
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
            return func.coalesce(
                c.last_state_update_time, literal(FAR_FUTURE, UTCDateTime()), type_=UTCDateTime()
            )
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
            self.sort_expression(key).desc() if key.descending else self.sort_expression(key).asc()
            for key in order
        ]

    def after(self, order: Sequence[SortKey], position: Sequence[Any]) -> ColumnElement[bool]:
        """Rows strictly after `position` in `order`: (k1 > v1) OR (k1 = v1 AND k2 > v2) OR ...

        Written out rather than as a row comparison so it holds for mixed directions.
        """
        if len(position) != len(order):
            return false()
        expressions = [self.sort_expression(key) for key in order]
        alternatives: list[ColumnElement[bool]] = []
        for depth, key in enumerate(order):
            equal_prefix = [expressions[i] == position[i] for i in range(depth)]
            beyond = (
                expressions[depth] < position[depth]
                if key.descending
                else expressions[depth] > position[depth]
            )
            alternatives.append(and_(*equal_prefix, beyond))
        return or_(*alternatives)


def _contains(column: Any, document: Any) -> ColumnElement[bool]:
    """JSONB containment (`@>`), which the GIN index on the column answers."""
    return column.op("@>")(literal(document, JSONB()))
