"""Servicers of notifications.proto: a team's notification rules, and an incident's actions.

Like the other servicers: decode and validate, call one operation, build the response.
"""

from __future__ import annotations

import grpc
from incidents_service_api.v1 import notifications_pb2 as nt
from incidents_service_api.v1 import notifications_pb2_grpc as nt_grpc

from incidents_service.api import response_size
from incidents_service.api.convert import decode
from incidents_service.api.notification_convert import (
    action_to_wire,
    rule_draft_from_wire,
    rule_to_wire,
    update_fields_from_wire,
)
from incidents_service.api.page_tokens import PageTokenCodec, request_fingerprint
from incidents_service.api.servicers import page_field_numbers, page_request, pagination_for
from incidents_service.auth import current_caller
from incidents_service.domain.errors import FieldViolation
from incidents_service.notification_operations import NotificationOperations

# Pages stop early at 4 MiB like every page (SPEC 11): a rule can hold 32 matchers of 4 KiB values, an
# action up to 200 attempts.
_RULES_PAGE = page_field_numbers(nt.ListNotificationRulesResponse, "rules")
_ACTIONS_PAGE = page_field_numbers(nt.ListIncidentActionsResponse, "actions")


def _required(field: str, value: str, out: list[FieldViolation]) -> str:
    return decode.required_id(field, value, True, out)


class NotificationRulesServicer(nt_grpc.NotificationRulesServiceServicer):
    """incidents_service.v1.NotificationRulesService (permission notifications:manage)."""

    def __init__(self, notifications: NotificationOperations, page_tokens: PageTokenCodec) -> None:
        self._notifications = notifications
        self._page_tokens = page_tokens

    def CreateNotificationRule(
        self, request: nt.CreateNotificationRuleRequest, context: grpc.ServicerContext
    ) -> nt.CreateNotificationRuleResponse:
        out: list[FieldViolation] = []
        draft = rule_draft_from_wire(request.rule, out)
        decode.check_violations(out)
        caller = current_caller()
        rule = self._notifications.create_rule(caller.team_id, caller.principal, draft)
        return nt.CreateNotificationRuleResponse(rule=rule_to_wire(rule))

    def GetNotificationRule(
        self, request: nt.GetNotificationRuleRequest, context: grpc.ServicerContext
    ) -> nt.GetNotificationRuleResponse:
        out: list[FieldViolation] = []
        rule_id = _required("id", request.id, out)
        decode.check_violations(out)
        return nt.GetNotificationRuleResponse(
            rule=rule_to_wire(self._notifications.get_rule(current_caller().team_id, rule_id))
        )

    def ListNotificationRules(
        self, request: nt.ListNotificationRulesRequest, context: grpc.ServicerContext
    ) -> nt.ListNotificationRulesResponse:
        caller = current_caller()
        fingerprint = request_fingerprint(caller.team_id, b"ListNotificationRules")
        asked = page_request(self._page_tokens, self._notifications.now(), request.pagination, fingerprint)
        page = self._notifications.list_rules(caller.team_id, asked)
        rules, pagination = response_size.fit_page(
            page.items,
            rule_to_wire,
            _RULES_PAGE[0],
            pagination_for(self._page_tokens, page, fingerprint, asked),
            _RULES_PAGE[1],
        )
        return nt.ListNotificationRulesResponse(rules=rules, pagination=pagination)

    def UpdateNotificationRule(
        self, request: nt.UpdateNotificationRuleRequest, context: grpc.ServicerContext
    ) -> nt.UpdateNotificationRuleResponse:
        out: list[FieldViolation] = []
        rule_id = _required("id", request.id, out)
        fields = update_fields_from_wire(list(request.update_mask.paths), out)
        draft = rule_draft_from_wire(request.rule, out, fields)
        decode.check_violations(out)
        caller = current_caller()
        rule = self._notifications.update_rule(caller.team_id, caller.principal, rule_id, draft, fields)
        return nt.UpdateNotificationRuleResponse(rule=rule_to_wire(rule))

    def DeleteNotificationRule(
        self, request: nt.DeleteNotificationRuleRequest, context: grpc.ServicerContext
    ) -> nt.DeleteNotificationRuleResponse:
        out: list[FieldViolation] = []
        rule_id = _required("id", request.id, out)
        decode.check_violations(out)
        return nt.DeleteNotificationRuleResponse(id=self._notifications.delete_rule(current_caller().team_id, rule_id))


class IncidentActionsServicer(nt_grpc.IncidentActionsServiceServicer):
    """incidents_service.v1.IncidentActionsService (permission incidents:read)."""

    def __init__(self, notifications: NotificationOperations, page_tokens: PageTokenCodec) -> None:
        self._notifications = notifications
        self._page_tokens = page_tokens

    def ListIncidentActions(
        self, request: nt.ListIncidentActionsRequest, context: grpc.ServicerContext
    ) -> nt.ListIncidentActionsResponse:
        out: list[FieldViolation] = []
        incident_id = _required("incident_id", request.incident_id, out)
        decode.check_violations(out)
        caller = current_caller()
        fingerprint = request_fingerprint(caller.team_id, b"ListIncidentActions", incident_id.encode("utf-8"))
        asked = page_request(self._page_tokens, self._notifications.now(), request.pagination, fingerprint)
        page = self._notifications.incident_actions(caller.team_id, incident_id, asked)
        actions, pagination = response_size.fit_page(
            page.items,
            action_to_wire,
            _ACTIONS_PAGE[0],
            pagination_for(self._page_tokens, page, fingerprint, asked),
            _ACTIONS_PAGE[1],
        )
        return nt.ListIncidentActionsResponse(actions=actions, pagination=pagination)
