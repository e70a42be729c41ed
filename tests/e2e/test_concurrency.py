"""Concurrent responders on the same incidents: every transition happens exactly once (SPEC section 4).

(a) In process, on SQLite and PostgreSQL: 16 threads through the `server` fixture.
(b) PostgreSQL only: two real `incidents-service serve` processes on one database, 16 clients split
    across them.

Both run the same three phases over the same incidents, each phase started by all clients at once:
1. every client acknowledges every incident (in random batches): one ACKNOWLEDGE each must result;
2. a seeded random mix of Acknowledge, Resolve, Assign, Unassign and Close batches over random subsets
   (FAILED_PRECONDITION is expected, e.g. acknowledging a resolved incident; nothing else is);
3. every client closes every incident: one CLOSE each must result.
After phases 2 and 3 each incident's fields must agree with a replay of its event log, the replay
must only see legal transitions, and the ASSIGN events must be exactly the successful assignments.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from sqlalchemy import Engine

from incidents_service import auth
from incidents_service.domain.model import EventType
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.unit_of_work import UnitOfWork
from tests.builders import alert, get, report, sv, svs
from tests.support.ports import free_port

ASSIGNEES = ["ann@example.com", "ben@example.com", "cid@example.com"]
PRINCIPALS = ["alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com"]


# ---- one client: a channel and a key -------------------------------------------------------------


@dataclass
class Responder:
    channel: grpc.Channel
    api_key: str
    principal: str

    def __post_init__(self) -> None:
        self._incidents = svc_grpc.IncidentsServiceStub(self.channel)
        self._ingestion = api_grpc.AlertIngestionServiceStub(self.channel)

    @property
    def _metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"),)

    def incidents(self, rpc: str, request: Any) -> Any:
        return getattr(self._incidents, rpc)(request, metadata=self._metadata, timeout=30)

    def ingest(self, request: Any) -> Any:
        return self._ingestion.ReportAlertEvents(request, metadata=self._metadata, timeout=30)


def _open_incidents(responder: Responder, count: int) -> list[str]:
    events = [alert(f"conc-{i}-{uuid.uuid4().hex[:8]}", f"cx-{uuid.uuid4()}") for i in range(count)]
    results = responder.ingest(report(*events)).results
    return [result.incident_id for result in results]


# ---- the workload --------------------------------------------------------------------------------


def _request(op: str, ids: Sequence[str], assignee: str = "") -> tuple[str, Any]:
    values = svs(list(ids))
    if op == "acknowledge":
        return "AcknowledgeIncidents", svc.AcknowledgeIncidentsRequest(incident_ids=values)
    if op == "resolve":
        return "ResolveIncidents", svc.ResolveIncidentsRequest(incident_ids=values)
    if op == "close":
        return "CloseIncidents", svc.CloseIncidentsRequest(incident_ids=values)
    if op == "unassign":
        return "UnassignIncidents", svc.UnassignIncidentsRequest(incident_ids=values)
    assert op == "assign"
    user = pb.UserDetails(user_id=sv(assignee))
    return "AssignIncidents", svc.AssignIncidentsRequest(assigned_to=user, incident_ids=values)


@dataclass
class Tally:
    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (op, status code name)
    assigned: int = 0  # incidents assigned by successful AssignIncidents calls (duplicates once)
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def calls(self) -> int:
        return sum(self.outcomes.values())


def _act(responder: Responder, op: str, ids: list[str], tally: Tally, rng: random.Random) -> None:
    assignee = rng.choice(ASSIGNEES)
    rpc, request = _request(op, ids, assignee)
    try:
        answer = responder.incidents(rpc, request)
    except grpc.RpcError as exc:
        code = exc.code()
        with tally.lock:
            tally.outcomes[op, code.name] += 1
            if code != grpc.StatusCode.FAILED_PRECONDITION or op not in ("acknowledge", "assign"):
                tally.problems.append(f"{rpc} {code.name}: {exc.details()}")
        return
    unique = list(dict.fromkeys(ids))
    answered = [incident.id.value for incident in answer.incidents]
    problems = []
    if answered != unique:
        problems.append(f"{rpc} answered {answered}, asked {unique}")
    for incident in answer.incidents:
        if op == "acknowledge" and incident.status != pb.INCIDENT_STATUS_ACKNOWLEDGED:
            problems.append(f"{rpc} answered status {incident.status}")
        if op in ("resolve", "close") and incident.status != pb.INCIDENT_STATUS_RESOLVED:
            problems.append(f"{rpc} answered status {incident.status}")
        if op == "close" and not incident.HasField("closed_at"):
            problems.append(f"{rpc} answered an open incident")
        if op == "assign" and [a.assigned_to.user_id.value for a in incident.assignments] != [assignee]:
            problems.append(f"{rpc} answered assignments {list(incident.assignments)}")
        if op == "unassign" and incident.assignments:
            problems.append(f"{rpc} answered assignments {list(incident.assignments)}")
    with tally.lock:
        tally.outcomes[op, "OK"] += 1
        tally.problems.extend(problems)
        if op == "assign":
            tally.assigned += len(unique)


def _batches(ids: list[str], rng: random.Random, largest: int) -> list[list[str]]:
    shuffled = rng.sample(ids, len(ids))
    out = []
    while shuffled:
        size = rng.randint(1, largest)
        out.append(shuffled[:size])
        shuffled = shuffled[size:]
    return out


MIX = [("acknowledge", 3), ("resolve", 2), ("assign", 4), ("unassign", 2), ("close", 1)]


def _all_at_once(responders: Sequence[Responder], work: Callable[[int, Responder], None]) -> None:
    """Run work(index, responder) on one thread per responder, all released together."""
    barrier = threading.Barrier(len(responders))

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        work(index, responders[index])

    with ThreadPoolExecutor(max_workers=len(responders)) as pool:
        for future in [pool.submit(run, index) for index in range(len(responders))]:
            future.result()


def _acknowledge_everything(responders: Sequence[Responder], ids: list[str], tally: Tally, seed: int) -> None:
    def work(index: int, responder: Responder) -> None:
        rng = random.Random(seed * 1000 + index)
        for batch in _batches(ids, rng, largest=10):
            _act(responder, "acknowledge", batch, tally, rng)

    _all_at_once(responders, work)


def _mixed(responders: Sequence[Responder], ids: list[str], tally: Tally, seed: int, calls_each: int) -> None:
    ops, weights = zip(*MIX, strict=True)

    def work(index: int, responder: Responder) -> None:
        rng = random.Random(seed * 2000 + index)
        for _ in range(calls_each):
            op = rng.choices(ops, weights)[0]
            size = 1 if op == "close" else rng.randint(1, 4)
            batch = [rng.choice(ids) for _ in range(size)]  # repeats allowed: they count once
            _act(responder, op, batch, tally, rng)

    _all_at_once(responders, work)


def _close_everything(responders: Sequence[Responder], ids: list[str], tally: Tally, seed: int) -> None:
    def work(index: int, responder: Responder) -> None:
        rng = random.Random(seed * 3000 + index)
        for batch in _batches(ids, rng, largest=15):
            _act(responder, "close", batch, tally, rng)

    _all_at_once(responders, work)


# ---- checking the outcome against the event log -------------------------------------------------


@dataclass
class Replayed:
    state: int = pb.INCIDENT_STATE_TRIGGERED
    status: int = pb.INCIDENT_STATUS_TRIGGERED
    closed: bool = False
    assignment: tuple[str, str] | None = None
    problems: list[str] = field(default_factory=list)


ORIGINATOR_TYPES = {
    "administrative_event": pb.ORIGINATOR_TYPE_ADMINISTRATIVE,
    "operational_event": pb.ORIGINATOR_TYPE_OPERATIONAL,
}


def _replay(events: Sequence[pb.IncidentEvent]) -> Replayed:
    """The incident as its log says it is, noting every transition the lifecycle would not allow."""
    r = Replayed()
    for event in events:
        kind = event.incident_event_type
        name = pb.IncidentEventType.Name(kind)
        if r.closed and kind != pb.INCIDENT_EVENT_TYPE_UNASSIGN:
            r.problems.append(f"{name} after CLOSE")
        if kind == pb.INCIDENT_EVENT_TYPE_OPEN:
            r.state, r.status = pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATUS_TRIGGERED
        elif kind == pb.INCIDENT_EVENT_TYPE_UPSERT_STATE:
            if event.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED:
                if (
                    event.originator_type == pb.ORIGINATOR_TYPE_ADMINISTRATIVE
                    and r.status == pb.INCIDENT_STATUS_RESOLVED
                ):
                    r.problems.append("Resolve recorded on a RESOLVED incident")
                r.state, r.status = pb.INCIDENT_STATE_RESOLVED, pb.INCIDENT_STATUS_RESOLVED
            else:
                r.state = pb.INCIDENT_STATE_TRIGGERED
                if r.status == pb.INCIDENT_STATUS_RESOLVED:
                    r.status = pb.INCIDENT_STATUS_TRIGGERED
        elif kind == pb.INCIDENT_EVENT_TYPE_ACKNOWLEDGE:
            if r.status != pb.INCIDENT_STATUS_TRIGGERED:
                r.problems.append(f"ACKNOWLEDGE from {pb.IncidentStatus.Name(r.status)}")
            r.status = pb.INCIDENT_STATUS_ACKNOWLEDGED
        elif kind == pb.INCIDENT_EVENT_TYPE_CLOSE:
            r.closed = True
            r.state, r.status = pb.INCIDENT_STATE_RESOLVED, pb.INCIDENT_STATUS_RESOLVED
        elif kind == pb.INCIDENT_EVENT_TYPE_ASSIGN:
            assignment = event.assignment.assignment
            r.assignment = (assignment.assigned_to.user_id.value, assignment.assigned_by.user_id.value)
            if assignment.assigned_by.user_id.value != event.administrative_event.user_id.value:
                r.problems.append("ASSIGN by someone else than its originator")
        elif kind == pb.INCIDENT_EVENT_TYPE_UNASSIGN:
            if r.assignment is None:
                r.problems.append("UNASSIGN of an unassigned incident")
            r.assignment = None
        originator = event.WhichOneof("originator")
        if event.originator_type != ORIGINATOR_TYPES[originator]:
            r.problems.append(f"{name} originator_type does not match its originator {originator}")
        actor = event.administrative_event.user_id.value
        if originator == "administrative_event" and actor not in PRINCIPALS:
            r.problems.append(f"{name} by unknown principal {actor!r}")
    return r


def _aware(stamp: Any) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _verify(
    responder: Responder, engine: Engine, team_id: str, ids: list[str], assigned: int, every_closed: bool
) -> Counter[str]:
    """Check every incident against its log; answers the event counts by type over all incidents."""
    counts: Counter[str] = Counter()
    problems: list[str] = []
    for incident_id in ids:
        incident = responder.incidents("GetIncident", get(incident_id)).incident
        events = list(
            responder.incidents(
                "GetIncidentEvents", svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
            ).incident_events
        )
        kinds = Counter(pb.IncidentEventType.Name(event.incident_event_type) for event in events)
        counts.update(kinds)
        replayed = _replay(events)
        operational = [e for e in events if e.originator_type == pb.ORIGINATOR_TYPE_OPERATIONAL]
        if operational != events[:2]:
            problems.append(f"{incident_id}: only the alert's OPEN and UPSERT_STATE are operational")
        problems.extend(f"{incident_id}: {problem}" for problem in replayed.problems)
        assignment = None
        if incident.assignments:
            [only] = incident.assignments
            assignment = (only.assigned_to.user_id.value, only.assigned_by.user_id.value)
        facts = {
            "ACKNOWLEDGE events": (kinds["INCIDENT_EVENT_TYPE_ACKNOWLEDGE"], 1),
            "CLOSE events": (
                kinds["INCIDENT_EVENT_TYPE_CLOSE"],
                1 if every_closed else min(kinds["INCIDENT_EVENT_TYPE_CLOSE"], 1),
            ),
            "state": (incident.state, replayed.state),
            "status": (incident.status, replayed.status),
            "closed": (incident.HasField("closed_at"), replayed.closed),
            "assignment": (assignment, replayed.assignment),
        }
        problems.extend(
            f"{incident_id}: {what} is {actual!r}, log says {expected!r}"
            for what, (actual, expected) in facts.items()
            if actual != expected
        )
        if replayed.closed:
            with UnitOfWork(engine, team_id, write=False) as uow:
                closes = [e.timestamp for e in uow.incidents.events_of(incident_id) if e.type is EventType.CLOSE]
            closed_at, created_at = (_aware(incident.closed_at), _aware(incident.created_at))
            if closes[:1] != [closed_at]:
                problems.append(f"{incident_id}: closed_at {closed_at} is not the CLOSE event's time {closes}")
            if incident.duration.ToTimedelta() != closed_at - created_at:
                problems.append(f"{incident_id}: duration is not closed_at - created_at")
    assert problems == [], "\n".join(problems[:30])
    assert counts["INCIDENT_EVENT_TYPE_ASSIGN"] == assigned, "ASSIGN events are not the successful assignments"
    return counts


@dataclass
class Run:
    clients: int
    calls: int
    seconds: float
    outcomes: Counter[tuple[str, str]]
    events: Counter[str]

    def report(self, label: str) -> str:
        outcomes = ", ".join(f"{op} {code}: {n}" for (op, code), n in sorted(self.outcomes.items()))
        events = ", ".join(
            f"{kind.removeprefix('INCIDENT_EVENT_TYPE_')}: {n}" for kind, n in sorted(self.events.items())
        )
        return (
            f"\n[{label}] {self.clients} clients, {self.calls} calls in {self.seconds:.2f}s\n"
            f"  outcomes: {outcomes}\n  events: {events}"
        )


def _run_all_phases(
    responders: Sequence[Responder],
    checker: Responder,
    engine: Engine,
    team_id: str,
    ids: list[str],
    seed: int,
    calls_each: int,
) -> Run:
    tally = Tally()
    started = time.monotonic()

    _acknowledge_everything(responders, ids, tally, seed)
    assert tally.problems == [], tally.problems[:10]
    assert tally.outcomes["acknowledge", "OK"] == tally.calls, "acknowledging open incidents is never refused"

    _mixed(responders, ids, tally, seed, calls_each)
    assert tally.problems == [], tally.problems[:10]
    _verify(checker, engine, team_id, ids, tally.assigned, every_closed=False)

    _close_everything(responders, ids, tally, seed)
    assert tally.problems == [], tally.problems[:10]
    events = _verify(checker, engine, team_id, ids, tally.assigned, every_closed=True)

    elapsed = time.monotonic() - started
    assert events["INCIDENT_EVENT_TYPE_ACKNOWLEDGE"] == len(ids)
    assert events["INCIDENT_EVENT_TYPE_CLOSE"] == len(ids)
    assert tally.outcomes["assign", "OK"] > 0 and tally.outcomes["resolve", "OK"] > 0, "the mix must do something"
    return Run(len(responders), tally.calls, elapsed, tally.outcomes, events)


# ---- (a) in process, both databases -------------------------------------------------------------


def test_concurrent_responders_in_process_transition_each_incident_exactly_once(server, client, teams):
    keys = [client] + [teams.key(client.team_name, principal) for principal in PRINCIPALS[1:]]
    assert client.principal == PRINCIPALS[0]
    responders = [
        Responder(server.channel, keys[index % len(keys)].api_key, keys[index % len(keys)].principal)
        for index in range(16)
    ]
    checker = responders[0]
    team_id = auth.Authenticator(server.engine, cache_seconds=0).authenticate(f"Bearer {client.api_key}").team_id
    ids = _open_incidents(checker, 20)

    run = _run_all_phases(responders, checker, server.engine, team_id, ids, seed=7, calls_each=12)

    print(run.report(f"in-process {server.engine.dialect.name}"))
    assert run.seconds < 30


# ---- (b) two server processes on one PostgreSQL -------------------------------------------------

EXECUTABLE = Path(sys.executable).parent / "incidents-service"


def _wait_serving(address: str, process: subprocess.Popen[bytes], deadline: float) -> None:
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            assert process.poll() is None, f"server at {address} exited with {process.returncode}"
            try:
                answer = stub.Check(health_pb2.HealthCheckRequest(), timeout=1)
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            assert time.monotonic() < deadline, f"server at {address} did not start serving"
            time.sleep(0.1)


@pytest.fixture
def two_servers(postgres_database_url, tmp_path):
    """Two `incidents-service serve` processes on the same PostgreSQL database: their addresses."""
    env = {**os.environ, "INCIDENTS_DATABASE_URL": postgres_database_url, "INCIDENTS_LOG_LEVEL": "WARNING"}
    subprocess.run([str(EXECUTABLE), "migrate"], env=env, check=True, capture_output=True, timeout=60)
    processes: list[tuple[subprocess.Popen[bytes], Path]] = []
    addresses = []
    try:
        for index in range(2):
            address = f"127.0.0.1:{free_port()}"
            log = tmp_path / f"server-{index}.log"
            with log.open("wb") as sink:
                process = subprocess.Popen(
                    [str(EXECUTABLE), "serve", "--listen", address, "--http-listen", ""],
                    env=env,
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                )
            processes.append((process, log))
            addresses.append(address)
        deadline = time.monotonic() + 30
        for (process, _log), address in zip(processes, addresses, strict=True):
            _wait_serving(address, process, deadline)
        yield addresses
        for process, _log in processes:
            process.send_signal(signal.SIGTERM)
        for process, log in processes:
            code = process.wait(timeout=30)
            assert code == 0, f"server exited {code} after SIGTERM:\n{log.read_text()[-2000:]}"
    finally:
        for process, _log in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.mark.postgres
def test_two_server_processes_on_one_postgresql_transition_each_incident_exactly_once(
    postgres_database_url, two_servers
):
    engine = create_database_engine(postgres_database_url, pool_size=2)
    channels: list[grpc.Channel] = []
    try:
        team = auth.create_team(engine, f"concurrency-{uuid.uuid4().hex[:10]}")
        keys = [
            (auth.create_api_key(engine, team.name, principal, auth.ALL_PERMISSIONS).api_key, principal)
            for principal in PRINCIPALS
        ]
        responders = []
        for index in range(16):
            channel = grpc.insecure_channel(two_servers[index % 2])  # each client its own connection
            channels.append(channel)
            api_key, principal = keys[index % len(keys)]
            responders.append(Responder(channel, api_key, principal))
        ids = _open_incidents(responders[1], 50)

        run = _run_all_phases(responders, responders[0], engine, team.id, ids, seed=11, calls_each=25)

        print(run.report("two processes, postgresql"))
        assert run.clients >= 16 and run.calls >= 300
        assert run.seconds < 40
    finally:
        for channel in channels:
            channel.close()
        engine.dispose()
