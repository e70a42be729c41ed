"""An incident's timeline: its event log read as a story of actions and field changes.

Nothing here is stored. Each event keeps the incident as it was right after it (its snapshot), so
what an event changed is the difference between its snapshot and the previous event's; the
assignee before an assignment is what the previous ASSIGN/UNASSIGN left. The description, which
snapshots do not keep, comes from the old and new value UpdateIncident's entries keep, and alert
events' entries too since they started keeping it (older alert events cannot show it).
"""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from incidents_service.domain.model import (
    EventType,
    IncidentEvent,
    IncidentSnapshot,
    IncidentStatus,
    OriginatorType,
    Standing,
)


class TimelineAction(enum.IntEnum):
    """Values give the order of one event's entries (and match the wire enum's numbers)."""

    CREATED = 1
    ACKNOWLEDGED = 2
    RESOLVED = 3
    REOPENED = 4
    CLOSED = 5
    STATUS_CHANGED = 6
    SEVERITY_CHANGED = 7
    ASSIGNED = 8
    UNASSIGNED = 9
    SNOOZED = 10
    UPDATED = 11


# Fields an `updated` entry can name, in the order one event's entries list them.
UPDATED_FIELDS = ("name", "description", "contextual_labels", "display_labels", "meta_labels")


@dataclass(frozen=True)
class TimelineEntry:
    action: TimelineAction
    timestamp: datetime
    actor: str  # the principal; "" for alert-driven changes
    source_system: str  # the alerting system; "" when a principal acted
    event_id: str
    field: str = ""
    # Status and severity values are the domain enum names (RESOLVED, CRITICAL); labels are JSON.
    old_value: str = ""
    new_value: str = ""


@dataclass(frozen=True)
class LoggedEvent:
    """An event with what the log says came just before it (None for the incident's first event)."""

    event: IncidentEvent
    before: IncidentSnapshot | None
    assignee_before: str | None  # what the previous ASSIGN/UNASSIGN left (None: nobody)


def entries_of(logged: LoggedEvent) -> list[TimelineEntry]:
    """The timeline entries of one event, in the order they are listed (by TimelineAction)."""
    event, before = logged.event, logged.before
    after = event.snapshot
    assert after is not None, "timeline events are read with their snapshots"
    operational = event.originator.type is OriginatorType.OPERATIONAL

    def entry(action: TimelineAction, field: str = "", old: str = "", new: str = "") -> TimelineEntry:
        return TimelineEntry(
            action=action,
            timestamp=event.timestamp,
            actor="" if operational else event.originator.name,
            source_system=event.originator.name if operational else "",
            event_id=event.id,
            field=field,
            old_value=old,
            new_value=new,
        )

    entries: list[TimelineEntry] = []
    for action in lifecycle_actions(event, before):
        if action is TimelineAction.STATUS_CHANGED:
            assert before is not None
            entries.append(entry(action, "status", before.status.value, after.status.value))
        elif action is TimelineAction.SEVERITY_CHANGED:
            assert before is not None
            entries.append(entry(action, "severity", before.severity.name, after.severity.name))
        elif action is TimelineAction.ASSIGNED:
            new_assignee = str(event.payload.get("assigned_to") or "")
            entries.append(entry(action, "assignee", logged.assignee_before or "", new_assignee))
        elif action is TimelineAction.UNASSIGNED:
            entries.append(entry(action, "assignee", logged.assignee_before or "", ""))
        elif action is TimelineAction.SNOOZED:
            entries.append(entry(action, "snoozed_until", "", _snooze_end(event.payload)))
        else:
            entries.append(entry(action))
    if before is not None and event.type is not EventType.OPEN:
        entries.extend(
            entry(TimelineAction.UPDATED, field, old, new) for field, old, new in _updated_fields(event, before, after)
        )
    return entries


def lifecycle_actions(event: IncidentEvent, before: Standing | None) -> list[TimelineAction]:
    """What one event did to the incident's life, `updated` fields aside, in the order listed: the one
    reading of it the timeline and notifications (domain/notifications.changes_of) share."""
    after = event.snapshot
    assert after is not None, "timeline events are read with their snapshots"
    if event.type is EventType.OPEN or before is None:
        return [TimelineAction.CREATED] if event.type is EventType.OPEN else []
    actions: list[TimelineAction] = []
    status_moved = before.status is not after.status
    if event.type is EventType.ACKNOWLEDGE:
        actions.append(TimelineAction.ACKNOWLEDGED)
    elif event.type is EventType.CLOSE:
        actions.append(TimelineAction.CLOSED)
    elif status_moved and after.status is IncidentStatus.RESOLVED:
        actions.append(TimelineAction.RESOLVED)
    elif status_moved and before.status is IncidentStatus.RESOLVED:
        actions.append(TimelineAction.REOPENED)
    if status_moved:
        actions.append(TimelineAction.STATUS_CHANGED)
    if before.severity is not after.severity:
        actions.append(TimelineAction.SEVERITY_CHANGED)
    if event.type is EventType.ASSIGN:
        actions.append(TimelineAction.ASSIGNED)
    if event.type is EventType.UNASSIGN:
        actions.append(TimelineAction.UNASSIGNED)
    if event.type is EventType.SNOOZE_INDICATOR:
        actions.append(TimelineAction.SNOOZED)
    return actions


def _updated_fields(
    event: IncidentEvent, before: IncidentSnapshot, after: IncidentSnapshot
) -> list[tuple[str, str, str]]:
    changes: list[tuple[str, str, str]] = []
    # UpdateIncident's entries, and alert events' since they started keeping it, carry the description.
    described = event.payload.get("changes", {}).get("description")
    for field in UPDATED_FIELDS:
        if field == "description":
            if described is not None:
                changes.append((field, str(described["old"]), str(described["new"])))
            continue
        old, new = getattr(before, field), getattr(after, field)
        if field == "meta_labels":
            old, new = [list(pair) for pair in old], [list(pair) for pair in new]
        if old != new:
            changes.append((field, _text(old), _text(new)))
    return changes


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _snooze_end(payload: dict[str, Any]) -> str:
    start = datetime.fromisoformat(str(payload["start_time"]))
    end = start + timedelta(minutes=int(payload["duration_minutes"]))
    return end.isoformat().replace("+00:00", "Z")


def assignee_left_by(event_type: str | None, payload: dict[str, Any] | None) -> str | None:
    """The assignee after an ASSIGN or UNASSIGN event (None after an unassign or before any)."""
    if event_type == EventType.ASSIGN.value and payload is not None:
        return str(payload.get("assigned_to") or "") or None
    return None
