"""Counts over every team, for the service's own metrics (never part of a team's answer)."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from incidents_service.domain.model import IncidentStatus, Severity
from incidents_service.domain.notifications import DeliveryState
from incidents_service.storage.notifications import notification_counts
from incidents_service.storage.tables import incidents


class TotalsRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def open_incidents(self) -> dict[tuple[Severity, IncidentStatus], int]:
        """Incidents not closed, by severity and status: one grouped count."""
        statement = (
            select(incidents.c.severity, incidents.c.status, func.count())
            .where(incidents.c.closed_at.is_(None))
            .group_by(incidents.c.severity, incidents.c.status)
        )
        return {
            (Severity(severity), IncidentStatus(status)): count
            for severity, status, count in self._connection.execute(statement)
        }

    def notifications_by_state(self) -> dict[DeliveryState, int]:
        """Notifications pending, delivered and failed (every team)."""
        return notification_counts(self._connection)
