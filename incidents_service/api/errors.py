"""The one mapping from domain errors to gRPC statuses with google.rpc details (AIP-193)."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from incidents_service.domain.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    StorageUnavailable,
    Unauthenticated,
)

ERROR_DOMAIN = "incidents-service"


def status_for(error: DomainError) -> grpc.Status:
    code, details = _code_and_details(error)
    packed = []
    for detail in details:
        container = any_pb2.Any()
        container.Pack(detail)
        packed.append(container)
    return rpc_status.to_status(status_pb2.Status(code=code, message=str(error), details=packed))


def _code_and_details(error: DomainError) -> tuple[int, list[Message]]:
    if isinstance(error, InvalidArgument):
        bad_request = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                for v in error.violations
            ]
        )
        return code_pb2.INVALID_ARGUMENT, [bad_request]
    if isinstance(error, NotFound):
        return code_pb2.NOT_FOUND, [
            error_details_pb2.ResourceInfo(resource_type=error.resource_type, resource_name=missing)
            for missing in error.ids
        ]
    if isinstance(error, FailedPrecondition):
        failure = error_details_pb2.PreconditionFailure(
            violations=[
                error_details_pb2.PreconditionFailure.Violation(
                    type=refused.state,
                    subject=refused.incident_id,
                    description=f"cannot {error.action}: {refused.reason}",
                )
                for refused in error.refused
            ]
        )
        return code_pb2.FAILED_PRECONDITION, [failure]
    if isinstance(error, PermissionDenied):
        info = error_details_pb2.ErrorInfo(
            reason="MISSING_PERMISSION", domain=ERROR_DOMAIN, metadata={"permission": error.permission}
        )
        return code_pb2.PERMISSION_DENIED, [info]
    if isinstance(error, Unauthenticated):
        info = error_details_pb2.ErrorInfo(reason="UNAUTHENTICATED", domain=ERROR_DOMAIN)
        return code_pb2.UNAUTHENTICATED, [info]
    if isinstance(error, StorageUnavailable):
        retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=1))
        return code_pb2.UNAVAILABLE, [retry]
    return code_pb2.INTERNAL, []
