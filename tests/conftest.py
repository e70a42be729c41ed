"""Shared fixtures: every storage and API test runs once on SQLite and once on PostgreSQL.

PostgreSQL: one scratch database per test run, created on the server named by
INCIDENTS_TEST_POSTGRES_URL (default the local server) and dropped at the end. Tests stay isolated by
team: each test makes its own team and keys, and every query is scoped to a team.
With CI=true a PostgreSQL that cannot be reached fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import pytest
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from grpc_health.v1 import health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import Engine

from incidents_service import auth
from incidents_service.config import Settings
from incidents_service.server import IncidentsServer
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.migrate import migrate

POSTGRES_ADMIN_URL = os.environ.get("INCIDENTS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url(database: str) -> str:
    base, _, _ = POSTGRES_ADMIN_URL.rpartition("/")
    return f"{base}/{database}"


def _admin_connection() -> psycopg.Connection[Any]:
    return psycopg.connect(
        POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://"),
        autocommit=True,
        connect_timeout=5,
    )


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    name = f"incidents_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = _admin_connection()
    except psycopg.OperationalError as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required in CI but unreachable at {POSTGRES_ADMIN_URL}: {exc}")
        pytest.skip(f"PostgreSQL unreachable at {POSTGRES_ADMIN_URL}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _postgres_url(name)
    finally:
        with _admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'incidents.db'}"
    url: str = request.getfixturevalue("postgres_database_url")
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url, pool_size=16)
    migrate(engine)
    yield engine
    engine.dispose()


class BackgroundServer:
    """An IncidentsServer on its own event loop in a thread, for tests that call it over a real channel."""

    def __init__(self, settings: Settings, engine: Engine, tracer_provider: TracerProvider | None = None) -> None:
        self.server = IncidentsServer(settings, engine, tracer_provider)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="test-server-loop", daemon=True)

    def start(self) -> int:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(30)

    def stop(self, grace: float | None = None) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(grace), self._loop).result(60)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@dataclass
class RunningServer:
    address: str
    channel: grpc.Channel
    engine: Engine
    database_url: str
    http_url: str  # the same server over HTTP: Connect and the alert intake


@pytest.fixture(scope="session")
def server(engine: Engine, database_url: str) -> Iterator[RunningServer]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", http_listen="127.0.0.1:0", workers=8)
    background = BackgroundServer(settings, engine)
    port = background.start()
    address = f"127.0.0.1:{port}"
    channel = grpc.insecure_channel(address)
    yield RunningServer(address, channel, engine, database_url, f"http://127.0.0.1:{background.server.http_port}")
    channel.close()
    background.stop()


@dataclass
class Client:
    """A team's view of the API: stubs that send this key's authorization metadata."""

    channel: grpc.Channel
    api_key: str
    team_name: str
    principal: str
    incidents: Any = field(init=False)
    ingestion: Any = field(init=False)
    management: Any = field(init=False)
    health: Any = field(init=False)

    def __post_init__(self) -> None:
        self.incidents = _Authorized(svc_grpc.IncidentsServiceStub(self.channel), self.metadata)
        self.ingestion = _Authorized(api_grpc.AlertIngestionServiceStub(self.channel), self.metadata)
        self.management = _Authorized(api_grpc.IncidentManagementServiceStub(self.channel), self.metadata)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.api_key}"),)


class _Authorized:
    """Wraps a stub so every call carries the key: client.incidents.GetIncident(request)."""

    def __init__(self, stub: Any, metadata: tuple[tuple[str, str], ...]) -> None:
        self._stub = stub
        self._metadata = metadata

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._stub, name)

        def call(request: Any, **kwargs: Any) -> Any:
            kwargs.setdefault("metadata", self._metadata)
            kwargs.setdefault("timeout", 30)
            return method(request, **kwargs)

        return call


class TeamFactory:
    def __init__(self, server: RunningServer) -> None:
        self._server = server

    def team(self, principal: str = "alice@example.com") -> Client:
        name = f"team-{uuid.uuid4().hex[:10]}"
        auth.create_team(self._server.engine, name)
        return self.key(name, principal)

    def key(self, team_name: str, principal: str, permissions: frozenset[str] = auth.ALL_PERMISSIONS) -> Client:
        issued = auth.create_api_key(self._server.engine, team_name, principal, permissions)
        return Client(self._server.channel, issued.api_key, team_name, principal)


@pytest.fixture
def teams(server: RunningServer) -> TeamFactory:
    return TeamFactory(server)


@pytest.fixture
def client(teams: TeamFactory) -> Client:
    """A fresh team with one all-permissions key."""
    return teams.team()


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent
