"""`make bench-scale`: query latency at 10,000 and 1,000,000 incidents on PostgreSQL.

Bulk-loads two teams into a scratch database (COPY), starts `incidents-service serve` on it, and
for each query measures the median latency of the rpc and of hand-written SQL that computes the same
answer, in this one process and run. Prints one table and checks the targets of issue 4:
- pages 2 and 200 at 1,000,000 within 1.5x of page 2 at 10,000;
- every rpc within 2x of its hand-written SQL;
- the server's peak RSS under 300 MB.

Environment: INCIDENTS_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres),
BENCH_SIZES (default "10000,1000000"), BENCH_REPEAT (default 15).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import psycopg
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.wrappers_pb2 import StringValue
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc

from incidents_service import auth
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import migrate

ADMIN_URL = os.environ.get("INCIDENTS_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "10000,1000000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
PAGE = 50
BIN = Path(sys.executable).parent

SERVICES = ["checkout", "payments", "search", "auth", "inventory", "shipping", "email", "gateway"]
REGIONS = ["eu-west-1", "us-east-1", "ap-south-1"]
PROBLEMS = ["latency above SLO", "error rate high", "pod restarts", "disk almost full", "queue backlog"]
SEVERITY_WEIGHTS = [(1, 30), (2, 25), (3, 25), (4, 15), (5, 5)]  # storage order INFO..CRITICAL


# ---- bulk load ---------------------------------------------------------------------------------


def load_team(conn: psycopg.Connection[Any], team_id: str, count: int, seed: int) -> None:
    """COPY `count` incidents and their events (OPEN, UPSERT_STATE, ACKNOWLEDGE, CLOSE) into a team."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(days=90)
    severities = [s for s, weight in SEVERITY_WEIGHTS for _ in range(weight)]
    incident_columns = (
        "id, team_id, correlation_key, name, description, severity, state, status, assigned_to, assigned_by, "
        "contextual_labels, display_labels, meta_labels, application_name, subsystem_name, created_at, "
        "closed_at, last_state_update_time, last_state_update_key, alert_muted, snoozed_until, "
        "acknowledged_at, resolved_at"
    )
    event_columns = (
        "id, team_id, incident_id, event_type, timestamp, originator_type, originator_name, payload, "
        "cx_event_key, alert, incident_name, incident_severity, incident_state, incident_status, "
        "incident_is_muted, incident_contextual_labels, incident_display_labels, incident_meta_labels"
    )
    events: list[tuple[Any, ...]] = []
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY incidents ({incident_columns}) FROM STDIN") as copy:
            for number in range(count):
                incident_id = str(uuid.uuid4())
                service = rng.choice(SERVICES)
                region = rng.choice(REGIONS)
                name = f"{service}: {rng.choice(PROBLEMS)} in {region}"
                severity = rng.choice(severities)
                created = start + timedelta(seconds=number * 90 * 86400 / count + rng.random())
                roll = rng.random()
                closed = created + timedelta(minutes=rng.randint(5, 600)) if roll < 0.6 else None
                status = "RESOLVED" if roll < 0.75 else ("ACKNOWLEDGED" if roll < 0.88 else "TRIGGERED")
                state = "RESOLVED" if status == "RESOLVED" else "TRIGGERED"
                # Most resolved incidents were acknowledged first; some resolved on their own.
                acknowledged = created + timedelta(seconds=rng.randint(30, 1800)) if status != "TRIGGERED" else None
                resolved = None
                if status == "RESOLVED":
                    resolved = closed or created + timedelta(minutes=rng.randint(5, 600))
                    if acknowledged is not None and acknowledged > resolved:
                        acknowledged = None
                assignee = f"oncall-{rng.randint(1, 40)}@example.com" if rng.random() < 0.3 else None
                contextual = {"service": service, "region": region, "env": rng.choice(["prod", "staging"])}
                display = {"application_name": service, "subsystem_name": f"{service}-api", "team": "sre"}
                meta = [["team", f"team-{rng.randint(1, 12)}"], ["tier", rng.choice(["1", "2", "3"])]]
                key = f"{service}/{region}/{number}"
                cx_key = f"cx-{team_id[:8]}-{number}"
                copy.write_row(
                    (
                        incident_id,
                        team_id,
                        key,
                        name,
                        "",
                        severity,
                        state,
                        status,
                        assignee,
                        "lead@example.com" if assignee else None,
                        json.dumps(contextual),
                        json.dumps(display),
                        json.dumps(meta),
                        service,
                        f"{service}-api",
                        created,
                        closed,
                        created,
                        cx_key,
                        False,
                        None,
                        acknowledged,
                        resolved,
                    )
                )
                snapshot = (
                    name,
                    severity,
                    "TRIGGERED",
                    "TRIGGERED",
                    False,
                    json.dumps(contextual),
                    json.dumps(display),
                    json.dumps(meta),
                )
                alert = json.dumps(
                    {
                        "alert_id": f"alert-{service}",
                        "alert_name": name,
                        "alert_type": "STANDARD",
                        "alert_labels": meta,
                        "correlation_key": key,
                    }
                )
                system = ("OPERATIONAL", "alerting")
                events.append(
                    (
                        str(uuid.uuid4()),
                        team_id,
                        incident_id,
                        "OPEN",
                        created,
                        *system,
                        "{}",
                        None,
                        alert,
                        *snapshot,
                    )
                )
                upsert = json.dumps({"state_type": "TRIGGERED", "cx_event_key": cx_key, "is_muted": False})
                events.append(
                    (
                        str(uuid.uuid4()),
                        team_id,
                        incident_id,
                        "UPSERT_STATE",
                        created,
                        *system,
                        upsert,
                        cx_key,
                        alert,
                        *snapshot,
                    )
                )
                if acknowledged is not None:
                    acked = (name, severity, "TRIGGERED", "ACKNOWLEDGED", False, *snapshot[5:])
                    events.append(
                        (
                            str(uuid.uuid4()),
                            team_id,
                            incident_id,
                            "ACKNOWLEDGE",
                            acknowledged,
                            "ADMINISTRATIVE",
                            "oncall@example.com",
                            json.dumps({"acknowledged_by": "oncall@example.com"}),
                            None,
                            None,
                            *acked,
                        )
                    )
                if resolved is not None and closed is None:
                    done = (name, severity, "RESOLVED", "RESOLVED", False, *snapshot[5:])
                    events.append(
                        (
                            str(uuid.uuid4()),
                            team_id,
                            incident_id,
                            "UPSERT_STATE",
                            resolved,
                            *system,
                            json.dumps({"state_type": "RESOLVED", "cx_event_key": f"{cx_key}-r", "is_muted": False}),
                            f"{cx_key}-r",
                            alert,
                            *done,
                        )
                    )
                if closed is not None:
                    done = (name, severity, "RESOLVED", "RESOLVED", False, *snapshot[5:])
                    events.append(
                        (
                            str(uuid.uuid4()),
                            team_id,
                            incident_id,
                            "CLOSE",
                            closed,
                            "ADMINISTRATIVE",
                            "oncall@example.com",
                            json.dumps({"closed_by": "oncall@example.com"}),
                            None,
                            None,
                            *done,
                        )
                    )
        with cursor.copy(f"COPY incident_events ({event_columns}) FROM STDIN") as copy:
            for row in events:
                copy.write_row(row)
    conn.commit()


# ---- measuring ---------------------------------------------------------------------------------


def median_ms(action: Callable[[], Any], repeat: int = REPEAT) -> float:
    action()  # warm caches and connections
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


@dataclass
class Row:
    query: str
    size: int
    rpc_ms: float
    sql_ms: float

    @property
    def ratio(self) -> float:
        return self.rpc_ms / self.sql_ms if self.sql_ms else float("inf")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# The hand-written SQL: what a DBA would write for the same answer, team-scoped, keyset-paged.
FILTERS: dict[str, tuple[pb.IncidentQueryFilter, str, list[Any]]] = {
    "no filter": (pb.IncidentQueryFilter(), "", []),
    "status+severity": (
        pb.IncidentQueryFilter(
            status=[pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_STATUS_ACKNOWLEDGED],
            severity=[pb.INCIDENT_SEVERITY_ERROR, pb.INCIDENT_SEVERITY_CRITICAL],
        ),
        " AND status IN ('TRIGGERED','ACKNOWLEDGED') AND severity IN (4,5)",
        [],
    ),
    "label": (
        pb.IncidentQueryFilter(
            contextual_labels={
                "service": pb.ContextualLabelValues(contextual_label_values=[StringValue(value="search")])
            }
        ),
        " AND contextual_labels @> %s::jsonb",
        ['{"service": "search"}'],
    ),
    "search": (
        pb.IncidentQueryFilter(search_query=pb.IncidentSearchQuery(query=StringValue(value="disk almost"))),
        " AND name ILIKE %s",
        ["%disk almost%"],
    ),
}


def bench_size(stub: Any, metadata: Any, sql: psycopg.Connection[Any], team_id: str, size: int) -> Iterator[Row]:
    for label, (wire_filter, where, params) in FILTERS.items():
        request = svc.ListIncidentsRequest(filter=wire_filter)
        request.pagination.page_size.value = PAGE
        base = f"FROM incidents WHERE team_id = %s{where}"
        cursors: dict[int, tuple[datetime, str] | None] = {1: None}
        tokens: dict[int, str] = {1: ""}
        page, answer = 1, stub.ListIncidents(request, metadata=metadata)
        while page < 200 and answer.pagination.next_page_token.value:
            last = answer.incidents[-1]
            page += 1
            tokens[page] = answer.pagination.next_page_token.value
            cursors[page] = (last.created_at.ToDatetime(tzinfo=UTC), last.id.value)
            request.pagination.page_token.value = tokens[page]
            answer = stub.ListIncidents(request, metadata=metadata)
        for wanted in (1, 2, 200):
            if wanted not in tokens:
                continue
            request.pagination.page_token.value = tokens[wanted]
            rpc = median_ms(lambda request=request: stub.ListIncidents(request, metadata=metadata))
            cursor = cursors[wanted]

            def hand_sql(
                cursor: tuple[datetime, str] | None = cursor, base: str = base, params: list[Any] = params
            ) -> None:
                if cursor is None:
                    sql.execute(f"SELECT count(*) {base}", [team_id, *params]).fetchone()
                    sql.execute(
                        f"SELECT * {base} ORDER BY created_at DESC, id DESC LIMIT {PAGE + 1}",
                        [team_id, *params],
                    ).fetchall()
                else:
                    sql.execute(
                        f"SELECT * {base} AND (created_at, id) < (%s, %s) ORDER BY created_at DESC, id DESC "
                        f"LIMIT {PAGE + 1}",
                        [team_id, *params, *cursor],
                    ).fetchall()

            yield Row(f"ListIncidents {label} page {wanted}", size, rpc, median_ms(hand_sql))

    for label, group_by, column in (
        ("severity", pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_SEVERITY), "severity"),
        (
            "label service",
            pb.GroupBy(contextual_label=StringValue(value="service")),
            "contextual_labels->>'service'",
        ),
    ):
        agg_request = svc.ListIncidentAggregationsRequest(group_bys=[group_by])

        def hand_aggregation(column: str = column) -> None:
            grouped = f"SELECT {column} AS g, * FROM incidents WHERE team_id = %s"
            sql.execute(
                f"SELECT g, count(*), min(created_at), max(closed_at), max(last_state_update_time), "
                f"count(*) FILTER (WHERE state='TRIGGERED'), count(*) FILTER (WHERE state='RESOLVED'), "
                f"count(*) FILTER (WHERE status='TRIGGERED'), count(*) FILTER (WHERE status='ACKNOWLEDGED'), "
                f"count(*) FILTER (WHERE status='RESOLVED'), count(*) FILTER (WHERE severity=1), "
                f"count(*) FILTER (WHERE severity=2), count(*) FILTER (WHERE severity=3), "
                f"count(*) FILTER (WHERE severity=4), count(*) FILTER (WHERE severity=5) "
                f"FROM ({grouped}) m GROUP BY g ORDER BY g LIMIT {PAGE + 1}",
                [team_id],
            ).fetchall()
            sql.execute(
                f"SELECT g, assigned_to, count(*) FROM ({grouped}) m WHERE assigned_to IS NOT NULL "
                f"GROUP BY g, assigned_to",
                [team_id],
            ).fetchall()
            sql.execute(
                f"SELECT g, e->>0, e->>1, count(*) FROM ({grouped}) m, jsonb_array_elements(m.meta_labels) e "
                f"GROUP BY g, e->>0, e->>1",
                [team_id],
            ).fetchall()
            sql.execute(
                f"SELECT g, id FROM (SELECT g, id, row_number() OVER (PARTITION BY g ORDER BY created_at DESC, "
                f"id DESC) AS n FROM ({grouped}) m) r WHERE n <= 100",
                [team_id],
            ).fetchall()

        yield Row(
            f"ListIncidentAggregations by {label}",
            size,
            median_ms(lambda agg_request=agg_request: stub.ListIncidentAggregations(agg_request, metadata=metadata)),
            median_ms(hand_aggregation),
        )

    def hand_filter_values() -> None:
        for column in ("assigned_to", "status", "state", "severity"):
            sql.execute(
                f"SELECT {column}, count(*) FROM incidents WHERE team_id = %s GROUP BY {column} "
                f"ORDER BY count(*) DESC LIMIT 100",
                [team_id],
            ).fetchall()
        for column in ("contextual_labels", "display_labels"):
            sql.execute(
                f"SELECT key, value, n FROM (SELECT key, value, n, row_number() OVER (PARTITION BY key ORDER BY n "
                f"DESC, value) AS r FROM (SELECT l.key, l.value, count(*) AS n FROM incidents, "
                f"jsonb_each_text({column}) l WHERE team_id = %s GROUP BY l.key, l.value) c) t WHERE r <= 100",
                [team_id],
            ).fetchall()
        sql.execute(
            "SELECT e->>0, e->>1, count(*) FROM incidents, jsonb_array_elements(meta_labels) e WHERE team_id = %s "
            "GROUP BY 1, 2",
            [team_id],
        ).fetchall()

    yield Row(
        "GetFilterValues",
        size,
        median_ms(lambda: stub.GetFilterValues(svc.GetFilterValuesRequest(), metadata=metadata)),
        median_ms(hand_filter_values),
    )

    def hand_events() -> None:
        sql.execute(
            "SELECT count(*) FROM incident_events WHERE team_id = %s AND event_type <> 'UPDATE'", [team_id]
        ).fetchone()
        sql.execute(
            f"SELECT * FROM incident_events WHERE team_id = %s AND event_type <> 'UPDATE' "
            f"ORDER BY timestamp DESC, seq DESC LIMIT {PAGE + 1}",
            [team_id],
        ).fetchall()

    events_request = svc.ListIncidentEventsRequest()
    events_request.pagination.page_size.value = PAGE
    yield Row(
        "ListIncidentEvents page 1",
        size,
        median_ms(lambda: stub.ListIncidentEvents(events_request, metadata=metadata)),
        median_ms(hand_events),
    )


# GetIncidentStatistics: 30 days ending at the last full hour, one bucket an hour.
STATISTICS_DAYS = 30
STATISTICS_BUCKETS = 720


def _hand_statistics(sql: psycopg.Connection[Any], team_id: str, start: datetime, end: datetime, label: bool) -> None:
    """The same numbers as GetIncidentStatistics, as a DBA would write them (percentile_disc is nearest-rank)."""
    width = (end - start).total_seconds() / STATISTICS_BUCKETS
    for column in ("created_at", "resolved_at", "closed_at"):
        sql.execute(
            f"SELECT floor(extract(epoch FROM {column} - %s) / %s) AS bucket, severity, count(*) FROM incidents "
            f"WHERE team_id = %s AND {column} >= %s AND {column} < %s GROUP BY 1, 2",
            [start, width, team_id, start, end],
        ).fetchall()
    cohort = "FROM incidents WHERE team_id = %s AND created_at >= %s AND created_at < %s"
    for moment in ("acknowledged_at", "resolved_at"):
        sql.execute(
            f"SELECT severity, count(*), avg(d), percentile_disc(0.5) WITHIN GROUP (ORDER BY d), "
            f"percentile_disc(0.9) WITHIN GROUP (ORDER BY d) FROM (SELECT severity, {moment} - created_at AS d "
            f"{cohort} AND {moment} IS NOT NULL) m GROUP BY GROUPING SETS ((), (severity))",
            [team_id, start, end],
        ).fetchall()
    if not label:
        return
    top = sql.execute(
        f"SELECT contextual_labels->>'service' AS v, count(*) {cohort} AND contextual_labels ? 'service' "
        f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
        [team_id, start, end],
    ).fetchall()
    values = [row[0] for row in top]
    for moment in ("acknowledged_at", "resolved_at"):
        sql.execute(
            f"SELECT v, count(*), avg(d), percentile_disc(0.5) WITHIN GROUP (ORDER BY d), "
            f"percentile_disc(0.9) WITHIN GROUP (ORDER BY d) FROM (SELECT contextual_labels->>'service' AS v, "
            f"{moment} - created_at AS d {cohort} AND {moment} IS NOT NULL "
            f"AND contextual_labels->>'service' = ANY(%s)) m GROUP BY v",
            [team_id, start, end, values],
        ).fetchall()


def bench_statistics(
    insights: Any, metadata: Any, sql: psycopg.Connection[Any], team_id: str, size: int
) -> Iterator[Row]:
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(days=STATISTICS_DAYS)
    for label, key in (("30 days 720 buckets", ""), ("MTTR by service", "service")):
        request = ins.GetIncidentStatisticsRequest(bucket_count=STATISTICS_BUCKETS, contextual_label_key=key)
        request.from_time.FromDatetime(start)
        request.to_time.FromDatetime(end)
        yield Row(
            f"GetIncidentStatistics {label}",
            size,
            median_ms(lambda request=request: insights.GetIncidentStatistics(request, metadata=metadata)),
            median_ms(lambda key=key: _hand_statistics(sql, team_id, start, end, label=bool(key))),
        )


def main() -> int:
    database = f"incidents_bench_{uuid.uuid4().hex[:8]}"
    base_url = ADMIN_URL.rpartition("/")[0]
    url = f"{base_url}/{database}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    server = None
    try:
        engine = create_database_engine(url)
        migrate(engine)
        teams: dict[int, tuple[str, str]] = {}
        with psycopg.connect(url) as conn:
            # Bulk load without secondary indexes, then build them once: far faster than maintaining
            # three GIN indexes row by row. Unique and primary-key indexes stay (constraints).
            index_definitions = [
                row[0]
                for row in conn.execute(
                    "SELECT indexdef FROM pg_indexes WHERE tablename IN ('incidents', 'incident_events') "
                    "AND indexname NOT LIKE 'pk_%%' AND indexname NOT LIKE 'uq_%%'"
                )
            ]
            for definition in index_definitions:
                conn.execute(f"DROP INDEX {definition.split()[2]}")
            for size in SIZES:
                name = f"bench-{size}"
                team = auth.create_team(engine, name)
                key = auth.create_api_key(engine, name, "bench@example.com", auth.ALL_PERMISSIONS).api_key
                started = time.perf_counter()
                load_team(conn, team.id, size, seed=size)
                print(f"loaded {size:,} incidents in {time.perf_counter() - started:.1f} s", flush=True)
                teams[size] = (team.id, key)
            started = time.perf_counter()
            for definition in index_definitions:
                conn.execute(definition)
            print(f"built {len(index_definitions)} indexes in {time.perf_counter() - started:.1f} s", flush=True)
            conn.execute("ANALYZE")
            conn.commit()
        engine.dispose()

        port = free_port()
        env = {**os.environ, "INCIDENTS_DATABASE_URL": url, "INCIDENTS_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen(
            [str(BIN / "incidents-service"), "serve", "--listen", f"127.0.0.1:{port}", "--http-listen", ""], env=env
        )
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        stub = svc_grpc.IncidentsServiceStub(channel)
        insights = ins_grpc.IncidentInsightsServiceStub(channel)

        rows: list[Row] = []
        with psycopg.connect(url, autocommit=True) as sql:
            for size in SIZES:
                team_id, key = teams[size]
                metadata = (("authorization", f"Bearer {key}"),)
                for row in itertools.chain(
                    bench_size(stub, metadata, sql, team_id, size),
                    bench_statistics(insights, metadata, sql, team_id, size),
                ):
                    rows.append(row)
                    print(
                        f"  {row.query:<48} {row.size:>9,}  rpc {row.rpc_ms:8.2f} ms  sql {row.sql_ms:8.2f} ms",
                        flush=True,
                    )
        peak = peak_rss_mb(server.pid)
        print_report(rows, peak)
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def print_report(rows: list[Row], peak_mb: float) -> None:
    print()
    print("| query | size | rpc ms | SQL ms | ratio |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row.query} | {row.size:,} | {row.rpc_ms:.2f} | {row.sql_ms:.2f} | {row.ratio:.2f} |")
    print(f"\nserver peak RSS: {peak_mb:.0f} MB (target < 300 MB)")
    small, large = min(SIZES), max(SIZES)
    print("\ntargets:")
    for label in FILTERS:
        reference = next((r for r in rows if r.query == f"ListIncidents {label} page 2" and r.size == small), None)
        for wanted in (2, 200):
            deep = next(
                (r for r in rows if r.query == f"ListIncidents {label} page {wanted}" and r.size == large),
                None,
            )
            if reference and deep:
                factor = deep.rpc_ms / reference.rpc_ms
                verdict = "ok" if factor <= 1.5 else "MISS"
                print(f"  {verdict:4} {label} page {wanted} at {large:,} = {factor:.2f}x page 2 at {small:,} (<= 1.5x)")
    for row in rows:
        if row.ratio > 2:
            print(f"  MISS {row.query} at {row.size:,}: rpc {row.ratio:.2f}x its SQL (<= 2x)")
    over = [r for r in rows if r.ratio > 2]
    print(f"  {'ok' if not over else 'MISS'}   rpc within 2x of SQL: {len(rows) - len(over)} of {len(rows)}")
    print(f"  {'ok' if peak_mb < 300 else 'MISS'}   server peak RSS {peak_mb:.0f} MB < 300 MB")


if __name__ == "__main__":
    sys.exit(main())
