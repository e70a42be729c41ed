"""Servicers: decode and validate the request, call one operation, build the response.

No business rule lives here. The caller (team and principal) comes from the interceptor; domain
errors raised below become gRPC statuses there. Rpcs not overridden answer UNIMPLEMENTED.
"""

from __future__ import annotations

from datetime import datetime

import grpc
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from google.protobuf.wrappers_pb2 import StringValue, UInt32Value
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc

from incidents_service.api import convert
from incidents_service.api.page_tokens import PageTokenCodec, request_fingerprint
from incidents_service.auth import current_caller
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.model import Incident
from incidents_service.domain.queries import PageRequest
from incidents_service.operations import IncidentDraft, IncidentOperations


def _incidents_out(incidents: list[Incident], now: datetime) -> list[pb.Incident]:
    return [convert.incident_to_wire(incident, now) for incident in incidents]


class IncidentsServicer(svc_grpc.IncidentsServiceServicer):  # type: ignore[misc]
    """com.coralogixapis.incidents.v1.IncidentsService, wire-compatible with the published API."""

    def __init__(self, operations: IncidentOperations, page_tokens: PageTokenCodec) -> None:
        self._operations = operations
        self._page_tokens = page_tokens

    def GetIncident(self, request: svc.GetIncidentRequest, context: grpc.ServicerContext) -> svc.GetIncidentResponse:
        out: list[FieldViolation] = []
        incident_id = convert.required_id("id", request.id, request.HasField("id"), out)
        convert.check_violations(out)
        view = self._operations.get_incident(current_caller().team_id, incident_id)
        now = self._operations.now()
        return svc.GetIncidentResponse(incident=convert.incident_to_wire(view.incident, now, view.events))

    def BatchGetIncident(
        self, request: svc.BatchGetIncidentRequest, context: grpc.ServicerContext
    ) -> svc.BatchGetIncidentResponse:
        out: list[FieldViolation] = []
        ids = convert.id_list("ids", request.ids, out)
        convert.check_violations(out)
        found, missing = self._operations.batch_get_incidents(current_caller().team_id, ids)
        now = self._operations.now()
        return svc.BatchGetIncidentResponse(
            incidents={
                incident_id: convert.incident_to_wire(view.incident, now, view.events)
                for incident_id, view in found.items()
            },
            not_found_ids=[StringValue(value=incident_id) for incident_id in missing],
        )

    def ListIncidents(
        self, request: svc.ListIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.ListIncidentsResponse:
        caller = current_caller()
        incident_filter = convert.incident_filter_from_wire(request.filter)
        order = convert.order_from_wire(request.order_bys)
        fingerprint = request_fingerprint(
            caller.team_id,
            b"ListIncidents",
            request.filter.SerializeToString(deterministic=True),
            *(order_by.SerializeToString(deterministic=True) for order_by in request.order_bys),
        )
        after = None
        if request.pagination.page_token.value:
            after = self._page_tokens.decode(request.pagination.page_token.value, fingerprint)
        page = self._operations.list_incidents(
            caller.team_id,
            incident_filter,
            order,
            PageRequest(size=convert.page_size_from_wire(request.pagination), after=after),
        )
        now = self._operations.now()
        next_token = self._page_tokens.encode(fingerprint, page.next_after) if page.next_after is not None else ""
        return svc.ListIncidentsResponse(
            incidents=_incidents_out(page.items, now),
            pagination=pb.PaginationResponse(
                total_size=UInt32Value(value=page.total_size), next_page_token=StringValue(value=next_token)
            ),
        )

    def GetIncidentEvents(
        self, request: svc.GetIncidentEventsRequest, context: grpc.ServicerContext
    ) -> svc.GetIncidentEventsResponse:
        out: list[FieldViolation] = []
        incident_id = convert.required_id("incident_id", request.incident_id, request.HasField("incident_id"), out)
        convert.check_violations(out)
        events = self._operations.incident_events(current_caller().team_id, incident_id)
        return svc.GetIncidentEventsResponse(incident_events=convert.events_to_wire(events))

    def DeleteIncidents(
        self, request: svc.DeleteIncidentsRequest, context: grpc.ServicerContext
    ) -> svc.DeleteIncidentsResponse:
        out: list[FieldViolation] = []
        ids = convert.id_list("incident_ids", request.incident_ids, out)
        convert.check_violations(out)
        deleted = self._operations.delete_incidents(current_caller().team_id, ids)
        return svc.DeleteIncidentsResponse(deleted_ids=[StringValue(value=incident_id) for incident_id in deleted])


class AlertIngestionServicer(api_grpc.AlertIngestionServiceServicer):  # type: ignore[misc]
    """incidents_service.v1.AlertIngestionService: alert events correlated into incidents."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def ReportAlertEvents(
        self, request: api.ReportAlertEventsRequest, context: grpc.ServicerContext
    ) -> api.ReportAlertEventsResponse:
        events = convert.alert_events_from_wire(request.events, self._operations.now())
        results = self._operations.report_alert_events(current_caller().team_id, events)
        return api.ReportAlertEventsResponse(
            results=[
                api.AlertEventResult(incident_id=result.incident_id or "", outcome=convert.OUTCOME_TO_WIRE[result.outcome])
                for result in results
            ]
        )


class IncidentManagementServicer(api_grpc.IncidentManagementServiceServicer):  # type: ignore[misc]
    """incidents_service.v1.IncidentManagementService: manual creation, edits and snoozes."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def CreateIncident(
        self, request: api.CreateIncidentRequest, context: grpc.ServicerContext
    ) -> api.CreateIncidentResponse:
        out: list[FieldViolation] = []
        if not request.name.strip():
            out.append(FieldViolation("name", "is required"))
        limits.check_text("name", request.name, limits.MAX_NAME_CHARS, out)
        limits.check_description("description", request.description, out)
        draft = IncidentDraft(
            name=request.name,
            description=request.description,
            severity=convert.severity_from_wire("severity", request.severity, out, allow_unset=True),
            contextual_labels=convert.label_map_from_wire("contextual_labels", request.contextual_labels, out),
            display_labels=convert.label_map_from_wire("display_labels", request.display_labels, out),
            meta_labels=convert.meta_labels_from_wire("meta_labels", request.meta_labels, out),
            application_name=request.application_name,
            subsystem_name=request.subsystem_name,
            assignee=request.assignee,
        )
        for field in ("application_name", "subsystem_name"):
            limits.check_text(field, getattr(request, field), limits.MAX_LABEL_VALUE_CHARS, out)
        limits.check_text("assignee", request.assignee, limits.MAX_KEY_CHARS, out)
        convert.check_violations(out)
        caller = current_caller()
        view = self._operations.create_incident(caller.team_id, caller.principal, draft)
        return api.CreateIncidentResponse(
            incident=convert.incident_to_wire(view.incident, self._operations.now(), view.events)
        )
