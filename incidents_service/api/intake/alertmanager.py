"""Prometheus Alertmanager's webhook notification (payload version 4) as one alert event (SPEC 12).

Pure translation, no I/O: the event then goes through ReportAlertEvents like any other. One notification
is one event of the group's incident:
- correlation key `alertmanager/<groupKey>`; TRIGGERED while `status` is `firing`, RESOLVED once `resolved`;
- name `commonAnnotations.summary`, else `commonLabels.alertname`; description
  `commonAnnotations.description`; severity `commonLabels.severity` (critical, error, warning, info;
  any other value leaves it unset); contextual labels `commonLabels`;
- display label `alertmanager_url` = `externalURL`; one meta label `generator_url` per alert's
  `generatorURL` (the rule's page in Prometheus), so both are kept on the incident;
- cx_event_key: a digest of the status and each alert's fingerprint, status, startsAt and endsAt. A
  notification Alertmanager repeats (repeat_interval, or a retry) carries the same alerts and times,
  so it is a DUPLICATE; an alert that fires again has a new startsAt, so it is a new event;
- timestamp: when the notification arrives. Alertmanager sends a group's notifications in order, while
  the alerts' own times may be older than the group's last change (an alert that joins late, a slow
  Prometheus): taken as the event's time, they would make a firing group's event look late and leave its
  incident resolved.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from google.protobuf.wrappers_pb2 import StringValue
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.api.intake.common import (
    SEVERITIES,
    PayloadErrors,
    optional_string,
    parse_time,
    string_map,
)

SOURCE_SYSTEM = "alertmanager"
STATES = {
    "firing": pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED,
    "resolved": pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED,
}
# Where each field of the event comes from: a limit the event breaks names the sender's field.
SOURCE_FIELDS = {
    "correlation_key": "groupKey",
    "name": "commonAnnotations.summary",
    "description": "commonAnnotations.description",
    "contextual_labels": "commonLabels",
    "display_labels": "externalURL",
    "meta_labels": "alerts[].generatorURL",
    "alert_name": "commonLabels.alertname",
}
MAX_ALERTS = 1000


def event_from_notification(payload: Any, now: datetime) -> api.AlertEvent:
    """The alert event of one notification; PayloadErrors naming every bad field otherwise."""
    errors = PayloadErrors()
    if not isinstance(payload, dict):
        errors.add("body", "the body must be a JSON object (an Alertmanager webhook notification)")
        errors.check()
    version = payload.get("version")
    if version != "4":
        errors.add("version", f'must be "4" (Alertmanager webhook payload version 4), got {version!r}')
    group_key = payload.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        errors.add("groupKey", "is required (a non-empty string)")
    status = payload.get("status")
    if status not in STATES:
        errors.add("status", f'must be "firing" or "resolved", got {status!r}')
    labels = string_map(payload, "commonLabels", errors)
    annotations = string_map(payload, "commonAnnotations", errors)
    external_url = optional_string(payload, "externalURL", errors)
    alerts = payload.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        errors.add("alerts", "is required (a non-empty list of alerts)")
        alerts = []
    elif len(alerts) > MAX_ALERTS:
        errors.add("alerts", f"at most {MAX_ALERTS} alerts per notification")
        alerts = []
    identities: list[list[str]] = []
    generator_urls: list[str] = []
    for index, alert in enumerate(alerts):
        field = f"alerts[{index}]"
        if not isinstance(alert, dict):
            errors.add(field, "must be an object")
            continue
        fingerprint = optional_string(alert, "fingerprint", errors, prefix=field)
        alert_status = optional_string(alert, "status", errors, prefix=field)
        parse_time(alert.get("startsAt"), f"{field}.startsAt", errors)
        parse_time(alert.get("endsAt"), f"{field}.endsAt", errors, required=False)
        generator_url = optional_string(alert, "generatorURL", errors, prefix=field)
        if not fingerprint:
            # Older senders may omit it: the alert's labels identify it just as well.
            fingerprint = json.dumps(alert.get("labels"), sort_keys=True, default=str)
        identities.append([fingerprint, alert_status, str(alert.get("startsAt")), str(alert.get("endsAt"))])
        if generator_url:
            generator_urls.append(generator_url)
    errors.check()

    digest = hashlib.sha256(
        json.dumps([group_key, status, sorted(identities)], separators=(",", ":")).encode("utf-8")
    ).hexdigest()
    event = api.AlertEvent(
        correlation_key=f"alertmanager/{group_key}",
        cx_event_key=f"alertmanager/{digest}",
        state_type=STATES[status],
        name=annotations.get("summary") or labels.get("alertname", ""),
        description=annotations.get("description", ""),
        severity=SEVERITIES.get(labels.get("severity", "").lower(), pb.INCIDENT_SEVERITY_UNSPECIFIED),
        contextual_labels=labels,
        display_labels={"alertmanager_url": external_url} if external_url else {},
        meta_labels=[
            pb.MetaLabel(key=StringValue(value="generator_url"), value=StringValue(value=url))
            for url in dict.fromkeys(generator_urls)
        ],
        alert_name=labels.get("alertname", ""),
        source_system=SOURCE_SYSTEM,
    )
    event.timestamp.FromDatetime(now)
    return event
