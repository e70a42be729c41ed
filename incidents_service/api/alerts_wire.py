"""Alerts inside incidents (SPEC 16) to and from incident_alerts.proto: kept out of convert.py, which
converts the incident itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from incidents_service_api.v1 import incident_alerts_pb2 as alr

from incidents_service.api.convert import SEVERITY_TO_WIRE, timestamp_to_wire
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.model import Alert, AlertState, FlappingPolicy
from incidents_service.operations import IncidentAlerts

ALERT_STATE_TO_WIRE = {AlertState.FIRING: alr.ALERT_STATE_FIRING, AlertState.RESOLVED: alr.ALERT_STATE_RESOLVED}


def alert_to_wire(alert: Alert, now: datetime) -> alr.IncidentAlert:
    message = alr.IncidentAlert(
        alert_key=alert.key,
        state=ALERT_STATE_TO_WIRE[alert.state],
        severity=SEVERITY_TO_WIRE[alert.severity],
        labels=alert.labels,
        first_seen=timestamp_to_wire(alert.first_seen),
        last_seen=timestamp_to_wire(alert.last_seen),
        state_changes=alert.state_changes,
        flapping=alert.is_flapping(now),
    )
    if alert.flapping_until is not None:
        message.flapping_until.CopyFrom(timestamp_to_wire(alert.flapping_until))
    return message


def alert_summary_to_wire(found: IncidentAlerts, now: datetime) -> alr.IncidentAlertSummary:
    message = alr.IncidentAlertSummary(
        highest_severity=SEVERITY_TO_WIRE[found.highest_severity],
        firing_alerts=found.firing_alerts,
        total_alerts=found.total_alerts,
        flapping=found.flapping_until is not None and now < found.flapping_until,
    )
    if found.flapping_until is not None:
        message.flapping_until.CopyFrom(timestamp_to_wire(found.flapping_until))
    return message


def alert_settings_to_wire(flapping: FlappingPolicy) -> alr.AlertSettings:
    return alr.AlertSettings(
        flapping_threshold=flapping.threshold, flapping_window_minutes=int(flapping.window.total_seconds() // 60)
    )


def alert_settings_from_wire(field: str, settings: alr.AlertSettings, out: list[FieldViolation]) -> FlappingPolicy:
    threshold, minutes = settings.flapping_threshold, settings.flapping_window_minutes
    if not limits.MIN_FLAPPING_THRESHOLD <= threshold <= limits.MAX_FLAPPING_THRESHOLD:
        bounds = f"{limits.MIN_FLAPPING_THRESHOLD} to {limits.MAX_FLAPPING_THRESHOLD}"
        out.append(FieldViolation(f"{field}.flapping_threshold", f"must be {bounds} state changes"))
    if not limits.MIN_FLAPPING_WINDOW_MINUTES <= minutes <= limits.MAX_FLAPPING_WINDOW_MINUTES:
        bounds = f"{limits.MIN_FLAPPING_WINDOW_MINUTES} to {limits.MAX_FLAPPING_WINDOW_MINUTES}"
        out.append(FieldViolation(f"{field}.flapping_window_minutes", f"must be {bounds} minutes"))
    return FlappingPolicy(threshold, timedelta(minutes=minutes))
