"""Prometheus Alertmanager's webhook notification (payload version 4) as alert events (SPEC 12, 16).

Pure translation, no I/O: the events then go through ReportAlertEvents like any other. One notification
is one event per alert, all for the group's incident, each alert its own alert inside it (SPEC 16), so
an alert that resolves while another of the group still fires leaves the incident TRIGGERED:
- correlation key `alertmanager/<groupKey>`; the alert's identity its `fingerprint` (its labels when a
  sender omits it); TRIGGERED while the alert's `status` is `firing`, RESOLVED once `resolved` (an alert
  without a status takes the notification's);
- name `commonAnnotations.summary`, else `commonLabels.alertname`; description
  `commonAnnotations.description`; severity the alert's `severity` label, else `commonLabels.severity`
  (critical, error, warning, info; any other value leaves it unset); contextual labels `commonLabels`;
  the alert's own labels its `labels`;
- display label `alertmanager_url` = `externalURL`; one meta label `generator_url` per alert's
  `generatorURL` (the rule's page in Prometheus), so both are kept on the incident;
- cx_event_key: a digest of the group, the alert's fingerprint, status, startsAt and endsAt. A
  notification Alertmanager repeats (repeat_interval, or a retry) carries the same alerts and times,
  so each of its events is a DUPLICATE; an alert that fires again has a new startsAt, so a new event;
- timestamp: when the notification arrives. Alertmanager sends a group's notifications in order, while
  the alerts' own times may be older than the group's last change (an alert that joins late, a slow
  Prometheus): taken as the event's time, they would make a firing alert's event look late and leave its
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
# Where each field of an event comes from: a limit the event breaks names the sender's field ({index}:
# the alert's position, which is its event's).
SOURCE_FIELDS = {
    "correlation_key": "groupKey",
    "name": "commonAnnotations.summary",
    "description": "commonAnnotations.description",
    "contextual_labels": "commonLabels",
    "display_labels": "externalURL",
    "meta_labels": "alerts[{index}].generatorURL",
    "alert_name": "commonLabels.alertname",
    "alert_instance_id": "alerts[{index}].fingerprint",
    "alert_labels": "alerts[{index}].labels",
}
MAX_ALERTS = 1000


def events_from_notification(payload: Any, now: datetime) -> list[api.AlertEvent]:
    """The alert events of one notification, one per alert in order; PayloadErrors naming every bad
    field otherwise."""
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
    common = api.AlertEvent(
        correlation_key=f"alertmanager/{group_key}",
        name=annotations.get("summary") or labels.get("alertname", ""),
        description=annotations.get("description", ""),
        contextual_labels=labels,
        display_labels={"alertmanager_url": external_url} if external_url else {},
        alert_name=labels.get("alertname", ""),
        source_system=SOURCE_SYSTEM,
    )
    common.timestamp.FromDatetime(now)
    events: list[api.AlertEvent] = []
    for index, alert in enumerate(alerts):
        field = f"alerts[{index}]"
        if not isinstance(alert, dict):
            errors.add(field, "must be an object")
            continue
        fingerprint = optional_string(alert, "fingerprint", errors, prefix=field)
        alert_status = optional_string(alert, "status", errors, prefix=field) or status
        if alert_status not in STATES:
            errors.add(f"{field}.status", f'must be "firing" or "resolved", got {alert_status!r}')
            continue
        alert_labels = string_map(alert, "labels", errors, prefix=field)
        parse_time(alert.get("startsAt"), f"{field}.startsAt", errors)
        parse_time(alert.get("endsAt"), f"{field}.endsAt", errors, required=False)
        generator_url = optional_string(alert, "generatorURL", errors, prefix=field)
        if not fingerprint:
            # Older senders may omit it: the alert's labels identify it just as well.
            fingerprint = json.dumps(alert.get("labels"), sort_keys=True, default=str)
        identity = [group_key, fingerprint, alert_status, str(alert.get("startsAt")), str(alert.get("endsAt"))]
        digest = hashlib.sha256(json.dumps(identity, separators=(",", ":")).encode("utf-8")).hexdigest()
        severity = alert_labels.get("severity") or labels.get("severity", "")
        event = api.AlertEvent()
        event.CopyFrom(common)
        event.cx_event_key = f"alertmanager/{digest}"
        event.state_type = STATES[alert_status]
        event.severity = SEVERITIES.get(severity.lower(), pb.INCIDENT_SEVERITY_UNSPECIFIED)
        event.alert_instance_id = fingerprint
        event.alert_labels.update(alert_labels)
        if generator_url:
            event.meta_labels.append(
                pb.MetaLabel(key=StringValue(value="generator_url"), value=StringValue(value=generator_url))
            )
        events.append(event)
    errors.check()
    return events
