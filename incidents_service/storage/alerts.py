"""The alert repository: the alerts inside one team's incidents (SPEC 16), rows <-> Alert objects.

Ingestion reads and writes them set-based: one read for every incident a batch of alert events touches,
one insert and one update statement for what the batch changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, or_, select, tuple_, update

from incidents_service.domain.model import DEFAULT_FLAPPING, Alert, AlertState, FlappingPolicy, Severity
from incidents_service.storage.tables import incident_alerts, incidents, team_alert_settings

_c = incident_alerts.c
# Parameters per statement stay well under SQLite's and psycopg's limits.
_CHUNK = 500
_INSERT = insert(incident_alerts)
_UPDATE = (
    update(incident_alerts)
    .where(_c.incident_id == bindparam("b_incident_id"), _c.alert_key == bindparam("b_alert_key"))
    .values(
        state=bindparam("state"),
        severity=bindparam("severity"),
        labels=bindparam("labels"),
        last_seen=bindparam("last_seen"),
        state_changes=bindparam("state_changes"),
        recent_changes=bindparam("recent_changes"),
        flapping_until=bindparam("flapping_until"),
        maintenance_window_id=bindparam("maintenance_window_id"),
        maintenance_until=bindparam("maintenance_until"),
    )
)
_s = team_alert_settings.c


def _chunks(values: Sequence[str]) -> list[Sequence[str]]:
    return [values[start : start + _CHUNK] for start in range(0, len(values), _CHUNK)] or [[]]


class AlertRepository:
    def __init__(self, connection: Connection, team_id: str) -> None:
        self._connection = connection
        self._team_id = team_id

    def for_ingestion(self, incident_ids: Sequence[str], alert_keys: Sequence[str]) -> dict[str, dict[str, Alert]]:
        """Per incident, its firing alerts and those of `alert_keys` it holds: all that applying alert
        events needs (resolved alerts not named stay unread, however many an incident collected)."""
        found: dict[str, dict[str, Alert]] = {}
        incident_ids = list(dict.fromkeys(incident_ids))
        if not incident_ids:
            return found
        keys = list(dict.fromkeys(alert_keys))
        for incident_chunk in _chunks(incident_ids):
            for key_chunk in _chunks(keys):
                statement = select(incident_alerts).where(
                    _c.team_id == self._team_id,
                    _c.incident_id.in_(incident_chunk),
                    or_(_c.state == AlertState.FIRING.value, _c.alert_key.in_(key_chunk)),
                )
                for row in self._connection.execute(statement):
                    found.setdefault(row.incident_id, {})[row.alert_key] = _alert_from_row(row)
        return found

    def save_all(self, alerts: Sequence[Alert]) -> None:
        """Insert new alerts and update changed ones: one statement each for the whole batch."""
        new = [_values(self._team_id, alert) for alert in alerts if alert.changed and not alert.stored]
        changed = [
            {**_values(self._team_id, alert), "b_incident_id": alert.incident_id, "b_alert_key": alert.key}
            for alert in alerts
            if alert.changed and alert.stored
        ]
        if new:
            self._connection.execute(_INSERT, new)
        if changed:
            for row in changed:
                del row["incident_id"], row["alert_key"], row["team_id"], row["first_seen"], row["correlation_key"]
            self._connection.execute(_UPDATE, changed)
        for alert in alerts:
            alert.stored, alert.changed = True, False

    # ---- the team's settings ---------------------------------------------------------------------

    def flapping_policy(self) -> FlappingPolicy:
        statement = select(_s.flapping_threshold, _s.flapping_window_seconds).where(_s.team_id == self._team_id)
        row = self._connection.execute(statement).first()
        if row is None:
            return DEFAULT_FLAPPING
        return FlappingPolicy(row.flapping_threshold, timedelta(seconds=row.flapping_window_seconds))

    def save_flapping_policy(self, policy: FlappingPolicy) -> None:
        values = {
            "flapping_threshold": policy.threshold,
            "flapping_window_seconds": int(policy.window.total_seconds()),
        }
        updated = self._connection.execute(
            update(team_alert_settings).where(_s.team_id == self._team_id).values(**values)
        )
        if not updated.rowcount:
            # A concurrent first save makes this a unique violation: the unit of work runs it again.
            self._connection.execute(insert(team_alert_settings).values(team_id=self._team_id, **values))

    # ---- reads ---------------------------------------------------------------------------------

    def counts_of(self, incident_id: str, now: datetime) -> tuple[int, int, int]:
        """How many alerts the incident holds, how many of them fire, and how many are in maintenance."""
        firing = func.count().filter(_c.state == AlertState.FIRING.value)
        maintained = func.count().filter(_c.maintenance_until > now)
        statement = select(func.count(), firing, maintained).where(
            _c.team_id == self._team_id, _c.incident_id == incident_id
        )
        total, firing_count, maintained_count = self._connection.execute(statement).one()
        return int(total), int(firing_count), int(maintained_count)

    def incidents_holding(self, correlation_keys: Sequence[str]) -> dict[str, str]:
        """The open incident holding alerts of each of these correlation keys (joined by a rule)."""
        found: dict[str, str] = {}
        for chunk in _chunks(list(dict.fromkeys(correlation_keys))):
            if not chunk:
                continue
            statement = (
                select(_c.correlation_key, _c.incident_id)
                .join(incidents, incidents.c.id == _c.incident_id)
                .where(_c.team_id == self._team_id, _c.correlation_key.in_(chunk), incidents.c.closed_at.is_(None))
            )
            for row in self._connection.execute(statement):
                found[row.correlation_key] = row.incident_id
        return found

    def leave_maintenance_window(self, window_id: str) -> None:
        """Alerts a deleted window covered are in maintenance no more."""
        self._connection.execute(
            update(incident_alerts)
            .where(_c.team_id == self._team_id, _c.maintenance_window_id == window_id)
            .values(maintenance_window_id=None, maintenance_until=None)
        )

    def page_of(self, incident_id: str, after: Sequence[Any] | None, size: int) -> list[Alert]:
        """Up to `size` alerts of the incident in first-seen order (first_seen, alert_key), after a position."""
        statement = select(incident_alerts).where(_c.team_id == self._team_id, _c.incident_id == incident_id)
        if after is not None:
            statement = statement.where(tuple_(_c.first_seen, _c.alert_key) > tuple(after))
        statement = statement.order_by(_c.first_seen, _c.alert_key).limit(size)
        return [_alert_from_row(row) for row in self._connection.execute(statement)]


def _values(team_id: str, alert: Alert) -> dict[str, Any]:
    return {
        "incident_id": alert.incident_id,
        "alert_key": alert.key,
        "team_id": team_id,
        "state": alert.state.value,
        "severity": int(alert.severity),
        "labels": alert.labels,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "state_changes": alert.state_changes,
        "recent_changes": [moment.isoformat() for moment in alert.recent_changes],
        "flapping_until": alert.flapping_until,
        "maintenance_window_id": alert.maintenance_window_id,
        "maintenance_until": alert.maintenance_until,
        "correlation_key": alert.correlation_key,
    }


def _alert_from_row(row: Row[Any]) -> Alert:
    return Alert(
        incident_id=row.incident_id,
        key=row.alert_key,
        state=AlertState(row.state),
        severity=Severity(row.severity),
        labels=row.labels,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        state_changes=row.state_changes,
        recent_changes=[datetime.fromisoformat(moment) for moment in row.recent_changes],
        flapping_until=row.flapping_until,
        maintenance_window_id=row.maintenance_window_id,
        maintenance_until=row.maintenance_until,
        correlation_key=row.correlation_key or "",
        stored=True,
        changed=False,
    )
