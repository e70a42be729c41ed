"""The serving core (SPEC 11): no caller can stall the service, every call is authenticated, revocation,
the server's time limit, bounded memory, owner-only files, `serve --processes N`.

The attacks speak raw HTTP/2 (the `h2` library) because no gRPC client sends half a message.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import h2.config
import h2.connection
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.wrappers_pb2 import StringValue, UInt32Value
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from sqlalchemy import text

from incidents_service import auth
from incidents_service.config import Settings
from incidents_service.storage.database import create_database_engine, with_statement_timeout
from incidents_service.storage.migrate import migrate as migrate_schema
from tests.builders import alert, get, report
from tests.conftest import BackgroundServer, RunningServer, _admin_connection
from tests.e2e.test_faults import EXECUTABLE, _env, make_team, migrate, start_server
from tests.http_calls import call
from tests.support.logs import log_events
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e


# ---- the attacker ------------------------------------------------------------------------------------


class HalfSentStreams:
    """Connections that open gRPC streams, announce a 1,000-byte message and send 1 byte, then wait."""

    def __init__(self, address: str) -> None:
        self._host, port = address.rsplit(":", 1)
        self._port = int(port)
        self._sockets: list[socket.socket] = []

    def open(self, connections: int, streams_per_connection: int, path: str, authorization: str | None = None) -> None:
        for _ in range(connections):
            sock = socket.create_connection((self._host, self._port), timeout=5)
            connection = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
            connection.initiate_connection()
            for _ in range(streams_per_connection):
                stream_id = connection.get_next_available_stream_id()
                headers = [
                    (":method", "POST"),
                    (":scheme", "http"),
                    (":path", path),
                    (":authority", f"{self._host}:{self._port}"),
                    ("content-type", "application/grpc"),
                    ("te", "trailers"),
                ]
                if authorization is not None:
                    headers.append(("authorization", authorization))
                connection.send_headers(stream_id, headers)
                connection.send_data(stream_id, b"\x00" + (1000).to_bytes(4, "big") + b"x")
            sock.sendall(connection.data_to_send())
            self._sockets.append(sock)

    def close(self) -> None:
        for sock in self._sockets:
            sock.close()


def _latencies(call: Callable[[], Any], count: int) -> list[float]:
    seen = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        seen.append(time.perf_counter() - started)
    return seen


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) > 1 else values[0]


def test_half_sent_streams_without_a_key_stall_nobody(server: RunningServer, client: Any) -> None:
    """200 half-sent streams over 20 connections (health and an authenticated method, no key): health
    and an authenticated GetIncident keep answering within 50 ms p99."""
    created = client.ingestion.ReportAlertEvents(report(alert("stall-key", "stall-event"))).results[0]
    health = health_pb2_grpc.HealthStub(server.channel)
    attack = HalfSentStreams(server.address)
    try:
        attack.open(10, 10, "/grpc.health.v1.Health/Check")
        attack.open(10, 10, "/com.coralogixapis.incidents.v1.IncidentsService/GetIncident")
        time.sleep(0.5)  # let the server take every stream in
        _latencies(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=2), 20)  # the attack is in place
        health_times = _latencies(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=2), 200)
        get_times = _latencies(lambda: client.incidents.GetIncident(get(created.incident_id), timeout=2), 200)
    finally:
        attack.close()
    print(
        f"\nSERVING half-sent: Health/Check p99 {_p99(health_times) * 1000:.1f} ms,"
        f" GetIncident {_p99(get_times) * 1000:.1f} ms"
    )
    assert _p99(health_times) < 0.050, f"Health/Check p99 {_p99(health_times) * 1000:.1f} ms"
    assert _p99(get_times) < 0.050, f"GetIncident p99 {_p99(get_times) * 1000:.1f} ms"


def _heaviest_legal_list(label_values: int = 100) -> svc.ListIncidentsRequest:
    """A ListIncidents at every cap of SPEC 11: 100 values per field, 32 label keys of 100 values, 100
    meta labels, 10 orders, a 4,096-character search, 1,000 per page."""
    values = [StringValue(value=f"value-{i}") for i in range(label_values)]
    query_filter = pb.IncidentQueryFilter(
        assignee=values,
        application_name=values,
        subsystem_name=values,
        contextual_labels={f"key-{k}": pb.ContextualLabelValues(contextual_label_values=values) for k in range(32)},
        display_labels={f"key-{k}": pb.DisplayLabelValues(display_label_values=values) for k in range(32)},
        meta_labels=[pb.MetaLabel(key=StringValue(value=f"m{i}"), value=StringValue(value="v")) for i in range(100)],
        search_query=pb.IncidentSearchQuery(query=StringValue(value="x" * 4096)),
    )
    return svc.ListIncidentsRequest(
        filter=query_filter,
        pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000)),
        order_bys=[pb.OrderBy(contextual_label=StringValue(value=f"key-{k}")) for k in range(10)],
    )


def _largest_page() -> svc.ListIncidentsRequest:
    """Every incident of the team, 1,000 a page, ordered by a label: the most Python work one call makes."""
    return svc.ListIncidentsRequest(
        pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000)),
        order_bys=[pb.OrderBy(contextual_label=StringValue(value="key-1"))],
    )


@pytest.fixture
def own_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test's own (same kind as `database_url`), so what it measures does
    not depend on what earlier tests left in the shared one."""
    if not database_url.startswith("postgresql"):
        url = f"sqlite:///{tmp_path / 'own.db'}"
        migrate(url)
        yield url
        return
    name = f"incidents_serving_{uuid.uuid4().hex[:10]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = database_url.rsplit("/", 1)[0] + "/" + name
    try:
        migrate(url)
        yield url
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def hammer_with_heavy_calls(address: str, api_key: str, seconds: float, callers: int = 50) -> None:
    """The load of the test below, run in a process of its own (`python -m tests.e2e.test_serving ...`) so
    that the measuring client shares its interpreter with nothing: `callers` threads each repeat one
    heavy call for `seconds`, taking answers as bytes; prints the status codes seen as JSON."""
    metadata = (("authorization", f"Bearer {api_key}"),)
    with grpc.insecure_channel(address) as channel:

        def raw(method: str) -> Any:
            path = f"/com.coralogixapis.incidents.v1.IncidentsService/{method}"
            return channel.unary_unary(path, request_serializer=lambda message: message.SerializeToString())

        heavy = [
            (raw("ListIncidents"), _heaviest_legal_list()),
            (raw("GetFilterValues"), svc.GetFilterValuesRequest(filter=_heaviest_legal_list().filter)),
            (raw("ListIncidents"), _largest_page()),
            (raw("GetFilterValues"), svc.GetFilterValuesRequest()),
        ]
        ends = time.monotonic() + seconds
        answered: list[str] = []

        def hammer(index: int) -> None:
            method, request = heavy[index % len(heavy)]
            while time.monotonic() < ends:
                try:
                    method(request, metadata=metadata, timeout=60)
                    answered.append("OK")
                except grpc.RpcError as error:
                    answered.append(error.code().name)

        with ThreadPoolExecutor(callers) as pool:
            list(pool.map(hammer, range(callers)))
    print(json.dumps(sorted(set(answered))), flush=True)


def test_fifty_concurrent_heaviest_legal_queries_keep_health_fast(own_database_url: str, tmp_path: Path) -> None:
    """A `serve` process under 50 concurrent calls at every cap and of the largest pages, sent by
    another process: Health/Check, on a connection of its own as a probe has, stays under 100 ms p99."""
    team = make_team(own_database_url, "heavy")
    served = start_server(own_database_url, tmp_path / "heavy.log")
    metadata = (("authorization", f"Bearer {team.api_key}"),)
    try:
        with grpc.insecure_channel(served.address) as channel:
            api_grpc.AlertIngestionServiceStub(channel).ReportAlertEvents(
                report(
                    *(alert(f"heavy-{i}", f"heavy-{i}", contextual_labels={"key-1": "value-1"}) for i in range(500))
                ),
                metadata=metadata,
                timeout=60,
            )
            health = health_pb2_grpc.HealthStub(channel)
            health.Check(health_pb2.HealthCheckRequest(), timeout=5)
            load = subprocess.Popen(
                [sys.executable, "-m", "tests.e2e.test_serving", served.address, team.api_key, "15"],
                stdout=subprocess.PIPE,
                text=True,
                cwd=Path(__file__).resolve().parents[2],
            )
            try:
                time.sleep(2.0)  # the 50 calls are in flight
                health_times = _latencies(lambda: health.Check(health_pb2.HealthCheckRequest(), timeout=5), 500)
                answered = json.loads(load.communicate(timeout=120)[0])
            finally:
                if load.poll() is None:
                    load.kill()
    finally:
        served.terminate()
    print(f"\nSERVING heavy: Health/Check p99 {_p99(health_times) * 1000:.1f} ms under 50 heavy calls")
    bound = 0.100  # SPEC 11
    assert _p99(health_times) < bound, f"Health/Check p99 {_p99(health_times) * 1000:.1f} ms under 50 heavy calls"
    assert answered == ["OK"], f"the heavy calls answered {answered}"


# ---- authentication, revocation ----------------------------------------------------------------------


def test_a_revoked_key_cannot_write_the_moment_revoke_returns(server: RunningServer, client: Any) -> None:
    client.ingestion.ReportAlertEvents(report(alert("revoke-before", "revoke-before")))  # the key is cached now
    key_id = client.api_key.split("_")[1]
    auth.revoke_api_key(server.engine, key_id)
    with pytest.raises(grpc.RpcError) as refused:
        client.ingestion.ReportAlertEvents(report(alert("revoke-after", "revoke-after")))
    assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert "revoked" in (refused.value.details() or "")
    reader = auth.create_api_key(server.engine, client.team_name, "reader@example.com", frozenset({auth.READ}))
    listed = client.incidents.ListIncidents(
        svc.ListIncidentsRequest(), metadata=(("authorization", f"Bearer {reader.api_key}"),)
    )
    assert [incident.name.value for incident in listed.incidents] == ["revoke-before"]


def test_a_revoked_key_stops_reading_within_a_second(server: RunningServer, client: Any) -> None:
    created = client.ingestion.ReportAlertEvents(report(alert("revoke-read", "revoke-read"))).results[0]
    client.incidents.GetIncident(get(created.incident_id))
    auth.revoke_api_key(server.engine, client.api_key.split("_")[1])
    revoked_at = time.monotonic()
    while True:
        try:
            client.incidents.GetIncident(get(created.incident_id))
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.UNAUTHENTICATED
            break
        assert time.monotonic() - revoked_at < 1.0, "a revoked key still reads after 1 s"
        time.sleep(0.02)


def test_a_streaming_method_without_a_key_is_unauthenticated(engine: Any, database_url: str) -> None:
    """A streaming rpc added beside the services is behind the same key check as every unary one."""
    reached: list[str] = []

    async def echo(requests: Any, _context: Any) -> Any:
        async for request in requests:
            reached.append("called")
            yield request

    handler = grpc.method_handlers_generic_handler(
        "incidents_service.v1.StreamingProbe", {"Echo": grpc.stream_stream_rpc_method_handler(echo)}
    )
    background = BackgroundServer(Settings(database_url=database_url, listen="127.0.0.1:0", workers=2), engine)
    background.server.extra_handlers = (handler,)
    port = background.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            echo_call = channel.stream_stream("/incidents_service.v1.StreamingProbe/Echo")
            with pytest.raises(grpc.RpcError) as refused:
                list(echo_call(iter([b"hello"]), timeout=5))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert reached == []
            with pytest.raises(grpc.RpcError) as refused:
                list(echo_call(iter([b"hello"]), timeout=5, metadata=(("authorization", "Bearer ik_nosuch_key"),)))
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            assert reached == []
    finally:
        background.stop()


# ---- the server's time limit ------------------------------------------------------------------------


def test_a_call_past_the_servers_time_limit_is_resource_exhausted_and_changes_nothing(
    engine: Any, database_url: str
) -> None:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", workers=2, statement_timeout_seconds=0.002)
    background = BackgroundServer(settings, engine)
    port = background.start()
    team = auth.create_team(engine, f"limit-{time.monotonic_ns()}")
    issued = auth.create_api_key(engine, team.name, "limit@example.com", auth.ALL_PERMISSIONS)
    metadata = (("authorization", f"Bearer {issued.api_key}"),)
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            ingest = api_grpc.AlertIngestionServiceStub(channel).ReportAlertEvents
            events = report(*(alert(f"limit-{i}", f"limit-{i}", description="d" * 2000) for i in range(1000)))
            with pytest.raises(grpc.RpcError) as stopped:
                ingest(events, metadata=metadata, timeout=60)
            assert stopped.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "time limit" in (stopped.value.details() or "")
    finally:
        background.stop()
    relaxed = BackgroundServer(Settings(database_url=database_url, listen="127.0.0.1:0", workers=2), engine)
    port = relaxed.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            listed = svc_grpc.IncidentsServiceStub(channel).ListIncidents(svc.ListIncidentsRequest(), metadata=metadata)
            assert listed.pagination.total_size.value == 0, "a call stopped by the limit changed something"
    finally:
        relaxed.stop()


def test_postgres_sessions_carry_the_statement_timeout_backstop(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        assert with_statement_timeout(database_url, 11) == database_url
        return
    engine = create_database_engine(with_statement_timeout(database_url, 11), pool_size=1)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SHOW statement_timeout")).scalar() == "11s"
    finally:
        engine.dispose()


# ---- files ----------------------------------------------------------------------------------------------


def test_the_sqlite_database_and_its_journal_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "owner.db"
    engine = create_database_engine(f"sqlite:///{path}")
    migrate_schema(engine)
    auth.create_team(engine, "owner-only")  # a write: the -wal and -shm files exist now
    try:
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert file.exists(), file
            assert stat.S_IMODE(file.stat().st_mode) == 0o600, f"{file.name} is {oct(file.stat().st_mode)}"
    finally:
        engine.dispose()
    loose = tmp_path / "loose.db"
    loose.touch(mode=0o644)
    os.chmod(loose, 0o644)
    create_database_engine(f"sqlite:///{loose}").dispose()
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600, "a database file made before the rule is tightened"


def test_dev_setup_writes_the_key_file_and_database_owner_only(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENTS_")}
    result = subprocess.run(
        [str(EXECUTABLE), "dev-setup"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    for name in (".incidents-dev-key", "incidents.db"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, f"{name} is {oct(mode)}"


# ---- memory, processes (real `serve` processes) ---------------------------------------------------------


def _peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


# README "Serving model": the worst case of one process.
MEMORY_BOUND_BYTES = 300 * 1024 * 1024


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    migrate(url)
    return url


def test_a_hundred_maximum_size_calls_without_a_key_stay_within_the_memory_bound(
    sqlite_url: str, tmp_path: Path
) -> None:
    served = start_server(sqlite_url, tmp_path / "serve.log")
    try:
        body = b"\x0a" + b"\xff\xff\xff\x01" + b"x" * (4 * 1024 * 1024 - 16)  # a field of ~4 MiB
        with grpc.insecure_channel(
            served.address, options=[("grpc.max_send_message_length", 8 * 1024 * 1024)]
        ) as channel:
            call = channel.unary_unary("/incidents_service.v1.IncidentManagementService/CreateIncident")
            codes: list[str] = []

            def send() -> None:
                try:
                    call(body, timeout=30)
                    codes.append("OK")
                except grpc.RpcError as error:
                    codes.append(error.code().name)

            with ThreadPoolExecutor(100) as pool:
                for _ in range(100):
                    pool.submit(send)
        assert codes == ["UNAUTHENTICATED"] * 100
        peak = _peak_rss_bytes(served.process.pid)
        print(f"\nSERVING memory: peak RSS {peak / 2**20:.0f} MiB after 100 concurrent 4 MiB calls without a key")
        assert peak < MEMORY_BOUND_BYTES, f"peak RSS {peak / 2**20:.0f} MiB"
        assert served.alive()
    finally:
        served.terminate()


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def test_serve_processes_shares_one_port_and_drains_them_all_on_sigterm(sqlite_url: str, tmp_path: Path) -> None:
    team = make_team(sqlite_url, "processes")
    address = f"127.0.0.1:{free_port()}"
    http_address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "processes.log"
    with log.open("ab") as sink:
        parent = subprocess.Popen(
            [str(EXECUTABLE), "serve", "--listen", address, "--http-listen", http_address, "--processes", "2"],
            env=_env(sqlite_url, INCIDENTS_LOG_LEVEL="INFO"),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while log_events(log.read_text()).count("serving") < 2:
            assert parent.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        children = _children(parent.pid)
        assert len(children) == 2
        metadata = (("authorization", f"Bearer {team.api_key}"),)
        # Fresh connections land on both processes (the kernel spreads them over the shared port).
        for index in range(20):
            with grpc.insecure_channel(address) as channel:
                api_grpc.AlertIngestionServiceStub(channel).ReportAlertEvents(
                    report(alert(f"proc-{index}", f"proc-{index}")), metadata=metadata, timeout=10
                )
        # Each process serves HTTP too, on the shared HTTP port (SO_REUSEPORT): every fresh connection is
        # answered, whichever process the kernel hands it to.
        for index in range(20):
            answer = call(f"http://{http_address}", "/v2/enqueue", {"routing_key": team.api_key,
                          "event_action": "trigger", "dedup_key": f"proc-http-{index}",
                          "payload": {"summary": "over HTTP", "severity": "info"}})  # fmt: skip
            assert answer.status == 202, answer.body
        parent.send_signal(signal.SIGTERM)
        assert parent.wait(timeout=30) == 0
        for child in children:
            assert not Path(f"/proc/{child}").exists() or "zombie" in Path(f"/proc/{child}/status").read_text()
        # Each child, then the parent, logs that it stopped.
        assert log_events(log.read_text()).count("stopped") == 3, log.read_text()
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()


if __name__ == "__main__":
    hammer_with_heavy_calls(sys.argv[1], sys.argv[2], float(sys.argv[3]))
