"""The HTTP alert intake (SPEC 12): `POST /v1/intake/alertmanager` and `POST /v2/enqueue` (PagerDuty v2).

Each request is translated (alertmanager.py, pagerduty.py) into what the gRPC API already does, and
runs through `Calls` like every rpc: authenticated and authorized (incidents:ingest), on the storage
threads, under the server's time limit. Alert events go through AlertIngestionService's own
ReportAlertEvents (one transaction per request; a retried request is a DUPLICATE); PagerDuty's
acknowledge through IncidentOperations.acknowledge_open_incident. A bad request changes nothing.
"""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.api.asgi import (
    BodyTooLarge,
    ClientGone,
    Receive,
    Scope,
    Send,
    declared_length,
    header,
    read_body,
    send_json,
)
from incidents_service.api.calls import Calls, record_call
from incidents_service.api.connect import error_json
from incidents_service.api.errors import rpc_status_for
from incidents_service.api.intake import alertmanager, pagerduty
from incidents_service.api.servicers import AlertIngestionServicer
from incidents_service.auth import Caller, current_caller
from incidents_service.domain.errors import DomainError, FieldViolation, InvalidArgument, Unauthenticated
from incidents_service.operations import IncidentOperations

ALERTMANAGER_ROUTE = "/v1/intake/alertmanager"
# How the intake answers a notification of several alerts: its strongest outcome first.
_OUTCOME_STRENGTH = (
    api.AlertEventResult.CREATED,
    api.AlertEventResult.REOPENED,
    api.AlertEventResult.UPDATED,
    api.AlertEventResult.DUPLICATE,
    api.AlertEventResult.IGNORED,
    api.AlertEventResult.OUTCOME_UNSPECIFIED,
)
_EVENT_FIELD = re.compile(r"events\[(\d+)\]\.(.*)", re.DOTALL)
PAGERDUTY_ROUTE = "/v2/enqueue"
# An Alertmanager notification of up to 1000 alerts fits; the same cap as an rpc's request (SPEC 11).
MAX_NOTIFICATION_BYTES = 4 * 1024 * 1024
# Servicers use nothing of their gRPC context (the caller and deadline are set around them).
NO_CONTEXT: Any = None
# PagerDuty refuses events above 512 KB. The key is inside the body, so it is read before the caller is
# known: the smaller cap bounds what an unauthenticated sender can make the server hold.
MAX_PAGERDUTY_EVENT_BYTES = 512 * 1024
# PagerDuty events are read before their key is known: at most this many at once (8 MiB of bodies), each
# within PAGERDUTY_READ_SECONDS, so unauthenticated senders can neither grow memory nor hold the route.
PAGERDUTY_READS_AT_ONCE = 16
PAGERDUTY_READ_SECONDS = 10.0


class AlertIntake:
    def __init__(self, calls: Calls, ingestion: AlertIngestionServicer, operations: IncidentOperations) -> None:
        self._calls = calls
        self._ingestion = ingestion
        self._operations = operations
        self._pagerduty_reads = asyncio.Semaphore(PAGERDUTY_READS_AT_ONCE)

    # ---- Alertmanager --------------------------------------------------------------------------

    async def alertmanager(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        route = ALERTMANAGER_ROUTE
        caller: Caller | None = None
        try:
            if scope["method"] != "POST":
                await send_json(send, 405, {"code": "invalid_argument", "message": f"{route} takes POST"})
                return
            # Authenticated from the header before the body is read (nothing is buffered for a bad key).
            caller = await self._calls.authenticate(route, header(scope, b"authorization"))
            if (declared_length(scope) or 0) > MAX_NOTIFICATION_BYTES:
                raise BodyTooLarge()
            body = await read_body(receive, MAX_NOTIFICATION_BYTES)
            call = self._calls.start(route, caller, None)
            result = await call.run(len(body), lambda: self._report_notification(body))
        except DomainError as error:
            status, answer = _error_answer(error)
            record_call(route, answer["code"].upper(), started, caller, "http")
            await send_json(send, status, answer)
            return
        except BodyTooLarge:
            record_call(route, "RESOURCE_EXHAUSTED", started, caller, "http")
            await send_json(send, 413, _too_large(MAX_NOTIFICATION_BYTES))
            return
        except ClientGone:
            record_call(route, "CANCELLED", started, caller, "http")
            return
        record_call(route, "OK", started, caller, "http")
        await send_json(send, 200, {"status": "success", **result})

    def _report_notification(self, body: bytes) -> dict[str, str]:
        """On a storage thread: decode, translate, report the notification's alert events (one
        transaction). The answer names the group's incident and what happened to it: the strongest
        outcome of its events (CREATED, REOPENED, UPDATED, DUPLICATE, IGNORED)."""
        events = alertmanager.events_from_notification(_json(body), datetime.now(UTC))
        results = self._report(events, alertmanager.SOURCE_FIELDS)
        result = min(results, key=lambda found: _OUTCOME_STRENGTH.index(found.outcome))
        incident_id = next((found.incident_id for found in results if found.incident_id), "")
        return {"incident_id": incident_id, "outcome": api.AlertEventResult.Outcome.Name(result.outcome)}

    def _report(self, events: list[api.AlertEvent], source_fields: dict[str, str]) -> list[api.AlertEventResult]:
        try:
            response = self._ingestion.ReportAlertEvents(api.ReportAlertEventsRequest(events=events), NO_CONTEXT)
        except InvalidArgument as error:
            # A limit an event breaks (a name too long, too many labels) names the sender's field.
            raise InvalidArgument(
                [FieldViolation(_sender_field(v.field, source_fields), v.description) for v in error.violations]
            ) from error
        return list(response.results)

    # ---- PagerDuty -----------------------------------------------------------------------------

    async def pagerduty(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        route = PAGERDUTY_ROUTE
        caller: Caller | None = None
        try:
            if scope["method"] != "POST":
                await send_json(send, 405, _pagerduty_refusal("invalid event", f"{route} takes POST", []))
                return
            if (declared_length(scope) or 0) > MAX_PAGERDUTY_EVENT_BYTES:
                raise BodyTooLarge()
            async with self._pagerduty_reads:
                try:
                    async with asyncio.timeout(PAGERDUTY_READ_SECONDS):
                        body = await read_body(receive, MAX_PAGERDUTY_EVENT_BYTES)
                except TimeoutError:
                    record_call(route, "DEADLINE_EXCEEDED", started, caller, "http")
                    message = f"the event was not sent within {PAGERDUTY_READ_SECONDS:g} s"
                    await send_json(send, 408, _pagerduty_refusal("invalid event", message, []))
                    return
                payload = _json(body)
                # The routing key is the API key (PagerDuty senders send no header); else the header's key.
                routing_key = pagerduty.routing_key_of(payload)
                authorization = f"Bearer {routing_key}" if routing_key else header(scope, b"authorization")
                if authorization is None:
                    raise Unauthenticated("routing_key is missing: it must be an API key with incidents:ingest")
                caller = await self._calls.authenticate(route, authorization)
            call = self._calls.start(route, caller, None)
            dedup_key = await call.run(len(body), lambda: self._enqueue(payload))
        except BodyTooLarge:
            record_call(route, "RESOURCE_EXHAUSTED", started, caller, "http")
            answer = _pagerduty_refusal(
                "invalid event", f"the event is larger than {MAX_PAGERDUTY_EVENT_BYTES} bytes", []
            )
            await send_json(send, 413, answer)
            return
        except ClientGone:
            record_call(route, "CANCELLED", started, caller, "http")
            return
        except DomainError as error:
            http_status, answer = _pagerduty_error(error)
            record_call(route, _code_name(error), started, caller, "http")
            await send_json(send, http_status, answer)
            return
        record_call(route, "OK", started, caller, "http")
        await send_json(send, 202, {"status": "success", "message": "Event processed", "dedup_key": dedup_key})

    def _enqueue(self, payload: Any) -> str:
        """On a storage thread: translate the event and apply it; answers its dedup_key."""
        event = pagerduty.event_from_body(payload, datetime.now(UTC))
        if event.alert_event is not None:
            self._report([event.alert_event], pagerduty.SOURCE_FIELDS)
        else:
            caller = current_caller()
            self._operations.acknowledge_open_incident(caller.team_id, caller.principal, event.dedup_key)
        return event.dedup_key


def _json(body: bytes) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument([FieldViolation("body", f"not valid JSON: {exc}"[:300])]) from exc


def _sender_field(field: str, source_fields: dict[str, str]) -> str:
    """`events[3].name` -> the sender's field it came from (`commonAnnotations.summary`, or
    `alerts[3].labels` for a field of the fourth alert's own)."""
    match = _EVENT_FIELD.match(field)
    index, name = (match.group(1), match.group(2)) if match else ("0", field)
    head = name.partition(".")[0].split("[", 1)[0]
    if head not in source_fields:
        return name
    return source_fields[head].format(index=index)


def _violations(error: InvalidArgument) -> list[dict[str, str]]:
    return [{"field": v.field, "description": v.description} for v in error.violations]


def _error_answer(error: DomainError) -> tuple[int, dict[str, Any]]:
    """The Connect error JSON (code, message) of any refusal, with the bad fields listed readably."""
    status, body = error_json(rpc_status_for(error))
    if isinstance(error, InvalidArgument):
        body["errors"] = _violations(error)
    return status, body


def _code_name(error: DomainError) -> str:
    code: str = error_json(rpc_status_for(error))[1]["code"]
    return code.upper()


def _too_large(limit: int) -> dict[str, str]:
    return {"code": "resource_exhausted", "message": f"the request is larger than {limit} bytes"}


def _pagerduty_refusal(status: str, message: str, errors: list[str]) -> dict[str, Any]:
    return {"status": status, "message": message, "errors": errors}


def _pagerduty_error(error: DomainError) -> tuple[int, dict[str, Any]]:
    """PagerDuty's answers in shape: 400 invalid event with its errors, 401 for a bad key."""
    http_status, body = error_json(rpc_status_for(error))
    if isinstance(error, InvalidArgument):
        errors = [f"{v.field}: {v.description}" if v.field else v.description for v in error.violations]
        return 400, _pagerduty_refusal("invalid event", "Event object is invalid", errors)
    if isinstance(error, Unauthenticated):
        return 401, _pagerduty_refusal("unauthorized", str(error), [f"routing_key: {error}"])
    return http_status, _pagerduty_refusal(body["code"], body["message"], [])
