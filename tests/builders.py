"""Request builders shared by the tests: short, readable calls for the common shapes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.wrappers_pb2 import StringValue
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from incidents_service_api.v1 import incidents_service_api_pb2 as api

TRIGGERED = pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED
RESOLVED = pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED


def ts(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC))
    return stamp


def sv(value: str) -> StringValue:
    return StringValue(value=value)


def svs(values: list[str]) -> list[StringValue]:
    return [StringValue(value=v) for v in values]


def alert(
    correlation_key: str,
    cx_event_key: str,
    state: int = TRIGGERED,
    at: datetime | None = None,
    meta_labels: dict[str, str] | None = None,
    **fields: Any,
) -> api.AlertEvent:
    event = api.AlertEvent(correlation_key=correlation_key, cx_event_key=cx_event_key, state_type=state, **fields)
    if at is not None:
        event.timestamp.CopyFrom(ts(at))
    for key, value in (meta_labels or {}).items():
        event.meta_labels.append(pb.MetaLabel(key=sv(key), value=sv(value)))
    return event


def report(*events: api.AlertEvent) -> api.ReportAlertEventsRequest:
    return api.ReportAlertEventsRequest(events=list(events))


def get(incident_id: str) -> svc.GetIncidentRequest:
    return svc.GetIncidentRequest(id=sv(incident_id))


def list_request(page_size: int = 0, page_token: str = "", **filter_fields: Any) -> svc.ListIncidentsRequest:
    request = svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(**filter_fields))
    if page_size:
        request.pagination.page_size.value = page_size
    if page_token:
        request.pagination.page_token.value = page_token
    return request


# ---- reading errors ----------------------------------------------------------------------------


def status_details(error: grpc.RpcError, message_type: Any) -> list[Any]:
    """The google.rpc details of one type carried by a failed call."""
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    found = []
    for detail in status.details:
        if detail.Is(message_type.DESCRIPTOR):
            message = message_type()
            detail.Unpack(message)
            found.append(message)
    return found


def violated_fields(error: grpc.RpcError) -> list[str]:
    """The fields a BadRequest detail names."""
    return [v.field for bad in status_details(error, error_details_pb2.BadRequest) for v in bad.field_violations]
