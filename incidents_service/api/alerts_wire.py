"""Alerts inside incidents (SPEC 16) to and from incident_alerts.proto: kept out of convert.py, which
converts the incident itself."""

from __future__ import annotations

from incidents_service_api.v1 import incident_alerts_pb2 as alr

from incidents_service.api.convert import SEVERITY_TO_WIRE, timestamp_to_wire
from incidents_service.domain.model import Alert, AlertState
from incidents_service.operations import IncidentAlerts

ALERT_STATE_TO_WIRE = {AlertState.FIRING: alr.ALERT_STATE_FIRING, AlertState.RESOLVED: alr.ALERT_STATE_RESOLVED}


def alert_to_wire(alert: Alert) -> alr.IncidentAlert:
    return alr.IncidentAlert(
        alert_key=alert.key,
        state=ALERT_STATE_TO_WIRE[alert.state],
        severity=SEVERITY_TO_WIRE[alert.severity],
        labels=alert.labels,
        first_seen=timestamp_to_wire(alert.first_seen),
        last_seen=timestamp_to_wire(alert.last_seen),
        state_changes=alert.state_changes,
    )


def alert_summary_to_wire(found: IncidentAlerts) -> alr.IncidentAlertSummary:
    return alr.IncidentAlertSummary(
        highest_severity=SEVERITY_TO_WIRE[found.highest_severity],
        firing_alerts=found.firing_alerts,
        total_alerts=found.total_alerts,
    )
