"""Tables of the SPEC restated for the tests: an oracle written from the SPEC, not imported from the code."""

from __future__ import annotations

from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import notifications_pb2 as nt

# SPEC section 2, the permission table, as written there.
SPEC_PERMISSIONS = {
    **{
        name: "incidents:read"
        for name in (
            "GetIncident",
            "BatchGetIncident",
            "ListIncidents",
            "ListIncidentAggregations",
            "GetFilterValues",
            "GetIncidentEvents",
            "GetIncidentByEventId",
            "GetIncidentUsingCorrelationKey",
            "ListIncidentEvents",
            "ListIncidentEventsTotalCount",
            "ListIncidentEventsFilterValues",
            "GetNote",
            "ListNotes",
            "GetIncidentTimeline",
            "GetIncidentStatistics",
            "ListIncidentActions",
            "ListIncidentAlerts",
            "GetAlertSettings",
            "ListMaintenanceWindows",
            "ListCorrelationRules",
        )
    },
    "CreateCorrelationRule": "incidents:write",
    "DeleteCorrelationRule": "incidents:write",
    "UpdateAlertSettings": "incidents:write",
    "CreateMaintenanceWindow": "incidents:write",
    "DeleteMaintenanceWindow": "incidents:write",
    "AssignIncidents": "incidents:assign",
    "UnassignIncidents": "incidents:assign",
    "AcknowledgeIncidents": "incidents:acknowledge",
    "AcknowledgeIncidentByEventId": "incidents:acknowledge",
    "ResolveIncidents": "incidents:close",
    "ResolveIncidentByEventId": "incidents:close",
    "CloseIncidents": "incidents:close",
    "SnoozeIncidents": "incidents:close",
    "DeleteIncidents": "incidents:delete",
    "CreateIncident": "incidents:write",
    "UpdateIncident": "incidents:write",
    "CreateNote": "incidents:write",
    "UpdateNote": "incidents:write",
    "DeleteNote": "incidents:write",
    "ReportAlertEvents": "incidents:ingest",
    **{
        name: "notifications:manage"
        for name in (
            "CreateNotificationRule",
            "GetNotificationRule",
            "ListNotificationRules",
            "UpdateNotificationRule",
            "DeleteNotificationRule",
        )
    },
}

READ_RPCS = frozenset(name for name, permission in SPEC_PERMISSIONS.items() if permission == "incidents:read")

# Every authenticated service (health and reflection need no key): what the auth matrix and the fuzz call.
SERVICES = [
    svc.DESCRIPTOR.services_by_name["IncidentsService"],
    api.DESCRIPTOR.services_by_name["AlertIngestionService"],
    api.DESCRIPTOR.services_by_name["IncidentManagementService"],
    ins.DESCRIPTOR.services_by_name["IncidentNotesService"],
    ins.DESCRIPTOR.services_by_name["IncidentInsightsService"],
    nt.DESCRIPTOR.services_by_name["NotificationRulesService"],
    nt.DESCRIPTOR.services_by_name["IncidentActionsService"],
    alr.DESCRIPTOR.services_by_name["IncidentAlertsService"],
    alr.DESCRIPTOR.services_by_name["AlertSettingsService"],
    alr.DESCRIPTOR.services_by_name["MaintenanceWindowsService"],
    alr.DESCRIPTOR.services_by_name["CorrelationRulesService"],
]
