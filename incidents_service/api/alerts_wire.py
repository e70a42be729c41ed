"""Alerts inside incidents (SPEC 16) to and from incident_alerts.proto: kept out of api/convert/,
which converts the incident itself."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from incidents_service_api.v1 import incident_alerts_pb2 as alr

from incidents_service.api.convert.decode import timestamp_from_wire
from incidents_service.api.convert.encode import timestamp_to_wire
from incidents_service.api.convert.enums import SEVERITY_TO_WIRE
from incidents_service.domain import limits
from incidents_service.domain.correlation import CorrelationRule
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.maintenance import LabelMatcher, MaintenanceState, MaintenanceWindow
from incidents_service.domain.model import Alert, AlertState, FlappingPolicy
from incidents_service.operations import CorrelationRuleDraft, IncidentAlerts, MaintenanceDraft

ALERT_STATE_TO_WIRE = {AlertState.FIRING: alr.ALERT_STATE_FIRING, AlertState.RESOLVED: alr.ALERT_STATE_RESOLVED}
MAINTENANCE_STATE_TO_WIRE = {
    MaintenanceState.NONE: alr.MAINTENANCE_STATE_NONE,
    MaintenanceState.PARTIAL: alr.MAINTENANCE_STATE_PARTIAL,
    MaintenanceState.ACTIVE: alr.MAINTENANCE_STATE_ACTIVE,
}


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
        in_maintenance=alert.in_maintenance(now),
        maintenance_window_id=alert.maintenance_window_id or "",
    )
    if alert.flapping_until is not None:
        message.flapping_until.CopyFrom(timestamp_to_wire(alert.flapping_until))
    if alert.maintenance_until is not None:
        message.maintenance_until.CopyFrom(timestamp_to_wire(alert.maintenance_until))
    return message


def alert_summary_to_wire(found: IncidentAlerts, now: datetime) -> alr.IncidentAlertSummary:
    message = alr.IncidentAlertSummary(
        highest_severity=SEVERITY_TO_WIRE[found.highest_severity],
        firing_alerts=found.firing_alerts,
        total_alerts=found.total_alerts,
        flapping=found.flapping_until is not None and now < found.flapping_until,
        maintenance=MAINTENANCE_STATE_TO_WIRE[found.maintenance],
        correlation_log=[_correlation_log_entry(entry) for entry in found.correlation_log],
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


def maintenance_window_to_wire(window: MaintenanceWindow) -> alr.MaintenanceWindow:
    return alr.MaintenanceWindow(
        id=window.id,
        name=window.name,
        matchers=[
            alr.MaintenanceLabelMatcher(key=m.key, value=m.value, not_equal=m.not_equal) for m in window.matchers
        ],
        starts_at=timestamp_to_wire(window.starts_at),
        ends_at=timestamp_to_wire(window.ends_at),
        created_by=window.created_by,
        created_at=timestamp_to_wire(window.created_at),
    )


def maintenance_draft_from_wire(
    field: str, window: alr.MaintenanceWindow, out: list[FieldViolation]
) -> MaintenanceDraft | None:
    limits.check_text(f"{field}.name", window.name, limits.MAX_NAME_CHARS, out)
    matchers = label_matchers_from_wire(f"{field}.matchers", window.matchers, out)
    starts_at = ends_at = None
    for name in ("starts_at", "ends_at"):
        if not window.HasField(name):
            out.append(FieldViolation(f"{field}.{name}", "is required"))
    if window.HasField("starts_at"):
        starts_at = timestamp_from_wire(f"{field}.starts_at", window.starts_at, out)
    if window.HasField("ends_at"):
        ends_at = timestamp_from_wire(f"{field}.ends_at", window.ends_at, out)
    if starts_at is not None and ends_at is not None:
        if ends_at <= starts_at:
            out.append(FieldViolation(f"{field}.ends_at", "must be after starts_at"))
        elif ends_at - starts_at > timedelta(days=limits.MAX_MAINTENANCE_DAYS):
            out.append(
                FieldViolation(f"{field}.ends_at", f"at most {limits.MAX_MAINTENANCE_DAYS} days after starts_at")
            )
    if starts_at is None or ends_at is None:
        return None
    return MaintenanceDraft(window.name, matchers, starts_at, ends_at)


def label_matchers_from_wire(
    field: str, matchers: Sequence[alr.MaintenanceLabelMatcher], out: list[FieldViolation]
) -> tuple[LabelMatcher, ...]:
    if not matchers:
        out.append(FieldViolation(field, "at least one matcher is required"))
    if not limits.check_count(field, len(matchers), limits.MAX_MATCHERS_PER_WINDOW, "matchers", out):
        return ()
    for index, matcher in enumerate(matchers):
        if not matcher.key:
            out.append(FieldViolation(f"{field}[{index}].key", "is required"))
        limits.check_text(f"{field}[{index}].key", matcher.key, limits.MAX_LABEL_KEY_CHARS, out)
        limits.check_text(f"{field}[{index}].value", matcher.value, limits.MAX_LABEL_VALUE_CHARS, out)
    return tuple(LabelMatcher(m.key, m.value, m.not_equal) for m in matchers)


def _correlation_log_entry(entry: dict[str, str]) -> alr.CorrelationLogEntry:
    message = alr.CorrelationLogEntry(
        rule_id=entry["rule_id"],
        rule_name=entry["rule_name"],
        labels=json.loads(entry["labels"]),
        alert_key=entry["alert_key"],
    )
    message.matched_at.CopyFrom(timestamp_to_wire(datetime.fromisoformat(entry["matched_at"])))
    return message


def correlation_rule_to_wire(rule: CorrelationRule) -> alr.CorrelationRule:
    return alr.CorrelationRule(
        id=rule.id,
        name=rule.name,
        label_keys=list(rule.label_keys),
        window_minutes=int(rule.window.total_seconds() // 60),
        created_by=rule.created_by,
        created_at=timestamp_to_wire(rule.created_at),
    )


def correlation_rule_from_wire(
    field: str, rule: alr.CorrelationRule, out: list[FieldViolation]
) -> CorrelationRuleDraft:
    limits.check_text(f"{field}.name", rule.name, limits.MAX_NAME_CHARS, out)
    keys = list(rule.label_keys)
    if not keys:
        out.append(FieldViolation(f"{field}.label_keys", "at least one label key is required"))
    limits.check_count(f"{field}.label_keys", len(keys), limits.MAX_CORRELATION_LABEL_KEYS, "label keys", out)
    for index, key in enumerate(keys[: limits.MAX_CORRELATION_LABEL_KEYS]):
        if not key:
            out.append(FieldViolation(f"{field}.label_keys[{index}]", "is empty"))
        limits.check_text(f"{field}.label_keys[{index}]", key, limits.MAX_LABEL_KEY_CHARS, out)
    if len(set(keys)) != len(keys):
        out.append(FieldViolation(f"{field}.label_keys", "a label key is named twice"))
    minutes = rule.window_minutes
    if not limits.MIN_CORRELATION_WINDOW_MINUTES <= minutes <= limits.MAX_CORRELATION_WINDOW_MINUTES:
        bounds = f"{limits.MIN_CORRELATION_WINDOW_MINUTES} to {limits.MAX_CORRELATION_WINDOW_MINUTES}"
        out.append(FieldViolation(f"{field}.window_minutes", f"must be {bounds} minutes"))
    return CorrelationRuleDraft(rule.name, tuple(keys), timedelta(minutes=minutes))
