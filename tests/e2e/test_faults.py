"""Fault tests: what clients see, and what the database keeps, when things break (SPEC sections 1, 4, 7, 10).

Every test runs real `incidents-service serve` processes on PostgreSQL and real gRPC clients on 127.0.0.1:
1. Database outage: a private PostgreSQL cluster (initdb/pg_ctl as the `postgres` user) is stopped
   (`-m immediate`) under load and started again. Calls answer UNAVAILABLE within their deadline, health
   turns NOT_SERVING, the same server process recovers by itself, no acknowledged write is lost and no
   batch is half applied.
2. Crash: the server is killed with SIGKILL under load and restarted on the same database: every batch is
   all or nothing and every call that answered OK is in the event log.
3. Two replicas: concurrent first events of the same correlation keys make one incident per key; the same
   cx_event_key sent through both is recorded once.
4. Graceful shutdown: SIGTERM while slow calls are in flight: they finish OK, new calls are refused
   (UNAVAILABLE) and the process exits 0 within the grace period.

Each test prints one `FAULT <name>: ...` summary line (see it with `pytest -s`). Every loop is bounded in
count and time; traffic goes only to 127.0.0.1.
"""

from __future__ import annotations

import glob
import os
import pwd
import random
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from incidents_service import auth
from incidents_service.storage.database import create_database_engine
from tests.builders import alert, report, sv, svs
from tests.support.logs import log_events
from tests.support.ports import free_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e]

EXECUTABLE = Path(sys.executable).parent / "incidents-service"
IN_CI = os.environ.get("CI", "").lower() == "true"
PRINCIPAL = "faults@example.com"
DEADLINE = 5.0  # every call's deadline: a call that cannot be served must answer UNAVAILABLE before it
# Clients reconnect quickly after a server restart (gRPC's default first backoff is 1 s, growing to 120 s).
CHANNEL_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING
OUTCOME = api.AlertEventResult.Outcome
EXPECTED_FAILURE = "UNAVAILABLE"


def _plain_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


# ---- server processes ----------------------------------------------------------------------------


def _env(database_url: str, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("INCIDENTS_")}
    env.update(INCIDENTS_DATABASE_URL=database_url, INCIDENTS_LOG_LEVEL="WARNING", INCIDENTS_WORKERS="8")
    env.update(extra)
    return env


def migrate(database_url: str) -> None:
    result = subprocess.run(
        [str(EXECUTABLE), "migrate"], env=_env(database_url), capture_output=True, text=True, timeout=90, check=False
    )
    assert result.returncode == 0, f"migrate failed: {result.stderr}"


@dataclass
class Team:
    id: str
    name: str
    api_key: str


def make_team(database_url: str, label: str) -> Team:
    engine = create_database_engine(database_url, pool_size=1)
    try:
        team = auth.create_team(engine, f"{label}-{uuid.uuid4().hex[:10]}")
        issued = auth.create_api_key(engine, team.name, PRINCIPAL, auth.ALL_PERMISSIONS)
    finally:
        engine.dispose()
    return Team(team.id, team.name, issued.api_key)


def health_status(channel: grpc.Channel, timeout: float = 1.0) -> str:
    """SERVING / NOT_SERVING, or the status code name of a failed Check."""
    try:
        answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=timeout)
    except grpc.RpcError as exc:
        return str(exc.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status))


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    address: str
    log: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_health(self, want: str, timeout: float) -> float:
        """Seconds until health Check answers `want`; fails the test past `timeout`."""
        started = time.monotonic()
        seen = ""
        with grpc.insecure_channel(self.address, options=CHANNEL_OPTIONS) as channel:
            while time.monotonic() - started < timeout:
                assert self.alive(), f"server {self.address} exited {self.process.returncode}:\n{self.log_tail()}"
                seen = health_status(channel)
                if seen == want:
                    return time.monotonic() - started
                time.sleep(0.1)
        pytest.fail(f"server {self.address}: health is {seen}, not {want}, after {timeout} s:\n{self.log_tail()}")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM and wait: the exit code."""
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                pytest.fail(f"server {self.address} did not exit within {timeout} s of SIGTERM:\n{self.log_tail()}")
        return self.process.returncode

    def kill(self) -> None:
        if self.alive():
            self.process.kill()  # SIGKILL
        self.process.wait(timeout=10)


def start_server(
    database_url: str, log: Path, address: str | None = None, args: tuple[str, ...] = (), **env: str
) -> ServerProcess:
    """`serve` on `address` without HTTP (unless `args` say otherwise), once its health says SERVING."""
    address = address or f"127.0.0.1:{free_port()}"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [str(EXECUTABLE), "serve", "--listen", address, "--http-listen", "", *args],
            env=_env(database_url, **env),
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    server = ServerProcess(process, address, log)
    try:
        server.wait_health("SERVING", timeout=30)
    except BaseException:
        server.kill()
        raise
    return server


# ---- clients and what they saw -------------------------------------------------------------------


class Api:
    """One client connection with one key; every call has the DEADLINE unless told otherwise."""

    def __init__(self, address: str, api_key: str) -> None:
        self.channel = grpc.insecure_channel(address, options=CHANNEL_OPTIONS)
        self._incidents = svc_grpc.IncidentsServiceStub(self.channel)
        self._ingestion = api_grpc.AlertIngestionServiceStub(self.channel)
        self.metadata = (("authorization", f"Bearer {api_key}"),)

    def stub_for(self, rpc: str) -> Any:
        return self._ingestion if rpc == "ReportAlertEvents" else self._incidents

    def call(self, rpc: str, request: Any, timeout: float = DEADLINE) -> Any:
        return getattr(self.stub_for(rpc), rpc)(request, metadata=self.metadata, timeout=timeout)

    def future(self, rpc: str, request: Any, timeout: float) -> Any:
        return getattr(self.stub_for(rpc), rpc).future(request, metadata=self.metadata, timeout=timeout)

    def close(self) -> None:
        self.channel.close()


class Clock:
    """The test's current phase, read by client threads when a call starts and when it ends."""

    def __init__(self) -> None:
        self.phase = "before"


@dataclass
class Attempt:
    """One call: what it asked to write, what it answered, in which phase it started and ended."""

    op: str  # ingest, acknowledge, close
    keys: list[str]  # ingest: the events' cx_event_keys; actions: the incident ids
    correlation_keys: list[str] = field(default_factory=list)  # ingest only
    phase: str = ""
    end_phase: str = ""
    code: str = ""
    details: str = ""
    seconds: float = 0.0
    results: list[tuple[str, int]] = field(default_factory=list)  # OK: (incident id, outcome or status)


@dataclass
class Ledger:
    attempts: list[Attempt] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, attempt: Attempt) -> None:
        with self.lock:
            self.attempts.append(attempt)

    def problem(self, text: str) -> None:
        with self.lock:
            self.problems.append(text)

    def codes(self, op: str | None = None, phases: Sequence[str] | None = None) -> Counter[str]:
        return Counter(
            a.code
            for a in list(self.attempts)
            if (op is None or a.op == op) and (phases is None or (a.phase in phases and a.end_phase in phases))
        )


ACTION_RPCS = {"acknowledge": "AcknowledgeIncidents", "close": "CloseIncidents"}
ACTION_REQUESTS: dict[str, Callable[..., Any]] = {
    "acknowledge": svc.AcknowledgeIncidentsRequest,
    "close": svc.CloseIncidentsRequest,
}
ACTION_STATUS = {"acknowledge": pb.INCIDENT_STATUS_ACKNOWLEDGED, "close": pb.INCIDENT_STATUS_RESOLVED}
ACTION_EVENT = {"acknowledge": "ACKNOWLEDGE", "close": "CLOSE"}


def _attempt(api_client: Api, ledger: Ledger, clock: Clock, attempt: Attempt, rpc: str, request: Any) -> None:
    attempt.phase = clock.phase
    started = time.monotonic()
    answer = None
    try:
        answer = api_client.call(rpc, request)
        attempt.code = "OK"
    except grpc.RpcError as exc:
        attempt.code = exc.code().name
        attempt.details = str(exc.details())
    attempt.seconds = time.monotonic() - started
    attempt.end_phase = clock.phase
    if answer is not None:
        if attempt.op == "ingest":
            attempt.results = [(result.incident_id, result.outcome) for result in answer.results]
        else:
            attempt.results = [(incident.id.value, incident.status) for incident in answer.incidents]
    ledger.add(attempt)


def ingest_step(
    api_client: Api, ledger: Ledger, clock: Clock, prefix: str, pool_keys: Sequence[str]
) -> Callable[[], bool]:
    """Batches of 4 TRIGGERED events: two open new incidents, two update incidents of the pool."""
    rng = random.Random(prefix)
    counter = iter(range(1_000_000))

    def step() -> bool:
        n = next(counter)
        attempt = Attempt("ingest", [])
        events = []
        for j in range(4):
            correlation_key = f"{prefix}-new-{n}-{j}" if j % 2 == 0 or not pool_keys else rng.choice(pool_keys)
            cx_event_key = f"{prefix}-cx-{n}-{j}"
            attempt.keys.append(cx_event_key)
            attempt.correlation_keys.append(correlation_key)
            events.append(alert(correlation_key, cx_event_key, name=f"fault {n}", description="d" * 300))
        _attempt(api_client, ledger, clock, attempt, "ReportAlertEvents", report(*events))
        return True

    return step


def action_step(
    api_client: Api, ledger: Ledger, clock: Clock, op: str, batches: deque[list[str]]
) -> Callable[[], bool]:
    """Acknowledge or close the next batch of a shared queue: every incident is asked by one call, and again
    only if that call failed."""

    def step() -> bool:
        try:
            batch = batches.popleft()
        except IndexError:
            return False
        request = ACTION_REQUESTS[op](incident_ids=svs(batch))
        attempt = Attempt(op, batch)
        _attempt(api_client, ledger, clock, attempt, ACTION_RPCS[op], request)
        if attempt.code != "OK":
            # A refused batch is asked again later, as a client would: the retry must be an idempotent
            # no-op for whatever the failed call may have applied (at most one event per incident).
            batches.append(batch)
        return True

    return step


class Load:
    """Client threads, each repeating its step (paced) until stopped, out of work, or out of its bounds."""

    def __init__(self, ledger: Ledger, pause: float = 0.04, max_calls: int = 500, max_seconds: float = 60) -> None:
        self._ledger = ledger
        self._pause = pause
        self._max_calls = max_calls
        self._max_seconds = max_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def add(self, name: str, step: Callable[[], bool]) -> None:
        self._threads.append(threading.Thread(target=self._run, args=(name, step), name=name, daemon=True))

    def _run(self, name: str, step: Callable[[], bool]) -> None:
        started = time.monotonic()
        try:
            for _ in range(self._max_calls):
                if self._stop.is_set() or time.monotonic() - started > self._max_seconds or not step():
                    return
                self._stop.wait(self._pause)
        except Exception as exc:  # a client bug must fail the test, not vanish with its thread
            self._ledger.problem(f"client {name} crashed: {exc!r}")

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=DEADLINE + 10)
        assert not any(thread.is_alive() for thread in self._threads), "a client thread did not stop"


def _partition(ids: Sequence[str], rng: random.Random, largest: int) -> deque[list[str]]:
    shuffled = rng.sample(list(ids), len(ids))
    batches: deque[list[str]] = deque()
    while shuffled:
        size = rng.randint(1, largest)
        batches.append(shuffled[:size])
        shuffled = shuffled[size:]
    return batches


def seed_incidents(api_client: Api, prefix: str, count: int, **fields: Any) -> tuple[list[str], list[str]]:
    """Open `count` incidents in calls of at most 1000 events: their ids and correlation keys."""
    ids: list[str] = []
    keys = [f"{prefix}-pool-{i}" for i in range(count)]
    for start in range(0, count, 1000):
        chunk = keys[start : start + 1000]
        events = [alert(key, f"{key}-first", **fields) for key in chunk]
        answer = api_client.call("ReportAlertEvents", report(*events), timeout=60)
        assert [r.outcome for r in answer.results] == [OUTCOME.CREATED] * len(chunk)
        ids.extend(r.incident_id for r in answer.results)
    return ids, keys


# ---- the event log, read straight from the database ----------------------------------------------


@dataclass
class EventLog:
    incidents: dict[str, str | None]  # id -> correlation key
    by_cx_key: dict[str, list[tuple[str, str]]]  # cx_event_key -> [(incident id, event type)]
    kinds: dict[str, Counter[str]]  # incident id -> event types
    actors: dict[tuple[str, str], list[str]]  # (incident id, event type) -> originator names


def read_event_log(database_url: str, team_id: str) -> EventLog:
    with psycopg.connect(_plain_url(database_url), connect_timeout=5) as connection:
        incidents = dict(
            connection.execute("SELECT id, correlation_key FROM incidents WHERE team_id = %s", (team_id,)).fetchall()
        )
        rows = connection.execute(
            "SELECT incident_id, event_type, cx_event_key, originator_name FROM incident_events"
            " WHERE team_id = %s ORDER BY seq",
            (team_id,),
        ).fetchall()
    log = EventLog(incidents, {}, {}, {})
    for incident_id, event_type, cx_event_key, originator in rows:
        if cx_event_key is not None:
            log.by_cx_key.setdefault(cx_event_key, []).append((incident_id, event_type))
        log.kinds.setdefault(incident_id, Counter())[event_type] += 1
        log.actors.setdefault((incident_id, event_type), []).append(originator)
    return log


@dataclass
class Verdict:
    lost: list[str] = field(default_factory=list)  # an OK call whose write is not (all) in the log
    half_applied: list[str] = field(default_factory=list)  # a batch partly in the log
    problems: list[str] = field(default_factory=list)


def check_against_log(ledger: Ledger, log: EventLog, pools: dict[str, Sequence[str]]) -> Verdict:
    """Every OK write is in the log; every batch (OK or not) is in it whole or not at all."""
    verdict = Verdict()
    for a in ledger.attempts:
        if a.op == "ingest":
            present = [key for key in a.keys if key in log.by_cx_key]
            if 0 < len(present) < len(a.keys):
                verdict.half_applied.append(f"ingest {a.code}: {len(present)} of {a.keys} recorded")
            if a.code != "OK":
                continue
            if len(a.results) != len(a.keys):
                verdict.problems.append(f"ingest answered {len(a.results)} results for {len(a.keys)} events")
            for cx_key, correlation_key, (incident_id, outcome) in zip(
                a.keys, a.correlation_keys, a.results, strict=False
            ):
                if outcome not in (OUTCOME.CREATED, OUTCOME.UPDATED):
                    verdict.problems.append(f"{cx_key}: outcome {OUTCOME.Name(outcome)}")
                recorded = log.by_cx_key.get(cx_key)
                if recorded != [(incident_id, "UPSERT_STATE")]:
                    verdict.lost.append(f"{cx_key} answered OK on {incident_id}; the log has {recorded}")
                elif log.incidents.get(incident_id, "<missing>") != correlation_key:
                    verdict.lost.append(f"{cx_key}: incident {incident_id} missing or not of {correlation_key}")
                elif outcome == OUTCOME.CREATED and log.kinds[incident_id]["OPEN"] != 1:
                    verdict.lost.append(f"{cx_key}: created incident {incident_id} has no OPEN event")
        else:
            kind = ACTION_EVENT[a.op]
            done = [i for i in a.keys if log.kinds.get(i, Counter())[kind] > 0]
            if 0 < len(done) < len(a.keys):
                verdict.half_applied.append(f"{a.op} {a.code}: {len(done)} of {len(a.keys)} incidents {a.keys}")
            if a.code != "OK":
                continue
            if len(done) != len(a.keys):
                verdict.lost.append(f"{a.op} OK of {a.keys}; the log has {kind} for only {done}")
            if a.results != [(i, ACTION_STATUS[a.op]) for i in a.keys]:
                verdict.problems.append(f"{a.op} answered {a.results} for {a.keys}")
            for incident_id in a.keys:
                actors = log.actors.get((incident_id, kind), [])
                if actors and actors != [PRINCIPAL]:
                    verdict.problems.append(f"{incident_id}: {kind} by {actors}")
    for op, ids in pools.items():
        kind = ACTION_EVENT[op]
        verdict.problems.extend(
            f"{i}: {log.kinds.get(i, Counter())[kind]} {kind} events"
            for i in ids
            if log.kinds.get(i, Counter())[kind] > 1
        )
    return verdict


def _summary(name: str, ledger: Ledger, verdict: Verdict, **extra: Any) -> str:
    codes = ledger.codes()
    other = sum(n for code, n in codes.items() if code not in ("OK", EXPECTED_FAILURE))
    fields = {
        "calls": sum(codes.values()),
        "ok": codes["OK"],
        "unavailable": codes[EXPECTED_FAILURE],
        "other": other,
        "lost": len(verdict.lost),
        "half_applied": len(verdict.half_applied),
        **extra,
    }
    return f"FAULT {name}: " + ", ".join(f"{key}={value}" for key, value in fields.items())


def _assert_clean(ledger: Ledger, verdict: Verdict) -> None:
    unexpected = [
        f"{a.op} {a.code} in {a.phase}->{a.end_phase} after {a.seconds:.2f}s: {a.details}"
        for a in ledger.attempts
        if a.code not in ("OK", EXPECTED_FAILURE)
    ]
    slow = [f"{a.op} {a.code} took {a.seconds:.2f}s" for a in ledger.attempts if a.seconds > DEADLINE + 0.5]
    assert ledger.problems == [], ledger.problems[:10]
    assert unexpected == [], unexpected[:10]
    assert slow == [], slow[:10]
    assert verdict.lost == [], verdict.lost[:10]
    assert verdict.half_applied == [], verdict.half_applied[:10]
    assert verdict.problems == [], verdict.problems[:10]


# ---- 1. database outage: a private PostgreSQL cluster -------------------------------------------


def _postgres_bindir() -> Path | None:
    def version(path: str) -> tuple[int, ...]:
        name = Path(path).parent.name
        return tuple(int(part) for part in name.split(".") if part.isdigit())

    found = [path for path in glob.glob("/usr/lib/postgresql/*/bin") if Path(path, "pg_ctl").exists()]
    found = [path for path in found if Path(path, "initdb").exists()]
    return Path(max(found, key=version)) if found else None


class PrivateCluster:
    """A throwaway PostgreSQL cluster in a temporary folder, run as the `postgres` OS user when root."""

    def __init__(self, bindir: Path, root: Path, port: int, as_postgres: bool) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = port
        self.as_postgres = as_postgres

    def _run(self, program: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        command = [str(self.bindir / program), *args]
        if self.as_postgres:
            if shutil.which("runuser"):
                command = ["runuser", "-u", "postgres", "--", *command]
            else:
                command = ["su", "postgres", "-c", shlex.join(command)]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)

    def _must(self, program: str, *args: str) -> None:
        result = self._run(program, *args)
        assert result.returncode == 0, f"{program} {args} failed:\n{result.stdout}\n{result.stderr}\n{self.log_tail()}"

    def log_tail(self) -> str:
        log = self.root / "log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def initdb(self) -> None:
        self._must("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._must(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "30", "start"
        )

    def stop(self) -> None:
        self._must("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop")

    def running(self) -> bool:
        return self.data.exists() and self._run("pg_ctl", "-D", str(self.data), "status").returncode == 0

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, database: str) -> str:
        with psycopg.connect(self.url("postgres"), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)


@pytest.fixture
def private_postgres() -> Iterator[PrivateCluster]:
    bindir = _postgres_bindir()
    if bindir is None:
        if IN_CI:
            pytest.fail("the database-outage test needs PostgreSQL's initdb and pg_ctl in /usr/lib/postgresql/*/bin")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin")
    as_postgres = os.geteuid() == 0  # PostgreSQL refuses to run as root
    root = Path(tempfile.mkdtemp(prefix="incidents-faults-pg-"))
    if as_postgres:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(root, ignore_errors=True)
            if IN_CI:
                pytest.fail("running as root, the database-outage test needs a `postgres` OS user")
            pytest.skip("running as root and there is no `postgres` OS user to run a private cluster")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PrivateCluster(bindir, root, free_port(), as_postgres)
    try:
        cluster.initdb()
        cluster.start()
        yield cluster
    finally:
        if cluster.running():
            cluster._run("pg_ctl", "-D", str(cluster.data), "-m", "immediate", "-w", "-t", "30", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_database_outage_answers_unavailable_and_recovers_without_losing_writes(private_postgres, tmp_path):
    cluster = private_postgres
    url = cluster.create_database("incidents")
    migrate(url)
    team = make_team(url, "outage")
    server = start_server(url, tmp_path / "server.log")
    ledger, clock = Ledger(), Clock()
    clients: list[Api] = []
    timings: dict[str, float] = {}
    try:
        seeder = Api(server.address, team.api_key)
        clients.append(seeder)
        pool_ids, pool_keys = seed_incidents(seeder, "outage", 600)
        ack_batches = _partition(pool_ids, random.Random(1), largest=4)
        load = Load(ledger)
        for index in range(2):
            ingest_client = Api(server.address, team.api_key)
            ack_client = Api(server.address, team.api_key)
            clients += [ingest_client, ack_client]
            load.add(f"ingest-{index}", ingest_step(ingest_client, ledger, clock, f"outage-{index}", pool_keys))
            load.add(f"ack-{index}", action_step(ack_client, ledger, clock, "acknowledge", ack_batches))
        load.start()
        try:
            time.sleep(1.5)
            assert ledger.codes(phases=["before"])["OK"] > 0, "no call succeeded before the outage"

            clock.phase = "outage"
            cluster.stop()
            timings["not_serving_after_s"] = server.wait_health("NOT_SERVING", timeout=8)
            time.sleep(max(0.0, 2.0 - timings["not_serving_after_s"]))  # calls keep coming during the outage

            clock.phase = "recovering"
            cluster.start()
            timings["serving_again_after_s"] = server.wait_health("SERVING", timeout=15)
            clock.phase = "after"
            time.sleep(1.5)
        finally:
            load.stop()
        assert server.alive(), "the server process must survive the outage"
        # The same process answers again: a fresh call succeeds.
        seeder.call("GetIncident", svc.GetIncidentRequest(id=sv(pool_ids[0])))
    finally:
        for client in clients:
            client.close()
        exit_code = server.terminate()
    assert exit_code == 0, server.log_tail()

    verdict = check_against_log(ledger, read_event_log(url, team.id), {"acknowledge": pool_ids})
    print(
        "\n"
        + _summary(
            "database-outage",
            ledger,
            verdict,
            **{key: round(value, 2) for key, value in timings.items()},
        )
    )
    _assert_clean(ledger, verdict)
    assert set(ledger.codes(phases=["before"])) == {"OK"}, ledger.codes(phases=["before"])
    assert set(ledger.codes(phases=["after"])) == {"OK"}, ledger.codes(phases=["after"])
    for op in ("ingest", "acknowledge"):
        assert ledger.codes(op, ["outage"])[EXPECTED_FAILURE] > 0, f"no {op} call met the outage"
        assert ledger.codes(op, ["after"])["OK"] > 0, f"no {op} call succeeded after the outage"
    assert timings["not_serving_after_s"] < 6


# ---- 2. crash: SIGKILL under load, restart on the same database ---------------------------------


def test_kill_9_under_load_keeps_every_batch_all_or_nothing(postgres_database_url, tmp_path):
    url = postgres_database_url
    migrate(url)
    team = make_team(url, "crash")
    address = f"127.0.0.1:{free_port()}"
    server = start_server(url, tmp_path / "server-1.log", address)
    restarted: ServerProcess | None = None
    ledger, clock = Ledger(), Clock()
    clients: list[Api] = []
    timings: dict[str, float] = {}
    try:
        seeder = Api(address, team.api_key)
        clients.append(seeder)
        ids, keys = seed_incidents(seeder, f"crash-{uuid.uuid4().hex[:6]}", 1000)
        ack_ids, ack_keys, close_ids = ids[:500], keys[:500], ids[500:]
        rng = random.Random(2)
        ack_batches = _partition(ack_ids, rng, largest=6)
        close_batches = _partition(close_ids, rng, largest=6)
        load = Load(ledger, pause=0.03)
        for index in range(2):
            for name, make in (
                (
                    "ingest",
                    lambda c, i=index: ingest_step(c, ledger, clock, f"crash-{uuid.uuid4().hex[:6]}-{i}", ack_keys),
                ),
                ("ack", lambda c: action_step(c, ledger, clock, "acknowledge", ack_batches)),
                ("close", lambda c: action_step(c, ledger, clock, "close", close_batches)),
            ):
                client = Api(address, team.api_key)
                clients.append(client)
                load.add(f"{name}-{index}", make(client))
        load.start()
        try:
            time.sleep(1.5)
            assert ledger.codes(phases=["before"])["OK"] > 0, "no call succeeded before the crash"
            clock.phase = "crashed"
            server.kill()
            time.sleep(0.5)
            clock.phase = "restarting"
            started = time.monotonic()
            restarted = start_server(url, tmp_path / "server-2.log", address)
            timings["restart_s"] = time.monotonic() - started
            clock.phase = "after"
            time.sleep(1.5)
        finally:
            load.stop()
    finally:
        for client in clients:
            client.close()
        server.kill()
        exit_code = restarted.terminate() if restarted is not None else None
    assert exit_code == 0, restarted.log_tail() if restarted else "the server did not restart"

    verdict = check_against_log(ledger, read_event_log(url, team.id), {"acknowledge": ack_ids, "close": close_ids})
    print(
        "\n"
        + _summary(
            "kill-9",
            ledger,
            verdict,
            killed_signal=-server.process.returncode,
            **{key: round(value, 2) for key, value in timings.items()},
        )
    )
    _assert_clean(ledger, verdict)
    assert server.process.returncode == -signal.SIGKILL
    assert set(ledger.codes(phases=["before"])) == {"OK"}, ledger.codes(phases=["before"])
    for op in ("ingest", "acknowledge", "close"):
        assert ledger.codes(op, ["after"])["OK"] > 0, f"no {op} call succeeded after the restart"


# ---- 3. two replicas on one database -------------------------------------------------------------


def _run_together(workers: int, work: Callable[[int], Any]) -> list[Any]:
    """work(index) on `workers` threads released at once; their answers in index order."""
    barrier = threading.Barrier(workers)

    def run(index: int) -> Any:
        barrier.wait(timeout=30)
        return work(index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return [future.result() for future in [pool.submit(run, index) for index in range(workers)]]


class Replicas:
    """Two `incidents-service serve` processes on one database, and 8 clients, 4 on each."""

    def __init__(self, database_url: str, logs: Path, **env: str) -> None:
        migrate(database_url)
        self.team = make_team(database_url, "replicas")
        self.servers: list[ServerProcess] = []
        self.clients: list[Api] = []
        self.codes: Counter[str] = Counter()
        self.failures: list[str] = []
        self._lock = threading.Lock()
        try:
            for index in range(2):
                self.servers.append(start_server(database_url, logs / f"replica-{index}.log", **env))
        except BaseException:
            self.kill()
            raise
        self.clients = [Api(self.servers[index % 2].address, self.team.api_key) for index in range(8)]

    def send(self, index: int, *events: api.AlertEvent, timeout: float = 30) -> list[tuple[str, int]]:
        """ReportAlertEvents from client `index`: its (incident id, outcome) pairs, [] when the call failed."""
        try:
            answer = self.clients[index].call("ReportAlertEvents", report(*events), timeout=timeout)
        except grpc.RpcError as exc:
            with self._lock:
                self.codes[exc.code().name] += 1
                self.failures.append(f"client {index} ReportAlertEvents {exc.code().name}: {exc.details()}")
            return []
        with self._lock:
            self.codes["OK"] += 1
        return [(result.incident_id, result.outcome) for result in answer.results]

    def close_clients(self) -> None:
        for client in self.clients:
            client.close()

    def terminate(self) -> list[int]:
        self.close_clients()
        return [server.terminate() for server in self.servers]

    def kill(self) -> None:
        self.close_clients()
        for server in self.servers:
            server.kill()


def _first_event_problems(
    per_key: dict[str, list[tuple[str, int]]], incidents_per_key: Counter[str], expected_results: int
) -> list[str]:
    problems = []
    for key, results in per_key.items():
        outcomes = Counter(OUTCOME.Name(outcome) for _, outcome in results)
        if incidents_per_key[key] != 1:
            problems.append(f"{key}: {incidents_per_key[key]} incidents")
        if len(results) != expected_results or outcomes["CREATED"] != 1 or outcomes["UPDATED"] != len(results) - 1:
            problems.append(f"{key}: {len(results)} results, outcomes {dict(outcomes)}")
        if len({incident_id for incident_id, _ in results}) != 1:
            problems.append(f"{key}: answered different incidents {results}")
    return problems


def test_two_replicas_make_one_incident_per_key_and_record_each_event_key_once(postgres_database_url, tmp_path):
    url = postgres_database_url
    replicas = Replicas(url, tmp_path)
    prefix = f"rep-{uuid.uuid4().hex[:8]}"
    try:
        # (a) The first event of each of 30 keys, from 8 clients (4 per replica) at the same moment.
        keys = [f"{prefix}-key-{k}" for k in range(30)]
        per_key: dict[str, list[tuple[str, int]]] = {}
        for k, key in enumerate(keys):
            answers = _run_together(8, lambda i, key=key, k=k: replicas.send(i, alert(key, f"{prefix}-a-{k}-{i}")))
            per_key[key] = [result for answer in answers for result in answer]
        # (b) The same cx_event_key through both replicas at once: 10 on open incidents, 10 opening one.
        same_event: dict[str, list[tuple[str, int]]] = {}
        for r in range(20):
            key = keys[r] if r < 10 else f"{prefix}-same-new-{r}"
            cx_key = f"{prefix}-same-{r}"
            answers = _run_together(8, lambda i, key=key, cx_key=cx_key: replicas.send(i, alert(key, cx_key)))
            same_event[cx_key] = [result for answer in answers for result in answer]
    finally:
        exit_codes = replicas.terminate()
    assert exit_codes == [0, 0], [server.log_tail() for server in replicas.servers]

    log = read_event_log(url, replicas.team.id)
    incidents_per_key = Counter(key for key in log.incidents.values() if key)
    problems = _first_event_problems(per_key, incidents_per_key, expected_results=8)
    duplicates = 0
    for cx_key, results in same_event.items():
        outcomes = Counter(OUTCOME.Name(outcome) for _, outcome in results)
        duplicates += outcomes["DUPLICATE"]
        if outcomes["CREATED"] + outcomes["UPDATED"] != 1 or outcomes["DUPLICATE"] != 7:
            problems.append(f"{cx_key}: outcomes {dict(outcomes)}")
        recorded = log.by_cx_key.get(cx_key, [])
        if [event_type for _, event_type in recorded] != ["UPSERT_STATE"]:
            problems.append(f"{cx_key}: recorded as {recorded}")
        elif {incident_id for incident_id, _ in results} != {recorded[0][0]}:
            problems.append(f"{cx_key}: answered {results}, recorded on {recorded[0][0]}")
    calls = sum(replicas.codes.values())
    print(
        f"\nFAULT two-replicas: calls={calls}, ok={replicas.codes['OK']}, failed={calls - replicas.codes['OK']}, "
        f"keys={len(per_key)}, incidents_per_key={sorted({incidents_per_key[key] for key in per_key})}, "
        f"same_event_keys={len(same_event)}, duplicates={duplicates}, lost={len(problems)}"
    )
    assert replicas.failures == [], replicas.failures[:10]
    assert problems == [], problems[:10]
    assert calls == (30 + 20) * 8


def test_two_replicas_batches_of_the_same_new_keys_in_different_orders_all_answer_ok_in_time(
    postgres_database_url, tmp_path
):
    url = postgres_database_url
    # A short grace period: were batches to deadlock, the servers would still be retrying them at the end.
    replicas = Replicas(url, tmp_path, INCIDENTS_GRACE_SECONDS="1")
    prefix = f"order-{uuid.uuid4().hex[:8]}"
    keys = [f"{prefix}-key-{k}" for k in range(30)]
    stopped_cleanly = False
    try:

        def batch(i: int) -> list[tuple[str, int]]:
            order = random.Random(i).sample(range(30), 30)  # every client its own order of the same keys
            results = replicas.send(i, *[alert(keys[k], f"{prefix}-{k}-{i}") for k in order], timeout=DEADLINE)
            return [results[order.index(k)] for k in range(30)] if results else []

        # Warm up: every client connected, every server with database connections, every key cached.
        _run_together(8, lambda i: replicas.send(i, alert(f"{prefix}-warm-{i}", f"{prefix}-warm-{i}")))
        replicas.codes.clear()  # count only the 8 racing calls
        started = time.monotonic()
        answers = [answer for answer in _run_together(8, batch) if answer]
        seconds = time.monotonic() - started
        stopped_cleanly = True
    finally:
        if stopped_cleanly and not replicas.failures:
            exit_codes = replicas.terminate()
        else:  # the servers may be busy for a minute retrying deadlocked transactions: do not wait for them
            replicas.kill()
            exit_codes = [0, 0]
    log = read_event_log(url, replicas.team.id)
    incidents_per_key = Counter(key for key in log.incidents.values() if key)
    per_key = {key: [answer[k] for answer in answers] for k, key in enumerate(keys)}
    problems = _first_event_problems(per_key, incidents_per_key, expected_results=len(answers))
    print(
        f"\nFAULT two-replicas-batch-order: calls=8, ok={replicas.codes['OK']}, "
        f"failed={8 - replicas.codes['OK']} {dict(replicas.codes)}, seconds={seconds:.2f}, "
        f"incidents_per_key={sorted({incidents_per_key[key] for key in keys})}, lost={len(problems)}"
    )
    assert problems == [], problems[:10]  # one incident per key, nothing half applied
    assert replicas.failures == [], replicas.failures[:10]
    assert exit_codes == [0, 0]


# ---- 4. graceful shutdown: SIGTERM with slow calls in flight ------------------------------------

GRACE_SECONDS = 20


def _big_batch(prefix: str, n: int) -> api.ReportAlertEventsRequest:
    # 1000 events of 3.5 KB: about 3.7 MB per call, under the 4 MiB request limit (SPEC 11)
    description = ("slow call payload " * 250)[:3500]
    return report(
        *[
            alert(f"{prefix}-big-{n}-{i}", f"{prefix}-big-cx-{n}-{i}", name=f"big {n} {i}", description=description)
            for i in range(1000)
        ]
    )


def _aggregation() -> svc.ListIncidentAggregationsRequest:
    request = svc.ListIncidentAggregationsRequest(
        group_bys=[
            pb.GroupBy(contextual_label=sv("service")),
            pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_SEVERITY),
        ]
    )
    request.pagination.page_size.value = 1000
    return request


def test_sigterm_finishes_calls_in_flight_refuses_new_ones_and_exits_0(postgres_database_url, tmp_path):
    url = postgres_database_url
    migrate(url)
    team = make_team(url, "shutdown")
    server = start_server(
        url, tmp_path / "server.log", INCIDENTS_GRACE_SECONDS=str(GRACE_SECONDS), INCIDENTS_LOG_LEVEL="INFO"
    )
    prefix = f"shut-{uuid.uuid4().hex[:8]}"
    clients = [Api(server.address, team.api_key) for _ in range(4)]
    try:
        for n in range(3):
            events = [
                alert(
                    f"{prefix}-agg-{n}-{i}",
                    f"{prefix}-agg-cx-{n}-{i}",
                    severity=pb.IncidentSeverity.Value("INCIDENT_SEVERITY_INFO") + i % 5,
                    contextual_labels={"service": f"svc-{i % 97}", "region": f"r-{i % 7}"},
                )
                for i in range(1000)
            ]
            clients[0].call("ReportAlertEvents", report(*events), timeout=60)
        started = time.monotonic()
        clients[0].call("ListIncidentAggregations", _aggregation(), timeout=60)
        one_aggregation_s = time.monotonic() - started
        big = [_big_batch(prefix, n) for n in range(3)]
        for request in big:
            request.SerializeToString()  # built before the clock starts

        # Each slow call on its own connection, so none waits behind another's 4 MB upload: a call still
        # being uploaded when SIGTERM comes has not reached the server and is not "in flight".
        senders = [Api(server.address, team.api_key) for _ in range(9)]
        clients += senders
        for sender in senders:
            grpc.channel_ready_future(sender.channel).result(timeout=DEADLINE)
        slow = [senders[n].future("ReportAlertEvents", request, timeout=60) for n, request in enumerate(big)]
        slow += [senders[3 + n].future("ListIncidentAggregations", _aggregation(), timeout=60) for n in range(6)]
        time.sleep(0.3)
        sigterm_at = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        refused = []
        # A new connection, and a connection made before SIGTERM (clients[3], idle): both refused.
        with grpc.insecure_channel(server.address, options=CHANNEL_OPTIONS) as fresh:
            refused.append(health_status(fresh))
            fresh_api = Api(server.address, team.api_key)
            try:
                fresh_api.call("ListIncidents", svc.ListIncidentsRequest(), timeout=DEADLINE)
                refused.append("OK")
            except grpc.RpcError as exc:
                refused.append(exc.code().name)
            finally:
                fresh_api.close()
        try:
            clients[3].call("ListIncidents", svc.ListIncidentsRequest(), timeout=DEADLINE)
            refused.append("OK")
        except grpc.RpcError as exc:
            refused.append(exc.code().name)
        alive_while_refusing = server.alive()

        outcomes = []
        for future in slow:
            try:
                future.result()
                outcomes.append("OK")
            except grpc.RpcError as exc:
                outcomes.append(f"{exc.code().name}: {exc.details()}")
        finished_s = time.monotonic() - sigterm_at
        exit_code = server.process.wait(timeout=GRACE_SECONDS + 10)
        exit_s = time.monotonic() - sigterm_at
    finally:
        for client in clients:
            client.close()
        server.kill()

    log = read_event_log(url, team.id)
    lost = sum(1 for n in range(3) for i in range(1000) if f"{prefix}-big-cx-{n}-{i}" not in log.by_cx_key)
    print(
        f"\nFAULT graceful-shutdown: calls={len(slow) + len(refused)}, in_flight={len(slow)}, "
        f"in_flight_ok={outcomes.count('OK')}, refused={len(refused)}, "
        f"refused_unavailable={refused.count(EXPECTED_FAILURE)}, lost={lost}, exit_code={exit_code}, "
        f"drained_s={finished_s:.2f}, exit_s={exit_s:.2f}, grace_s={GRACE_SECONDS}, "
        f"one_aggregation_s={one_aggregation_s:.2f}"
    )
    assert outcomes == ["OK"] * len(slow), list(enumerate(outcomes))
    assert refused == [EXPECTED_FAILURE] * 3, refused
    assert alive_while_refusing, "the slow calls ended before the new calls were tried: make them slower"
    assert exit_code == 0, server.log_tail()
    assert exit_s < GRACE_SECONDS
    assert lost == 0
    text = server.log.read_text(errors="replace")
    assert "stopped" in log_events(text), server.log_tail()
