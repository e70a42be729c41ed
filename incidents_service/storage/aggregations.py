"""Aggregations and filter values over the matching incidents (or event snapshots), in SQL.

Every answer is bounded: groups come a page at a time, ids and label values are capped per group
or key, so no read holds a whole table in memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Select, func, select, true, tuple_
from sqlalchemy.sql import ColumnElement

from incidents_service.domain.model import IncidentState, IncidentStatus, Severity
from incidents_service.domain.queries import (
    INCIDENT_IDS_PER_GROUP,
    VALUES_PER_KEY,
    FilterValues,
    IncidentFilter,
    IncidentGroup,
    Page,
    PageRequest,
    SortField,
    SortKey,
)
from incidents_service.storage.incident_query import INCIDENTS, IncidentQuery
from incidents_service.storage.tables import incidents

# Label keys reported per kind by GetFilterValues, the most common first.
MAX_LABEL_KEYS = 256
# Assignees and meta labels counted per group of ListIncidentAggregations, the most common first: a
# group's breakdown stays bounded however many incidents it holds (SPEC 11).
BREAKDOWN_VALUES_PER_GROUP = VALUES_PER_KEY


def aggregate(
    connection: Connection,
    query: IncidentQuery,
    incident_filter: IncidentFilter,
    group_keys: Sequence[SortKey],
    page: PageRequest,
) -> Page[IncidentGroup]:
    c = incidents.c
    groups = [query.group_value(key).label(f"g{i}") for i, key in enumerate(group_keys)]
    orders = [query.sort_expression(key).label(f"s{i}") for i, key in enumerate(group_keys)]
    matching = (
        select(
            c.id, c.created_at, c.closed_at, c.last_state_update_time, c.state, c.status, c.severity,
            c.assigned_to, c.meta_labels, *groups, *orders,
        )
        .where(*query.conditions(incident_filter))
        .subquery("matching")
    )  # fmt: skip
    g = [matching.c[f"g{i}"] for i in range(len(group_keys))]
    s = [matching.c[f"s{i}"] for i in range(len(group_keys))]

    total = page.known_total
    if total is None:
        total = connection.execute(
            select(func.count()).select_from(select(*g, func.count()).group_by(*g).subquery())
        ).scalar_one()
    statement = select(
        *g,
        *s,
        func.count().label("incident_count"),
        func.min(matching.c.created_at).label("first_created_at"),
        func.max(matching.c.closed_at).label("last_closed_at"),
        func.max(matching.c.last_state_update_time).label("last_state_update_time"),
    ).group_by(*g, *s)
    if page.after is not None:
        statement = statement.where(query.after(group_keys, page.after, s))
    statement = statement.order_by(
        *[col.desc() if key.descending else col.asc() for col, key in zip(s, group_keys, strict=True)]
    )
    rows = connection.execute(statement.limit(page.size + 1)).all()

    found: dict[tuple[Any, ...], IncidentGroup] = {}
    for row in rows[: page.size]:
        values = tuple(row[i] for i in range(len(group_keys)))
        found[values] = IncidentGroup(
            values=[_domain_value(key, value) for key, value in zip(group_keys, values, strict=True)],
            count=row.incident_count,
            first_created_at=row.first_created_at,
            last_closed_at=row.last_closed_at,
            last_state_update_time=row.last_state_update_time,
        )
    width = len(group_keys)
    positions = [tuple(row[width + i] for i in range(width)) for row in rows[: page.size]]
    next_after = positions[-1] if len(rows) > page.size else None
    if found:
        _fill_breakdowns(connection, query, matching, g, found)
    return Page(items=list(found.values()), total_size=total, next_after=next_after, positions=positions)


def _fill_breakdowns(
    connection: Connection,
    query: IncidentQuery,
    matching: Any,
    g: list[Any],
    found: dict[tuple[Any, ...], IncidentGroup],
) -> None:
    """Per-group counts by state, status, severity, assignee and meta label, and the newest ids."""
    in_page: list[ColumnElement[bool]] = [tuple_(*g).in_(list(found))] if g else []
    width = len(g)

    def counts(column: Any, *extra: ColumnElement[bool]) -> Select[Any]:
        return select(*g, column, func.count()).where(*in_page, *extra).group_by(*g, column)

    for row in connection.execute(counts(matching.c.state)):
        found[tuple(row[:width])].state_counts[IncidentState(row[width])] = row[width + 1]
    for row in connection.execute(counts(matching.c.status)):
        found[tuple(row[:width])].status_counts[IncidentStatus(row[width])] = row[width + 1]
    for row in connection.execute(counts(matching.c.severity)):
        found[tuple(row[:width])].severity_counts[Severity(row[width])] = row[width + 1]
    # Assignees and meta labels can be as many as the incidents: each group keeps its most common ones.
    assignees = _most_common_per_group(
        connection, g, matching, [matching.c.assigned_to], [*in_page, matching.c.assigned_to.is_not(None)]
    )
    for row in assignees:
        found[tuple(row[:width])].assignee_counts[row[width]] = row[width + 1]
    element, meta_key, meta_value = query.exploded_meta_labels(matching.c.meta_labels)
    meta_labels = _most_common_per_group(connection, g, matching.join(element, true()), [meta_key, meta_value], in_page)
    for row in meta_labels:
        found[tuple(row[:width])].meta_label_counts[(row[width], row[width + 1])] = row[width + 2]

    position = func.row_number().over(
        partition_by=g or None, order_by=(matching.c.created_at.desc(), matching.c.id.desc())
    )
    ranked = select(*g, matching.c.id, position.label("position")).where(*in_page).subquery("ranked")
    newest = (
        select(*[ranked.c[f"g{i}"] for i in range(width)], ranked.c.id)
        .where(ranked.c.position <= INCIDENT_IDS_PER_GROUP)
        .order_by(*[ranked.c[f"g{i}"] for i in range(width)], ranked.c.position)
    )
    for row in connection.execute(newest):
        found[tuple(row[:width])].incident_ids.append(row[width])


def _most_common_per_group(
    connection: Connection, g: list[Any], joined: Any, columns: list[Any], conditions: list[ColumnElement[bool]]
) -> list[Any]:
    """Rows (group values..., column values..., count): per group its BREAKDOWN_VALUES_PER_GROUP most
    common value combinations, most common first."""
    width = len(g)
    counted = (
        select(*g, *[column.label(f"v{i}") for i, column in enumerate(columns)], func.count().label("n"))
        .select_from(joined)
        .where(*conditions)
        .group_by(*g, *columns)
        .subquery("counted")
    )
    group_columns = [counted.c[f"g{i}"] for i in range(width)]
    value_columns = [counted.c[f"v{i}"] for i in range(len(columns))]
    position = func.row_number().over(partition_by=group_columns or None, order_by=(counted.c.n.desc(), *value_columns))
    ranked = select(*group_columns, *value_columns, counted.c.n, position.label("position")).subquery("ranked")
    statement = select(*[ranked.c[column.name] for column in (*group_columns, *value_columns)], ranked.c.n).where(
        ranked.c.position <= BREAKDOWN_VALUES_PER_GROUP
    )
    return list(connection.execute(statement))


def _domain_value(key: SortKey, value: Any) -> Any:
    if key.field is SortField.SEVERITY:
        return Severity(value)
    if key.field is SortField.STATE:
        return IncidentState(value)
    if key.field is SortField.STATUS:
        return IncidentStatus(value)
    return value


def filter_values(
    connection: Connection,
    query: IncidentQuery,
    incident_filter: IncidentFilter,
    extra_conditions: Sequence[ColumnElement[bool]] = (),
) -> FilterValues:
    """Counts per assignee, status, state, severity and label value among the matches."""
    source = query.source
    conditions = [*query.conditions(incident_filter), *extra_conditions]

    def counts(column: Any, *extra: ColumnElement[bool]) -> list[tuple[Any, int]]:
        statement = (
            select(column, func.count().label("n"))
            .select_from(source.table)
            .where(*conditions, *extra)
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(VALUES_PER_KEY)
        )
        return [(row[0], row[1]) for row in connection.execute(statement)]

    assignees: list[tuple[str, int]] = []
    if source is INCIDENTS:  # event snapshots do not keep the assignee
        assignees = counts(incidents.c.assigned_to, incidents.c.assigned_to.is_not(None))
    return FilterValues(
        assignees=assignees,
        statuses=[(IncidentStatus(v), n) for v, n in counts(source.status)],
        states=[(IncidentState(v), n) for v, n in counts(source.state)],
        severities=[(Severity(v), n) for v, n in counts(source.severity)],
        contextual_labels=_label_counts(connection, query, conditions, source.contextual_labels),
        display_labels=_label_counts(connection, query, conditions, source.display_labels),
        meta_labels=_meta_label_counts(connection, query, conditions),
    )


def _label_counts(
    connection: Connection, query: IncidentQuery, conditions: list[ColumnElement[bool]], column: Any
) -> dict[str, list[tuple[str, int]]]:
    label = query.exploded_labels(column)
    return _top_values_per_key(
        connection, query.source.table.join(label, true()), conditions, label.c.key, label.c.value
    )


def _meta_label_counts(
    connection: Connection, query: IncidentQuery, conditions: list[ColumnElement[bool]]
) -> list[tuple[tuple[str, str], int]]:
    element, key, value = query.exploded_meta_labels(query.source.meta_labels)
    per_key = _top_values_per_key(connection, query.source.table.join(element, true()), conditions, key, value)
    pairs = [((k, v), n) for k, values in per_key.items() for v, n in values]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def _top_values_per_key(
    connection: Connection, joined: Any, conditions: list[ColumnElement[bool]], key: Any, value: Any
) -> dict[str, list[tuple[str, int]]]:
    """Per key, its values with counts, most frequent first, VALUES_PER_KEY at most."""
    counted = (
        select(key.label("key"), value.label("value"), func.count().label("n"))
        .select_from(joined)
        .where(*conditions)
        .group_by(key, value)
        .subquery("counted")
    )
    ranked = select(
        counted,
        func.row_number()
        .over(partition_by=counted.c.key, order_by=(counted.c.n.desc(), counted.c.value))
        .label("position"),
        func.sum(counted.c.n).over(partition_by=counted.c.key).label("key_total"),
    ).subquery("ranked")
    statement = (
        select(ranked.c.key, ranked.c.value, ranked.c.n)
        .where(ranked.c.position <= VALUES_PER_KEY)
        .order_by(ranked.c.key_total.desc(), ranked.c.key, ranked.c.position)
        .limit(MAX_LABEL_KEYS * VALUES_PER_KEY)
    )
    result: dict[str, list[tuple[str, int]]] = {}
    for row in connection.execute(statement):
        result.setdefault(row.key, []).append((row.value, row.n))
    return result
