"""Plain HTTP calls for the tests of the HTTP surface (Connect and the alert intake), with the stdlib only."""

from __future__ import annotations

import base64
import http.client
import json
import select
import socket
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from google.protobuf import json_format, symbol_database
from google.protobuf.message import Message
from google.rpc import error_details_pb2  # noqa: F401  (registers the google.rpc detail messages)


@dataclass
class HttpAnswer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    base_url: str,
    path: str,
    body: bytes | str | dict[str, Any] | list[Any] | None = None,
    *,
    key: str | None = None,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
    timeout: float = 30,
) -> HttpAnswer:
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    sent: dict[str, str] = {"Content-Type": "application/json"}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    sent.update(headers or {})
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    if isinstance(body, str):
        body = body.encode("utf-8")
    target = path + ("?" + urlencode(query) if query else "")
    try:
        connection.request(method, target, body=body, headers=sent)
        response = connection.getresponse()
        return HttpAnswer(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def connect(base_url: str, rpc: str, body: Any, key: str | None = None, **kwargs: Any) -> HttpAnswer:
    """POST /<service>/<rpc> with a JSON body; `rpc` is "incidents/GetIncident" style shorthand or a full path."""
    return call(base_url, rpc_path(rpc), body, key=key, **kwargs)


SERVICES = {
    "incidents": "com.coralogixapis.incidents.v1.IncidentsService",
    "ingestion": "incidents_service.v1.AlertIngestionService",
    "management": "incidents_service.v1.IncidentManagementService",
}


def rpc_path(rpc: str) -> str:
    if rpc.startswith("/"):
        return rpc
    service, _, name = rpc.partition("/")
    return f"/{SERVICES[service]}/{name}"


def error_details(error_json: dict[str, Any]) -> list[dict[str, Any]]:
    """A Connect error's details decoded into JSON with proto field names, as grpcurl -format-error shows them."""
    decoded = []
    for detail in error_json.get("details", []):
        message_class = symbol_database.Default().GetSymbol(detail["type"])
        message: Message = message_class.FromString(base64.b64decode(detail["value"] + "==="))
        as_json = json_format.MessageToDict(message, preserving_proto_field_name=True)
        decoded.append({"@type": f"type.googleapis.com/{detail['type']}", **as_json})
    return decoded


def without(value: Any, *names: str) -> Any:
    """A JSON value without the named keys at any depth (fields that change between two calls)."""
    if isinstance(value, dict):
        return {k: without(v, *names) for k, v in value.items() if k not in names}
    if isinstance(value, list):
        return [without(v, *names) for v in value]
    return value


def raw_exchange(base_url: str, request: bytes, wait: float = 5.0) -> bytes:
    """Send raw bytes (headers, maybe no body) and read what the server answers within `wait` seconds."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(request)
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and b"\r\n\r\n" not in received:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received


def send_until_answered(base_url: str, head: bytes, body: bytes, chunk: int = 64 * 1024, wait: float = 10.0) -> bytes:
    """Send a request's head, then its body piece by piece, stopping as soon as the server answers
    (a server that refuses a body part-way answers and closes; this reads that answer)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=wait) as sock:
        sock.sendall(head)
        for start in range(0, len(body), chunk):
            readable, _, _ = select.select([sock], [], [], 0)
            if readable:
                break
            try:
                sock.sendall(body[start : start + chunk])
            except (BrokenPipeError, ConnectionResetError):
                break
        received = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and b"\r\n\r\n" not in received:
            try:
                data = sock.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not data:
                break
            received += data
        return received
