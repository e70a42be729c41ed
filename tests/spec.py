"""Tables of the SPEC restated for the tests: an oracle written from the SPEC, not imported from the code."""

from __future__ import annotations

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
