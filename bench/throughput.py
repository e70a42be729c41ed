"""`make bench`: throughput of the real rpcs against the server's own ceiling, on PostgreSQL.

Loads 100,000 incidents into a scratch database, starts `incidents-service serve` on it, and drives it
from a separate load-generator process (this file with --drive) keeping 16 calls in flight for a fixed
time per scenario. The ceiling is grpc.health.v1.Health/Check on the same server. ReportAlertEvents is
reported in events per second beside the rate at which plain psycopg inserts the same rows.

Environment: INCIDENTS_BENCH_POSTGRES_URL, BENCH_INCIDENTS (default 100000), BENCH_SECONDS (default 8),
BENCH_SCENARIOS (a comma-separated subset), BENCH_SERVER_CPUS (pin the server to these CPUs, e.g. 1).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import psycopg
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from bench.scale import ADMIN_URL, BIN, free_port, load_team, peak_rss_mb
from incidents_service import auth
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import migrate

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
# BENCH_SERVER_CPUS=1 runs the server on CPU 1 only: one process is bound to one core's worth of
# Python by the GIL, and handing the GIL between threads on different cores costs more than the work.
SERVER_CPUS = {int(cpu) for cpu in os.environ.get("BENCH_SERVER_CPUS", "").split(",") if cpu}
IN_FLIGHT = 16
ALERT_BATCH = 500
SCENARIOS = os.environ.get("BENCH_SCENARIOS", "ceiling,get,list,batch_get,acknowledge,ingest").split(",")
TARGETS = {"get": 0.5, "list": 0.25, "batch_get": 0.25, "acknowledge": 0.2}
INGEST_TARGET = 0.3


# ---- the load generator (a separate process) ---------------------------------------------------


def alert_batch(rng: random.Random, run: str, existing_keys: list[str]) -> api.ReportAlertEventsRequest:
    """500 alert events: half for new correlation keys, half repeating keys that already have incidents."""
    events = []
    for number in range(ALERT_BATCH):
        key = f"bench/{run}/{uuid.uuid4().hex}" if number % 2 else rng.choice(existing_keys)
        events.append(
            api.AlertEvent(
                correlation_key=key,
                cx_event_key=f"bench-{uuid.uuid4().hex}",
                state_type=pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED,
                name=f"bench alert {number % 17}",
                severity=pb.INCIDENT_SEVERITY_ERROR,
                contextual_labels={"service": f"svc-{number % 8}", "region": "eu-west-1"},
                meta_labels=[pb.MetaLabel(key=StringValue(value="team"), value=StringValue(value="sre"))],
                application_name=f"svc-{number % 8}",
            )
        )
    return api.ReportAlertEventsRequest(events=events)


async def drive(scenario: str, address: str, key: str, seconds: float, fixtures: dict[str, Any]) -> dict[str, Any]:
    metadata = (("authorization", f"Bearer {key}"),)
    rng = random.Random(7)
    ids: list[str] = fixtures["ids"]
    fresh: list[str] = list(fixtures["triggered"])
    async with grpc.aio.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        incidents = svc_grpc.IncidentsServiceStub(channel)
        ingestion = api_grpc.AlertIngestionServiceStub(channel)
        status_filter = pb.IncidentQueryFilter(status=[pb.INCIDENT_STATUS_TRIGGERED])

        async def one_call() -> int:
            """One call of the scenario; the number of items it processed (events for ingest)."""
            if scenario == "ceiling":
                await health.Check(health_pb2.HealthCheckRequest())
            elif scenario == "get":
                await incidents.GetIncident(
                    svc.GetIncidentRequest(id=StringValue(value=rng.choice(ids))), metadata=metadata
                )
            elif scenario == "list":
                request = svc.ListIncidentsRequest(filter=status_filter)
                request.pagination.page_size.value = 50
                await incidents.ListIncidents(request, metadata=metadata)
            elif scenario == "batch_get":
                chosen = [StringValue(value=i) for i in rng.sample(ids, 20)]
                await incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=chosen), metadata=metadata)
            elif scenario == "acknowledge":
                target = fresh.pop()
                await incidents.AcknowledgeIncidents(
                    svc.AcknowledgeIncidentsRequest(incident_ids=[StringValue(value=target)]), metadata=metadata
                )
            else:
                await ingestion.ReportAlertEvents(
                    alert_batch(rng, fixtures["run"], fixtures["keys"]), metadata=metadata, timeout=60
                )
                return ALERT_BATCH
            return 1

        latencies: list[float] = []
        items = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal items
            while time.perf_counter() < deadline and (scenario != "acknowledge" or fresh):
                started = time.perf_counter()
                processed = await one_call()  # not `items += await ...`: that loses updates across tasks
                items += processed
                latencies.append((time.perf_counter() - started) * 1000)

        await one_call()  # warm up
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / elapsed,
        "items_per_s": items / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "calls": len(latencies),
    }


# ---- the coordinator ---------------------------------------------------------------------------


def plain_insert_rate(url: str, team_id: str, seconds: float) -> float:
    """Rows per second of plain psycopg inserting what ReportAlertEvents stores for new keys
    (an incident row and its OPEN and UPSERT_STATE event rows per event), 500 events a transaction."""
    inserted = 0
    started = time.perf_counter()
    labels = json.dumps({"service": "svc-1", "region": "eu-west-1"})
    display = json.dumps({"application_name": "svc-1"})
    meta = json.dumps([["team", "sre"]])
    with psycopg.connect(url) as conn:
        while time.perf_counter() - started < seconds:
            now = time.time()
            incident_rows, event_rows = [], []
            for _ in range(ALERT_BATCH):
                incident_id, cx_key = str(uuid.uuid4()), f"plain-{uuid.uuid4().hex}"
                incident_rows.append(
                    (
                        incident_id,
                        team_id,
                        f"plain/{uuid.uuid4().hex}",
                        "bench alert",
                        "",
                        4,
                        "TRIGGERED",
                        "TRIGGERED",
                        labels,
                        display,
                        meta,
                        "svc-1",
                        "",
                        now,
                        now,
                        cx_key,
                    )
                )
                for event_type, key in (("OPEN", None), ("UPSERT_STATE", cx_key)):
                    event_rows.append(
                        (
                            str(uuid.uuid4()),
                            team_id,
                            incident_id,
                            event_type,
                            now,
                            "OPERATIONAL",
                            "alerting",
                            "{}",
                            key,
                            "{}",
                            "bench alert",
                            4,
                            "TRIGGERED",
                            "TRIGGERED",
                            False,
                            labels,
                            display,
                            meta,
                        )
                    )
            with conn.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO incidents (id, team_id, correlation_key, name, description, severity, state, status,"
                    " contextual_labels, display_labels, meta_labels, application_name, subsystem_name, created_at,"
                    " last_state_update_time, last_state_update_key, alert_muted) VALUES (%s, %s, %s, %s, %s, %s,"
                    " %s, %s, %s, %s, %s, %s, %s, to_timestamp(%s), to_timestamp(%s), %s, false)",
                    incident_rows,
                )
                cursor.executemany(
                    "INSERT INTO incident_events (id, team_id, incident_id, event_type, timestamp, originator_type,"
                    " originator_name, payload, cx_event_key, alert, incident_name, incident_severity, incident_state,"
                    " incident_status, incident_is_muted, incident_contextual_labels, incident_display_labels,"
                    " incident_meta_labels) VALUES (%s, %s, %s, %s, to_timestamp(%s), %s, %s, %s, %s, %s, %s, %s,"
                    " %s, %s, %s, %s, %s, %s)",
                    event_rows,
                )
            conn.commit()
            inserted += ALERT_BATCH
    return inserted / (time.perf_counter() - started)


def run_driver(scenario: str, address: str, key: str, fixtures_path: Path) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.throughput", "--drive", scenario, "--address", address]
    command += ["--key", key, "--fixtures", str(fixtures_path)]
    output = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if output.returncode != 0:
        raise RuntimeError(f"the load generator failed on {scenario}:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    database = f"incidents_throughput_{uuid.uuid4().hex[:8]}"
    url = f"{ADMIN_URL.rpartition('/')[0]}/{database}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    server = None
    try:
        engine = create_database_engine(url)
        migrate(engine)
        team = auth.create_team(engine, "throughput")
        key = auth.create_api_key(engine, "throughput", "bench@example.com", auth.ALL_PERMISSIONS).api_key
        engine.dispose()
        with psycopg.connect(url) as conn:
            started = time.perf_counter()
            load_team(conn, team.id, INCIDENTS, seed=5)
            conn.commit()
            # What autovacuum does to a table after a bulk load, done now: statistics for the planner and
            # the visibility map that lets counts run as index-only scans.
            conn.autocommit = True
            conn.execute("VACUUM ANALYZE")
            conn.autocommit = False
            print(f"loaded {INCIDENTS:,} incidents in {time.perf_counter() - started:.1f} s", flush=True)
            ids = [row[0] for row in conn.execute("SELECT id FROM incidents WHERE team_id = %s", [team.id])]
            triggered = [
                row[0]
                for row in conn.execute(
                    "SELECT id FROM incidents WHERE team_id = %s AND status = 'TRIGGERED' AND closed_at IS NULL",
                    [team.id],
                )
            ]
            keys = [
                row[0]
                for row in conn.execute(
                    "SELECT correlation_key FROM incidents WHERE team_id = %s AND closed_at IS NULL LIMIT 5000",
                    [team.id],
                )
            ]
        fixtures_path = Path(f"/tmp/{database}.json")
        fixtures_path.write_text(json.dumps({"ids": ids, "triggered": triggered, "keys": keys, "run": database}))

        port = free_port()
        env = {**os.environ, "INCIDENTS_DATABASE_URL": url, "INCIDENTS_LOG_LEVEL": "WARNING"}
        server = subprocess.Popen(
            [str(BIN / "incidents-service"), "serve", "--listen", f"127.0.0.1:{port}"],
            env=env,
            preexec_fn=(lambda: os.sched_setaffinity(0, SERVER_CPUS)) if SERVER_CPUS else None,
        )
        address = f"127.0.0.1:{port}"
        with grpc.insecure_channel(address) as channel:
            grpc.channel_ready_future(channel).result(timeout=30)
        peak = 0.0
        sampling = threading.Event()

        def sample_rss() -> None:
            nonlocal peak
            while not sampling.wait(0.2) and server.poll() is None:
                peak = max(peak, peak_rss_mb(server.pid))

        threading.Thread(target=sample_rss, daemon=True).start()
        results = {}
        for scenario in SCENARIOS:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode} before {scenario}")
            results[scenario] = run_driver(scenario, address, key, fixtures_path)
            row = results[scenario]
            print(f"  {scenario:<12} {row['calls_per_s']:9.1f} calls/s  p50 {row['p50']:7.2f} ms", flush=True)
        plain = plain_insert_rate(url, team.id, SECONDS)
        sampling.set()
        peak = max(peak, peak_rss_mb(server.pid))
        print_report(results, plain, peak)
        fixtures_path.unlink()
        return 0
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=60)
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def print_report(results: dict[str, dict[str, Any]], plain_events_per_s: float, peak_mb: float) -> None:
    ceiling = results["ceiling"]["calls_per_s"]
    print()
    print("| scenario | calls/s | p50 ms | p99 ms | ratio to ceiling | target |")
    print("|---|---:|---:|---:|---:|---:|")
    names = {
        "ceiling": "Health/Check (ceiling)",
        "get": "GetIncident",
        "list": "ListIncidents (50, status filter)",
        "batch_get": "BatchGetIncident (20 ids)",
        "acknowledge": "AcknowledgeIncidents (1 id)",
        "ingest": f"ReportAlertEvents ({ALERT_BATCH} events)",
    }
    for scenario, row in results.items():
        ratio = row["calls_per_s"] / ceiling
        target = f">= {TARGETS[scenario]}x" if scenario in TARGETS else ""
        print(
            f"| {names[scenario]} | {row['calls_per_s']:.1f} | {row['p50']:.2f} | {row['p99']:.2f} | "
            f"{ratio:.2f} | {target} |"
        )
    if "ingest" in results:
        events = results["ingest"]["items_per_s"]
        print(
            f"\nReportAlertEvents: {events:,.0f} events/s; plain psycopg inserting the same rows: "
            f"{plain_events_per_s:,.0f} events/s; ratio {events / plain_events_per_s:.2f} (target >= {INGEST_TARGET})"
        )
    print(f"server peak RSS: {peak_mb:.0f} MB (target < 300 MB)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--drive")
    parser.add_argument("--address")
    parser.add_argument("--key")
    parser.add_argument("--fixtures")
    args = parser.parse_args()
    if args.drive:
        fixtures = json.loads(Path(args.fixtures).read_text())
        print(json.dumps(asyncio.run(drive(args.drive, args.address, args.key, SECONDS, fixtures))))
        sys.exit(0)
    sys.exit(main())
