"""Servicers: decode and validate the request, call one operation, build the response.

No business rule lives here. The caller (team and principal) comes from the interceptor; domain
errors raised below become gRPC statuses there. Every rpc of the three services is implemented here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

import grpc
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import BoolValue, StringValue, UInt32Value, UInt64Value
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from incidents_service.api import response_size
from incidents_service.api.convert import decode, encode, enums
from incidents_service.api.page_tokens import PageTokenCodec, ResumePoint, request_fingerprint
from incidents_service.auth import current_caller
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation, ResponseTooLarge
from incidents_service.domain.model import Incident
from incidents_service.domain.queries import Page, PageRequest
from incidents_service.operations import IncidentOperations


def _batch_ids(values: Iterable[StringValue | str], field: str = "incident_ids") -> list[str]:
    out: list[FieldViolation] = []
    ids = decode.id_list(field, values, out)
    decode.check_violations(out)
    return ids


class _BatchAnswer:
    """The wire incidents answering a batch action, built inside its transaction (the operation calls
    this before committing): an answer past the response limit raises there, so the action rolls back
    and the caller is asked for fewer ids, rather than changing incidents and then failing to say so
    (SPEC 11)."""

    def __init__(self, operations: IncidentOperations, response_type: type[Message]) -> None:
        self._operations = operations
        self._field_number = response_type.DESCRIPTOR.fields_by_name["incidents"].number
        self.incidents: list[pb.Incident] = []

    def __call__(self, incidents: list[Incident]) -> None:
        now = self._operations.now()
        built: list[pb.Incident] = []
        used = 0
        for incident in incidents:
            message = encode.incident_to_wire(incident, now)
            used += response_size.field_bytes(message.ByteSize(), self._field_number)
            if used > limits.MAX_RESPONSE_BYTES:
                raise ResponseTooLarge(
                    f"the {len(incidents)} incidents of this call encode to more than the {_LIMIT_MIB} MiB limit "
                    "of one response; nothing was changed: send fewer incident ids per call",
                    limits.MAX_RESPONSE_BYTES,
                )
            built.append(message)
        self.incidents = built


def page_field_numbers(response_type: type[Message], items: str) -> tuple[int, int]:
    """Field numbers of a page response's repeated items and of its pagination."""
    fields = response_type.DESCRIPTOR.fields_by_name
    return fields[items].number, fields["pagination"].number


_INCIDENTS_PAGE = page_field_numbers(svc.ListIncidentsResponse, "incidents")
_GROUPS_PAGE = page_field_numbers(svc.ListIncidentAggregationsResponse, "incident_aggs")
_EVENTS_PAGE = page_field_numbers(svc.ListIncidentEventsResponse, "items")
_BATCH_GET_INCIDENTS = svc.BatchGetIncidentResponse.DESCRIPTOR.fields_by_name["incidents"].number
_LIMIT_MIB = limits.CLIENT_MAX_MESSAGE_BYTES // (1024 * 1024)


def page_request(
    page_tokens: PageTokenCodec, now: datetime, pagination: pb.PaginationRequest, fingerprint: str
) -> PageRequest:
    """The page asked for: size, and the keyset position and as-of time its token carries."""
    size = decode.page_size_from_wire(pagination)
    if not pagination.page_token.value:
        return PageRequest(size=size, as_of=now)
    resume = page_tokens.decode(pagination.page_token.value, fingerprint)
    return PageRequest(size=size, after=resume.after, as_of=resume.as_of, known_total=resume.total)


def pagination_for(
    page_tokens: PageTokenCodec, page: Page[Any], fingerprint: str, asked: PageRequest
) -> Callable[[int], pb.PaginationResponse]:
    """The pagination of the page answered with its first `count` items (SPEC 11 may cut it short)."""

    def pagination(count: int) -> pb.PaginationResponse:
        after = page.position_after(count)
        token = ""
        if after is not None and asked.as_of is not None:
            token = page_tokens.encode(fingerprint, ResumePoint(after, asked.as_of, page.total_size))
        return pb.PaginationResponse(
            total_size=UInt32Value(value=page.total_size), next_page_token=StringValue(value=token)
        )

    return pagination


class IncidentsServicer(svc_grpc.IncidentsServiceServicer):
    """com.coralogixapis.incidents.v1.IncidentsService, wire-compatible with the published API."""

    def __init__(self, operations: IncidentOperations, page_tokens: PageTokenCodec) -> None:
        self._operations = operations
        self._page_tokens = page_tokens

    def GetIncident(self, request: svc.GetIncidentRequest, context: grpc.ServicerContext) -> svc.GetIncidentResponse:
        out: list[FieldViolation] = []
        incident_id = decode.required_id("id", request.id, request.HasField("id"), out)
        decode.check_violations(out)
        view = self._operations.get_incident(current_caller().team_id, incident_id)
        now = self._operations.now()
        return svc.GetIncidentResponse(incident=encode.incident_to_wire(view.incident, now, view.events))

    def BatchGetIncident(
        self, request: svc.BatchGetIncidentRequest, context: grpc.ServicerContext
    ) -> svc.BatchGetIncidentResponse:
        ids = _batch_ids(request.ids, field="ids")
        found, missing = self._operations.batch_get_incidents(current_caller().team_id, ids)
        now = self._operations.now()
        response = svc.BatchGetIncidentResponse(
            not_found_ids=[StringValue(value=incident_id) for incident_id in missing]
        )
        used = response.ByteSize()
        for incident_id, view in found.items():
            incident = encode.incident_to_wire(view.incident, now, view.events)
            used += response_size.map_entry_bytes(incident_id, incident, _BATCH_GET_INCIDENTS)
            if used > limits.MAX_RESPONSE_BYTES:
                # Measured as it is built: the answer stops growing here.
                raise ResponseTooLarge(
                    f"the {len(found)} incidents found encode to more than the {_LIMIT_MIB} MiB limit of one "
                    "response; ask for fewer ids per call",
                    limits.MAX_RESPONSE_BYTES,
                )
            response.incidents[incident_id].CopyFrom(incident)
        return response

    def ListIncidents(
        self, request: svc.ListIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentsResponse:
        caller = current_caller()
        incident_filter, order = decode.decode_together(
            lambda: decode.incident_filter_from_wire(request.filter),
            lambda: decode.order_from_wire(request.order_bys),
        )
        fingerprint = request_fingerprint(
            caller.team_id,
            b"ListIncidents",
            request.filter.SerializeToString(deterministic=True),
            *(order_by.SerializeToString(deterministic=True) for order_by in request.order_bys),
        )
        page_request = self._page_request(request.pagination, fingerprint)
        page = self._operations.list_incidents(caller.team_id, incident_filter, order, page_request)
        now = self._operations.now()
        incidents, pagination = response_size.fit_page(
            page.items,
            lambda incident: encode.incident_to_wire(incident, now),
            _INCIDENTS_PAGE[0],
            self._pagination_for(page, fingerprint, page_request),
            _INCIDENTS_PAGE[1],
        )
        return svc.ListIncidentsResponse(incidents=incidents, pagination=pagination)

    def _page_request(self, pagination: pb.PaginationRequest, fingerprint: str) -> PageRequest:
        return page_request(self._page_tokens, self._operations.now(), pagination, fingerprint)

    def _pagination_for(
        self, page: Page[Any], fingerprint: str, page_request: PageRequest
    ) -> Callable[[int], pb.PaginationResponse]:
        return pagination_for(self._page_tokens, page, fingerprint, page_request)

    def ListIncidentAggregations(
        self, request: svc.ListIncidentAggregationsRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentAggregationsResponse:
        caller = current_caller()
        incident_filter, group_keys = decode.decode_together(
            lambda: decode.incident_filter_from_wire(request.filter),
            lambda: decode.group_keys_from_wire(request.group_bys),
        )
        fingerprint = request_fingerprint(
            caller.team_id,
            b"ListIncidentAggregations",
            request.filter.SerializeToString(deterministic=True),
            *(group_by.SerializeToString(deterministic=True) for group_by in request.group_bys),
        )
        page_request = self._page_request(request.pagination, fingerprint)
        page = self._operations.aggregate_incidents(caller.team_id, incident_filter, group_keys, page_request)
        groups, pagination = response_size.fit_page(
            page.items,
            lambda group: encode.incident_group_to_wire(group, group_keys),
            _GROUPS_PAGE[0],
            self._pagination_for(page, fingerprint, page_request),
            _GROUPS_PAGE[1],
        )
        return svc.ListIncidentAggregationsResponse(incident_aggs=groups, pagination=pagination)

    def GetFilterValues(
        self, request: svc.GetFilterValuesRequest, context: grpc.ServicerContext
    ) -> svc.GetFilterValuesResponse:
        incident_filter = decode.incident_filter_from_wire(request.filter)
        values = response_size.fit_filter_values(
            self._operations.filter_values(current_caller().team_id, incident_filter)
        )
        return svc.GetFilterValuesResponse(
            filters_values=encode.filter_values_to_wire(values, request.filter.meta_labels_op)
        )

    def ListIncidentEvents(
        self, request: svc.ListIncidentEventsRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentEventsResponse:
        caller = current_caller()
        event_filter, descending = decode.decode_together(
            lambda: decode.event_filter_from_wire(request.filter),
            lambda: decode.event_order_from_wire(request.order_by),
        )
        fingerprint = request_fingerprint(
            caller.team_id,
            b"ListIncidentEvents",
            request.filter.SerializeToString(deterministic=True),
            request.order_by.SerializeToString(deterministic=True),
        )
        page_request = self._page_request(request.pagination, fingerprint)
        page = self._operations.list_events(caller.team_id, event_filter, descending, page_request)
        items, pagination = response_size.fit_page(
            page.items,
            encode.event_extended_to_wire,
            _EVENTS_PAGE[0],
            self._pagination_for(page, fingerprint, page_request),
            _EVENTS_PAGE[1],
        )
        return svc.ListIncidentEventsResponse(items=items, pagination=pagination)

    def ListIncidentEventsTotalCount(
        self, request: svc.ListIncidentEventsTotalCountRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentEventsTotalCountResponse:
        event_filter = decode.event_filter_from_wire(request.filter)
        count, reached_limit = self._operations.count_events(current_caller().team_id, event_filter)
        return svc.ListIncidentEventsTotalCountResponse(
            count=UInt64Value(value=count), reached_limit=BoolValue(value=reached_limit)
        )

    def ListIncidentEventsFilterValues(
        self, request: svc.ListIncidentEventsFilterValuesRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentEventsFilterValuesResponse:
        event_filter = decode.event_filter_from_wire(request.filter)
        values = response_size.fit_filter_values(
            self._operations.event_filter_values(current_caller().team_id, event_filter)
        )
        return svc.ListIncidentEventsFilterValuesResponse(
            filters_values=encode.filter_values_to_wire(values, request.filter.labels.operator)
        )

    def GetIncidentEvents(
        self, request: svc.GetIncidentEventsRequest, context: grpc.ServicerContext
    ) -> svc.GetIncidentEventsResponse:
        out: list[FieldViolation] = []
        incident_id = decode.required_id("incident_id", request.incident_id, request.HasField("incident_id"), out)
        decode.check_violations(out)
        events = self._operations.incident_events(current_caller().team_id, incident_id)
        response = svc.GetIncidentEventsResponse(incident_events=encode.events_to_wire(events))
        # Not paged on the wire: an incident whose whole history passes one response is refused.
        if response.ByteSize() > limits.MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(
                f"the events of incident {incident_id[:128]} encode to more than the {_LIMIT_MIB} MiB limit of "
                "one response; GetIncident answers its newest 100 events",
                limits.MAX_RESPONSE_BYTES,
            )
        return response

    # ---- lifecycle (SPEC section 4): atomic batches; answers list incidents after the change ----

    def AssignIncidents(
        self, request: svc.AssignIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.AssignIncidentsResponse:
        out: list[FieldViolation] = []
        ids = decode.id_list("incident_ids", request.incident_ids, out)
        assignee = decode.required_id(
            "assigned_to.user_id", request.assigned_to.user_id, request.assigned_to.HasField("user_id"), out
        )
        decode.check_violations(out)
        caller = current_caller()
        answer = _BatchAnswer(self._operations, svc.AssignIncidentsResponse)
        self._operations.assign(caller.team_id, caller.principal, ids, assignee, answer)
        return svc.AssignIncidentsResponse(incidents=answer.incidents)

    def UnassignIncidents(
        self, request: svc.UnassignIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.UnassignIncidentsResponse:
        caller, ids = current_caller(), _batch_ids(request.incident_ids)
        answer = _BatchAnswer(self._operations, svc.UnassignIncidentsResponse)
        self._operations.unassign(caller.team_id, caller.principal, ids, answer)
        return svc.UnassignIncidentsResponse(incidents=answer.incidents)

    def AcknowledgeIncidents(
        self, request: svc.AcknowledgeIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.AcknowledgeIncidentsResponse:
        caller, ids = current_caller(), _batch_ids(request.incident_ids)
        answer = _BatchAnswer(self._operations, svc.AcknowledgeIncidentsResponse)
        self._operations.acknowledge(caller.team_id, caller.principal, ids, answer)
        return svc.AcknowledgeIncidentsResponse(incidents=answer.incidents)

    def ResolveIncidents(
        self, request: svc.ResolveIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.ResolveIncidentsResponse:
        caller, ids = current_caller(), _batch_ids(request.incident_ids)
        answer = _BatchAnswer(self._operations, svc.ResolveIncidentsResponse)
        self._operations.resolve(caller.team_id, caller.principal, ids, answer)
        return svc.ResolveIncidentsResponse(incidents=answer.incidents)

    def CloseIncidents(
        self, request: svc.CloseIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.CloseIncidentsResponse:
        caller, ids = current_caller(), _batch_ids(request.incident_ids)
        answer = _BatchAnswer(self._operations, svc.CloseIncidentsResponse)
        self._operations.close(caller.team_id, caller.principal, ids, answer)
        return svc.CloseIncidentsResponse(incidents=answer.incidents)

    # ---- lookups by event id and correlation key (SPEC section 5) ----------------------------

    def _incident_id_for_event(self, request: Any) -> str:
        out: list[FieldViolation] = []
        event_id = decode.required_id("event_id", request.event_id, request.HasField("event_id"), out)
        decode.check_violations(out)
        return self._operations.incident_id_for_event(current_caller().team_id, event_id)

    def GetIncidentByEventId(
        self, request: svc.GetIncidentByEventIdRequest, context: grpc.ServicerContext
    ) -> svc.GetIncidentByEventIdResponse:
        incident_id = self._incident_id_for_event(request)
        view = self._operations.get_incident(current_caller().team_id, incident_id)
        now = self._operations.now()
        return svc.GetIncidentByEventIdResponse(incident=encode.incident_to_wire(view.incident, now, view.events))

    def AcknowledgeIncidentByEventId(
        self, request: svc.AcknowledgeIncidentByEventIdRequest, context: grpc.ServicerContext
    ) -> svc.AcknowledgeIncidentByEventIdResponse:
        incident_id = self._incident_id_for_event(request)
        caller = current_caller()
        [incident] = self._operations.acknowledge(caller.team_id, caller.principal, [incident_id])
        return svc.AcknowledgeIncidentByEventIdResponse(
            incident=encode.incident_to_wire(incident, self._operations.now())
        )

    def ResolveIncidentByEventId(
        self, request: svc.ResolveIncidentByEventIdRequest, context: grpc.ServicerContext
    ) -> svc.ResolveIncidentByEventIdResponse:
        incident_id = self._incident_id_for_event(request)
        caller = current_caller()
        [incident] = self._operations.resolve(caller.team_id, caller.principal, [incident_id])
        return svc.ResolveIncidentByEventIdResponse(incident=encode.incident_to_wire(incident, self._operations.now()))

    def GetIncidentUsingCorrelationKey(
        self, request: svc.GetIncidentUsingCorrelationKeyRequest, context: grpc.ServicerContext
    ) -> svc.GetIncidentUsingCorrelationKeyResponse:
        out: list[FieldViolation] = []
        key = decode.required_id("correlation_key", request.correlation_key, request.HasField("correlation_key"), out)
        moment = self._operations.now()
        if request.HasField("incident_point_in_time"):
            moment = decode.timestamp_from_wire("incident_point_in_time", request.incident_point_in_time, out) or moment
        decode.check_violations(out)
        view = self._operations.incident_by_correlation_key(current_caller().team_id, key, moment)
        now = self._operations.now()
        return svc.GetIncidentUsingCorrelationKeyResponse(
            incident=encode.incident_to_wire(view.incident, now, view.events)
        )

    def DeleteIncidents(
        self, request: svc.DeleteIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.DeleteIncidentsResponse:
        ids = _batch_ids(request.incident_ids)
        deleted = self._operations.delete_incidents(current_caller().team_id, ids)
        return svc.DeleteIncidentsResponse(deleted_ids=[StringValue(value=incident_id) for incident_id in deleted])


class AlertIngestionServicer(api_grpc.AlertIngestionServiceServicer):
    """incidents_service.v1.AlertIngestionService: alert events correlated into incidents."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def ReportAlertEvents(
        self, request: api.ReportAlertEventsRequest, context: grpc.ServicerContext
    ) -> api.ReportAlertEventsResponse:
        events = decode.alert_events_from_wire(request.events, self._operations.now())
        results = self._operations.report_alert_events(current_caller().team_id, events)
        return api.ReportAlertEventsResponse(
            results=[
                api.AlertEventResult(
                    incident_id=result.incident_id or "", outcome=enums.OUTCOME_TO_WIRE[result.outcome]
                )
                for result in results
            ]
        )


class IncidentManagementServicer(api_grpc.IncidentManagementServiceServicer):
    """incidents_service.v1.IncidentManagementService: manual creation, edits and snoozes."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def CreateIncident(
        self, request: api.CreateIncidentRequest, context: grpc.ServicerContext
    ) -> api.CreateIncidentResponse:
        draft = decode.incident_draft_from_wire(request)
        caller = current_caller()
        view = self._operations.create_incident(caller.team_id, caller.principal, draft)
        return api.CreateIncidentResponse(
            incident=encode.incident_to_wire(view.incident, self._operations.now(), view.events)
        )

    def UpdateIncident(
        self, request: api.UpdateIncidentRequest, context: grpc.ServicerContext
    ) -> api.UpdateIncidentResponse:
        out: list[FieldViolation] = []
        incident_id = decode.required_id("incident_id", request.incident_id, True, out)
        changes = decode.incident_changes_from_wire(request, out)
        decode.check_violations(out)
        caller = current_caller()
        incident = self._operations.update_incident(caller.team_id, caller.principal, incident_id, changes)
        return api.UpdateIncidentResponse(incident=encode.incident_to_wire(incident, self._operations.now()))

    def SnoozeIncidents(
        self, request: api.SnoozeIncidentsRequest, context: grpc.ServicerContext
    ) -> api.SnoozeIncidentsResponse:
        ids, minutes = decode.snooze_from_wire(request)
        caller = current_caller()
        answer = _BatchAnswer(self._operations, api.SnoozeIncidentsResponse)
        self._operations.snooze(
            caller.team_id,
            caller.principal,
            ids,
            minutes,
            answer,
            cancel_on_incident_updates=request.cancel_on_incident_updates,
        )
        return api.SnoozeIncidentsResponse(incidents=answer.incidents)
