"""The one interceptor every call passes: authenticate, authorize, map domain errors, log one line."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
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
from incidents_service.domain.errors import DomainError, FieldViolation, InvalidArgument

call_log = logging.getLogger("incidents_service.calls")
error_log = logging.getLogger("incidents_service.errors")


class CallInterceptor(grpc.ServerInterceptor):
    def __init__(self, authenticator: Authenticator) -> None:
        self._authenticator = authenticator

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or handler.unary_unary is None:
            # Unknown methods answer UNIMPLEMENTED; the only streaming rpc is reflection (no key needed).
            return handler
        needs_key = not method.startswith(UNAUTHENTICATED_PREFIXES)
        metadata = handler_call_details.invocation_metadata or ()
        authorization = next((value for key, value in metadata if key == "authorization"), None)
        if isinstance(authorization, bytes):
            authorization = authorization.decode("utf-8", "replace")
        behavior = handler.unary_unary
        deserialize = handler.request_deserializer

        def serve(raw_request: bytes, context: grpc.ServicerContext) -> Any:
            started = time.perf_counter()
            caller: Caller | None = None
            token = None
            try:
                if needs_key:
                    caller = self._authenticator.authenticate(authorization)
                    authorize(caller, method)
                    token = set_current_caller(caller)
                # Decoded here rather than by gRPC, which answers INTERNAL for bytes that are not the
                # request message: a caller's bad bytes are INVALID_ARGUMENT, after authentication.
                request = decode_request(deserialize, raw_request, method)
                # gRPC calls back when the call ends (deadline, client gone, or done): storage then
                # stops whatever it still runs for it (deadlines.py).
                deadline = CallDeadline(context.time_remaining())
                context.add_callback(deadline.cancel)
                with deadline_of_call(deadline):
                    return behavior(request, context)
            except DomainError as error:
                context.abort_with_status(status_for(error))
            except Exception:
                if context.code() is not None:  # type: ignore[attr-defined]  # an abort or UNIMPLEMENTED already chose the status
                    raise
                error_log.exception("unexpected error in %s", method)
                context.abort(grpc.StatusCode.INTERNAL, "internal error")
            finally:
                if token is not None:
                    reset_current_caller(token)
                _log_call(method, context, caller, started)

        return grpc.unary_unary_rpc_method_handler(
            serve,
            request_deserializer=None,  # the raw bytes: decode_request decodes them
            response_serializer=handler.response_serializer,
        )


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


def _log_call(method: str, context: grpc.ServicerContext, caller: Caller | None, started: float) -> None:
    if not call_log.isEnabledFor(logging.INFO):
        return
    code = context.code() or grpc.StatusCode.OK  # type: ignore[attr-defined]
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
