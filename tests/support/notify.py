"""Shared by the notification tests: real HTTP receivers on loopback, a private database per backend, and
polling helpers (never a sleep as an assertion)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
import pytest
from incidents_service_api.v1 import notifications_pb2 as nt
from incidents_service_api.v1 import notifications_pb2_grpc as nt_grpc
from sqlalchemy import Engine, func, select

from incidents_service.storage.database import create_database_engine
from incidents_service.storage.tables import notification_changes, notifications
from tests.conftest import _admin_connection, _postgres_url

# Receivers listen on 127.0.0.2: the servers of these tests allow exactly that address (127.0.0.2/32), so
# 127.0.0.1 stays what it is by default, a loopback address the guard refuses.
RECEIVER_HOST = "127.0.0.2"
ALLOWED_NETWORKS = "127.0.0.2/32"


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """An HTTP server on loopback that records every request and answers with `answer(number)` (1-based)."""

    answer: Callable[[int], int] = lambda _number: 200
    delay_seconds: float = 0.0
    requests: list[Received] = field(default_factory=list)
    port: int = 0
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://{RECEIVER_HOST}:{self.port}/hook"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver._lock:
                    receiver.requests.append(
                        Received(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    number = len(receiver.requests)
                if receiver.delay_seconds:
                    time.sleep(receiver.delay_seconds)
                status = receiver.answer(number)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer((RECEIVER_HOST, self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Down: the port is closed (connections are refused) until start() again, on the same port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def snapshot(self) -> list[Received]:
        with self._lock:
            return list(self.requests)

    def keys(self) -> list[str]:
        return [request.headers["idempotency-key"] for request in self.snapshot()]


def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    """The `receivers` fixture of the notification tests (`receivers = pytest.fixture(receiver_factory)`)."""
    started: list[Receiver] = []

    def make(**options: Any) -> Receiver:
        receiver = Receiver(**options).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        receiver.stop()


def private_database(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of the test module's own (the shared one's dispatcher must not deliver its notifications)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('notify') / 'incidents.db'}"
        return
    name = f"incidents_notify_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_url(name)
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def engine_for(url: str) -> Engine:
    return create_database_engine(url, pool_size=8)


def wait_for(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout} s waiting for {what}"
        time.sleep(every)


def pending_of(engine: Engine, team_id: str) -> int:
    """The team's notifications not yet delivered or failed, counting changes not yet fanned out, in one
    statement (one snapshot: read apart, a fan-out committing between the reads was counted neither as
    a change nor as a notification)."""
    pending = (
        select(func.count())
        .where(notifications.c.team_id == team_id, notifications.c.state == "pending")
        .scalar_subquery()
    )
    to_fan_out = (
        select(func.count())
        .where(notification_changes.c.team_id == team_id, notification_changes.c.rule_ids.is_not(None))
        .scalar_subquery()
    )
    with engine.connect() as connection:
        return int(connection.execute(select(pending + to_fan_out)).scalar_one())


def notifications_of(engine: Engine, team_id: str) -> list[Any]:
    with engine.connect() as connection:
        return connection.execute(
            select(notifications).where(notifications.c.team_id == team_id).order_by(notifications.c.seq)
        ).all()


def settled(engine: Engine, team_id: str, timeout: float = 30) -> None:
    """Wait until none of the team's notifications is pending (each delivered or failed)."""
    wait_for(lambda: pending_of(engine, team_id) == 0, timeout, "every notification to be delivered or failed")


def verify_signature(secret: str, request: Received) -> bool:
    timestamp = request.headers["x-incidents-timestamp"]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(request.headers["x-incidents-signature"], f"sha256={expected}")


class Rules:
    """The NotificationRulesService and IncidentActionsService stubs with a key on every call."""

    def __init__(self, channel: grpc.Channel, api_key: str) -> None:
        self._rules = nt_grpc.NotificationRulesServiceStub(channel)
        self._actions = nt_grpc.IncidentActionsServiceStub(channel)
        self.metadata = (("authorization", f"Bearer {api_key}"),)

    def __getattr__(self, name: str) -> Any:
        stub = self._actions if name == "ListIncidentActions" else self._rules
        method = getattr(stub, name)
        return lambda request: method(request, metadata=self.metadata, timeout=30)

    def webhook(self, url: str, changes: list[int], secret: str = "", **fields: Any) -> nt.NotificationRule:
        rule = nt.NotificationRule(
            name=fields.pop("name", "rule"),
            enabled=fields.pop("enabled", True),
            changes=changes,
            webhook=nt.WebhookTarget(url=url, secret=secret),
            **fields,
        )
        return self.CreateNotificationRule(nt.CreateNotificationRuleRequest(rule=rule)).rule

    def actions(self, incident_id: str) -> list[nt.IncidentAction]:
        return list(
            self.ListIncidentActions(
                nt.ListIncidentActionsRequest(incident_id=incident_id, pagination={"page_size": {"value": 1000}})
            ).actions
        )
