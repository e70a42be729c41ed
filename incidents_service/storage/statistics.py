"""GetIncidentStatistics in SQL: bucket counts and nearest-rank percentiles, on the shared query builder.

Everything is computed in the database (counts per bucket and severity, sums, ranks), so only the
groups come back. The matching incidents are read once for the buckets and once for the response
times (each a common table expression that several projections share), plus twice more for a label
breakdown. Durations are whole microseconds (IncidentQuery.micros_between), so SQLite and PostgreSQL
agree exactly.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Connection, Integer, String, case, func, literal, or_, select, union_all
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
from incidents_service.storage.tables import UTCDateTime, incidents

_MICROS_PER_SECOND = 1_000_000
_MOMENTS = {"opened": "created_at", "resolved": "resolved_at", "closed": "closed_at"}
_MTTA, _MTTR = 1, 2  # numbers, not names: every ranked row carries one, and the sort compares them
_ALL = -1  # the group of every incident, beside the groups of one severity


def incident_statistics(connection: Connection, query: IncidentQuery, asked: StatisticsQuery) -> IncidentStatistics:
    conditions = query.conditions(asked.incident_filter)
    edges = asked.bucket_edges()
    buckets = [Bucket(edges[i], edges[i + 1]) for i in range(asked.bucket_count)]
    for kind, index, severity, count in _bucket_counts(connection, query, asked, conditions):
        counts = buckets[index].by_severity.setdefault(Severity(severity), SeverityCounts())
        setattr(counts, kind, count)
    for bucket in buckets:
        bucket.by_severity = dict(sorted(bucket.by_severity.items()))

    c = incidents.c
    created_in_range = [*conditions, c.created_at >= asked.start, c.created_at < asked.end]
    times = _response_times(connection, query, created_in_range, {"severity": c.severity})
    empty = ResponseTimes(DurationStats(), DurationStats())
    overall = times.get(_ALL, empty)
    severities = sorted({s for bucket in buckets for s, counts in bucket.by_severity.items() if counts.opened})
    by_severity = {severity: times.get(int(severity), empty) for severity in severities}

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
            in_top = [*created_in_range, label.in_([row.value for row in top])]
            per_value = _response_times(connection, query, in_top, {"label": label}, overall=False)
            by_label_value = [
                LabelValueResponseTimes(row.value, int(row.n), per_value.get(row.value, empty)) for row in top
            ]
    return IncidentStatistics(buckets, overall, by_severity, by_label_value)


def _bucket_counts(
    connection: Connection, query: IncidentQuery, asked: StatisticsQuery, conditions: list[ColumnElement[bool]]
) -> list[tuple[str, int, int, int]]:
    """(kind, bucket index, severity, incidents) of the incidents opened, resolved or closed in the range.

    One read of the incidents with any of the three moments in the range; each kind then counts its own.
    The index of moment t is floor((t - start) * n / span), in integer microseconds on both databases.
    """
    c = incidents.c
    start, end = asked.start, asked.end
    moments = [c[column] for column in _MOMENTS.values()]
    touched = (
        select(c.severity, *moments)
        .where(*conditions, or_(*[moment.between(start, end) for moment in moments]))
        .cte("touched")
    )
    start_literal = literal(start, UTCDateTime())
    per_kind = []
    for kind, column in _MOMENTS.items():
        moment = touched.c[column]
        offset = query.micros_between(moment, start_literal)
        index = (offset * literal(asked.bucket_count, BigInteger)) // literal(asked.span_micros, BigInteger)
        per_kind.append(
            select(literal(kind, String()).label("kind"), index.label("bucket"), touched.c.severity).where(
                moment >= start, moment < end
            )
        )
    counted = union_all(*per_kind).subquery()
    rows = connection.execute(
        select(counted.c.kind, counted.c.bucket, counted.c.severity, func.count()).group_by(
            counted.c.kind, counted.c.bucket, counted.c.severity
        )
    ).all()
    return [(str(kind), int(bucket), int(severity), int(count)) for kind, bucket, severity, count in rows]


def _response_times(
    connection: Connection,
    query: IncidentQuery,
    conditions: list[ColumnElement[bool]],
    grouping: dict[str, ColumnElement[Any]],
    overall: bool = True,
) -> dict[Any, ResponseTimes]:
    """MTTA and MTTR per value of the one `grouping` expression (and of every incident, as _ALL).

    The incidents are read once; MTTA and MTTR rows of every group are ranked by duration with
    row_number(), and each percentile is the row at rank ceil(p * n / 100), written (p * n + 99) / 100
    in integers so both databases agree.
    """
    c = incidents.c
    [(name, expression)] = grouping.items()
    cohort = (
        select(
            expression.label(name),
            query.micros_between(c.acknowledged_at, c.created_at).label("mtta"),
            query.micros_between(c.resolved_at, c.created_at).label("mttr"),
        )
        .where(*conditions)
        .cte("cohort")
    )
    measured = []
    for metric, column in ((_MTTA, "mtta"), (_MTTR, "mttr")):
        groups = [cohort.c[name]] + ([literal(_ALL, Integer()).label(name)] if overall else [])
        for group in groups:
            duration = cohort.c[column]
            labelled = [literal(metric, Integer()).label("metric"), group.label("grp"), duration.label("d")]
            measured.append(select(*labelled).where(duration.is_not(None)))
    rows = union_all(*measured).subquery()
    partition = [rows.c.metric, rows.c.grp]
    ranked = select(
        rows.c.metric,
        rows.c.grp,
        rows.c.d,
        func.row_number().over(partition_by=partition, order_by=rows.c.d).label("position"),
        func.count().over(partition_by=partition).label("n"),
    ).subquery()

    def at_rank(percent: int) -> ColumnElement[Any]:
        rank = (ranked.c.n * percent + 99) // 100
        return func.min(case((ranked.c.position == rank, ranked.c.d)))

    # Whole seconds and the microsecond rest are summed apart: a sum of a million durations in
    # microseconds may not fit SQLite's 64-bit integers.
    seconds = ranked.c.d // _MICROS_PER_SECOND
    rest = ranked.c.d - seconds * _MICROS_PER_SECOND
    found: dict[Any, dict[int, DurationStats]] = {}
    for metric, grp, count, second_sum, rest_sum, median, p90 in connection.execute(
        select(
            ranked.c.metric,
            ranked.c.grp,
            func.count(),
            func.sum(seconds),
            func.sum(rest),
            at_rank(MEDIAN_PERCENT),
            at_rank(P90_PERCENT),
        ).group_by(ranked.c.metric, ranked.c.grp)
    ):
        total = int(second_sum) * _MICROS_PER_SECOND + int(rest_sum)
        stats = DurationStats(int(count), rounded_mean(total, int(count)), int(median), int(p90))
        found.setdefault(grp, {})[metric] = stats
    return {
        grp: ResponseTimes(metrics.get(_MTTA, DurationStats()), metrics.get(_MTTR, DurationStats()))
        for grp, metrics in found.items()
    }
