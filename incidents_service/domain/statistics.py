"""Incident statistics: what is asked (a filter, a range cut into buckets) and what is answered.

All durations and bucket edges are whole microseconds, so SQLite and PostgreSQL compute the same
numbers exactly. Percentiles are nearest-rank: with n durations sorted ascending, the p-th
percentile is the one at rank ceil(p * n / 100), 1-based (the median is p = 50).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from incidents_service.domain.model import Severity
from incidents_service.domain.queries import IncidentFilter

MAX_BUCKETS = 1000
# Keeps (time - from) * bucket_count within 64-bit integers of microseconds.
MAX_RANGE = timedelta(days=36525)
TOP_LABEL_VALUES = 10
MEDIAN_PERCENT = 50
P90_PERCENT = 90

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def nearest_rank(percent: int, count: int) -> int:
    """The 1-based rank of the `percent`-th percentile among `count` sorted values."""
    return (percent * count + 99) // 100


def rounded_mean(total: int, count: int) -> int:
    """total / count rounded to the nearest integer, halves up."""
    return (2 * total + count) // (2 * count)


@dataclass(frozen=True)
class StatisticsQuery:
    incident_filter: IncidentFilter
    start: datetime  # inclusive
    end: datetime  # exclusive
    bucket_count: int
    label_key: str | None = None

    @property
    def start_micros(self) -> int:
        return to_micros(self.start)

    @property
    def span_micros(self) -> int:
        return to_micros(self.end) - to_micros(self.start)

    def bucket_edges(self) -> list[datetime]:
        """bucket_count + 1 edges: bucket i is [edges[i], edges[i + 1]).

        A moment t (in microseconds) falls in bucket floor((t - start) * n / span), so bucket i starts
        at the first microsecond where that is i: start + ceil(i * span / n).
        """
        n, span, start = self.bucket_count, self.span_micros, self.start_micros
        return [from_micros(start + -(-i * span // n)) for i in range(n + 1)]


@dataclass(frozen=True)
class DurationStats:
    """Microseconds; mean, median and p90 are None when count is 0."""

    count: int = 0
    mean: int | None = None
    median: int | None = None
    p90: int | None = None


@dataclass
class SeverityCounts:
    opened: int = 0
    resolved: int = 0
    closed: int = 0


@dataclass
class Bucket:
    start: datetime
    end: datetime
    by_severity: dict[Severity, SeverityCounts] = field(default_factory=dict)


@dataclass(frozen=True)
class ResponseTimes:
    mtta: DurationStats
    mttr: DurationStats


@dataclass(frozen=True)
class LabelValueResponseTimes:
    value: str
    incident_count: int
    times: ResponseTimes


@dataclass
class IncidentStatistics:
    buckets: list[Bucket]
    overall: ResponseTimes
    by_severity: dict[Severity, ResponseTimes]
    by_label_value: list[LabelValueResponseTimes]
