"""What a delivery sends: the webhook JSON (the wire Incident in the proto3 JSON mapping, as Connect and
grpcurl print it) or a Slack message, and the headers that identify and sign it."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import orjson
from google.protobuf import json_format

from incidents_service.api.convert import encode
from incidents_service.domain.notifications import TargetKind
from incidents_service.storage.notifications import ClaimedNotification

USER_AGENT = "incidents-service-notifications/1"


def body_of(notification: ClaimedNotification, kind: TargetKind) -> bytes:
    """The request body: the same bytes on every attempt (the incident as the change left it, its
    duration counted to the change)."""
    if kind is TargetKind.SLACK:
        return orjson.dumps({"text": slack_text(notification)})
    incident = encode.incident_to_wire(notification.incident, notification.changed_at)
    document: dict[str, Any] = {
        "id": notification.id,
        "change": notification.change.value,
        "time": encode.timestamp_to_wire(notification.changed_at).ToJsonString(),
        "rule": {"id": notification.rule_id, "name": notification.rule_name},
        # The same options as the Connect JSON codec (json_format's defaults).
        "incident": json_format.MessageToDict(incident),
    }
    return orjson.dumps(document)


def _slack_escaped(text: str) -> str:
    # Slack reads &, < and > as markup.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_CHANGE_WORDS = {
    "opened": "opened",
    "reopened": "reopened",
    "acknowledged": "acknowledged",
    "assigned": "assigned",
    "resolved": "resolved",
    "closed": "closed",
    "severity_raised": "severity raised",
}


def slack_text(notification: ClaimedNotification) -> str:
    incident = notification.incident
    lines = [
        f"*{_slack_escaped(incident.name)}*: {_CHANGE_WORDS[notification.change.value]}",
        f"Severity: {incident.severity.name} · Status: {incident.status.value}"
        + (f" · Assigned to: {_slack_escaped(incident.assigned_to)}" if incident.assigned_to else ""),
    ]
    if incident.contextual_labels:
        labels = ", ".join(f"{key}={value}" for key, value in sorted(incident.contextual_labels.items()))
        lines.append(f"Labels: {_slack_escaped(labels)}")
    lines.append(f"Incident {incident.id} · rule {_slack_escaped(notification.rule_name)}")
    return "\n".join(lines)


def headers_of(notification_id: str, body: bytes, secret: str | None, timestamp: int) -> dict[str, str]:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        # The same on every retry: receivers drop what they already have (delivery is at least once).
        "Idempotency-Key": notification_id,
    }
    if secret:
        headers["X-Incidents-Timestamp"] = str(timestamp)
        headers["X-Incidents-Signature"] = "sha256=" + signature(secret, timestamp, body)
    return headers


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of "<timestamp>.<body>" with the rule's secret (the timestamp is signed too, so a
    receiver can refuse old requests replayed)."""
    return hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
