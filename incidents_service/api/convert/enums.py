"""The wire enums and their domain values, in both directions: the one table of each, for decoding and encoding."""

from __future__ import annotations

from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service.domain.model import (
    AlertOutcome,
    AlertType,
    EventType,
    IncidentState,
    IncidentStatus,
    OriginatorType,
    Severity,
)
from incidents_service.domain.queries import (
    SearchField,
    SortField,
)
from incidents_service.domain.timeline import TimelineAction

SEVERITY_TO_WIRE = {
    Severity.INFO: pb.INCIDENT_SEVERITY_INFO,
    Severity.LOW: pb.INCIDENT_SEVERITY_LOW,
    Severity.WARNING: pb.INCIDENT_SEVERITY_WARNING,
    Severity.ERROR: pb.INCIDENT_SEVERITY_ERROR,
    Severity.CRITICAL: pb.INCIDENT_SEVERITY_CRITICAL,
}


SEVERITY_FROM_WIRE: dict[int, Severity] = {wire: severity for severity, wire in SEVERITY_TO_WIRE.items()}


STATE_TO_WIRE = {
    IncidentState.TRIGGERED: pb.INCIDENT_STATE_TRIGGERED,
    IncidentState.RESOLVED: pb.INCIDENT_STATE_RESOLVED,
}


STATE_FROM_WIRE: dict[int, IncidentState] = {wire: state for state, wire in STATE_TO_WIRE.items()}


UPSERT_STATE_FROM_WIRE: dict[pb.UpsertIncidentStateType, IncidentState] = {
    pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED: IncidentState.TRIGGERED,
    pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED: IncidentState.RESOLVED,
}


UPSERT_STATE_TO_WIRE = {state: wire for wire, state in UPSERT_STATE_FROM_WIRE.items()}


STATUS_TO_WIRE = {
    IncidentStatus.TRIGGERED: pb.INCIDENT_STATUS_TRIGGERED,
    IncidentStatus.ACKNOWLEDGED: pb.INCIDENT_STATUS_ACKNOWLEDGED,
    IncidentStatus.RESOLVED: pb.INCIDENT_STATUS_RESOLVED,
}


STATUS_FROM_WIRE: dict[int, IncidentStatus] = {wire: status for status, wire in STATUS_TO_WIRE.items()}


EVENT_TYPE_TO_WIRE = {
    EventType.OPEN: pb.INCIDENT_EVENT_TYPE_OPEN,
    EventType.UPSERT_STATE: pb.INCIDENT_EVENT_TYPE_UPSERT_STATE,
    EventType.CLOSE: pb.INCIDENT_EVENT_TYPE_CLOSE,
    EventType.SNOOZE_INDICATOR: pb.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR,
    EventType.ASSIGN: pb.INCIDENT_EVENT_TYPE_ASSIGN,
    EventType.ACKNOWLEDGE: pb.INCIDENT_EVENT_TYPE_ACKNOWLEDGE,
    EventType.UNASSIGN: pb.INCIDENT_EVENT_TYPE_UNASSIGN,
}


ORIGINATOR_TO_WIRE = {
    OriginatorType.OPERATIONAL: pb.ORIGINATOR_TYPE_OPERATIONAL,
    OriginatorType.ADMINISTRATIVE: pb.ORIGINATOR_TYPE_ADMINISTRATIVE,
}


ALERT_TYPE_FROM_WIRE: dict[int, AlertType] = {
    pb.INCIDENT_EVENT_ALERT_TYPE_STANDARD_OR_UNSPECIFIED: AlertType.STANDARD,
    pb.INCIDENT_EVENT_ALERT_TYPE_METRIC: AlertType.METRIC,
    pb.INCIDENT_EVENT_ALERT_TYPE_NEW_VALUE: AlertType.NEW_VALUE,
    pb.INCIDENT_EVENT_ALERT_TYPE_RATIO: AlertType.RATIO,
    pb.INCIDENT_EVENT_ALERT_TYPE_TIME_RELATIVE: AlertType.TIME_RELATIVE,
    pb.INCIDENT_EVENT_ALERT_TYPE_UNIQUE_COUNT: AlertType.UNIQUE_COUNT,
    pb.INCIDENT_EVENT_ALERT_TYPE_TRACING: AlertType.TRACING,
    pb.INCIDENT_EVENT_ALERT_TYPE_FLOW: AlertType.FLOW,
    pb.INCIDENT_EVENT_ALERT_TYPE_SLO: AlertType.SLO,
}


ALERT_TYPE_TO_WIRE: dict[AlertType, Any] = {alert_type: wire for wire, alert_type in ALERT_TYPE_FROM_WIRE.items()}


OUTCOME_TO_WIRE = {
    AlertOutcome.CREATED: api.AlertEventResult.CREATED,
    AlertOutcome.UPDATED: api.AlertEventResult.UPDATED,
    AlertOutcome.REOPENED: api.AlertEventResult.REOPENED,
    AlertOutcome.DUPLICATE: api.AlertEventResult.DUPLICATE,
    AlertOutcome.IGNORED: api.AlertEventResult.IGNORED,
}


SEARCH_FIELDS_FROM_WIRE = {
    pb.INCIDENTS_FIELDS_UNSPECIFIED: SearchField.NAME,
    pb.INCIDENTS_FIELDS_NAME: SearchField.NAME,
    pb.INCIDENTS_FIELDS_ID: SearchField.ID,
    pb.INCIDENTS_FIELDS_APPLICATION_NAME: SearchField.APPLICATION_NAME,
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME: SearchField.SUBSYSTEM_NAME,
}


DIRECTIONS = (pb.ORDER_BY_DIRECTION_UNSPECIFIED, pb.ORDER_BY_DIRECTION_ASC, pb.ORDER_BY_DIRECTION_DESC)


SORT_FIELDS_FROM_WIRE = {
    pb.INCIDENTS_FIELDS_ID: SortField.ID,
    pb.INCIDENTS_FIELDS_SEVERITY: SortField.SEVERITY,
    pb.INCIDENTS_FIELDS_NAME: SortField.NAME,
    pb.INCIDENTS_FIELDS_CREATED_TIME: SortField.CREATED_AT,
    pb.INCIDENTS_FIELDS_CLOSED_TIME: SortField.CLOSED_AT,
    pb.INCIDENTS_FIELDS_STATE: SortField.STATE,
    pb.INCIDENTS_FIELDS_STATUS: SortField.STATUS,
    pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME: SortField.LAST_STATE_UPDATE_TIME,
    pb.INCIDENTS_FIELDS_APPLICATION_NAME: SortField.APPLICATION_NAME,
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME: SortField.SUBSYSTEM_NAME,
    pb.INCIDENTS_FIELDS_DURATION: SortField.DURATION,
}


# The wire enum names each domain action with the prefix (and the same numbers).
TIMELINE_ACTION_TO_WIRE: dict[TimelineAction, ins.TimelineAction] = {
    action: getattr(ins, f"TIMELINE_ACTION_{action.name}") for action in TimelineAction
}
