"""GetIncidentStatistics over gRPC, on SQLite and PostgreSQL, against a Python model of the same numbers.

The incidents' lives are written through IncidentOperations with a clock the test sets, so every
moment (created, acknowledged, resolved, closed) is known to the microsecond; the statistics are read
through the real rpc. The model below is written from the proto's definitions, not from the code.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc

from incidents_service.auth import Authenticator
from incidents_service.domain.model import AlertEvent, IncidentState, Severity
from incidents_service.operations import IncidentOperations
from tests.builders import ts, violated_fields

SEVERITY_WIRE = {
    Severity.INFO: pb.INCIDENT_SEVERITY_INFO,
    Severity.LOW: pb.INCIDENT_SEVERITY_LOW,
    Severity.WARNING: pb.INCIDENT_SEVERITY_WARNING,
    Severity.ERROR: pb.INCIDENT_SEVERITY_ERROR,
    Severity.CRITICAL: pb.INCIDENT_SEVERITY_CRITICAL,
}
BASE = datetime(2026, 3, 1, tzinfo=UTC)
MICRO = timedelta(microseconds=1)


class Clock:
    def __init__(self) -> None:
        self.now = BASE

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Life:
    """What the test did to one incident, in its own words."""

    incident_id: str
    severity: Severity
    service: str | None
    created: datetime
    acknowledged: datetime | None = None
    resolved: datetime | None = None  # when the status last became RESOLVED, None while it is not
    closed: datetime | None = None


class Writer:
    """Writes incidents' lives for one team at chosen moments."""

    def __init__(self, server: Any, client: Any) -> None:
        self.clock = Clock()
        self.operations = IncidentOperations(server.engine, clock=self.clock)
        self.team_id = Authenticator(server.engine, cache_seconds=0).authenticate(f"Bearer {client.api_key}").team_id
        self.principal = client.principal

    def _alert(self, key: str, state: IncidentState, at: datetime, **fields: Any) -> str:
        cx_event_key = uuid.uuid4().hex
        event = AlertEvent(key, cx_event_key, state, at, source_system="test", **fields)
        [result] = self.operations.report_alert_events(self.team_id, [event])
        assert result.incident_id is not None
        return result.incident_id

    def open(self, at: datetime, severity: Severity, service: str | None) -> tuple[str, Life]:
        key = f"k-{uuid.uuid4().hex}"
        labels = {"service": service} if service is not None else {}
        incident_id = self._alert(key, IncidentState.TRIGGERED, at, severity=severity, contextual_labels=labels)
        return key, Life(incident_id, severity, service, at)

    def at(self, moment: datetime) -> Writer:
        self.clock.now = moment
        return self

    def acknowledge(self, life: Life, at: datetime) -> None:
        self.at(at).operations.acknowledge(self.team_id, self.principal, [life.incident_id])
        life.acknowledged = life.acknowledged or at

    def resolve(self, key: str, life: Life, at: datetime, by_alert: bool) -> None:
        if by_alert:
            self._alert(key, IncidentState.RESOLVED, at)
        else:
            self.at(at).operations.resolve(self.team_id, self.principal, [life.incident_id])
        life.resolved = at

    def reopen(self, key: str, life: Life, at: datetime) -> None:
        self._alert(key, IncidentState.TRIGGERED, at)
        life.resolved = None

    def close(self, life: Life, at: datetime) -> None:
        self.at(at).operations.close(self.team_id, self.principal, [life.incident_id])
        life.closed = at
        life.resolved = life.resolved or at


# ---- the model ---------------------------------------------------------------------------------


def _percentile(sorted_values: list[int], percent: int) -> int:
    rank = math.ceil(Fraction(percent * len(sorted_values), 100))  # nearest rank, 1-based
    return sorted_values[rank - 1]


def _stats(values: list[int]) -> tuple[int, int | None, int | None, int | None]:
    if not values:
        return 0, None, None, None
    ordered = sorted(values)
    mean = math.floor(Fraction(sum(values), len(values)) + Fraction(1, 2))
    return len(values), mean, _percentile(ordered, 50), _percentile(ordered, 90)


def _micros(delta: timedelta) -> int:
    return delta // MICRO


def _edges(start: datetime, end: datetime, n: int) -> list[datetime]:
    span = _micros(end - start)
    return [start + MICRO * math.ceil(Fraction(i * span, n)) for i in range(n + 1)]


def _model(lives: list[Life], start: datetime, end: datetime, n: int, label: bool) -> dict[str, Any]:
    edges = _edges(start, end, n)

    def bucket_of(moment: datetime | None) -> int | None:
        if moment is None or not start <= moment < end:
            return None
        return next(i for i in range(n) if edges[i] <= moment < edges[i + 1])

    buckets: list[Counter[tuple[str, Severity]]] = [Counter() for _ in range(n)]
    for life in lives:
        for kind, moment in (("opened", life.created), ("resolved", life.resolved), ("closed", life.closed)):
            index = bucket_of(moment)
            if index is not None:
                buckets[index][(kind, life.severity)] += 1
    cohort = [life for life in lives if start <= life.created < end]

    def times(group: list[Life]) -> tuple[Any, Any]:
        mtta = [_micros(life.acknowledged - life.created) for life in group if life.acknowledged is not None]
        mttr = [_micros(life.resolved - life.created) for life in group if life.resolved is not None]
        return _stats(mtta), _stats(mttr)

    by_label: list[tuple[str, int, Any]] = []
    if label:
        counts = Counter(life.service for life in cohort if life.service is not None)
        top = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:10]
        by_label = [(value, count, times([life for life in cohort if life.service == value])) for value, count in top]
    severities = sorted({life.severity for life in cohort})
    return {
        "edges": edges,
        "buckets": [
            sorted(
                (SEVERITY_WIRE[s], c[("opened", s)], c[("resolved", s)], c[("closed", s)])
                for s in Severity
                if c[("opened", s)] or c[("resolved", s)] or c[("closed", s)]
            )
            for c in buckets
        ],
        "overall": times(cohort),
        "by_severity": [(SEVERITY_WIRE[s], times([life for life in cohort if life.severity is s])) for s in severities],
        "by_label": by_label,
    }


# ---- reading the answer ------------------------------------------------------------------------


def _duration_micros(message: Any) -> int:
    return message.seconds * 1_000_000 + message.nanos // 1000


def _read_stats(message: ins.DurationStatistics) -> tuple[int, int | None, int | None, int | None]:
    if not message.count:
        assert not message.HasField("mean") and not message.HasField("p90")
        return 0, None, None, None
    return (
        message.count,
        _duration_micros(message.mean),
        _duration_micros(message.median),
        _duration_micros(message.p90),
    )


def _statistics(client: Any, **fields: Any) -> ins.GetIncidentStatisticsResponse:
    stub = ins_grpc.IncidentInsightsServiceStub(client.channel)
    return stub.GetIncidentStatistics(ins.GetIncidentStatisticsRequest(**fields), metadata=client.metadata, timeout=60)


def _answer(response: ins.GetIncidentStatisticsResponse) -> dict[str, Any]:
    severity_order = list(SEVERITY_WIRE.values())
    for bucket in response.buckets:
        assert [c.severity for c in bucket.by_severity] == sorted(
            (c.severity for c in bucket.by_severity), key=severity_order.index
        )
        assert bucket.opened == sum(c.opened for c in bucket.by_severity)
        assert bucket.resolved == sum(c.resolved for c in bucket.by_severity)
        assert bucket.closed == sum(c.closed for c in bucket.by_severity)
    return {
        "edges": [b.start_time.ToDatetime(tzinfo=UTC) for b in response.buckets]
        + [response.buckets[-1].end_time.ToDatetime(tzinfo=UTC)],
        "buckets": [
            sorted((c.severity, c.opened, c.resolved, c.closed) for c in b.by_severity) for b in response.buckets
        ],
        "overall": (_read_stats(response.mtta), _read_stats(response.mttr)),
        "by_severity": [
            (entry.severity, (_read_stats(entry.mtta), _read_stats(entry.mttr))) for entry in response.by_severity
        ],
        "by_label": [
            (entry.value, entry.incident_count, (_read_stats(entry.mtta), _read_stats(entry.mttr)))
            for entry in response.by_label_value
        ],
    }


def _random_lives(writer: Writer, rng: random.Random, count: int, start: datetime, end: datetime) -> list[Life]:
    span = _micros(end - start)
    services = [f"svc-{i:02d}" for i in range(13)]
    lives = []
    for _ in range(count):
        created = start + MICRO * rng.randint(-span // 5, span + span // 5)
        key, life = writer.open(created, rng.choice(list(Severity)), rng.choice([*services, None, None]))
        moment = created
        if rng.random() < 0.7:
            moment += MICRO * rng.randint(0, span // 4)
            writer.acknowledge(life, moment)
        if rng.random() < 0.7:
            moment += MICRO * rng.randint(0, span // 4)
            writer.resolve(key, life, moment, by_alert=rng.random() < 0.5)
            if rng.random() < 0.3:
                moment += MICRO * rng.randint(1, span // 8)
                writer.reopen(key, life, moment)
                if rng.random() < 0.5:
                    moment += MICRO * rng.randint(0, span // 8)
                    writer.resolve(key, life, moment, by_alert=True)
        if rng.random() < 0.4:
            moment += MICRO * rng.randint(0, span // 4)
            writer.close(life, moment)
        lives.append(life)
    return lives


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_statistics_equal_the_model_on_random_lives(client, server, seed):
    rng = random.Random(seed)
    writer = Writer(server, client)
    start = BASE + MICRO * rng.randint(0, 10**9)
    end = start + timedelta(hours=rng.randint(1, 48), microseconds=rng.randint(0, 10**6))
    lives = _random_lives(writer, rng, 90, start, end)
    n = rng.choice([1, 7, 24, 97])

    response = _statistics(client, from_time=ts(start), to_time=ts(end), bucket_count=n, contextual_label_key="service")

    assert len(response.buckets) == n
    assert _answer(response) == _model(lives, start, end, n, label=True)
    assert len(response.by_label_value) == 10  # 13 services, the 10 most frequent


def test_a_filter_narrows_every_number(client, server):
    rng = random.Random(7)
    writer = Writer(server, client)
    start, end = BASE, BASE + timedelta(days=2)
    lives = _random_lives(writer, rng, 60, start, end)
    wanted = {Severity.ERROR, Severity.CRITICAL}

    response = _statistics(
        client,
        filter=pb.IncidentQueryFilter(severity=[SEVERITY_WIRE[s] for s in wanted]),
        from_time=ts(start),
        to_time=ts(end),
        bucket_count=12,
    )

    expected = _model([life for life in lives if life.severity in wanted], start, end, 12, label=False)
    assert _answer(response) == expected
    assert response.by_label_value == []


def test_bucket_edges_are_exact_and_the_range_is_half_open(client, server):
    writer = Writer(server, client)
    start = BASE + timedelta(microseconds=123)
    end = start + timedelta(microseconds=1_000_003)  # not a multiple of the bucket count
    n = 7
    edges = _edges(start, end, n)
    lives = []
    for moment in [start - MICRO, *edges, *(edge - MICRO for edge in edges[1:])]:
        lives.append(writer.open(moment, Severity.WARNING, None)[1])

    response = _statistics(client, from_time=ts(start), to_time=ts(end), bucket_count=n)

    answer = _answer(response)
    assert answer["edges"] == edges
    # Each bucket holds its own start and the microsecond before the next start; `end` and the
    # microsecond before `start` are in none.
    assert [b.opened for b in response.buckets] == [2] * n
    assert answer == _model(lives, start, end, n, label=False)


def test_median_and_p90_are_nearest_rank_and_the_unacknowledged_are_left_out(client, server):
    writer = Writer(server, client)
    start, end = BASE, BASE + timedelta(days=1)
    for minutes in range(1, 11):  # acknowledged after 1..10 minutes, resolved after 10x that
        key, life = writer.open(start + timedelta(hours=1), Severity.ERROR, "checkout")
        writer.acknowledge(life, life.created + timedelta(minutes=minutes))
        writer.resolve(key, life, life.created + timedelta(minutes=10 * minutes), by_alert=False)
    for _ in range(5):  # never acknowledged nor resolved: in no MTTA or MTTR
        writer.open(start + timedelta(hours=2), Severity.ERROR, "checkout")
    key, life = writer.open(start + timedelta(hours=3), Severity.INFO, "search")
    writer.resolve(key, life, life.created + timedelta(seconds=30), by_alert=True)  # resolved, never acknowledged

    response = _statistics(client, from_time=ts(start), to_time=ts(end), bucket_count=1, contextual_label_key="service")

    minute = 60_000_000
    assert _read_stats(response.mtta) == (10, int(5.5 * minute), 5 * minute, 9 * minute)
    # (10 + 20 + ... + 100 minutes + 30 s) / 11 = 3,002,727,272.7 microseconds, rounded up.
    assert _read_stats(response.mttr) == (11, 3_002_727_273, 50 * minute, 90 * minute)
    [info, error] = response.by_severity
    assert (info.severity, _read_stats(info.mtta), _read_stats(info.mttr)) == (
        pb.INCIDENT_SEVERITY_INFO,
        (0, None, None, None),
        (1, 30_000_000, 30_000_000, 30_000_000),
    )
    assert _read_stats(error.mttr) == (10, 55 * minute, 50 * minute, 90 * minute)
    assert [(v.value, v.incident_count) for v in response.by_label_value] == [("checkout", 15), ("search", 1)]
    # Eleven values: the median is the 6th, p90 the 10th (ceil(9.9)).
    key, life = writer.open(start + timedelta(hours=4), Severity.ERROR, "checkout")
    writer.acknowledge(life, life.created + timedelta(minutes=11))
    response = _statistics(client, from_time=ts(start), to_time=ts(end), bucket_count=1)
    assert _read_stats(response.mtta)[2:] == (6 * minute, 10 * minute)


def test_another_teams_incidents_never_count(teams, server):
    mine, theirs = teams.team(), teams.team("mallory@example.com")
    start, end = BASE, BASE + timedelta(hours=1)
    writer = Writer(server, theirs)
    _key, life = writer.open(start + timedelta(minutes=5), Severity.CRITICAL, "secret")
    writer.acknowledge(life, start + timedelta(minutes=6))

    response = _statistics(mine, from_time=ts(start), to_time=ts(end), bucket_count=4, contextual_label_key="service")

    assert [b.opened for b in response.buckets] == [0, 0, 0, 0]
    assert response.mtta.count == 0 and list(response.by_severity) == [] and list(response.by_label_value) == []


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"to_time": ts(BASE), "bucket_count": 1}, ["from_time"]),
        ({"from_time": ts(BASE), "bucket_count": 1}, ["to_time"]),
        ({"from_time": ts(BASE), "to_time": ts(BASE), "bucket_count": 1}, ["to_time"]),
        ({"from_time": ts(BASE), "to_time": ts(BASE - MICRO), "bucket_count": 1}, ["to_time"]),
        ({"from_time": ts(BASE), "to_time": ts(BASE + timedelta(days=1))}, ["bucket_count"]),
        ({"from_time": ts(BASE), "to_time": ts(BASE + timedelta(days=1)), "bucket_count": 1001}, ["bucket_count"]),
        (
            {"from_time": ts(datetime(1900, 1, 1, tzinfo=UTC)), "to_time": ts(BASE), "bucket_count": 1},
            ["to_time"],
        ),
        (
            {"from_time": ts(BASE), "to_time": ts(BASE + MICRO), "bucket_count": 1, "contextual_label_key": "k" * 300},
            ["contextual_label_key"],
        ),
        (
            {
                "filter": pb.IncidentQueryFilter(status=[99]),
                "from_time": ts(BASE),
                "to_time": ts(BASE + MICRO),
                "bucket_count": 1,
            },
            ["filter.status"],
        ),
    ],
)
def test_bad_requests_name_the_field(client, fields, bad):
    with pytest.raises(grpc.RpcError) as info:
        _statistics(client, **fields)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert violated_fields(info.value) == bad


def test_a_thousand_buckets_are_the_limit(client, server):
    writer = Writer(server, client)
    start, end = BASE, BASE + timedelta(seconds=1000)
    lives = [writer.open(start + timedelta(seconds=s), Severity.LOW, None)[1] for s in (0, 1, 500, 999)]

    response = _statistics(client, from_time=ts(start), to_time=ts(end), bucket_count=1000)

    assert _answer(response) == _model(lives, start, end, 1000, label=False)
    assert [i for i, b in enumerate(response.buckets) if b.opened] == [0, 1, 500, 999]
