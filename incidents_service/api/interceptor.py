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

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Executor
from typing import Any

import grpc

from incidents_service.api.errors import status_for
from incidents_service.auth import (
    UNAUTHENTICATED_PREFIXES,
    Authenticator,
    Caller,
    authorize,
    reset_current_caller,
    set_current_caller,
)
from incidents_service.deadlines import CallDeadline, deadline_of_call
from incidents_service.domain.errors import DomainError, FieldViolation, InvalidArgument, StorageUnavailable
from incidents_service.storage.python_turns import TURNS
from incidents_service.storage.unit_of_work import writes_authorized_by

call_log = logging.getLogger("incidents_service.calls")
error_log = logging.getLogger("incidents_service.errors")


class CallSlots:
    """Admission to the storage threads: a per-key share, and a bounded queue beyond which calls are shed.

    A key may run at most `per_key` calls at once; its further calls wait on the loop, holding no
    thread. At most `queue_limit` admitted calls, holding at most `queue_bytes` of request bodies, wait
    in all; past either the server sheds load with UNAVAILABLE, which clients retry with backoff. The
    byte budget is what bounds a process's memory under many large calls (README "Serving model").
    """

    def __init__(self, threads: int, queue_limit: int, queue_bytes: int) -> None:
        self.per_key = max(1, threads // 4)
        self._queue_limit = queue_limit
        self._queue_bytes = queue_bytes
        self._waiting = 0
        self._waiting_bytes = 0
        self._by_key: dict[str, asyncio.Semaphore] = {}
        self._users: dict[str, int] = {}

    async def run(self, key_id: str, size: int, work: Callable[[], Awaitable[Any]]) -> Any:
        if self._waiting >= self._queue_limit or self._waiting_bytes + size > self._queue_bytes:
            raise StorageUnavailable("the server is overloaded; retry with backoff")
        self._waiting += 1
        self._waiting_bytes += size
        self._users[key_id] = self._users.get(key_id, 0) + 1
        semaphore = self._by_key.setdefault(key_id, asyncio.Semaphore(self.per_key))
        try:
            async with semaphore:
                return await work()
        finally:
            self._waiting -= 1
            self._waiting_bytes -= size
            self._users[key_id] -= 1
            if self._users[key_id] == 0:  # forget idle keys: the table stays as small as the callers
                del self._users[key_id]
                del self._by_key[key_id]


class CallInterceptor(grpc.aio.ServerInterceptor):
    def __init__(
        self,
        authenticator: Authenticator,
        storage_threads: Executor,
        threads: int,
        statement_limit_seconds: float,
        queue_limit: int,
        queue_bytes: int,
    ) -> None:
        self._authenticator = authenticator
        self._storage_threads = storage_threads
        self._statement_limit_seconds = statement_limit_seconds
        self._slots = CallSlots(threads, queue_limit, queue_bytes)

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
            caller = await self._authenticator.authenticate_async(_authorization(handler_call_details))
            authorize(caller, method)
        except StorageUnavailable as error:
            error_log.warning(
                "cannot authenticate a call to %s: %s", method, error, exc_info=error.__cause__ is not None
            )
            return _refusal(handler, error, method, started)
        except DomainError as error:
            return _refusal(handler, error, method, started)
        except Exception:
            error_log.exception("authentication failed unexpectedly for %s", method)
            return _refusal(handler, StorageUnavailable("cannot check the API key right now; retry"), method, started)
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
            deadline = CallDeadline(context.time_remaining(), self._statement_limit_seconds)
            loop = asyncio.get_running_loop()

            def end_call(*_: object) -> None:
                if deadline.has_hooks():
                    # Interrupting a statement sends a cancel request: never on the loop's thread.
                    loop.run_in_executor(None, deadline.cancel)
                else:
                    deadline.cancel()

            context.add_done_callback(lambda _context: end_call())  # type: ignore[arg-type]  # grpc-stubs: any callable of the context
            timer: asyncio.TimerHandle | None = None

            def run() -> Any:
                token = set_current_caller(caller)
                try:
                    with TURNS.turn():
                        # Decoded here rather than by gRPC, which answers INTERNAL for bytes that are not
                        # the request message: a caller's bad bytes are INVALID_ARGUMENT, after
                        # authentication.
                        request = decode_request(deserialize, raw_request, method)
                        with deadline_of_call(deadline), writes_authorized_by(caller.key_id):
                            response = behavior(request, context)
                        return response if serialize is None else serialize(response)
                finally:
                    reset_current_caller(token)

            async def on_thread() -> Any:
                nonlocal timer
                deadline.start_server_limit()
                timer = loop.call_later(deadline.seconds_left() or 0.0, end_call)
                return await loop.run_in_executor(self._storage_threads, run)

            error: DomainError | None = None
            try:
                return await self._slots.run(caller.key_id, len(raw_request), on_thread)
            except asyncio.CancelledError:
                end_call()  # deadline passed or client gone: stop the statement now
                raise
            except DomainError as domain_error:
                error = domain_error
            except Exception:
                error_log.exception("unexpected error in %s", method)
                await context.abort(grpc.StatusCode.INTERNAL, "internal error")
            finally:
                if timer is not None:
                    timer.cancel()
                _log_call(method, context, caller, started, error)
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
        _log_call(method, context, None, started, error)
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


def _log_call(
    method: str, context: grpc.aio.ServicerContext, caller: Caller | None, started: float, error: DomainError | None
) -> None:
    if not call_log.isEnabledFor(logging.INFO):
        return
    code = status_for(error).code if error is not None else (context.code() or grpc.StatusCode.OK)
    call_log.info(
        json.dumps(
            {
                "event": "rpc",
                "method": method,
                "code": code.name,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "team": caller.team_name if caller else None,
                "principal": caller.principal if caller else None,
                "key_id": caller.key_id if caller else None,
            }
        )
    )
