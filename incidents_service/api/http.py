"""The HTTP side of a serving process (SPEC 12): one ASGI application, served by uvicorn on the same event
loop as the gRPC server.

Routes: `POST /<package>.<Service>/<Method>` (and GET for read-only rpcs) for every rpc, over Connect
(api/connect.py); `POST /v1/intake/alertmanager` and `POST /v2/enqueue` (api/intake/); `GET /metrics`
(Prometheus, metrics.py). Before any body
is read: an unknown route answers 404, a Connect call is authenticated from its `Authorization` header
and authorized exactly as over gRPC, and a body declared above 4 MiB is refused (a body that grows past it
while being read is refused too). Nothing else happens on the loop: the calls run through `Calls`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import uvicorn
from connectrpc.server import ConnectASGIApplication
from google.protobuf import descriptor_pool
from google.rpc import code_pb2, status_pb2
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from incidents_service import metrics
from incidents_service.api.asgi import Receive, Scope, Send, declared_length, header, send_json
from incidents_service.api.calls import Calls, record_call
from incidents_service.api.connect import CODECS, ServicerBridge, authenticated_caller, error_json
from incidents_service.api.errors import rpc_status_for
from incidents_service.api.intake import ALERTMANAGER_ROUTE, PAGERDUTY_ROUTE, AlertIntake
from incidents_service.domain.errors import DomainError

# SPEC 11 and 12: a request above 4 MiB is refused before it is buffered, over HTTP as over gRPC.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
METRICS_ROUTE = "/metrics"


@dataclass(frozen=True)
class ConnectService:
    """One service over Connect: its generated application class and the gRPC servicer that answers it."""

    application: Callable[..., ConnectASGIApplication[Any]]  # a generated `*ServiceASGIApplication` class
    servicer: Any


class MetricsRoute:
    """`GET /metrics`: Prometheus text, without a key (README "Metrics").

    Rendering reads every process's metric files and the database's gauges: it runs on a storage thread
    (Calls.internal, under the server's time limit and load shedding), one scrape at a time, so however
    many scrapers call, the loop holds nothing but their waiting coroutines."""

    def __init__(self, calls: Calls, scraped: CollectorRegistry) -> None:
        self._calls = calls
        self._scraped = scraped
        self._one_at_a_time = asyncio.Lock()

    async def __call__(self, scope: Scope, send: Send) -> None:
        if scope["method"] not in ("GET", "HEAD"):
            await send_json(send, 405, {"code": "invalid_argument", "message": f"{METRICS_ROUTE} takes GET"})
            return
        try:
            async with self._one_at_a_time:
                text = await self._calls.internal(METRICS_ROUTE).run(0, lambda: metrics.render(self._scraped))
        except DomainError as error:
            http_status, body = error_json(rpc_status_for(error))
            await send_json(send, http_status, body)
            return
        headers = [(b"content-type", CONTENT_TYPE_LATEST.encode()), (b"content-length", str(len(text)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else text})


class HttpApp:
    def __init__(
        self, calls: Calls, services: Sequence[ConnectService], intake: AlertIntake, metrics_route: MetricsRoute
    ) -> None:
        self._calls = calls
        self._intake = intake
        self._metrics = metrics_route
        # "/<package>.<Service>" -> (its Connect application, the names of its rpcs)
        self._services: dict[str, tuple[ConnectASGIApplication[Any], frozenset[str]]] = {}
        for service in services:
            application = service.application(
                ServicerBridge(service.servicer, calls),
                codecs=CODECS,
                read_max_bytes=MAX_REQUEST_BYTES,
            )
            descriptor = descriptor_pool.Default().FindServiceByName(application.path.lstrip("/"))
            self._services[application.path] = (application, frozenset(m.name for m in descriptor.methods))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return  # lifespan is off; websockets are not served
        path: str = scope["path"]
        if path == ALERTMANAGER_ROUTE:
            await self._intake.alertmanager(scope, receive, send)
            return
        if path == PAGERDUTY_ROUTE:
            await self._intake.pagerduty(scope, receive, send)
            return
        if path == METRICS_ROUTE:
            await self._metrics(scope, send)
            return
        service_path, _, rpc = path.rpartition("/")
        served = self._services.get(service_path)
        if served is None or rpc not in served[1]:
            status = status_pb2.Status(code=code_pb2.UNIMPLEMENTED, message=f"no rpc or route {path[:200]}")
            await send_json(send, 404, error_json(status)[1])
            return
        await self._connect(served[0], path, scope, receive, send)

    async def _connect(
        self, application: ConnectASGIApplication[Any], method: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        started = time.perf_counter()
        try:
            caller = await self._calls.authenticate(method, header(scope, b"authorization"))
        except DomainError as error:
            http_status, body = error_json(rpc_status_for(error))
            record_call(method, body["code"].upper(), started, None, "connect")
            await send_json(send, http_status, body)
            return
        if (declared_length(scope) or 0) > MAX_REQUEST_BYTES:
            status = status_pb2.Status(
                code=code_pb2.RESOURCE_EXHAUSTED, message=f"the request is larger than {MAX_REQUEST_BYTES} bytes"
            )
            record_call(method, "RESOURCE_EXHAUSTED", started, caller, "connect")
            await send_json(send, 413, error_json(status)[1])
            return
        token = authenticated_caller.set(caller)
        # connectrpc types ASGI with asgiref's TypedDicts; these are the same dicts uvicorn handed in.
        asgi_application: Any = application
        try:
            await asgi_application(scope, receive, send)
        finally:
            authenticated_caller.reset(token)


class HttpServer(uvicorn.Server):
    """uvicorn on the caller's event loop. Signals belong to `serve`, which stops gRPC and HTTP together."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def bind_http_socket(listen: str, reuse_port: bool) -> socket.socket:
    """The listening socket, bound here so `serve --processes N` can share the port (SO_REUSEPORT)."""
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, int(port)))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {listen} (HTTP): {exc.strerror or exc}") from exc
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def http_config(app: Any, tls_cert: str | None, tls_key: str | None, grace_seconds: float) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,  # the app logs one JSON line per call, like gRPC
        server_header=False,
        ssl_certfile=tls_cert,
        ssl_keyfile=tls_key,
        timeout_graceful_shutdown=int(grace_seconds) or 1,
        timeout_keep_alive=30,
    )
