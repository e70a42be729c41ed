"""Assembling the server: a grpc.aio server with the servicers, the call interceptor, health, reflection, TLS,
shutdown; beside it on the same event loop, uvicorn serving the same servicers over HTTP (Connect and
the alert intake, SPEC 12); and `serve --processes N`, N such processes on the same ports.

The serving model (SPEC 11, README "Serving model"): one event loop per process receives every call;
health and reflection are answered on the loop; an authenticated call's storage work runs on a bounded
pool of threads with its own database pools. Key look-ups and the health probe use a separate small
engine and thread pool, so neither ever waits behind queries.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from typing import Any

import grpc
from com.coralogixapis.incidents.v1 import incidents_service_connect as svc_connect
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incident_alerts_connect as alr_connect
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc
from incidents_service_api.v1 import incident_insights_connect as ins_connect
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_connect as api_connect
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from sqlalchemy import Engine

from incidents_service.api.alerts_servicers import (
    AlertSettingsServicer,
    CorrelationRulesServicer,
    IncidentAlertsServicer,
    MaintenanceWindowsServicer,
)
from incidents_service.api.calls import Calls
from incidents_service.api.http import (
    ConnectService,
    HttpApp,
    HttpServer,
    bind_http_socket,
    http_config,
)
from incidents_service.api.insights_servicers import IncidentInsightsServicer, IncidentNotesServicer
from incidents_service.api.intake import AlertIntake
from incidents_service.api.interceptor import CallInterceptor
from incidents_service.api.page_tokens import PageTokenCodec
from incidents_service.api.reflection import enable_documented_reflection
from incidents_service.api.servicers import (
    AlertIngestionServicer,
    IncidentManagementServicer,
    IncidentsServicer,
)
from incidents_service.auth import Authenticator
from incidents_service.config import Settings
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_control_engine, ping
from incidents_service.storage.unit_of_work import UnitOfWork

log = logging.getLogger("incidents_service.server")

SERVICE_NAMES = (
    svc.DESCRIPTOR.services_by_name["IncidentsService"].full_name,
    api.DESCRIPTOR.services_by_name["AlertIngestionService"].full_name,
    api.DESCRIPTOR.services_by_name["IncidentManagementService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentNotesService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentInsightsService"].full_name,
    alr.DESCRIPTOR.services_by_name["IncidentAlertsService"].full_name,
    alr.DESCRIPTOR.services_by_name["AlertSettingsService"].full_name,
    alr.DESCRIPTOR.services_by_name["MaintenanceWindowsService"].full_name,
    alr.DESCRIPTOR.services_by_name["CorrelationRulesService"].full_name,
)
# The asyncio health servicer (grpc_health.v1.health.aio), which grpc-stubs does not know yet.
AsyncHealthServicer: Any = health.aio.HealthServicer  # type: ignore[attr-defined]
HEALTH_PROBE_SECONDS = 2.0
# How long a thread wanting the GIL waits before asking the running one to hand it over (CPython's
# default is 5 ms). With storage threads taking turns (python_turns.py) the loop shares the GIL with one
# thread at most, so this bounds how long Health/Check and call receipt wait for it.
SWITCH_INTERVAL_SECONDS = 0.001
# SPEC 11: a request above 4 MiB is refused from its length prefix, before it is buffered.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# Streams one HTTP/2 connection may have open at once (half-sent ones included).
MAX_STREAMS_PER_CONNECTION = 128
# Calls admitted and waiting for (or holding) a storage thread, and the request bytes they may hold,
# before the server sheds load with UNAVAILABLE: what bounds a process's memory (README "Serving model").
QUEUED_CALLS = 512
QUEUED_REQUEST_BYTES = 64 * 1024 * 1024


class DatabaseHealth:
    """Keeps the standard health service SERVING exactly while the database answers.

    The probe runs on the control engine and thread, never on the pools that serve queries: a busy
    server is not an unhealthy one, and Check itself only reads the last answer.
    """

    def __init__(self, engine: Engine, servicer: Any, executor: futures.Executor) -> None:
        self._engine = engine
        self._servicer = servicer
        self._executor = executor
        self._task: asyncio.Task[None] | None = None

    async def probe(self) -> bool:
        serving = await asyncio.get_running_loop().run_in_executor(self._executor, ping, self._engine)
        await self._set(
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        return serving

    async def _set(self, status: int) -> None:
        for name in ("", *SERVICE_NAMES):
            await self._servicer.set(name, status)

    async def start(self) -> None:
        await self.probe()
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_PROBE_SECONDS)
            await self.probe()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self._set(health_pb2.HealthCheckResponse.NOT_SERVING)


@dataclass(frozen=True)
class ServedService:
    """One API service: its servicer, served over gRPC and over Connect (a new service is one of these)."""

    servicer: Any
    add_to_grpc_server: Callable[[Any, grpc.aio.Server], None]
    connect_application: Any  # the generated `*ServiceASGIApplication` class


def load_page_token_secret(engine: Engine) -> bytes:
    with UnitOfWork(engine, team_id="", write=False) as uow:
        secret = uow.access.setting("page_token_secret")
    if secret is None:
        raise RuntimeError("the database has no page_token_secret: run `incidents-service migrate`")
    return bytes.fromhex(secret)


class IncidentsServer:
    """One serving process. Build it anywhere; start, serve and stop it on one event loop."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine
        self.control_engine = create_control_engine(engine)
        self._storage_threads = futures.ThreadPoolExecutor(settings.workers, thread_name_prefix="storage")
        self._control_threads = futures.ThreadPoolExecutor(2, thread_name_prefix="control")
        self.operations = IncidentOperations(engine)
        self.page_tokens = PageTokenCodec(load_page_token_secret(engine))
        self._ingestion = AlertIngestionServicer(self.operations)
        self.port = 0
        self.http_port = 0
        self._server: grpc.aio.Server | None = None
        self._http_server: HttpServer | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._http_socket: socket.socket | None = None
        self._health: DatabaseHealth | None = None
        # Generic handlers served beside the services, behind the same interceptor (tests add probes here).
        self.extra_handlers: tuple[grpc.GenericRpcHandler, ...] = ()

    def services(self) -> list[ServedService]:
        """Every API service, served alike over gRPC and Connect."""
        return [
            ServedService(
                IncidentsServicer(self.operations, self.page_tokens),
                svc_grpc.add_IncidentsServiceServicer_to_server,
                svc_connect.IncidentsServiceASGIApplication,
            ),
            ServedService(
                self._ingestion,
                api_grpc.add_AlertIngestionServiceServicer_to_server,
                api_connect.AlertIngestionServiceASGIApplication,
            ),
            ServedService(
                IncidentManagementServicer(self.operations),
                api_grpc.add_IncidentManagementServiceServicer_to_server,
                api_connect.IncidentManagementServiceASGIApplication,
            ),
            ServedService(
                IncidentNotesServicer(self.operations, self.page_tokens),
                ins_grpc.add_IncidentNotesServiceServicer_to_server,
                ins_connect.IncidentNotesServiceASGIApplication,
            ),
            ServedService(
                IncidentInsightsServicer(self.operations, self.page_tokens),
                ins_grpc.add_IncidentInsightsServiceServicer_to_server,
                ins_connect.IncidentInsightsServiceASGIApplication,
            ),
            ServedService(
                IncidentAlertsServicer(self.operations, self.page_tokens),
                alr_grpc.add_IncidentAlertsServiceServicer_to_server,
                alr_connect.IncidentAlertsServiceASGIApplication,
            ),
            ServedService(
                AlertSettingsServicer(self.operations),
                alr_grpc.add_AlertSettingsServiceServicer_to_server,
                alr_connect.AlertSettingsServiceASGIApplication,
            ),
            ServedService(
                MaintenanceWindowsServicer(self.operations),
                alr_grpc.add_MaintenanceWindowsServiceServicer_to_server,
                alr_connect.MaintenanceWindowsServiceASGIApplication,
            ),
            ServedService(
                CorrelationRulesServicer(self.operations),
                alr_grpc.add_CorrelationRulesServiceServicer_to_server,
                alr_connect.CorrelationRulesServiceASGIApplication,
            ),
        ]

    async def start(self) -> int:
        """Bind, start serving (gRPC, and HTTP when configured) and probing the database; answers the
        bound gRPC port (`http_port` is the HTTP one)."""
        settings = self.settings
        # One core for every transport: the same admission, per-key share and time limits whichever
        # way a call arrives.
        calls = Calls(
            Authenticator(self.control_engine, executor=self._control_threads),
            self._storage_threads,
            threads=settings.workers,
            statement_limit_seconds=settings.statement_timeout_seconds,
            queue_limit=QUEUED_CALLS,
            queue_bytes=QUEUED_REQUEST_BYTES,
        )
        services = self.services()
        server = grpc.aio.server(
            interceptors=[CallInterceptor(calls)],
            options=[
                ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
                ("grpc.max_concurrent_streams", MAX_STREAMS_PER_CONNECTION),
                # Only `serve --processes N` shares its port; otherwise a busy port is an error.
                ("grpc.so_reuseport", 1 if settings.reuse_port else 0),
            ],
        )
        for service in services:
            service.add_to_grpc_server(service.servicer, server)
        health_servicer = AsyncHealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
        enable_documented_reflection((*SERVICE_NAMES, health.SERVICE_NAME), server)
        server.add_generic_rpc_handlers(self.extra_handlers)
        if settings.tls_cert and settings.tls_key:
            with open(settings.tls_key, "rb") as key_file, open(settings.tls_cert, "rb") as cert_file:
                credentials = grpc.ssl_server_credentials([(key_file.read(), cert_file.read())])
            port = server.add_secure_port(settings.listen, credentials)
        else:
            port = server.add_insecure_port(settings.listen)
        if port == 0:
            raise OSError(f"cannot listen on {settings.listen}")
        self._server = server
        self._health = DatabaseHealth(self.control_engine, health_servicer, self._control_threads)
        if settings.http_listen:
            self._http_socket = bind_http_socket(settings.http_listen, settings.reuse_port)
        await server.start()
        await self._health.start()
        self.port = port
        if self._http_socket is not None:
            await self._start_http(calls, services)
        return port

    async def _start_http(self, calls: Calls, services: list[ServedService]) -> None:
        assert self._http_socket is not None
        settings = self.settings
        app = HttpApp(
            calls,
            [ConnectService(service.connect_application, service.servicer) for service in services],
            AlertIntake(calls, self._ingestion, self.operations),
        )
        # uvicorn's own start and stop lines are not JSON; every call is logged by the app.
        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        config = http_config(app, settings.tls_cert, settings.tls_key, settings.grace_seconds)
        config.load()
        http_server = HttpServer(config)
        self._http_server = http_server
        self._http_task = asyncio.create_task(http_server.serve(sockets=[self._http_socket]))
        while not http_server.started:
            if self._http_task.done():
                self._http_task.result()  # raises what stopped it
                raise OSError(f"the HTTP server did not start on {settings.http_listen}")
            await asyncio.sleep(0.01)
        self.http_port = int(self._http_socket.getsockname()[1])

    async def stop(self, grace: float | None) -> None:
        """Refuse new calls, let those in flight finish within `grace` seconds, release everything."""
        if self._health is not None:
            await self._health.stop()
        if self._http_server is not None:
            # uvicorn stops listening, closes idle connections and waits for requests in flight (up
            # to its graceful timeout, the same grace), while gRPC drains beside it.
            self._http_server.should_exit = True
        if self._server is not None:
            await self._server.stop(grace)
        if self._http_task is not None:
            await self._http_task
        self._storage_threads.shutdown(wait=True, cancel_futures=True)
        self._control_threads.shutdown(wait=True, cancel_futures=True)
        self.control_engine.dispose()


async def _serve_until_signalled(settings: Settings, engine: Engine) -> None:
    server = IncidentsServer(settings, engine)
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, signum, stop_requested)
    await server.start()
    log.info(
        '{"event": "serving", "listen": "%s", "http_listen": "%s", "tls": %s, "pid": %d}',
        settings.listen,
        settings.http_listen,
        "true" if settings.tls_cert else "false",
        os.getpid(),
    )
    await stop_requested.wait()
    await server.stop(settings.grace_seconds)


def _request_stop(signum: int, stop_requested: asyncio.Event) -> None:
    if not stop_requested.is_set():
        log.info('{"event": "shutdown", "signal": "%s", "pid": %d}', signal.Signals(signum).name, os.getpid())
    stop_requested.set()


def serve(settings: Settings, engine: Engine) -> int:
    """Serve until SIGTERM or SIGINT; then refuse new calls, finish those in flight, exit 0."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    asyncio.run(_serve_until_signalled(settings, engine))
    engine.dispose()
    log.info('{"event": "stopped", "pid": %d}', os.getpid())
    return 0


def serve_processes(settings: Settings) -> int:
    """`serve --processes N`: N serving processes sharing the listen port (SO_REUSEPORT), nothing else.

    Each child is a fresh interpreter (gRPC does not survive fork) with its own pools. SIGTERM or
    SIGINT is passed to every child, which drains its calls; the parent exits 0 once all have. A child
    that dies on its own takes the others down and the parent exits non-zero, for the supervisor
    (systemd, Kubernetes) to restart the whole, rather than serve on quietly with fewer processes.
    """
    environment = {**os.environ, **settings.for_child_process()}
    children = [
        subprocess.Popen([sys.executable, "-m", "incidents_service.cli", "serve"], env=environment)
        for _ in range(settings.processes)
    ]
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            log.info(
                '{"event": "shutdown", "signal": "%s", "processes": %d}', signal.Signals(signum).name, len(children)
            )
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    failed = 0
    while any(child.poll() is None for child in children):
        for child in children:
            code = child.poll()
            if code is not None and code != 0 and not stopping:
                log.error('{"event": "process_died", "pid": %d, "exit_code": %d}', child.pid, code)
                failed = code if code > 0 else 1
                forward(signal.SIGTERM, None)
        time.sleep(0.1)
    codes = [child.returncode for child in children]
    if failed or any(codes):
        return failed or 1
    log.info('{"event": "stopped", "processes": %d}', len(children))
    return 0
