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
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
from incidents_service_api.v1 import notifications_connect as nt_connect
from incidents_service_api.v1 import notifications_pb2 as nt
from incidents_service_api.v1 import notifications_pb2_grpc as nt_grpc
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.grpc import aio_server_interceptor
from opentelemetry.instrumentation.grpc import filters as grpc_filters
from opentelemetry.sdk.trace import TracerProvider
from sqlalchemy import Engine

from incidents_service import logs, metrics, tracing
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
    MetricsRoute,
    bind_http_socket,
    http_config,
)
from incidents_service.api.insights_servicers import IncidentInsightsServicer, IncidentNotesServicer
from incidents_service.api.intake import AlertIntake
from incidents_service.api.interceptor import CallInterceptor
from incidents_service.api.notification_servicers import IncidentActionsServicer, NotificationRulesServicer
from incidents_service.api.page_tokens import PageTokenCodec
from incidents_service.api.reflection import enable_documented_reflection
from incidents_service.api.servicers import (
    AlertIngestionServicer,
    IncidentManagementServicer,
    IncidentsServicer,
)
from incidents_service.auth import Authenticator
from incidents_service.config import Settings
from incidents_service.domain.model import IncidentStatus, Severity
from incidents_service.domain.notifications import DeliveryState
from incidents_service.logs import get_logger
from incidents_service.metrics import DatabaseGauge, DatabaseGauges
from incidents_service.notification_operations import NotificationOperations
from incidents_service.notify.dispatcher import Dispatcher
from incidents_service.operations import IncidentOperations
from incidents_service.storage.database import create_control_engine, create_read_engine, ping
from incidents_service.storage.unit_of_work import UnitOfWork

log = get_logger("incidents_service.server")

SERVICE_NAMES = (
    svc.DESCRIPTOR.services_by_name["IncidentsService"].full_name,
    api.DESCRIPTOR.services_by_name["AlertIngestionService"].full_name,
    api.DESCRIPTOR.services_by_name["IncidentManagementService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentNotesService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentInsightsService"].full_name,
    nt.DESCRIPTOR.services_by_name["NotificationRulesService"].full_name,
    nt.DESCRIPTOR.services_by_name["IncidentActionsService"].full_name,
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

    def __init__(self, settings: Settings, engine: Engine, tracer_provider: TracerProvider | None = None) -> None:
        """`tracer_provider`: trace every call (tracing.py); None traces nothing and costs nothing."""
        self.settings = settings
        self.engine = engine
        self.tracer_provider = tracer_provider
        self.control_engine = create_control_engine(engine)
        self.read_engine = create_read_engine(engine)
        self._storage_threads = futures.ThreadPoolExecutor(settings.workers, thread_name_prefix="storage")
        self._control_threads = futures.ThreadPoolExecutor(2, thread_name_prefix="control")
        self.operations = IncidentOperations(engine, self.read_engine)
        metrics.observe_pool(engine, "writes")
        metrics.observe_pool(self.read_engine, "reads")  # SQLite reads share the writes' engine
        metrics.observe_pool(self.control_engine, "control")
        if tracer_provider is not None:
            logs.include_trace_ids(True)
            # Key look-ups and the health probe (the control engine) are not part of a call's trace.
            tracing.trace_statements(engine, tracer_provider)
            if self.read_engine is not engine:
                tracing.trace_statements(self.read_engine, tracer_provider)
        self.notifications = NotificationOperations(self.operations)
        self.page_tokens = PageTokenCodec(load_page_token_secret(engine))
        # Delivers the outbox (SPEC 14): every serving process runs one; replicas share the work.
        self.dispatcher = Dispatcher(engine, self._storage_threads, settings.notify)
        self._ingestion = AlertIngestionServicer(self.operations)
        self.port = 0
        self.http_port = 0
        self._server: grpc.aio.Server | None = None
        self._http_server: HttpServer | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._http_socket: socket.socket | None = None
        self._health: DatabaseHealth | None = None
        # However often /metrics is scraped, the database gauges are read at most this often.
        self.gauges_max_age_seconds = 5.0
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
                NotificationRulesServicer(self.notifications, self.page_tokens),
                nt_grpc.add_NotificationRulesServiceServicer_to_server,
                nt_connect.NotificationRulesServiceASGIApplication,
            ),
            ServedService(
                IncidentActionsServicer(self.notifications, self.page_tokens),
                nt_grpc.add_IncidentActionsServiceServicer_to_server,
                nt_connect.IncidentActionsServiceASGIApplication,
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

    def database_gauges(self) -> list[DatabaseGauge]:
        """The gauges /metrics reads from the database when scraped (a new one is one entry here)."""
        return [
            DatabaseGauge(
                "incidents_open",
                "Incidents not closed, by severity and status (every team)",
                ("severity", "status"),
                self._open_incidents,
            ),
            DatabaseGauge(
                "incidents_notifications",
                "Notifications by delivery state: pending, delivered, failed (every team)",
                ("state",),
                self._notifications,
            ),
        ]

    def _notifications(self) -> dict[tuple[str, ...], float]:
        counts = self.operations.notifications_by_state()
        return {(state.value,): counts.get(state, 0) for state in DeliveryState}

    def _open_incidents(self) -> dict[tuple[str, ...], float]:
        counts = self.operations.open_incidents()
        # Every combination, zeros included: an alert on a series that is absent never fires.
        return {
            (severity.name.lower(), status.name.lower()): counts.get((severity, status), 0)
            for severity in Severity
            for status in IncidentStatus
        }

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
        interceptors: list[grpc.aio.ServerInterceptor] = [CallInterceptor(calls)]
        if self.tracer_provider is not None:
            # First, so the call's span covers the call interceptor's whole handling. Health probes and
            # reflection are not calls: they make no trace.
            not_calls = grpc_filters.any_of(
                grpc_filters.health_check(), grpc_filters.service_prefix("grpc.reflection.")
            )
            interceptors.insert(
                0, aio_server_interceptor(tracer_provider=self.tracer_provider, filter_=grpc_filters.negate(not_calls))
            )
        server = grpc.aio.server(
            interceptors=interceptors,
            options=[
                ("grpc.max_receive_message_length", MAX_REQUEST_BYTES),
                ("grpc.max_concurrent_streams", MAX_STREAMS_PER_CONNECTION),
                # Flow-control windows stay at their initial 64 KiB: grown by bandwidth probing, they let
                # a client push whole 4 MiB bodies on every stream before a call is refused (100 calls
                # without a key put 140-335 MiB in gRPC's buffers).
                ("grpc.http2.bdp_probe", 0),
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
        try:
            if settings.tls_cert and settings.tls_key:
                with open(settings.tls_key, "rb") as key_file, open(settings.tls_cert, "rb") as cert_file:
                    credentials = grpc.ssl_server_credentials([(key_file.read(), cert_file.read())])
                port = server.add_secure_port(settings.listen, credentials)
            else:
                port = server.add_insecure_port(settings.listen)
        except RuntimeError:  # grpc's "Failed to bind": the operator's answer is the address
            port = 0
        if port == 0:
            raise OSError(f"cannot listen on {settings.listen} (gRPC): the address is in use or not available")
        self._server = server
        self._health = DatabaseHealth(self.control_engine, health_servicer, self._control_threads)
        if settings.http_listen:
            self._http_socket = bind_http_socket(settings.http_listen, settings.reuse_port)
        await server.start()
        await self._health.start()
        self.dispatcher.start()
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
            MetricsRoute(calls, metrics.registry(DatabaseGauges(self.database_gauges(), self.gauges_max_age_seconds))),
        )
        asgi_app: Any = app
        if self.tracer_provider is not None:
            # Scrapes of /metrics are not calls: they make no trace.
            asgi_app = OpenTelemetryMiddleware(
                app, tracer_provider=self.tracer_provider, exclude_spans=["receive", "send"], excluded_urls="/metrics$"
            )
        config = http_config(asgi_app, settings.tls_cert, settings.tls_key, settings.grace_seconds)
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
        # Beside the drain: deliveries in flight finish (each within its 5 s timeout) and are recorded;
        # nothing new is claimed.
        dispatcher_stopped = asyncio.create_task(self.dispatcher.stop())
        if self._http_server is not None:
            # uvicorn stops listening, closes idle connections and waits for requests in flight (up
            # to its graceful timeout, the same grace), while gRPC drains beside it.
            self._http_server.should_exit = True
        if self._server is not None:
            await self._server.stop(grace)
        if self._http_task is not None:
            await self._http_task
        await dispatcher_stopped
        self._storage_threads.shutdown(wait=True, cancel_futures=True)
        self._control_threads.shutdown(wait=True, cancel_futures=True)
        self.control_engine.dispose()
        if self.read_engine is not self.engine:
            self.read_engine.dispose()


async def _serve_until_signalled(settings: Settings, engine: Engine) -> None:
    tracer_provider = tracing.from_environment()
    server = IncidentsServer(settings, engine, tracer_provider)
    stop_requested = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, _request_stop, signum, stop_requested)
    await server.start()
    log.info(
        "serving",
        listen=settings.listen,
        http_listen=settings.http_listen,
        grpc_port=server.port,
        http_port=server.http_port or None,
        tls=bool(settings.tls_cert),
    )
    await stop_requested.wait()
    await server.stop(settings.grace_seconds)
    if tracer_provider is not None:
        tracer_provider.shutdown()  # the spans still batched are exported before the process exits


def _request_stop(signum: int, stop_requested: asyncio.Event) -> None:
    if not stop_requested.is_set():
        log.info("shutdown", signal=signal.Signals(signum).name)
    stop_requested.set()


def serve(settings: Settings, engine: Engine) -> int:
    """Serve until SIGTERM or SIGINT; then refuse new calls, finish those in flight, exit 0."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    asyncio.run(_serve_until_signalled(settings, engine))
    engine.dispose()
    log.info("stopped")
    return 0


def serve_processes(settings: Settings) -> int:
    """`serve --processes N`: N serving processes sharing the listen port (SO_REUSEPORT), nothing else.

    Each child is a fresh interpreter (gRPC does not survive fork) with its own pools. SIGTERM or
    SIGINT is passed to every child, which drains its calls; the parent exits 0 once all have. A child
    that dies on its own takes the others down and the parent exits non-zero, for the supervisor
    (systemd, Kubernetes) to restart the whole, rather than serve on quietly with fewer processes.
    """
    # The children's metric files, made for this run and removed after it (metrics.py).
    metrics_directory = tempfile.mkdtemp(prefix="incidents-metrics-")
    try:
        return _serve_children(settings, metrics_directory)
    finally:
        shutil.rmtree(metrics_directory, ignore_errors=True)


def _serve_children(settings: Settings, metrics_directory: str) -> int:
    environment = {
        **os.environ,
        **settings.for_child_process(),
        metrics.MULTIPROCESS_DIRECTORY: metrics_directory,
    }
    children = [
        subprocess.Popen([sys.executable, "-m", "incidents_service.cli", "serve"], env=environment)
        for _ in range(settings.processes)
    ]
    forgotten: set[int] = set()
    stopping = False

    def forward(signum: int, _frame: object) -> None:
        nonlocal stopping
        if not stopping:
            log.info("shutdown", signal=signal.Signals(signum).name, processes=len(children))
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
            if code is not None and child.pid not in forgotten:
                metrics.forget_process(child.pid, metrics_directory)
                forgotten.add(child.pid)
            if code is not None and code != 0 and not stopping:
                log.error("process_died", child_pid=child.pid, exit_code=code)
                failed = code if code > 0 else 1
                forward(signal.SIGTERM, None)
        time.sleep(0.1)
    codes = [child.returncode for child in children]
    if failed or any(codes):
        return failed or 1
    log.info("stopped", processes=len(children))
    return 0
