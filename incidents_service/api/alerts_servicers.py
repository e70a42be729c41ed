"""Servicers of incident_alerts.proto: the alerts inside incidents (SPEC 16).

Like the other servicers: decode and validate, call one operation, build the response.
"""

from __future__ import annotations

import grpc
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from incidents_service.api import alerts_wire, response_size
from incidents_service.api.convert import decode
from incidents_service.api.page_tokens import PageTokenCodec, request_fingerprint
from incidents_service.api.servicers import page_field_numbers, page_request, pagination_for
from incidents_service.auth import current_caller
from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.operations import IncidentOperations

# Pages of alerts stop early at 4 MiB like every page (SPEC 11).
_ALERTS_PAGE = page_field_numbers(alr.ListIncidentAlertsResponse, "alerts")
# The summary rides along with every page: a few varints, well within this.
_SUMMARY_BYTES = 64


class IncidentAlertsServicer(alr_grpc.IncidentAlertsServiceServicer):
    """incidents_service.v1.IncidentAlertsService."""

    def __init__(self, operations: IncidentOperations, page_tokens: PageTokenCodec) -> None:
        self._operations = operations
        self._page_tokens = page_tokens

    def ListIncidentAlerts(
        self, request: alr.ListIncidentAlertsRequest, context: grpc.ServicerContext
    ) -> alr.ListIncidentAlertsResponse:
        out: list[FieldViolation] = []
        incident_id = decode.required_id("incident_id", request.incident_id, True, out)
        decode.check_violations(out)
        caller = current_caller()
        fingerprint = request_fingerprint(caller.team_id, b"ListIncidentAlerts", incident_id.encode("utf-8"))
        asked = page_request(self._page_tokens, self._operations.now(), request.pagination, fingerprint)
        found = self._operations.incident_alerts(caller.team_id, incident_id, asked)
        pagination = pagination_for(self._page_tokens, found.page, fingerprint, asked)
        now = self._operations.now()
        alerts, answered = response_size.fit_page(
            found.page.items,
            lambda alert: alerts_wire.alert_to_wire(alert, now),
            _ALERTS_PAGE[0],
            pagination,
            _ALERTS_PAGE[1],
            limits.MAX_RESPONSE_BYTES - _SUMMARY_BYTES,
        )
        return alr.ListIncidentAlertsResponse(
            alerts=alerts, pagination=answered, summary=alerts_wire.alert_summary_to_wire(found, now)
        )


class AlertSettingsServicer(alr_grpc.AlertSettingsServiceServicer):
    """incidents_service.v1.AlertSettingsService: a team's flapping setting."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def GetAlertSettings(
        self, request: alr.GetAlertSettingsRequest, context: grpc.ServicerContext
    ) -> alr.GetAlertSettingsResponse:
        flapping = self._operations.alert_settings(current_caller().team_id)
        return alr.GetAlertSettingsResponse(settings=alerts_wire.alert_settings_to_wire(flapping))

    def UpdateAlertSettings(
        self, request: alr.UpdateAlertSettingsRequest, context: grpc.ServicerContext
    ) -> alr.UpdateAlertSettingsResponse:
        out: list[FieldViolation] = []
        flapping = alerts_wire.alert_settings_from_wire("settings", request.settings, out)
        decode.check_violations(out)
        saved = self._operations.update_alert_settings(current_caller().team_id, flapping)
        return alr.UpdateAlertSettingsResponse(settings=alerts_wire.alert_settings_to_wire(saved))


class MaintenanceWindowsServicer(alr_grpc.MaintenanceWindowsServiceServicer):
    """incidents_service.v1.MaintenanceWindowsService."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def CreateMaintenanceWindow(
        self, request: alr.CreateMaintenanceWindowRequest, context: grpc.ServicerContext
    ) -> alr.CreateMaintenanceWindowResponse:
        out: list[FieldViolation] = []
        draft = alerts_wire.maintenance_draft_from_wire("window", request.window, out)
        decode.check_violations(out)
        assert draft is not None  # no violation: every part decoded
        caller = current_caller()
        window = self._operations.create_maintenance_window(caller.team_id, caller.principal, draft)
        return alr.CreateMaintenanceWindowResponse(window=alerts_wire.maintenance_window_to_wire(window))

    def ListMaintenanceWindows(
        self, request: alr.ListMaintenanceWindowsRequest, context: grpc.ServicerContext
    ) -> alr.ListMaintenanceWindowsResponse:
        windows = self._operations.maintenance_windows(current_caller().team_id)
        return alr.ListMaintenanceWindowsResponse(
            windows=[alerts_wire.maintenance_window_to_wire(window) for window in windows]
        )

    def DeleteMaintenanceWindow(
        self, request: alr.DeleteMaintenanceWindowRequest, context: grpc.ServicerContext
    ) -> alr.DeleteMaintenanceWindowResponse:
        out: list[FieldViolation] = []
        window_id = decode.required_id("id", request.id, True, out)
        decode.check_violations(out)
        deleted = self._operations.delete_maintenance_window(current_caller().team_id, window_id)
        return alr.DeleteMaintenanceWindowResponse(id=deleted)


class CorrelationRulesServicer(alr_grpc.CorrelationRulesServiceServicer):
    """incidents_service.v1.CorrelationRulesService."""

    def __init__(self, operations: IncidentOperations) -> None:
        self._operations = operations

    def CreateCorrelationRule(
        self, request: alr.CreateCorrelationRuleRequest, context: grpc.ServicerContext
    ) -> alr.CreateCorrelationRuleResponse:
        out: list[FieldViolation] = []
        draft = alerts_wire.correlation_rule_from_wire("rule", request.rule, out)
        decode.check_violations(out)
        caller = current_caller()
        rule = self._operations.create_correlation_rule(caller.team_id, caller.principal, draft)
        return alr.CreateCorrelationRuleResponse(rule=alerts_wire.correlation_rule_to_wire(rule))

    def ListCorrelationRules(
        self, request: alr.ListCorrelationRulesRequest, context: grpc.ServicerContext
    ) -> alr.ListCorrelationRulesResponse:
        rules = self._operations.correlation_rules(current_caller().team_id)
        return alr.ListCorrelationRulesResponse(rules=[alerts_wire.correlation_rule_to_wire(rule) for rule in rules])

    def DeleteCorrelationRule(
        self, request: alr.DeleteCorrelationRuleRequest, context: grpc.ServicerContext
    ) -> alr.DeleteCorrelationRuleResponse:
        out: list[FieldViolation] = []
        rule_id = decode.required_id("id", request.id, True, out)
        decode.check_violations(out)
        return alr.DeleteCorrelationRuleResponse(
            id=self._operations.delete_correlation_rule(current_caller().team_id, rule_id)
        )
