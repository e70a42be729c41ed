"""The one interceptor every call passes: authenticate, authorize, run the call's storage work, map errors, log.

The server is a grpc.aio server: a call is a coroutine on the event loop, so a client that sends its
request slowly (or never) holds nothing but that coroutine, and Health/Check is answered on the loop
without waiting for anything (SPEC 11). Authentication happens here, before the request body is read:
a call without a valid key is refused from its headers alone, and its body is never buffered.
The servicers are synchronous (they call storage, which blocks on the database): each authenticated
call runs its servicer method on a bounded pool of threads, at most a quarter of them for one API key, so
one caller's load never takes every thread from the others.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from incidents_service.api.calls import Calls, record_call
from incidents_service.api.errors import status_for
from incidents_service.auth import UNAUTHENTICATED_PREFIXES, Caller
from incidents_service.domain.errors import DomainError, FieldViolation, InvalidArgument


class CallInterceptor(grpc.aio.ServerInterceptor):
    """The gRPC transport of `Calls`: headers in, a handler that runs the call there, a status out."""

    def __init__(self, calls: Calls) -> None:
        self._calls = calls

    async def intercept_service(  # type: ignore[override]  # grpc-stubs: continuation answers None for unknown methods
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(UNAUTHENTICATED_PREFIXES):
            # Unknown methods answer UNIMPLEMENTED; health and reflection need no key.
            return handler
        started = time.perf_counter()
        try:
            caller = await self._calls.authenticate(method, _authorization(handler_call_details))
        except DomainError as error:
            return _refusal(handler, error, method, started)
        if handler.unary_unary is None:
            # Every streaming method is authenticated above; the service defines none of its own, so one
            # added later runs as written, behind the same key check.
            return handler
        # Requests are decoded and responses encoded on the storage thread, not on the event loop: a
        # large page then never holds up Health/Check (the handler takes and answers bytes).
        return grpc.unary_unary_rpc_method_handler(
            self._serving(
                method, caller, handler.unary_unary, handler.request_deserializer, handler.response_serializer
            )
        )

    def _serving(
        self,
        method: str,
        caller: Caller,
        behavior: Callable[[Any, Any], Any],
        deserialize: Callable[[bytes], Any] | None,
        serialize: Callable[[Any], bytes] | None,
    ) -> Callable[[bytes, grpc.aio.ServicerContext], Awaitable[Any]]:
        async def serve(raw_request: bytes, context: grpc.aio.ServicerContext) -> Any:
            started = time.perf_counter()
            call = self._calls.start(method, caller, context.time_remaining())
            context.add_done_callback(lambda _context: call.end())  # type: ignore[arg-type]  # grpc-stubs: any callable of the context

            def work() -> Any:
                # Decoded here rather than by gRPC, which answers INTERNAL for bytes that are not the
                # request message: a caller's bad bytes are INVALID_ARGUMENT, after authentication.
                request = decode_request(deserialize, raw_request, method)
                response = behavior(request, context)
                return response if serialize is None else serialize(response)

            error: DomainError | None = None
            try:
                return await call.run(len(raw_request), work)
            except DomainError as domain_error:
                error = domain_error
            finally:
                _record_call(method, context, caller, started, error)
            status = status_for(error)
            await context.abort(status.code, status.details, status.trailing_metadata)

        return serve


def _authorization(handler_call_details: grpc.HandlerCallDetails) -> str | None:
    metadata = handler_call_details.invocation_metadata or ()
    value = next((value for key, value in metadata if key == "authorization"), None)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _refusal(handler: grpc.RpcMethodHandler, error: DomainError, method: str, started: float) -> grpc.RpcMethodHandler:
    """A handler that answers the error without reading the request: its body is never buffered."""
    status = status_for(error)

    async def refuse(_requests: AsyncIterator[Any], context: grpc.aio.ServicerContext) -> Any:
        _record_call(method, context, None, started, error)
        await context.abort(status.code, status.details, status.trailing_metadata)

    # Request-streaming handlers read nothing until asked to, whatever the method's own shape.
    if handler.response_streaming:
        return grpc.stream_stream_rpc_method_handler(refuse)
    return grpc.stream_unary_rpc_method_handler(refuse)


def decode_request(deserialize: Callable[[bytes], Any] | None, raw_request: bytes, method: str) -> Any:
    if deserialize is None:
        return raw_request
    try:
        return deserialize(raw_request)
    except Exception as exc:  # protobuf's DecodeError, or bad UTF-8 in a string field
        message_name = method.rsplit("/", 1)[-1] + "Request"
        raise InvalidArgument(
            [FieldViolation("request", f"the bytes are not a valid {message_name} message: {exc}"[:300])]
        ) from exc


def _record_call(
    method: str, context: grpc.aio.ServicerContext, caller: Caller | None, started: float, error: DomainError | None
) -> None:
    code = status_for(error).code if error is not None else (context.code() or grpc.StatusCode.OK)
    record_call(method, code.name, started, caller, "grpc")
