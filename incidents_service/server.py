"""Assembling the grpc.Server: servicers, the call interceptor, health, reflection, TLS, shutdown."""

from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from types import FrameType

import grpc
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from sqlalchemy import Engine

from incidents_service.api.insights_servicers import IncidentInsightsServicer, IncidentNotesServicer
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
from incidents_service.storage.database import ping
from incidents_service.storage.unit_of_work import UnitOfWork

log = logging.getLogger("incidents_service.server")

SERVICE_NAMES = (
    svc.DESCRIPTOR.services_by_name["IncidentsService"].full_name,
    api.DESCRIPTOR.services_by_name["AlertIngestionService"].full_name,
    api.DESCRIPTOR.services_by_name["IncidentManagementService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentNotesService"].full_name,
    ins.DESCRIPTOR.services_by_name["IncidentInsightsService"].full_name,
)
HEALTH_PROBE_SECONDS = 2.0
MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # 1000 alert events with large descriptions fit; more is refused


class DatabaseHealth:
    """Keeps the standard health service SERVING exactly while the database answers."""

    def __init__(self, engine: Engine, servicer: health.HealthServicer) -> None:
        self._engine = engine
        self._servicer = servicer
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="database-health", daemon=True)

    def start(self) -> None:
        self.probe()
        self._thread.start()

    def probe(self) -> bool:
        serving = ping(self._engine)
        status = health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        for name in ("", *SERVICE_NAMES):
            self._servicer.set(name, status)
        return serving

    def _run(self) -> None:
        while not self._stopped.wait(HEALTH_PROBE_SECONDS):
            self.probe()

    def stop(self) -> None:
        self._stopped.set()
        for name in ("", *SERVICE_NAMES):
            self._servicer.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)


def load_page_token_secret(engine: Engine) -> bytes:
    with UnitOfWork(engine, team_id="", write=False) as uow:
        secret = uow.access.setting("page_token_secret")
    if secret is None:
        raise RuntimeError("the database has no page_token_secret: run `incidents-service migrate`")
    return bytes.fromhex(secret)


def build_server(settings: Settings, engine: Engine) -> tuple[grpc.Server, DatabaseHealth, int]:
    """The configured server (not started), its health monitor, and the port it is bound to."""
    operations = IncidentOperations(engine)
    page_tokens = PageTokenCodec(load_page_token_secret(engine))
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="rpc"),
        interceptors=[CallInterceptor(Authenticator(engine))],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=settings.workers * 8,
    )
    svc_grpc.add_IncidentsServiceServicer_to_server(IncidentsServicer(operations, page_tokens), server)
    api_grpc.add_AlertIngestionServiceServicer_to_server(AlertIngestionServicer(operations), server)
    api_grpc.add_IncidentManagementServiceServicer_to_server(IncidentManagementServicer(operations), server)
    ins_grpc.add_IncidentNotesServiceServicer_to_server(IncidentNotesServicer(operations, page_tokens), server)
    ins_grpc.add_IncidentInsightsServiceServicer_to_server(IncidentInsightsServicer(operations, page_tokens), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    enable_documented_reflection((*SERVICE_NAMES, health.SERVICE_NAME), server)
    if settings.tls_cert and settings.tls_key:
        with open(settings.tls_key, "rb") as key_file, open(settings.tls_cert, "rb") as cert_file:
            credentials = grpc.ssl_server_credentials([(key_file.read(), cert_file.read())])
        port = server.add_secure_port(settings.listen, credentials)
    else:
        port = server.add_insecure_port(settings.listen)
    if port == 0:
        raise OSError(f"cannot listen on {settings.listen}")
    return server, DatabaseHealth(engine, health_servicer), port


def serve(settings: Settings, engine: Engine) -> int:
    """Serve until SIGTERM or SIGINT; then refuse new calls, finish those in flight, exit 0."""
    server, database_health, _port = build_server(settings, engine)
    stop_requested = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        log.info('{"event": "shutdown", "signal": "%s"}', signal.Signals(signum).name)
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    server.start()
    database_health.start()
    log.info(
        '{"event": "serving", "listen": "%s", "tls": %s}',
        settings.listen,
        "true" if settings.tls_cert else "false",
    )
    stop_requested.wait()
    database_health.stop()
    server.stop(settings.grace_seconds).wait()
    engine.dispose()
    log.info('{"event": "stopped"}')
    return 0
