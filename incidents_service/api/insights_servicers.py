"""Servicers of incident_insights.proto: notes, an incident's timeline, incident statistics.

Like the other servicers: decode and validate, call one operation, build the response.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import grpc
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from google.protobuf.message import Message
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc

from incidents_service.api import response_size
from incidents_service.api.convert import decode, encode
from incidents_service.api.page_tokens import PageTokenCodec, request_fingerprint
from incidents_service.api.servicers import page_field_numbers, page_request, pagination_for
from incidents_service.auth import current_caller
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.queries import Page, PageRequest
from incidents_service.operations import IncidentOperations

T = TypeVar("T")
M = TypeVar("M", bound=Message)
# Pages of notes and of timeline entries stop early at 4 MiB like every page (SPEC 11).
_NOTES_PAGE = page_field_numbers(ins.ListNotesResponse, "notes")
_TIMELINE_PAGE = page_field_numbers(ins.GetIncidentTimelineResponse, "entries")


def _page_of_incident(
    page_tokens: PageTokenCodec,
    operations: IncidentOperations,
    request: ins.ListNotesRequest | ins.GetIncidentTimelineRequest,
    read: Callable[[str, str, PageRequest], Page[T]],
    build: Callable[[T], M],
    field_numbers: tuple[int, int],
) -> tuple[list[M], pb.PaginationResponse]:
    """One page of an incident's notes or timeline entries: validated, read, cut to fit 4 MiB."""
    out: list[FieldViolation] = []
    incident_id = _required_id("incident_id", request.incident_id, out)
    decode.check_violations(out)
    caller = current_caller()
    rpc = type(request).__name__.removesuffix("Request").encode("utf-8")
    fingerprint = request_fingerprint(caller.team_id, rpc, incident_id.encode("utf-8"))
    asked = page_request(page_tokens, operations.now(), request.pagination, fingerprint)
    page = read(caller.team_id, incident_id, asked)
    pagination = pagination_for(page_tokens, page, fingerprint, asked)
    return response_size.fit_page(page.items, build, field_numbers[0], pagination, field_numbers[1])


def _required_id(field: str, value: str, out: list[FieldViolation]) -> str:
    return decode.required_id(field, value, True, out)


class IncidentNotesServicer(ins_grpc.IncidentNotesServiceServicer):
    """incidents_service.v1.IncidentNotesService."""

    def __init__(self, operations: IncidentOperations, page_tokens: PageTokenCodec) -> None:
        self._operations = operations
        self._page_tokens = page_tokens

    def CreateNote(self, request: ins.CreateNoteRequest, context: grpc.ServicerContext) -> ins.CreateNoteResponse:
        out: list[FieldViolation] = []
        incident_id = _required_id("incident_id", request.incident_id, out)
        limits.check_note_body("body", request.body, out)
        decode.check_violations(out)
        caller = current_caller()
        note = self._operations.create_note(caller.team_id, caller.principal, incident_id, request.body)
        return ins.CreateNoteResponse(note=encode.note_to_wire(note))

    def GetNote(self, request: ins.GetNoteRequest, context: grpc.ServicerContext) -> ins.GetNoteResponse:
        out: list[FieldViolation] = []
        note_id = _required_id("id", request.id, out)
        decode.check_violations(out)
        note = self._operations.get_note(current_caller().team_id, note_id)
        return ins.GetNoteResponse(note=encode.note_to_wire(note))

    def ListNotes(self, request: ins.ListNotesRequest, context: grpc.ServicerContext) -> ins.ListNotesResponse:
        notes, pagination = _page_of_incident(
            self._page_tokens, self._operations, request, self._operations.list_notes, encode.note_to_wire, _NOTES_PAGE
        )
        return ins.ListNotesResponse(notes=notes, pagination=pagination)

    def UpdateNote(self, request: ins.UpdateNoteRequest, context: grpc.ServicerContext) -> ins.UpdateNoteResponse:
        out: list[FieldViolation] = []
        note_id = _required_id("id", request.id, out)
        limits.check_note_body("body", request.body, out)
        decode.check_violations(out)
        caller = current_caller()
        note = self._operations.update_note(caller.team_id, caller.principal, note_id, request.body)
        return ins.UpdateNoteResponse(note=encode.note_to_wire(note))

    def DeleteNote(self, request: ins.DeleteNoteRequest, context: grpc.ServicerContext) -> ins.DeleteNoteResponse:
        out: list[FieldViolation] = []
        note_id = _required_id("id", request.id, out)
        decode.check_violations(out)
        return ins.DeleteNoteResponse(id=self._operations.delete_note(current_caller().team_id, note_id))


class IncidentInsightsServicer(ins_grpc.IncidentInsightsServiceServicer):
    """incidents_service.v1.IncidentInsightsService: timeline and statistics."""

    def __init__(self, operations: IncidentOperations, page_tokens: PageTokenCodec) -> None:
        self._operations = operations
        self._page_tokens = page_tokens

    def GetIncidentTimeline(
        self, request: ins.GetIncidentTimelineRequest, context: grpc.ServicerContext
    ) -> ins.GetIncidentTimelineResponse:
        entries, pagination = _page_of_incident(
            self._page_tokens,
            self._operations,
            request,
            self._operations.incident_timeline,
            encode.timeline_entry_to_wire,
            _TIMELINE_PAGE,
        )
        return ins.GetIncidentTimelineResponse(entries=entries, pagination=pagination)

    def GetIncidentStatistics(
        self, request: ins.GetIncidentStatisticsRequest, context: grpc.ServicerContext
    ) -> ins.GetIncidentStatisticsResponse:
        asked = decode.statistics_query_from_wire(request)
        return encode.statistics_to_wire(self._operations.incident_statistics(current_caller().team_id, asked))
