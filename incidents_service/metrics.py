"""Metrics (SPEC 15): Prometheus text at `GET /metrics` on the HTTP port, written with prometheus-client.

What a process counts as it serves (calls, latency, calls in flight, pool connections, alert events) lives
in prometheus-client's metrics below. Under `serve --processes N` each process writes them to files in
PROMETHEUS_MULTIPROC_DIR, a folder the parent makes for the run and removes after it (server.py), and a
scrape, answered by whichever process the kernel hands it to, adds every process's values up (the
library's multiprocess mode). What the database knows (open incidents) is read when scraped
(`DatabaseGauges`), once for all processes. No label carries a team or an incident id: the series stay
as few as the methods, codes and enum values.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event

from incidents_service.logs import get_logger

MULTIPROCESS_DIRECTORY = "PROMETHEUS_MULTIPROC_DIR"
log = get_logger("incidents_service.metrics")

CALLS = Counter(
    "incidents_calls",
    "Calls answered, by method (rpc or HTTP route), status code and transport",
    ["method", "code", "transport"],
)
CALL_SECONDS = Histogram(
    "incidents_call_duration_seconds",
    "How long calls took to answer, by method and transport",
    ["method", "transport"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CALLS_IN_FLIGHT = Gauge(
    "incidents_calls_in_flight",
    "Authenticated calls being served: waiting for a storage thread or running on one",
    multiprocess_mode="livesum",
)
CONNECTIONS_IN_USE = Gauge(
    "incidents_db_connections_in_use",
    "Database connections checked out of each pool (writes, reads, control)",
    ["pool"],
    multiprocess_mode="livesum",
)
CONNECTION_WAIT_SECONDS = Histogram(
    "incidents_db_connection_wait_seconds",
    "How long a unit of work waited for a connection from its pool",
    ["pool"],
    buckets=(0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 3.0),
)
ALERT_EVENTS = Counter(
    "incidents_alert_events", "Alert events reported (gRPC, Connect and the HTTP intake), by outcome", ["outcome"]
)
NOTIFY_HELD_BACK_SECONDS = Counter(
    "incidents_notify_held_back_seconds",
    "Time the notification dispatcher held back its database work because calls were being served",
)

# Children by label values, so a call costs a dict look-up rather than the library's locked one.
_call_counters: dict[tuple[str, str, str], Any] = {}
_call_timers: dict[tuple[str, str], Any] = {}
_pool_waits: WeakKeyDictionary[Engine, Any] = WeakKeyDictionary()


def count_call(method: str, code: str, transport: str, seconds: float) -> None:
    counter = _call_counters.get((method, code, transport))
    if counter is None:
        counter = _call_counters.setdefault((method, code, transport), CALLS.labels(method, code, transport))
    counter.inc()
    timer = _call_timers.get((method, transport))
    if timer is None:
        timer = _call_timers.setdefault((method, transport), CALL_SECONDS.labels(method, transport))
    timer.observe(seconds)


def count_alert_events(outcomes: Iterable[str]) -> None:
    for outcome in outcomes:
        ALERT_EVENTS.labels(outcome).inc()


def observe_pool(engine: Engine, pool: str) -> None:
    """Count `engine`'s connections in use, and what units of work wait for them, as pool `pool`."""
    if engine in _pool_waits:
        return  # one engine served by several servers in one process (tests) is counted once
    in_use = CONNECTIONS_IN_USE.labels(pool)
    in_use.set(0)
    _pool_waits[engine] = CONNECTION_WAIT_SECONDS.labels(pool)

    @event.listens_for(engine, "checkout")
    def _checked_out(*_args: Any) -> None:
        in_use.inc()

    @event.listens_for(engine, "checkin")
    def _checked_in(*_args: Any) -> None:
        in_use.dec()


def waited_for_connection(engine: Engine, seconds: float) -> None:
    waits = _pool_waits.get(engine)
    if waits is not None:
        waits.observe(seconds)


# ---- read when scraped -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DatabaseGauge:
    """A gauge read from the database when scraped: one value per combination of its labels' values.

    `read` runs on a storage thread and answers {label values: value}; a new gauge is one of these
    (server.py lists them)."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[], Mapping[tuple[str, ...], float]]


class DatabaseGauges(Collector):
    """The database gauges, read at most once per `max_age_seconds` however often Prometheus scrapes.

    collect() runs where the scrape renders its text: on a storage thread, one scrape at a time
    (MetricsEndpoint). A gauge whose read fails is left out of that scrape and logged."""

    def __init__(self, gauges: Sequence[DatabaseGauge], max_age_seconds: float = 5.0) -> None:
        self._gauges = gauges
        self._max_age = max_age_seconds
        self._read_at: float | None = None
        self._values: dict[str, Mapping[tuple[str, ...], float]] = {}

    def collect(self) -> Iterable[Metric]:
        now = time.monotonic()
        if self._read_at is None or now - self._read_at >= self._max_age:
            self._values = {}
            for gauge in self._gauges:
                try:
                    self._values[gauge.name] = gauge.read()
                except Exception:
                    log.warning("metric_read_failed", metric=gauge.name, exc_info=True)
            self._read_at = now
        for gauge in self._gauges:
            values = self._values.get(gauge.name)
            if values is None:
                continue
            family = GaugeMetricFamily(gauge.name, gauge.documentation, labels=gauge.labels)
            for label_values, value in sorted(values.items()):
                family.add_metric(label_values, value)
            yield family


class _ThisProcess(Collector):
    """The library's default registry (this process's metrics, and its process_* and python_* ones)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def registry(database_gauges: DatabaseGauges) -> CollectorRegistry:
    """What a scrape renders: every serving process's metrics (or this one's alone), and the database's."""
    scraped = CollectorRegistry()
    directory = os.environ.get(MULTIPROCESS_DIRECTORY)
    if directory:
        multiprocess.MultiProcessCollector(scraped, path=directory)
    else:
        scraped.register(_ThisProcess())
    scraped.register(database_gauges)
    return scraped


def render(scraped: CollectorRegistry) -> bytes:
    return generate_latest(scraped)


def forget_process(pid: int, directory: str) -> None:
    """A serving process has exited: its live gauges (calls in flight, connections in use) stop counting."""
    multiprocess.mark_process_dead(pid, directory)
