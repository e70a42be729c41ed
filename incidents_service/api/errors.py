"""The one mapping from domain errors to gRPC statuses with google.rpc details (AIP-193)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from incidents_service.domain.errors import (
    CallEnded,
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResponseTooLarge,
    StatementTimeLimit,
    StorageUnavailable,
    Unauthenticated,
)

T = TypeVar("T")

ERROR_DOMAIN = "incidents-service"
# Bytes of detail items per status. Details travel base64-encoded in the trailers, which gRPC clients
# cap at 8 KiB by default: past this budget the remaining items are counted, not listed.
# Sizes are UTF-8 bytes, not characters: a 4-byte character is 4 bytes of details (then base64) and
# 12 bytes of the percent-encoded grpc-message trailer.
DETAILS_BUDGET_BYTES = 3000
MESSAGE_MAX_BYTES = 600


def status_for(error: DomainError) -> grpc.Status:
    return rpc_status.to_status(rpc_status_for(error))


def rpc_status_for(error: DomainError) -> status_pb2.Status:
    """The google.rpc.Status of an error: what gRPC sends in its trailers and Connect in its error JSON."""
    code, details = _code_and_details(error)
    packed = []
    for detail in details:
        container = any_pb2.Any()
        container.Pack(detail)
        packed.append(container)
    message = str(error).encode("utf-8", "replace")[:MESSAGE_MAX_BYTES].decode("utf-8", "ignore")
    return status_pb2.Status(code=code, message=message, details=packed)


def _utf8(*texts: str) -> int:
    return sum(len(text.encode("utf-8", "replace")) for text in texts)


def _within_budget(items: Sequence[T], size: Callable[[T], int]) -> tuple[list[T], int]:
    """The leading items whose sizes fit the details budget, and how many were left out."""
    kept: list[T] = []
    used = 0
    for item in items:
        used += size(item)
        if used > DETAILS_BUDGET_BYTES:
            break
        kept.append(item)
    return kept, len(items) - len(kept)


def _code_and_details(error: DomainError) -> tuple[int, list[Message]]:
    if isinstance(error, InvalidArgument):
        violations, omitted = _within_budget(error.violations, lambda v: _utf8(v.field, v.description) + 8)
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in violations
            ]
        )
        if omitted:
            bad_request.field_violations.add(field="...", description=f"and {omitted} more violations")
        return code_pb2.INVALID_ARGUMENT, [bad_request]
    if isinstance(error, NotFound):
        missing, omitted = _within_budget(error.ids, lambda name: _utf8(name, error.resource_type) + 8)
        infos = [
            error_details_pb2.ResourceInfo(resource_type=error.resource_type, resource_name=name) for name in missing
        ]
        if omitted:
            infos.append(
                error_details_pb2.ResourceInfo(resource_type=error.resource_type, description=f"and {omitted} more")
            )
        return code_pb2.NOT_FOUND, infos
    if isinstance(error, FailedPrecondition):
        refused, omitted = _within_budget(error.refused, lambda r: _utf8(r.incident_id, r.state, r.reason) + 10)
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=r.state, subject=r.incident_id, description=r.reason
                )
                for r in refused
            ]
        )
        if omitted:
            failure.violations.add(type="...", description=f"and {omitted} more incidents refused")
        return code_pb2.FAILED_PRECONDITION, [failure]
    if isinstance(error, PermissionDenied):
        info = error_details_pb2.ErrorInfo(
            reason="MISSING_PERMISSION", domain=ERROR_DOMAIN, metadata={"permission": error.permission}
        )
        return code_pb2.PERMISSION_DENIED, [info]
    if isinstance(error, Unauthenticated):
        info = error_details_pb2.ErrorInfo(reason="UNAUTHENTICATED", domain=ERROR_DOMAIN)
        return code_pb2.UNAUTHENTICATED, [info]
    if isinstance(error, StatementTimeLimit):
        info = error_details_pb2.ErrorInfo(
            reason="STATEMENT_TIME_LIMIT",
            domain=ERROR_DOMAIN,
            metadata={"limit_seconds": f"{error.limit_seconds:g}"} if error.limit_seconds is not None else {},
        )
        return code_pb2.RESOURCE_EXHAUSTED, [info]
    if isinstance(error, ResponseTooLarge):
        info = error_details_pb2.ErrorInfo(
            reason="RESPONSE_TOO_LARGE", domain=ERROR_DOMAIN, metadata={"limit_bytes": str(error.limit_bytes)}
        )
        return code_pb2.RESOURCE_EXHAUSTED, [info]
    if isinstance(error, CallEnded):
        return code_pb2.DEADLINE_EXCEEDED, []
    if isinstance(error, StorageUnavailable):
        retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1))
        return code_pb2.UNAVAILABLE, [retry]
    return code_pb2.INTERNAL, []
