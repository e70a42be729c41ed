"""The correlation repository: one team's correlation rules and the groups of alerts they formed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select, tuple_

from incidents_service.domain.correlation import CorrelationGroup, CorrelationRule
from incidents_service.storage.tables import correlation_groups, correlation_rules, incidents

_r = correlation_rules.c
_g = correlation_groups.c
_CHUNK = 300


class CorrelationRepository:
    def __init__(self, connection: Connection, team_id: str) -> None:
        self._connection = connection
        self._team_id = team_id

    # ---- rules -----------------------------------------------------------------------------------

    def rules(self) -> list[CorrelationRule]:
        """The team's rules, oldest first (the order they are tried in)."""
        statement = select(correlation_rules).where(_r.team_id == self._team_id).order_by(_r.created_at, _r.id)
        return [_rule_from_row(row) for row in self._connection.execute(statement)]

    def count(self) -> int:
        return int(self._connection.execute(select(func.count()).where(_r.team_id == self._team_id)).scalar_one())

    def add(self, rule: CorrelationRule) -> None:
        self._connection.execute(
            insert(correlation_rules).values(
                id=rule.id,
                team_id=self._team_id,
                name=rule.name,
                label_keys=list(rule.label_keys),
                window_seconds=int(rule.window.total_seconds()),
                created_by=rule.created_by,
                created_at=rule.created_at,
            )
        )

    def delete(self, rule_id: str) -> bool:
        self._connection.execute(delete(correlation_groups).where(_g.team_id == self._team_id, _g.rule_id == rule_id))
        result = self._connection.execute(
            delete(correlation_rules).where(_r.team_id == self._team_id, _r.id == rule_id)
        )
        return bool(result.rowcount)

    # ---- groups ----------------------------------------------------------------------------------

    def open_groups(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], CorrelationGroup]:
        """Of these (rule, group) pairs, each one's group with an open incident (its newest)."""
        wanted = sorted(set(pairs))
        found: dict[tuple[str, str], CorrelationGroup] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            statement = (
                select(_g.rule_id, _g.group_hash, _g.incident_id, _g.last_seen)
                .join(incidents, incidents.c.id == _g.incident_id)
                .where(
                    _g.team_id == self._team_id,
                    tuple_(_g.rule_id, _g.group_hash).in_(chunk),
                    incidents.c.closed_at.is_(None),
                )
                .order_by(_g.last_seen)
            )
            for row in self._connection.execute(statement):
                found[row.rule_id, row.group_hash] = CorrelationGroup(
                    row.rule_id, row.group_hash, row.incident_id, row.last_seen
                )
        return found

    def save_groups(self, groups: Sequence[CorrelationGroup]) -> None:
        """Store new and changed groups: one delete and one insert for the whole batch."""
        changed = [group for group in groups if group.changed]
        keys = sorted({(group.incident_id, group.rule_id, group.group) for group in changed})
        for start in range(0, len(keys), _CHUNK):
            self._connection.execute(
                delete(correlation_groups).where(
                    _g.team_id == self._team_id,
                    tuple_(_g.incident_id, _g.rule_id, _g.group_hash).in_(keys[start : start + _CHUNK]),
                )
            )
        if changed:
            rows = {
                (group.incident_id, group.rule_id, group.group): {
                    "team_id": self._team_id,
                    "incident_id": group.incident_id,
                    "rule_id": group.rule_id,
                    "group_hash": group.group,
                    "last_seen": group.last_seen,
                }
                for group in changed
            }
            self._connection.execute(insert(correlation_groups), list(rows.values()))
        for group in changed:
            group.changed = False


def _rule_from_row(row: Row[Any]) -> CorrelationRule:
    created_at: datetime = row.created_at
    return CorrelationRule(
        id=row.id,
        name=row.name,
        label_keys=tuple(row.label_keys),
        window=timedelta(seconds=row.window_seconds),
        created_by=row.created_by,
        created_at=created_at,
    )
