"""The Connect transport: every rpc of the gRPC services over HTTP (SPEC 12), answered by the same servicers.

The generated `*ServiceASGIApplication` classes (protoc-gen-connectrpc, over the google.protobuf messages
gRPC uses) speak the protocol: routing, POST and GET, JSON and binary, compression, deadlines from
`connect-timeout-ms`, the error JSON. Their service object here is a bridge that runs the gRPC
servicer's own synchronous method through `Calls`, exactly as the gRPC interceptor does; so there is no
second copy of any rule, and the same errors come out (`google.rpc.Status` turned into Connect's form).

Like gRPC, the request is decoded and the answer encoded on the storage thread, not on the event loop:
the codecs below only carry bytes, and the bridge decodes them there.
"""

from __future__ import annotations

import base64
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from connectrpc.code import Code
from connectrpc.codec import Codec
from connectrpc.compat import google_protobuf_binary_codec, google_protobuf_json_codec
from connectrpc.errors import ConnectError, ErrorDetail
from connectrpc.request import RequestContext
from google.protobuf.message import Message
from google.rpc import status_pb2
from protobuf.wkt import Any as ConnectAny

from incidents_service.api.calls import Calls, record_call
from incidents_service.api.errors import rpc_status_for
from incidents_service.auth import Caller
from incidents_service.domain.errors import DomainError, FieldViolation, InvalidArgument

# The caller of the Connect call being served, set by the HTTP app once it has authenticated the
# request from its headers (before its body is read) and read by the bridge.
authenticated_caller: ContextVar[Caller] = ContextVar("connect_caller")

# google.rpc.Code numbers -> Connect codes (the same names, as Connect spells them).
CONNECT_CODES: dict[int, Code] = {
    1: Code.CANCELED,
    2: Code.UNKNOWN,
    3: Code.INVALID_ARGUMENT,
    4: Code.DEADLINE_EXCEEDED,
    5: Code.NOT_FOUND,
    6: Code.ALREADY_EXISTS,
    7: Code.PERMISSION_DENIED,
    8: Code.RESOURCE_EXHAUSTED,
    9: Code.FAILED_PRECONDITION,
    10: Code.ABORTED,
    11: Code.OUT_OF_RANGE,
    12: Code.UNIMPLEMENTED,
    13: Code.INTERNAL,
    14: Code.UNAVAILABLE,
    15: Code.DATA_LOSS,
    16: Code.UNAUTHENTICATED,
}
# The HTTP status of each Connect error code (the Connect protocol's table).
HTTP_STATUS_OF_CODE: dict[Code, int] = {
    Code.CANCELED: 499,
    Code.UNKNOWN: 500,
    Code.INVALID_ARGUMENT: 400,
    Code.DEADLINE_EXCEEDED: 504,
    Code.NOT_FOUND: 404,
    Code.ALREADY_EXISTS: 409,
    Code.PERMISSION_DENIED: 403,
    Code.RESOURCE_EXHAUSTED: 429,
    Code.FAILED_PRECONDITION: 400,
    Code.ABORTED: 409,
    Code.OUT_OF_RANGE: 400,
    Code.UNIMPLEMENTED: 501,
    Code.INTERNAL: 500,
    Code.UNAVAILABLE: 503,
    Code.DATA_LOSS: 500,
    Code.UNAUTHENTICATED: 401,
}


def connect_error(error: DomainError) -> ConnectError:
    """The Connect error of a domain error: the code, message and google.rpc details gRPC sends."""
    status = rpc_status_for(error)
    details = [ErrorDetail(ConnectAny(type_url=detail.type_url, value=detail.value)) for detail in status.details]
    return ConnectError(CONNECT_CODES.get(status.code, Code.INTERNAL), status.message, details)


def error_json(status: status_pb2.Status) -> tuple[int, dict[str, Any]]:
    """HTTP status and Connect error JSON of a google.rpc.Status, for answers written before the
    Connect application runs (a refused key, a body too large)."""
    code = CONNECT_CODES.get(status.code, Code.INTERNAL)
    body: dict[str, Any] = {"code": code.value, "message": status.message}
    if status.details:
        body["details"] = [
            {
                "type": detail.type_url.rsplit("/", 1)[-1],
                "value": base64.b64encode(detail.value).decode("ascii").rstrip("="),
            }
            for detail in status.details
        ]
    return HTTP_STATUS_OF_CODE.get(code, 500), body


@dataclass(frozen=True, slots=True)
class _Undecoded:
    """A request body as the codec received it; decoded on the storage thread."""

    data: bytes
    message_class: type[Message]
    codec: Codec


@dataclass(frozen=True, slots=True)
class _Encoded:
    """An answer already encoded on the storage thread; the codec sends its bytes as they are."""

    data: bytes


class _DeferredCodec:
    """A codec that leaves decoding and encoding to the storage thread (see the module's doc)."""

    def __init__(self, codec: Codec) -> None:
        self._codec = codec

    def name(self) -> str:
        return self._codec.name()

    def encode(self, message: Any) -> bytes:
        if isinstance(message, _Encoded):
            return message.data
        encoded: bytes = self._codec.encode(message)
        return encoded

    def decode(self, data: bytes | bytearray, message_class: type[Message]) -> _Undecoded:
        return _Undecoded(bytes(data), message_class, self._codec)


# JSON (the proto3 JSON mapping; an unknown field is the caller's INVALID_ARGUMENT, as grpcurl refuses it)
# and binary protobuf, which Connect clients such as connect-go use by default.
CODECS: list[Codec] = [
    _DeferredCodec(google_protobuf_json_codec(ignore_unknown_fields=False)),
    _DeferredCodec(google_protobuf_binary_codec()),
]


class ServicerBridge:
    """The service object of a generated Connect application: each of its rpcs runs the gRPC servicer's
    method of the same name through `Calls`. Generic, so a new service needs nothing here."""

    def __init__(self, servicer: Any, calls: Calls) -> None:
        self._servicer = servicer
        self._calls = calls

    def __getattr__(self, _python_name: str) -> Any:
        # The generated application asks for `svc.get_incident` and so on; the rpc being called is
        # known from the request context, so one handler answers them all.
        return self._handle

    async def _handle(self, request: _Undecoded, ctx: RequestContext[Any, Any]) -> _Encoded:
        started = time.perf_counter()
        method = f"/{ctx.method.service_name}/{ctx.method.name}"
        caller = authenticated_caller.get()
        behavior = getattr(self._servicer, ctx.method.name)
        timeout_ms = ctx.timeout_ms
        call = self._calls.start(method, caller, None if timeout_ms is None else max(0.0, timeout_ms / 1000))

        def work() -> _Encoded:
            message = _decode(request)
            # The servicers use nothing of their context (the caller and deadline are set around them).
            response = behavior(message, None)
            return _Encoded(request.codec.encode(response))

        code = "OK"
        try:
            return await call.run(len(request.data), work)
        except DomainError as error:
            connect = connect_error(error)
            code = connect.code.name
            raise connect from error
        except BaseException:
            code = "CANCELLED"  # client gone or deadline passed: connect answers it
            raise
        finally:
            record_call(method, code, started, caller, "connect")


def _decode(request: _Undecoded) -> Message:
    if not request.data:
        return request.message_class()
    if request.codec.name() == "json" and not request.data.lstrip().startswith(b"{"):
        raise InvalidArgument(
            [FieldViolation("request", f"must be a JSON object (a {request.message_class.__name__})")]
        )
    try:
        decoded: Message = request.codec.decode(request.data, request.message_class)
    except Exception as exc:  # json_format.ParseError, protobuf's DecodeError, bad UTF-8
        raise InvalidArgument([_violation(str(exc), request.message_class.__name__)]) from exc
    return decoded


def _violation(problem: str, message_name: str) -> FieldViolation:
    """The field a JSON decoding error is about, where protobuf's message names it."""
    if unknown := re.search(r'no field named "([^"]{1,256})"', problem):
        return FieldViolation(unknown.group(1), f"{message_name} has no such field")
    if bad := re.search(r"Failed to parse (\S{1,256}) field: (.*)", problem, re.DOTALL):
        return FieldViolation(bad.group(1), bad.group(2)[:300])
    return FieldViolation("request", f"not a valid {message_name}: {problem}"[:500])
