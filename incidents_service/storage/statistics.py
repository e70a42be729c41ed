"""GetIncidentStatistics in SQL: bucket counts and nearest-rank percentiles, on the shared query builder.

Everything is computed in the database (counts per bucket and severity, sums, ranks), so the answer
costs a few grouped scans of the matching incidents whatever their number; only the groups come back.
Durations are whole microseconds (IncidentQuery.micros), so SQLite and PostgreSQL agree exactly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, case, func, literal, select
from sqlalchemy.sql import ColumnElement

from incidents_service.domain.model import Severity
from incidents_service.domain.statistics import (
    MEDIAN_PERCENT,
    P90_PERCENT,
    TOP_LABEL_VALUES,
    Bucket,
    DurationStats,
    IncidentStatistics,
    LabelValueResponseTimes,
    ResponseTimes,
    SeverityCounts,
    StatisticsQuery,
    rounded_mean,
)
from incidents_service.storage.incident_query import IncidentQuery
from incidents_service.storage.tables import incidents

_MICROS_PER_SECOND = 1_000_000


def incident_statistics(connection: Connection, query: IncidentQuery, asked: StatisticsQuery) -> IncidentStatistics:
    c = incidents.c
    conditions = query.conditions(asked.incident_filter)
    edges = asked.bucket_edges()
    buckets = [Bucket(edges[i], edges[i + 1]) for i in range(asked.bucket_count)]
    for kind, column in (("opened", c.created_at), ("resolved", c.resolved_at), ("closed", c.closed_at)):
        for index, severity, count in _bucket_counts(connection, query, asked, conditions, column):
            counts = buckets[index].by_severity.setdefault(Severity(severity), SeverityCounts())
            setattr(counts, kind, count)
    for bucket in buckets:
        bucket.by_severity = dict(sorted(bucket.by_severity.items()))

    created_in_range = [*conditions, c.created_at >= asked.start, c.created_at < asked.end]
    severities = sorted({s for bucket in buckets for s, counts in bucket.by_severity.items() if counts.opened})

    def times(group: ColumnElement[Any], extra: list[ColumnElement[bool]]) -> dict[Any, ResponseTimes]:
        mtta = _duration_stats(connection, query, [*created_in_range, *extra], group, c.acknowledged_at)
        mttr = _duration_stats(connection, query, [*created_in_range, *extra], group, c.resolved_at)
        none = DurationStats()
        return {key: ResponseTimes(mtta.get(key, none), mttr.get(key, none)) for key in mtta | mttr}

    empty = ResponseTimes(DurationStats(), DurationStats())
    overall = times(literal(0), []).get(0, empty)
    per_severity = times(c.severity, [])
    by_severity = {severity: per_severity.get(int(severity), empty) for severity in severities}

    by_label_value: list[LabelValueResponseTimes] = []
    if asked.label_key:
        label = query.contextual_label(asked.label_key)
        top = connection.execute(
            select(label.label("value"), func.count().label("n"))
            .where(*created_in_range, label.is_not(None))
            .group_by(label)
            .order_by(func.count().desc(), label.asc())
            .limit(TOP_LABEL_VALUES)
        ).all()
        if top:
            per_value = times(label, [label.in_([row.value for row in top])])
            by_label_value = [
                LabelValueResponseTimes(row.value, int(row.n), per_value.get(row.value, empty)) for row in top
            ]
    return IncidentStatistics(buckets, overall, by_severity, by_label_value)


def _bucket_counts(
    connection: Connection,
    query: IncidentQuery,
    asked: StatisticsQuery,
    conditions: list[ColumnElement[bool]],
    moment: Any,
) -> list[tuple[int, int, int]]:
    """(bucket index, severity, incidents) for the incidents whose `moment` falls in the range."""
    offset = query.micros(moment) - literal(asked.start_micros, BigInteger)
    # Integer division on both databases; (t - start) * n stays within 64 bits (MAX_RANGE).
    index = (offset * literal(asked.bucket_count, BigInteger)) // literal(asked.span_micros, BigInteger)
    index = index.label("bucket")
    rows = connection.execute(
        select(index, incidents.c.severity, func.count())
        .where(*conditions, moment >= asked.start, moment < asked.end)
        .group_by(index, incidents.c.severity)
    ).all()
    return [(int(bucket), int(severity), int(count)) for bucket, severity, count in rows]


def _duration_stats(
    connection: Connection,
    query: IncidentQuery,
    conditions: list[ColumnElement[bool]],
    group: ColumnElement[Any],
    end: Any,
) -> dict[Any, DurationStats]:
    """Per group: count, mean, and the nearest-rank median and p90 of end - created_at.

    Ranks come from row_number() over each group sorted by duration; the percentile is the row whose
    rank is ceil(p * n / 100), written (p * n + 99) / 100 in integers so both databases agree.
    """
    duration = (query.micros(end) - query.micros(incidents.c.created_at)).label("duration")
    measured = select(group.label("grp"), duration).where(*conditions, end.is_not(None)).subquery()
    ranked = select(
        measured.c.grp,
        measured.c.duration,
        func.row_number().over(partition_by=measured.c.grp, order_by=measured.c.duration).label("position"),
        func.count().over(partition_by=measured.c.grp).label("n"),
    ).subquery()

    def at_rank(percent: int) -> ColumnElement[Any]:
        rank = (ranked.c.n * percent + 99) // 100
        return func.min(case((ranked.c.position == rank, ranked.c.duration)))

    # Whole seconds and the microsecond rest are summed apart: a sum of a million durations in
    # microseconds may not fit SQLite's 64-bit integers.
    seconds = ranked.c.duration // _MICROS_PER_SECOND
    rest = ranked.c.duration - seconds * _MICROS_PER_SECOND
    rows = connection.execute(
        select(
            ranked.c.grp,
            func.count(),
            func.sum(seconds),
            func.sum(rest),
            at_rank(MEDIAN_PERCENT),
            at_rank(P90_PERCENT),
        ).group_by(ranked.c.grp)
    ).all()
    found: dict[Any, DurationStats] = {}
    for grp, count, second_sum, rest_sum, median, p90 in rows:
        total = int(second_sum) * _MICROS_PER_SECOND + int(rest_sum)
        found[grp] = DurationStats(int(count), rounded_mean(total, int(count)), int(median), int(p90))
    return found
