"""Notifications across real `incidents-service serve` processes (e2e): `kill -9` with deliveries pending
and in flight loses none; two replicas on one PostgreSQL deliver each notification exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import notifications_pb2 as nt

from incidents_service import auth
from incidents_service.storage.migrate import migrate
from tests.builders import alert, report, svs
from tests.conftest import Client
from tests.support.notify import (
    ALLOWED_NETWORKS,
    Receiver,
    Rules,
    engine_for,
    notifications_of,
    private_database,
    receiver_factory,
    settled,
    wait_for,
)
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e
receivers = pytest.fixture(receiver_factory)
EXECUTABLE = Path(sys.executable).parent / "incidents-service"
LEASE_SECONDS = 6  # the shortest allowed: an attempt may take 5 s


class Serving:
    """`incidents-service serve` processes on one database, started and killed at will."""

    def __init__(self, url: str, tmp_path: Path) -> None:
        self.env = {
            **os.environ,
            "INCIDENTS_DATABASE_URL": url,
            "INCIDENTS_HTTP_LISTEN": "",
            "INCIDENTS_LOG_LEVEL": "INFO",
            "INCIDENTS_WEBHOOK_ALLOW_NETWORKS": ALLOWED_NETWORKS,
            "INCIDENTS_NOTIFY_RETRY_BASE_SECONDS": "0.2",
            "INCIDENTS_NOTIFY_RETRY_MAX_SECONDS": "1",
            "INCIDENTS_NOTIFY_POLL_SECONDS": "0.05",
            "INCIDENTS_NOTIFY_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        self._tmp_path = tmp_path
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> tuple[subprocess.Popen[bytes], str]:
        address = f"127.0.0.1:{free_port()}"
        log = (self._tmp_path / f"serve-{len(self.processes)}.log").open("wb")
        process = subprocess.Popen(
            [str(EXECUTABLE), "serve", "--listen", address], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        with grpc.insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)

            def serving() -> bool:
                assert process.poll() is None, f"serve exited with {process.returncode}"
                try:
                    return stub.Check(health_pb2.HealthCheckRequest(), timeout=1).status == 1
                except grpc.RpcError:
                    return False

            wait_for(serving, 30, "serve to answer health checks", every=0.1)
        return process, address

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_database_url")
    yield from private_database(request.param, tmp_path_factory)


def _team(url: str) -> tuple[str, str]:
    engine = engine_for(url)
    try:
        migrate(engine)
        team = auth.create_team(engine, f"team-{uuid.uuid4().hex[:10]}")
        return team.id, auth.create_api_key(engine, team.name, "ops@example.com", auth.ALL_PERMISSIONS).api_key
    finally:
        engine.dispose()


def _changes(address: str, api_key: str, receiver: Receiver, incidents: int) -> list[str]:
    """A webhook rule, then `incidents` incidents opened and acknowledged: 2 notifications each."""
    with grpc.insecure_channel(address) as channel:
        rules = Rules(channel, api_key)
        rules.webhook(receiver.url, [nt.NOTIFICATION_CHANGE_OPENED, nt.NOTIFICATION_CHANGE_ACKNOWLEDGED])
        client = Client(channel, api_key, "", "ops@example.com")
        events = [alert(f"k-{uuid.uuid4().hex}", f"cx-{uuid.uuid4().hex}") for _ in range(incidents)]
        ids = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
        client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs(ids)))
    return ids


def test_kill_9_with_deliveries_pending_and_in_flight_loses_none(database, receivers, tmp_path):
    team_id, api_key = _team(database)
    # A slow receiver: each request takes 1 s, so at the kill several are in flight and most are pending.
    receiver = receivers(delay_seconds=1.0)
    serving = Serving(database, tmp_path)
    try:
        first, address = serving.start()
        _changes(address, api_key, receiver, incidents=20)
        engine = engine_for(database)
        wait_for(lambda: len(receiver.snapshot()) >= 3, 20, "deliveries to be under way")
        # Every change fanned out into its notifications (the dispatcher does it within a poll).
        wait_for(lambda: len(notifications_of(engine, team_id)) == 40, 20, "every change to be fanned out")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        written = notifications_of(engine, team_id)
        assert len(written) == 40
        in_flight = [row for row in written if row.state == "pending" and row.claimed_until is not None]
        pending = [row for row in written if row.state == "pending"]
        assert in_flight, "some deliveries were in flight at the kill"
        assert len(pending) > len(in_flight), "some were still waiting at the kill"

        serving.start()
        settled(engine, team_id, timeout=60)
        received = Counter(receiver.keys())
        expected = {row.id for row in notifications_of(engine, team_id)}
        assert set(received) == expected  # every one delivered at least once, none lost, none invented
        assert {row.state for row in notifications_of(engine, team_id)} == {"delivered"}
        # In order per incident: the opening before the acknowledge of each incident, retries included.
        opened_first = _order_per_incident(receiver)
        assert all(opened_first.values())
        engine.dispose()
    finally:
        serving.stop_all()


def _order_per_incident(receiver: Receiver) -> dict[str, bool]:
    """Per incident: whether every `opened` request arrived before every `acknowledged` one."""
    last_opened: dict[str, int] = {}
    first_acknowledged: dict[str, int] = {}
    for index, request in enumerate(receiver.snapshot()):
        body = request.json()
        incident = body["incident"]["id"]
        if body["change"] == "opened":
            last_opened[incident] = index
        else:
            first_acknowledged.setdefault(incident, index)
    return {incident: last_opened[incident] < first_acknowledged[incident] for incident in first_acknowledged}


def test_two_replicas_on_one_postgresql_deliver_each_notification_exactly_once(
    postgres_database_url, receivers, tmp_path, tmp_path_factory
):
    for url in private_database("postgresql", tmp_path_factory):
        team_id, api_key = _team(url)
        receiver = receivers()
        serving = Serving(url, tmp_path)
        try:
            _, address = serving.start()
            serving.start()
            _changes(address, api_key, receiver, incidents=100)
            engine = engine_for(url)
            settled(engine, team_id, timeout=60)
            written = notifications_of(engine, team_id)
            engine.dispose()
            received = Counter(receiver.keys())
            assert len(written) == 200
            assert received == Counter({row.id: 1 for row in written})
            assert all(_order_per_incident(receiver).values())
            serving.stop_all()
            holders = _attempts_by_process(tmp_path)
            assert sum(holders.values()) == 200
            assert len(holders) == 2, f"both replicas delivered: {holders}"
        finally:
            serving.stop_all()


def _attempts_by_process(folder: Path) -> Counter[str]:
    """Delivered attempts per serve log (each process logs its attempts)."""
    found: Counter[str] = Counter()
    for log in folder.glob("serve-*.log"):
        for line in log.read_text().splitlines():
            if '"notification_attempt"' in line and '"delivered"' in line:
                found[log.name] += 1
    return found
