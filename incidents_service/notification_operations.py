"""Notification operations (SPEC 14): a team's rules and an incident's actions, each one unit of work.

The notifications themselves are written by the storage layer with every change it stores (the
outbox), and delivered by the dispatcher (notify/); nothing here sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from incidents_service.domain.errors import InvalidArgument, NotFound
from incidents_service.domain.notifications import (
    MAX_RULES_PER_TEAM,
    IncidentAction,
    NotificationRule,
    RuleDraft,
)
from incidents_service.domain.queries import Page, PageRequest
from incidents_service.operations import IncidentOperations
from incidents_service.storage.unit_of_work import UnitOfWork


class NotificationOperations:
    def __init__(self, incidents: IncidentOperations) -> None:
        self._incidents = incidents

    def now(self) -> datetime:
        return self._incidents.now()

    def create_rule(self, team_id: str, actor: str, draft: RuleDraft) -> NotificationRule:
        def work(uow: UnitOfWork) -> NotificationRule:
            if uow.notifications.count_rules() >= MAX_RULES_PER_TEAM:
                raise InvalidArgument.single(
                    "rule", f"the team already has {MAX_RULES_PER_TEAM} notification rules, the limit"
                )
            rule = NotificationRule.create(draft, actor, self._incidents.now())
            uow.notifications.add_rule(rule)
            return rule

        return self._incidents.writing(team_id, work)

    def get_rule(self, team_id: str, rule_id: str) -> NotificationRule:
        with self._incidents.reading(team_id) as uow:
            rule = uow.notifications.get_rule(rule_id)
        if rule is None:
            raise NotFound("notification rule", [rule_id])
        return rule

    def list_rules(self, team_id: str, page: PageRequest) -> Page[NotificationRule]:
        with self._incidents.reading(team_id) as uow:
            total = page.known_total if page.known_total is not None else uow.notifications.count_rules()
            rules = uow.notifications.rules_page(page.after, page.size + 1)
        positions: list[tuple[Any, ...]] = [(rule.created_at, rule.id) for rule in rules[: page.size]]
        next_after = positions[-1] if len(rules) > page.size else None
        return Page(items=rules[: page.size], total_size=total, next_after=next_after, positions=positions)

    def update_rule(
        self, team_id: str, actor: str, rule_id: str, draft: RuleDraft, fields: Sequence[str]
    ) -> NotificationRule:
        def work(uow: UnitOfWork) -> NotificationRule:
            rule = uow.notifications.get_rule(rule_id)
            if rule is None:
                raise NotFound("notification rule", [rule_id])
            rule.revise(draft, fields, actor, self._incidents.now())
            uow.notifications.save_rule(rule)
            return rule

        return self._incidents.writing(team_id, work)

    def delete_rule(self, team_id: str, rule_id: str) -> str:
        def work(uow: UnitOfWork) -> str:
            if not uow.notifications.delete_rule(rule_id, self._incidents.now()):
                raise NotFound("notification rule", [rule_id])
            return rule_id

        return self._incidents.writing(team_id, work)

    def incident_actions(self, team_id: str, incident_id: str, page: PageRequest) -> Page[IncidentAction]:
        """A page of the incident's notifications, oldest first; another team's incident is NOT_FOUND."""
        with self._incidents.reading(team_id) as uow:
            if uow.incidents.get(incident_id) is None:
                raise NotFound("incident", [incident_id])
            total = page.known_total if page.known_total is not None else uow.notifications.count_actions(incident_id)
            after = int(page.after[0]) if page.after is not None else None
            found = uow.notifications.actions_page(incident_id, after, page.size + 1)
        shown = found[: page.size]
        positions: list[tuple[Any, ...]] = [(seq,) for seq, _ in shown]
        next_after = positions[-1] if len(found) > page.size else None
        return Page(items=[action for _, action in shown], total_size=total, next_after=next_after, positions=positions)
