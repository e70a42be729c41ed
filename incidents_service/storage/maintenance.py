"""The maintenance window repository: one team's windows, rows <-> MaintenanceWindow objects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, delete, func, insert, select

from incidents_service.domain.maintenance import LabelMatcher, MaintenanceWindow
from incidents_service.storage.tables import maintenance_windows

_c = maintenance_windows.c


class MaintenanceRepository:
    def __init__(self, connection: Connection, team_id: str) -> None:
        self._connection = connection
        self._team_id = team_id

    def add(self, window: MaintenanceWindow) -> None:
        self._connection.execute(
            insert(maintenance_windows).values(
                id=window.id,
                team_id=self._team_id,
                name=window.name,
                matchers=[[m.key, m.value, m.not_equal] for m in window.matchers],
                starts_at=window.starts_at,
                ends_at=window.ends_at,
                created_by=window.created_by,
                created_at=window.created_at,
            )
        )

    def running_between(self, first: datetime, last: datetime) -> list[MaintenanceWindow]:
        """The windows that run at some moment of [first, last] (all that a batch of events may meet)."""
        statement = select(maintenance_windows).where(
            _c.team_id == self._team_id, _c.starts_at <= last, _c.ends_at > first
        )
        return [_window_from_row(row) for row in self._connection.execute(statement)]

    def not_ended(self, now: datetime) -> list[MaintenanceWindow]:
        """Running and upcoming windows, soonest first."""
        statement = (
            select(maintenance_windows)
            .where(_c.team_id == self._team_id, _c.ends_at > now)
            .order_by(_c.starts_at, _c.id)
        )
        return [_window_from_row(row) for row in self._connection.execute(statement)]

    def count_not_ended(self, now: datetime) -> int:
        statement = select(func.count()).where(_c.team_id == self._team_id, _c.ends_at > now)
        return int(self._connection.execute(statement).scalar_one())

    def delete(self, window_id: str) -> bool:
        result = self._connection.execute(
            delete(maintenance_windows).where(_c.team_id == self._team_id, _c.id == window_id)
        )
        return bool(result.rowcount)


def _window_from_row(row: Row[Any]) -> MaintenanceWindow:
    return MaintenanceWindow(
        id=row.id,
        name=row.name,
        matchers=tuple(LabelMatcher(key, value, bool(not_equal)) for key, value, not_equal in row.matchers),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        created_by=row.created_by,
        created_at=row.created_at,
    )
