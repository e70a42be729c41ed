"""HTTP load scenarios (SPEC 12): Connect GetIncident and PagerDuty enqueue, for the throughput bench.

`http_load(base_url, api_key, incident_ids, ...)` drives an already running server's HTTP port with a
fixed number of requests in flight (each on its own keep-alive HTTP/1.1 connection) for a fixed time per
scenario, and answers one row per scenario: calls/s, p50 and p99 latency in ms, and the count of answers
that were not the expected status. The caller runs it in a process other than the server's.

Scenarios:
- `connect_get`: `POST /com.coralogixapis.incidents.v1.IncidentsService/GetIncident` (JSON), random ids.
- `pagerduty_enqueue`: `POST /v2/enqueue` triggers spread over 1,000 dedup keys (most update an incident,
  the first of each key opens one).

`python -m bench.http_load` runs it standalone: a scratch database (SQLite, or PostgreSQL when
INCIDENTS_BENCH_POSTGRES_URL is set) with BENCH_HTTP_INCIDENTS incidents (default 2,000), a `serve`
process, BENCH_SECONDS per scenario (default 8). Every loop is bounded in time; traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import h11

from bench.scale import free_port

SCENARIOS = ("connect_get", "pagerduty_enqueue")
GET_INCIDENT = "/com.coralogixapis.incidents.v1.IncidentsService/GetIncident"
ENQUEUE = "/v2/enqueue"


@dataclass(frozen=True)
class HttpLoadRow:
    scenario: str
    calls: int
    calls_per_s: float
    p50_ms: float
    p99_ms: float
    failed: int  # answers other than the scenario's success status, and broken connections


def http_load(
    base_url: str,
    api_key: str,
    incident_ids: Sequence[str],
    seconds: float = 8.0,
    in_flight: int = 16,
    scenarios: Sequence[str] = SCENARIOS,
) -> list[HttpLoadRow]:
    """Drive each scenario for `seconds` with `in_flight` concurrent requests; one row per scenario."""
    ids = list(incident_ids)
    return [asyncio.run(_drive(scenario, base_url, api_key, ids, seconds, in_flight)) for scenario in scenarios]


def _request(scenario: str, api_key: str, incident_ids: list[str], rng: random.Random) -> tuple[str, bytes, int]:
    if scenario == "connect_get":
        return GET_INCIDENT, json.dumps({"id": rng.choice(incident_ids)}).encode(), 200
    if scenario == "pagerduty_enqueue":
        key = f"bench-pd-{rng.randrange(1000)}"
        event = {
            "routing_key": api_key,
            "event_action": "trigger",
            "dedup_key": key,
            "payload": {"summary": f"{key} is failing", "severity": "error", "source": "bench"},
        }
        return ENQUEUE, json.dumps(event).encode(), 202
    raise ValueError(f"unknown scenario {scenario!r}; choose from {SCENARIOS}")


async def _drive(
    scenario: str, base_url: str, api_key: str, incident_ids: list[str], seconds: float, in_flight: int
) -> HttpLoadRow:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    latencies: list[float] = []
    failed = 0
    started = time.perf_counter()
    ends = started + seconds

    async def worker(seed: int) -> None:
        nonlocal failed
        rng = random.Random(seed)
        reader, writer = await asyncio.open_connection(host, port)
        connection = h11.Connection(our_role=h11.CLIENT)
        try:
            while time.perf_counter() < ends:
                path, body, expected = _request(scenario, api_key, incident_ids, rng)
                headers = [
                    ("Host", f"{host}:{port}"),
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                    ("Authorization", f"Bearer {api_key}"),
                ]
                sent = time.perf_counter()
                writer.write(connection.send(h11.Request(method="POST", target=path, headers=headers)))
                writer.write(connection.send(h11.Data(data=body)))
                writer.write(connection.send(h11.EndOfMessage()))
                status = await _answer(connection, reader)
                latencies.append(time.perf_counter() - sent)
                if status != expected:
                    failed += 1
                connection.start_next_cycle()
        except (OSError, h11.ProtocolError):
            failed += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(seed) for seed in range(in_flight)))
    return _row(scenario, latencies, time.perf_counter() - started, failed)


def _row(scenario: str, latencies: list[float], elapsed: float, failed: int) -> HttpLoadRow:
    ordered = sorted(latencies) or [0.0]
    return HttpLoadRow(
        scenario=scenario,
        calls=len(latencies),
        calls_per_s=round(len(latencies) / elapsed, 1),
        p50_ms=round(statistics.median(ordered) * 1000, 2),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 2),
        failed=failed,
    )


async def _answer(connection: h11.Connection, reader: asyncio.StreamReader) -> int:
    status = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            connection.receive_data(data)
            if not data:
                raise OSError("the server closed the connection")
            continue
        if isinstance(event, h11.Response):
            status = event.status_code
        if isinstance(event, h11.EndOfMessage):
            return status


# ---- standalone run --------------------------------------------------------------------------------


def _seed(database_url: str, count: int) -> tuple[str, list[str]]:
    """A team, an all-permissions key and `count` incidents (through the domain operation)."""
    from incidents_service import auth
    from incidents_service.domain.model import AlertEvent, IncidentState, Severity
    from incidents_service.operations import IncidentOperations
    from incidents_service.storage.database import create_database_engine
    from incidents_service.storage.migrate import migrate

    engine = create_database_engine(database_url)
    migrate(engine)
    team = auth.create_team(engine, f"bench-http-{uuid.uuid4().hex[:6]}")
    issued = auth.create_api_key(engine, team.name, "bench@example.com", auth.ALL_PERMISSIONS)
    operations = IncidentOperations(engine)
    ids: list[str] = []
    now = datetime.now(UTC)
    for start in range(0, count, 500):
        events = [
            AlertEvent(
                correlation_key=f"bench/{index}",
                cx_event_key=f"bench/{index}/1",
                state=IncidentState.TRIGGERED,
                timestamp=now,
                name=f"Bench incident {index}",
                severity=Severity.ERROR,
                contextual_labels={"service": f"svc-{index % 20}"},
            )
            for index in range(start, min(count, start + 500))
        ]
        ids += [result.incident_id or "" for result in operations.report_alert_events(team.id, events)]
    engine.dispose()
    return issued.api_key, ids


def main() -> int:
    seconds = float(os.environ.get("BENCH_SECONDS", "8"))
    count = int(os.environ.get("BENCH_HTTP_INCIDENTS", "2000"))
    work = Path(tempfile.mkdtemp(prefix="bench-http-"))
    database_url = os.environ.get("INCIDENTS_BENCH_POSTGRES_URL") or f"sqlite:///{work / 'bench.db'}"
    api_key, ids = _seed(database_url, count)
    http_port, grpc_port = free_port(), free_port()
    env = {**os.environ, "INCIDENTS_DATABASE_URL": database_url, "INCIDENTS_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "incidents-service"), "serve", "--listen", f"127.0.0.1:{grpc_port}",
         "--http-listen", f"127.0.0.1:{http_port}"],
        env=env,
    )  # fmt: skip
    try:
        base_url = f"http://127.0.0.1:{http_port}"
        _wait_ready(base_url, server)
        rows = http_load(base_url, api_key, ids, seconds=seconds)
        rows.append(grpc_get_reference(f"127.0.0.1:{grpc_port}", api_key, ids, seconds))
    finally:
        server.terminate()
        server.wait(30)
    backend = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"
    print(f"HTTP load on {backend}, {count} incidents, {seconds:g} s per scenario, 16 in flight")
    print("| scenario | calls/s | p50 ms | p99 ms | failed |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.scenario} | {row.calls_per_s} | {row.p50_ms} | {row.p99_ms} | {row.failed} |")
    return 0 if all(row.failed == 0 for row in rows) else 1


def grpc_get_reference(
    address: str, api_key: str, incident_ids: Sequence[str], seconds: float, in_flight: int = 16
) -> HttpLoadRow:
    """The same GetIncident over gRPC on the same server, for scale beside `connect_get`."""
    import grpc
    from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
    from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc

    async def drive() -> HttpLoadRow:
        latencies: list[float] = []
        failed = 0
        metadata = (("authorization", f"Bearer {api_key}"),)
        async with grpc.aio.insecure_channel(address) as channel:
            stub = svc_grpc.IncidentsServiceStub(channel)
            started = time.perf_counter()
            ends = started + seconds

            async def worker(seed: int) -> None:
                nonlocal failed
                rng = random.Random(seed)
                while time.perf_counter() < ends:
                    request = svc.GetIncidentRequest()
                    request.id.value = rng.choice(list(incident_ids))
                    sent = time.perf_counter()
                    try:
                        await stub.GetIncident(request, metadata=metadata, timeout=10)
                    except grpc.RpcError:
                        failed += 1
                    latencies.append(time.perf_counter() - sent)

            await asyncio.gather(*(worker(seed) for seed in range(in_flight)))
            elapsed = time.perf_counter() - started
        return _row("grpc_get (reference)", latencies, elapsed, failed)

    return asyncio.run(drive())


def _wait_ready(base_url: str, server: subprocess.Popen[Any]) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            urllib.request.urlopen(base_url + "/", timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (404 for /)
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("the server's HTTP port did not answer")


if __name__ == "__main__":
    sys.exit(main())
