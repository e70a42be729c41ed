"""A PagerDuty Events API v2 event (`POST /v2/enqueue`) as what it asks of the service (SPEC 12).

Pure translation, no I/O. `dedup_key` is the correlation key and the identity of the incident's one
alert (a trigger without one gets a new key, answered to the sender as PagerDuty does):
- `trigger`: a TRIGGERED alert event. `payload.summary` is the name, `payload.severity` (critical,
  error, warning, info) the severity; `source`, `component`, `group` and `class` become contextual
  labels; `custom_details` display labels (a value that is not a string as compact JSON; values cut at
  4096 characters, at most 256 of them, as PagerDuty itself cuts what it shows); `client` and
  `client_url` display labels too.
- `resolve`: a RESOLVED alert event of that key (no incident open: nothing changes, still accepted).
- `acknowledge`: acknowledges the key's open incident, recorded as acknowledged by the key's principal
  (no incident open: nothing changes, still accepted).
cx_event_key: an event carrying `payload.timestamp` is identified by its content, so a retry of it is a
DUPLICATE; one without (Alertmanager sends none) gets a new key, and a repeat of it changes nothing
but the event log (the incident is already in that state). The event's time is when it arrives, as in
PagerDuty (`payload.timestamp` is the sender's clock, only part of the event's identity).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.api.intake.common import SEVERITIES, PayloadErrors, optional_string, parse_time
from incidents_service.domain import limits

SOURCE_SYSTEM = "pagerduty"
ACTIONS = ("trigger", "acknowledge", "resolve")
MAX_DEDUP_KEY_CHARS = 255  # PagerDuty's own limit
MAX_SUMMARY_CHARS = 1024  # PagerDuty's own limit (and the incident name's)
LABEL_FIELDS = ("source", "component", "group", "class")
SOURCE_FIELDS = {
    "correlation_key": "dedup_key",
    "name": "payload.summary",
    "contextual_labels": "payload",
    "display_labels": "payload.custom_details",
}


@dataclass(frozen=True)
class PagerDutyEvent:
    routing_key: str
    action: str
    dedup_key: str
    alert_event: api.AlertEvent | None  # trigger and resolve; None for acknowledge


def routing_key_of(payload: Any) -> str | None:
    """The API key the event carries, if any (read before anything else: it authenticates the event)."""
    if isinstance(payload, dict) and isinstance(payload.get("routing_key"), str):
        return str(payload["routing_key"])
    return None


def event_from_body(payload: Any, now: datetime) -> PagerDutyEvent:
    errors = PayloadErrors()
    if not isinstance(payload, dict):
        errors.add("body", "the body must be a JSON object (a PagerDuty Events API v2 event)")
        errors.check()
    action = payload.get("event_action")
    if action not in ACTIONS:
        errors.add("event_action", f"must be one of {', '.join(ACTIONS)}, got {action!r}"[:200])
    dedup_key = optional_string(payload, "dedup_key", errors)
    if len(dedup_key) > MAX_DEDUP_KEY_CHARS:
        errors.add("dedup_key", f"at most {MAX_DEDUP_KEY_CHARS} characters")
    if action in ("acknowledge", "resolve") and not dedup_key:
        errors.add("dedup_key", f"is required to {action}")
    details = payload.get("payload")
    if details is None and action != "trigger":
        details = {}
    if not isinstance(details, dict):
        errors.add("payload", "is required (an object)" if details is None else "must be an object")
        details = {}
    summary = optional_string(details, "summary", errors, prefix="payload")
    severity_name = optional_string(details, "severity", errors, prefix="payload")
    if action == "trigger":
        if not summary.strip():
            errors.add("payload.summary", "is missing or blank")
        elif len(summary) > MAX_SUMMARY_CHARS:
            errors.add("payload.summary", f"at most {MAX_SUMMARY_CHARS} characters")
        if severity_name not in SEVERITIES:
            errors.add("payload.severity", f"must be one of {', '.join(SEVERITIES)}, got {severity_name!r}"[:200])
    elif severity_name and severity_name not in SEVERITIES:
        errors.add("payload.severity", f"must be one of {', '.join(SEVERITIES)}, got {severity_name!r}"[:200])
    labels = {name: optional_string(details, name, errors, prefix="payload") for name in LABEL_FIELDS}
    custom = details.get("custom_details")
    if custom is not None and not isinstance(custom, dict):
        custom = {"details": custom}  # PagerDuty accepts any JSON value here
    display = _display_labels(custom or {})
    for name in ("client", "client_url"):
        if value := optional_string(payload, name, errors):
            display[name] = value[: limits.MAX_LABEL_VALUE_CHARS]
    stamped = parse_time(details.get("timestamp"), "payload.timestamp", errors, required=False) is not None
    errors.check()

    routing_key = routing_key_of(payload) or ""
    if not dedup_key:
        dedup_key = uuid.uuid4().hex
    if action == "acknowledge":
        return PagerDutyEvent(routing_key, action, dedup_key, None)
    if stamped:
        identity = {key: value for key, value in payload.items() if key != "routing_key"}
        identity["dedup_key"] = dedup_key
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()
        cx_event_key = f"pagerduty/{digest}"
    else:
        cx_event_key = f"pagerduty/{uuid.uuid4().hex}"
    event = api.AlertEvent(
        correlation_key=dedup_key,
        cx_event_key=cx_event_key,
        state_type=pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED
        if action == "trigger"
        else pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED,
        name=summary,
        severity=SEVERITIES.get(severity_name, pb.INCIDENT_SEVERITY_UNSPECIFIED),
        contextual_labels={name: value for name, value in labels.items() if value},
        display_labels=display,
        source_system=SOURCE_SYSTEM,
        alert_instance_id=dedup_key,  # one PagerDuty alert per dedup key (SPEC 16)
    )
    event.timestamp.FromDatetime(now)
    return PagerDutyEvent(routing_key, action, dedup_key, event)


def _display_labels(custom: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for key, value in list(custom.items())[: limits.MAX_LABELS_PER_KIND]:
        text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"), default=str)
        labels[str(key)[: limits.MAX_LABEL_KEY_CHARS]] = text[: limits.MAX_LABEL_VALUE_CHARS]
    return labels
