"""`make bench`: throughput of the real rpcs against a plain gRPC server's ceiling, on PostgreSQL.

Loads 100,000 incidents into a scratch database, starts `incidents-service serve` on it (gRPC and
HTTP), and drives it from a separate load-generator process (this file with --drive) keeping 16 calls
in flight for a fixed time per scenario. The ceiling is grpc.health.v1.Health/Check answered by a plain
synchronous grpcio server (only the standard health servicer, the same number of threads, its own process): what any
Python gRPC server pays per call. The project's own Health/Check is measured beside it. ReportAlertEvents
is reported in events per second beside the rate at which plain psycopg inserts the same rows.

The acknowledge scenario acknowledges TRIGGERED incidents, each once. Should it run short of them (the
load holds about 12,000), it re-triggers acknowledged ones in the background through ReportAlertEvents
(a RESOLVED then a TRIGGERED alert event with new cx_event_keys reopens an incident), so it always runs
its full time; the report says how many were re-triggered (those calls load the server too).
The HTTP rows (Connect JSON GetIncident, PagerDuty enqueue) are driven from this process by
bench/http_load.py against the same server's HTTP listener.

Notifications (SPEC 14): `ingest_rules` is the ingest scenario again once the team has 10 enabled rules
that every new incident matches (each call then fires 2,500 notifications), beside `ingest` without
rules; the server's dispatcher delivers them meanwhile to a local receiver (bench/notify_receiver.py,
its own process). The two are compared like for like: they run in interleaved rounds (BENCH_INGEST_ROUNDS,
default 3, of BENCH_INGEST_SECONDS, default 12), each round on its own copy of the freshly loaded
database with its own server, started for it. Run one after the other on one database, the second ran
about 40% slower with no rules at all (the tables it writes had grown by the first's 20,000 incidents),
which is not what rules cost. `delivery` then measures how many notifications per second the
dispatcher delivers from the backlog the last ingest_rules round left, with no other load.

Environment: INCIDENTS_BENCH_POSTGRES_URL, BENCH_INCIDENTS (default 100000), BENCH_SECONDS (default 8),
BENCH_SCENARIOS (a comma-separated subset), BENCH_SERVER_CPUS (pin the servers to these CPUs, e.g. 1),
BENCH_PROCESSES (default 1: `serve --processes N`; with N > 1 the load generator opens 2N connections
so SO_REUSEPORT spreads them over the processes).
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
from concurrent import futures
from contextlib import suppress
from pathlib import Path
from typing import Any

import grpc
import psycopg
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.wrappers_pb2 import StringValue
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from bench.http_load import http_load
from bench.scale import ADMIN_URL, BIN, free_port, load_team
from incidents_service import auth
from incidents_service.domain.notifications import ChangeType, NotificationTarget, RuleDraft, TargetKind
from incidents_service.notification_operations import NotificationOperations
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import migrate

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
# BENCH_SERVER_CPUS=1 runs the server on CPU 1 only: one process is bound to one core's worth of
# Python by the GIL, and handing the GIL between threads on different cores costs more than the work.
SERVER_CPUS = {int(cpu) for cpu in os.environ.get("BENCH_SERVER_CPUS", "").split(",") if cpu}
PROCESSES = int(os.environ.get("BENCH_PROCESSES", "1"))
WORKERS = int(os.environ.get("INCIDENTS_WORKERS", "16"))  # the server's threads; the plain server gets as many
IN_FLIGHT = 16
ALERT_BATCH = 500
SCENARIOS = os.environ.get(
    "BENCH_SCENARIOS",
    "plain,health,get,list,list_next,batch_get,acknowledge,ingest,ingest_rules,delivery,connect_get,pagerduty_enqueue",
).split(",")
NOTIFY_RULES = 10
# Scenarios run in rounds, each on its own copy of the loaded database by its own server (CopiedRounds):
# ingestion's rate varies from run to run, and ingest_rules is compared with ingest.
COPIED = ("ingest", "ingest_rules")
INGEST_ROUNDS = int(os.environ.get("BENCH_INGEST_ROUNDS", "3"))
INGEST_SECONDS = float(os.environ.get("BENCH_INGEST_SECONDS", "12"))  # per round
# Scenarios over HTTP (bench/http_load.py: an asyncio HTTP/1.1 load generator in this process).
HTTP_SCENARIOS = ("connect_get", "pagerduty_enqueue")
NAMES = {
    "plain": "Health/Check, plain grpcio server (ceiling)",
    "health": "Health/Check, this server",
    "get": "GetIncident",
    "list": "ListIncidents (50, status filter), first page",
    "list_next": "ListIncidents (50, status filter), next pages",
    "batch_get": "BatchGetIncident (20 ids)",
    "acknowledge": "AcknowledgeIncidents (1 id)",
    "ingest": f"ReportAlertEvents ({ALERT_BATCH} events)",
    "ingest_rules": f"ReportAlertEvents ({ALERT_BATCH} events), {NOTIFY_RULES} matching notification rules",
    "delivery": "Notification deliveries to a local receiver (backlog, no other load)",
    "connect_get": "HTTP: Connect JSON GetIncident (POST)",
    "pagerduty_enqueue": "HTTP: PagerDuty /v2/enqueue (1 trigger event)",
}
# Calls per second as a share of the plain server's Health/Check (SPEC 11, issue 10).
TARGETS = {"get": 0.5, "list": 0.25, "list_next": 0.25, "batch_get": 0.25, "acknowledge": 0.2}
INGEST_TARGET = 0.3  # events per second as a share of plain psycopg inserting the same rows
RULES_TARGET = 0.8  # ingestion with 10 matching rules as a share of ingestion without (SPEC 14, issue 13)
RSS_TARGET_MB = 300


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


def retrigger_batch(keys: list[str]) -> api.ReportAlertEventsRequest:
    """Reopen acknowledged incidents: a RESOLVED then a TRIGGERED alert event for each correlation key."""
    events = []
    for key in keys:
        for state in (pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED, pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED):
            events.append(
                api.AlertEvent(correlation_key=key, cx_event_key=f"bench-{uuid.uuid4().hex}", state_type=state)
            )
    return api.ReportAlertEventsRequest(events=events)


async def drive(
    scenario: str, addresses: list[str], key: str, seconds: float, fixtures: dict[str, Any]
) -> dict[str, Any]:
    metadata = (("authorization", f"Bearer {key}"),)
    rng = random.Random(7)
    ids: list[str] = fixtures["ids"]
    # The acknowledge pool: TRIGGERED incidents and their correlation keys (to re-trigger them).
    fresh: list[tuple[str, str]] = [tuple(pair) for pair in fixtures["triggered"]]  # type: ignore[misc]
    acknowledged: list[tuple[str, str]] = []
    retriggered = 0
    retriggering: asyncio.Task[None] | None = None
    # One channel per connection wanted: with `serve --processes N` the kernel spreads connections (not
    # calls) over the processes, and channels to one address share a connection unless told not to.
    channels = [
        grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)]) for address in addresses
    ]
    try:
        health = [health_pb2_grpc.HealthStub(channel) for channel in channels]
        incidents = [svc_grpc.IncidentsServiceStub(channel) for channel in channels]
        ingestion = [api_grpc.AlertIngestionServiceStub(channel) for channel in channels]
        status_filter = pb.IncidentQueryFilter(status=[pb.INCIDENT_STATUS_TRIGGERED])

        def list_request(token: str = "") -> svc.ListIncidentsRequest:
            request = svc.ListIncidentsRequest(filter=status_filter)
            request.pagination.page_size.value = 50
            if token:
                request.pagination.page_token.value = token
            return request

        async def retrigger(stub: Any) -> None:
            nonlocal retriggered
            batch, acknowledged[:] = acknowledged[: ALERT_BATCH // 2], acknowledged[ALERT_BATCH // 2 :]
            await stub.ReportAlertEvents(retrigger_batch([key for _, key in batch]), metadata=metadata, timeout=60)
            fresh.extend(batch)
            retriggered += len(batch)

        async def one_call(number: int, state: dict[str, str]) -> int:
            """One call of the scenario on connection `number`; the items it processed (events for ingest)."""
            nonlocal retriggering
            channel = number % len(channels)
            if scenario in ("plain", "health"):
                await health[channel].Check(health_pb2.HealthCheckRequest())
            elif scenario == "get":
                await incidents[channel].GetIncident(
                    svc.GetIncidentRequest(id=StringValue(value=rng.choice(ids))), metadata=metadata
                )
            elif scenario == "list":
                await incidents[channel].ListIncidents(list_request(), metadata=metadata)
            elif scenario == "list_next":
                # Each worker walks the pages (the first page, untimed, only when it starts a walk over).
                if not state.get("token"):
                    page = await incidents[channel].ListIncidents(list_request(), metadata=metadata)
                    state["token"] = page.pagination.next_page_token.value
                    return 0
                page = await incidents[channel].ListIncidents(list_request(state["token"]), metadata=metadata)
                state["token"] = page.pagination.next_page_token.value
            elif scenario == "batch_get":
                chosen = [StringValue(value=i) for i in rng.sample(ids, 20)]
                await incidents[channel].BatchGetIncident(svc.BatchGetIncidentRequest(ids=chosen), metadata=metadata)
            elif scenario == "acknowledge":
                while not fresh:
                    await asyncio.sleep(0.001)
                target = fresh.pop()
                if len(fresh) < IN_FLIGHT * 8 and acknowledged and (retriggering is None or retriggering.done()):
                    retriggering = asyncio.create_task(retrigger(ingestion[channel]))
                await incidents[channel].AcknowledgeIncidents(
                    svc.AcknowledgeIncidentsRequest(incident_ids=[StringValue(value=target[0])]), metadata=metadata
                )
                acknowledged.append(target)
            else:
                await ingestion[channel].ReportAlertEvents(
                    alert_batch(rng, fixtures["run"], fixtures["keys"]), metadata=metadata, timeout=60
                )
                return ALERT_BATCH
            return 1

        latencies: list[float] = []
        items = 0
        deadline = time.perf_counter() + seconds

        async def worker(number: int) -> None:
            nonlocal items
            state: dict[str, str] = {}
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                processed = await one_call(number, state)  # not `items += await ...`: that loses updates
                if processed:
                    items += processed
                    latencies.append((time.perf_counter() - started) * 1000)

        for number in range(len(channels)):
            await one_call(number, {})  # warm up every connection
        started = time.perf_counter()
        await asyncio.gather(*(worker(number) for number in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
        if retriggering is not None:
            await retriggering
    finally:
        for channel in channels:
            await channel.close()
    latencies.sort()
    return {
        "calls_per_s": len(latencies) / elapsed,
        "items_per_s": items / elapsed,
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "calls": len(latencies),
        "seconds": elapsed,
        "retriggered": retriggered,
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


def add_rules(url: str, team_id: str, receiver_url: str) -> None:
    """NOTIFY_RULES enabled webhook rules that every new incident of the bench matches."""
    engine = create_database_engine(url)
    rules = NotificationOperations(IncidentOperations(engine))
    for number in range(NOTIFY_RULES):
        target = NotificationTarget(TargetKind.WEBHOOK, f"{receiver_url}/{number}", "bench-signing-secret-0123")
        draft = RuleDraft(
            f"bench {number}", True, frozenset({ChangeType.OPENED, ChangeType.REOPENED}), None, [], target
        )
        rules.create_rule(team_id, "bench", draft)
    engine.dispose()


def delivery_rate(url: str) -> dict[str, Any]:
    """Notifications delivered per second by the server's dispatcher over SECONDS, from the backlog."""

    def counts(conn: psycopg.Connection[Any]) -> tuple[int, int]:
        row = conn.execute(
            "SELECT count(*) FILTER (WHERE state = 'delivered'), count(*) FILTER (WHERE state = 'pending')"
            " FROM notifications"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1])

    with psycopg.connect(url, autocommit=True) as conn:
        delivered_before, pending = counts(conn)
        started = time.perf_counter()
        time.sleep(SECONDS)
        delivered_after, pending_after = counts(conn)
        elapsed = time.perf_counter() - started
    if pending_after == 0:
        print("  delivery: the backlog ran out before the end: the rate is a lower bound", flush=True)
    rate = (delivered_after - delivered_before) / elapsed
    return {"calls": delivered_after - delivered_before, "calls_per_s": rate, "p50": float("nan"),
            "p99": float("nan"), "seconds": elapsed, "pending_before": pending}  # fmt: skip


def run_driver(
    scenario: str, addresses: list[str], key: str, fixtures_path: Path, seconds: float = SECONDS
) -> dict[str, Any]:
    command = [sys.executable, "-m", "bench.throughput", "--drive", scenario, "--address", ",".join(addresses)]
    command += ["--key", key, "--fixtures", str(fixtures_path), "--seconds", str(seconds)]
    output = subprocess.run(command, capture_output=True, text=True, cwd=Path(__file__).resolve().parent.parent)
    if output.returncode != 0:
        raise RuntimeError(f"the load generator failed on {scenario}:\n{output.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(output.stdout.strip().splitlines()[-1])
    return result


def serve_plain_health(port: int) -> None:
    """The ceiling: a plain synchronous grpcio server with only the standard health servicer."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=WORKERS))
    health_servicer = health.HealthServicer()
    health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    stop.wait()
    server.stop(1).wait()


def process_tree(pid: int) -> list[int]:
    """The process and all its descendants (the workers of `serve --processes N`)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError):
                pending.extend(int(child) for child in (task / "children").read_text().split())
    return found


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process tree has used so far (live processes only)."""
    total = 0
    for member in process_tree(pid):
        with suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rpartition(")")[2].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def memory_mb(pid: int, field: str) -> float:
    """VmRSS (now) or VmHWM (peak) of a process, in MB; 0 once it is gone."""
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    return 0.0


class MemoryWatch:
    """Samples each watched server's process tree: the peak of a tree's summed RSS, and each process's own peak."""

    def __init__(self, pid: int) -> None:
        self._roots = [pid]
        self.peak_total_mb = 0.0
        self.peak_by_process: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, pid: int) -> None:
        """Watch another server too (the copies' servers)."""
        self._roots.append(pid)

    def start(self) -> None:
        self._thread.start()

    def _sample(self) -> None:
        for root in list(self._roots):
            pids = process_tree(root)
            self.peak_total_mb = max(self.peak_total_mb, sum(memory_mb(pid, "VmRSS") for pid in pids))
            for pid in pids:
                self.peak_by_process[pid] = max(self.peak_by_process.get(pid, 0.0), memory_mb(pid, "VmHWM"))

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._sample()

    def stop(self) -> None:
        self._sample()
        self._stop.set()
        self._thread.join()


def serve_command(port: int, http_port: int) -> list[str]:
    command = [
        str(BIN / "incidents-service"),
        "serve",
        "--listen",
        f"127.0.0.1:{port}",
        "--http-listen",
        f"127.0.0.1:{http_port}",
    ]
    if PROCESSES > 1:
        usage = subprocess.run([*command[:2], "--help"], capture_output=True, text=True).stdout
        if "--processes" not in usage:
            raise SystemExit(f"BENCH_PROCESSES={PROCESSES}: this server has no `serve --processes` yet")
        command += ["--processes", str(PROCESSES)]
    return command


def run_http(scenario: str, base_url: str, key: str, ids: list[str]) -> dict[str, Any]:
    (measured,) = http_load(base_url, key, ids, seconds=SECONDS, in_flight=IN_FLIGHT, scenarios=[scenario])
    if measured.failed:
        print(f"  {scenario}: {measured.failed} answers were not the expected status", flush=True)
    return {
        "calls": measured.calls,
        "calls_per_s": measured.calls_per_s,
        "p50": measured.p50_ms,
        "p99": measured.p99_ms,
        "seconds": SECONDS,
    }


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)


def wait_ready(address: str) -> None:
    with grpc.insecure_channel(address) as channel:
        grpc.channel_ready_future(channel).result(timeout=30)


def main() -> int:
    database = f"incidents_throughput_{uuid.uuid4().hex[:8]}"
    url = f"{ADMIN_URL.rpartition('/')[0]}/{database}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    servers: list[subprocess.Popen[bytes]] = []
    pin = (lambda: os.sched_setaffinity(0, SERVER_CPUS)) if SERVER_CPUS else None
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
            triggered = conn.execute(
                "SELECT id, correlation_key FROM incidents"
                " WHERE team_id = %s AND status = 'TRIGGERED' AND closed_at IS NULL",
                [team.id],
            ).fetchall()
            keys = [
                row[0]
                for row in conn.execute(
                    "SELECT correlation_key FROM incidents WHERE team_id = %s AND closed_at IS NULL LIMIT 5000",
                    [team.id],
                )
            ]
        # The loaded database as the ingest rounds start from (the module's docstring), copied while
        # nothing is connected to it, as a template copy requires.
        copied = [scenario for scenario in COPIED if scenario in SCENARIOS]
        if copied:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{database}_loaded" TEMPLATE "{database}" STRATEGY FILE_COPY')
        fixtures_path = Path(f"/tmp/{database}.json")
        fixtures_path.write_text(json.dumps({"ids": ids, "triggered": triggered, "keys": keys, "run": database}))

        plain_port, port, http_port, receiver_port = free_port(), free_port(), free_port(), free_port()
        receiver = subprocess.Popen(
            [sys.executable, "-m", "bench.notify_receiver", str(receiver_port)],
            stdout=subprocess.PIPE,
            cwd=Path(__file__).resolve().parent.parent,
        )
        plain_command = [sys.executable, "-m", "bench.throughput", "--plain-server", str(plain_port)]
        servers.append(subprocess.Popen(plain_command, preexec_fn=pin, cwd=Path(__file__).resolve().parent.parent))
        env = {
            **os.environ,
            "INCIDENTS_DATABASE_URL": url,
            "INCIDENTS_LOG_LEVEL": "WARNING",
            "INCIDENTS_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",  # the local receiver
        }
        server = subprocess.Popen(serve_command(port, http_port), env=env, preexec_fn=pin)
        servers.append(server)
        plain_address, address = f"127.0.0.1:{plain_port}", f"127.0.0.1:{port}"
        wait_ready(plain_address)
        wait_ready(address)
        memory = MemoryWatch(server.pid)
        memory.start()
        connections = 1 if PROCESSES == 1 else 2 * PROCESSES
        results = {}
        rounds = CopiedRounds(
            database, team.id, env, pin, connections, memory, f"http://127.0.0.1:{receiver_port}/hook"
        )
        for scenario in SCENARIOS:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode} before {scenario}")
            if scenario in COPIED:
                if scenario == copied[0]:
                    results.update(rounds.run(copied, key, fixtures_path))
                continue
            addresses = [plain_address] if scenario == "plain" else [address] * connections
            serving = servers[0] if scenario == "plain" else server
            if scenario == "delivery":
                # The backlog the last ingest_rules round left, on its server.
                serving, delivery_url = rounds.last()
            cpu_before = cpu_seconds(serving.pid)
            if scenario == "delivery":
                results[scenario] = row = delivery_rate(delivery_url)
            elif scenario in HTTP_SCENARIOS:
                results[scenario] = row = run_http(scenario, f"http://127.0.0.1:{http_port}", key, ids)
            else:
                results[scenario] = row = run_driver(scenario, addresses, key, fixtures_path)
            # The server's own CPU per call (warm-up calls included): what each call costs it, whatever
            # else runs on the machine.
            row["server_cpu_ms"] = (cpu_seconds(serving.pid) - cpu_before) * 1000 / max(1, row["calls"])
            print_row(scenario, row)
        rounds.close()
        plain_inserts = 0.0
        if "ingest" in results:
            # Plain inserts start where the ingest rounds did: a fresh copy of the loaded database.
            plain_inserts = plain_insert_rate(rounds.fresh_copy(), team.id, SECONDS)
            rounds.close()
        memory.stop()
        print_report(results, plain_inserts, memory)
        receiver.send_signal(signal.SIGTERM)
        received = int((receiver.communicate(timeout=30)[0] or b"0").strip() or 0)
        print(f"\nthe local receiver got {received:,} notification requests")
        fixtures_path.unlink()
        return 0
    finally:
        for process in servers:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
        if "receiver" in locals() and receiver.poll() is None:
            receiver.kill()
        if "rounds" in locals():
            rounds.close()
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.execute(f'DROP DATABASE IF EXISTS "{database}_loaded" WITH (FORCE)')


def print_row(scenario: str, row: dict[str, Any]) -> None:
    print(
        f"  {scenario:<12} {row['calls_per_s']:9.1f} calls/s  p50 {row['p50']:7.2f} ms"
        f"  server CPU {row['server_cpu_ms']:.3f} ms/call  ({row['seconds']:.1f} s)",
        flush=True,
    )


class CopiedRounds:
    """The COPIED scenarios, interleaved in BENCH_INGEST_ROUNDS rounds (ingest, ingest_rules, ingest, ...),
    each round on a fresh copy of the loaded database with a server of its own (the module's docstring).
    Copying forces a checkpoint, so every round also starts at the same point of PostgreSQL's checkpoint
    cycle: ingestion writes WAL fast enough for a checkpoint every 20 s, and where a short run fell in that
    cycle moved its rate by a fifth."""

    def __init__(
        self,
        database: str,
        team_id: str,
        env: dict[str, str],
        pin: Any,
        connections: int,
        memory: MemoryWatch,
        receiver_url: str,
    ) -> None:
        self._database = database
        self._team_id = team_id
        self._env = env
        self._pin = pin
        self._connections = connections
        self._memory = memory
        self._receiver_url = receiver_url
        self._server: subprocess.Popen[bytes] | None = None
        self._copy = ""
        self._copies = 0

    def url_of(self, database: str) -> str:
        return f"{ADMIN_URL.rpartition('/')[0]}/{database}"

    def run(self, scenarios: list[str], key: str, fixtures_path: Path) -> dict[str, dict[str, Any]]:
        per_round: dict[str, list[dict[str, Any]]] = {scenario: [] for scenario in scenarios}
        for number in range(INGEST_ROUNDS):
            for scenario in scenarios:
                address = self._start(scenario)
                assert self._server is not None
                cpu_before = cpu_seconds(self._server.pid)
                row = run_driver(scenario, [address] * self._connections, key, fixtures_path, INGEST_SECONDS)
                row["server_cpu_ms"] = (cpu_seconds(self._server.pid) - cpu_before) * 1000 / max(1, row["calls"])
                print_row(f"{scenario} {number + 1}", row)
                per_round[scenario].append(row)
        return {scenario: merged(rows) for scenario, rows in per_round.items()}

    def last(self) -> tuple[subprocess.Popen[bytes], str]:
        """The last round's server and database (delivery measures the backlog ingest_rules left)."""
        if self._server is None or not self._copy.endswith("ingest_rules"):
            raise SystemExit("BENCH_SCENARIOS: delivery measures the backlog of ingest_rules: list it first")
        return self._server, self.url_of(self._copy)

    def fresh_copy(self, scenario: str = "plain") -> str:
        """A fresh copy of the loaded database (the previous one, and its server, gone); its URL."""
        self._stop()
        self._copies += 1
        self._copy = f"{self._database}_{self._copies}_{scenario}"
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{self._copy}" TEMPLATE "{self._database}_loaded" STRATEGY FILE_COPY')
        return self.url_of(self._copy)

    def _start(self, scenario: str) -> str:
        url = self.fresh_copy(scenario)
        if scenario == "ingest_rules":
            add_rules(url, self._team_id, self._receiver_url)
        port, http_port = free_port(), free_port()
        env = {**self._env, "INCIDENTS_DATABASE_URL": url}
        self._server = subprocess.Popen(serve_command(port, http_port), env=env, preexec_fn=self._pin)
        wait_ready(f"127.0.0.1:{port}")
        self._memory.watch(self._server.pid)
        return f"127.0.0.1:{port}"

    def _stop(self) -> None:
        if self._server is not None:
            stop_server(self._server)
            self._server = None
        if self._copy:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{self._copy}" WITH (FORCE)')
            self._copy = ""

    def close(self) -> None:
        if self._server is not None and self._server.poll() is None:
            self._server.kill()
        self._stop()


def merged(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One scenario's rounds as one row: rates over the summed time, the median round's p50, the worst p99."""
    seconds = sum(row["seconds"] for row in rows)
    calls = sum(row["calls"] for row in rows)
    items = sum(row["items_per_s"] * row["seconds"] for row in rows)
    return {
        "calls": calls,
        "calls_per_s": calls / seconds,
        "items_per_s": items / seconds,
        "p50": statistics.median(row["p50"] for row in rows),
        "p99": max(row["p99"] for row in rows),
        "seconds": seconds,
        "server_cpu_ms": sum(row["server_cpu_ms"] * row["calls"] for row in rows) / max(1, calls),
        "rounds": [round(row["items_per_s"]) for row in rows],
    }


def print_report(results: dict[str, dict[str, Any]], plain_events_per_s: float, memory: MemoryWatch) -> None:
    ceiling = results["plain"]["calls_per_s"] if "plain" in results else None
    print(
        f"\n{PROCESSES} server process(es), {IN_FLIGHT} calls in flight, {SECONDS:g} s per scenario, "
        f"{os.cpu_count()} CPUs"
    )
    print("| scenario | calls/s | p50 ms | p99 ms | server CPU ms/call | ratio | target | |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for scenario, row in results.items():
        ratio = row["calls_per_s"] / ceiling if ceiling else float("nan")
        target = TARGETS.get(scenario)
        verdict = ("met" if ratio >= target else "missed") if target is not None else ""
        print(
            f"| {NAMES[scenario]} | {row['calls_per_s']:.1f} | {row['p50']:.2f} | {row['p99']:.2f} | "
            f"{row['server_cpu_ms']:.3f} | {ratio:.2f} | {f'>= {target}' if target is not None else ''} | {verdict} |"
        )
    if "ingest" in results and "ingest_rules" in results:
        with_rules = results["ingest_rules"]["items_per_s"]
        ratio = with_rules / results["ingest"]["items_per_s"]
        for scenario in COPIED:
            print(f"| {NAMES[scenario]}, events/s by round | {', '.join(map(str, results[scenario]['rounds']))} |")
        verdict = "met" if ratio >= RULES_TARGET else "missed"
        print(
            f"| ReportAlertEvents with {NOTIFY_RULES} matching rules, events/s (ratio to without rules) | "
            f"{with_rules:,.0f} | | | | {ratio:.2f} | >= {RULES_TARGET} | {verdict} |"
        )
    if "ingest" in results:
        events = results["ingest"]["items_per_s"]
        ratio = events / plain_events_per_s
        verdict = "met" if ratio >= INGEST_TARGET else "missed"
        print(
            f"| ReportAlertEvents, events/s (ratio to plain psycopg inserts, {plain_events_per_s:,.0f}/s) | "
            f"{events:,.0f} | | | | {ratio:.2f} | >= {INGEST_TARGET} | {verdict} |"
        )
    per_process = max(memory.peak_by_process.values(), default=0.0)
    verdict = "met" if memory.peak_total_mb < RSS_TARGET_MB else "missed"
    print(
        f"| Server peak RSS, the {PROCESSES} process(es) of a server together, MB "
        f"(largest single process {per_process:.0f} MB) | {memory.peak_total_mb:.0f} | | | | | "
        f"< {RSS_TARGET_MB} | {verdict} |"
    )
    if results.get("acknowledge", {}).get("retriggered"):
        print(f"\nacknowledge re-triggered {results['acknowledge']['retriggered']:,} incidents to keep running")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--drive")
    parser.add_argument("--address")
    parser.add_argument("--key")
    parser.add_argument("--fixtures")
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--plain-server", type=int)
    args = parser.parse_args()
    if args.plain_server:
        serve_plain_health(args.plain_server)
        sys.exit(0)
    if args.drive:
        fixtures = json.loads(Path(args.fixtures).read_text())
        result = asyncio.run(drive(args.drive, args.address.split(","), args.key, args.seconds, fixtures))
        print(json.dumps(result))
        sys.exit(0)
    sys.exit(main())
