"""Maintenance windows (SPEC 16): a team's planned quiet times. Plain Python, no database import.

An alert whose labels a window's matchers all match, at a moment inside the window, is in maintenance:
it is recorded with its incident, but it opens (and reopens) nothing and notifies no one.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LabelMatcher:
    """`key=value`, or with `not_equal` `key!=value` (an absent label is not equal to any value)."""

    key: str
    value: str
    not_equal: bool = False

    def matches(self, labels: Mapping[str, str]) -> bool:
        return (labels.get(self.key) == self.value) != self.not_equal


@dataclass(frozen=True)
class MaintenanceWindow:
    id: str
    name: str
    matchers: tuple[LabelMatcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    created_at: datetime

    def covers(self, labels: Mapping[str, str], at: datetime) -> bool:
        """Whether an alert with these labels, at this moment, is in this window."""
        return self.starts_at <= at < self.ends_at and all(matcher.matches(labels) for matcher in self.matchers)


def covering_window(
    windows: Iterable[MaintenanceWindow], labels: Mapping[str, str], at: datetime
) -> MaintenanceWindow | None:
    """The window covering an alert at `at` that lasts longest (None: not in maintenance)."""
    return max((w for w in windows if w.covers(labels, at)), key=lambda w: (w.ends_at, w.id), default=None)


class MaintenanceState(enum.StrEnum):
    """How much of an incident is in maintenance: none, some of its alerts, or all of them."""

    NONE = "NONE"
    PARTIAL = "PARTIAL"
    ACTIVE = "ACTIVE"


def maintenance_state(in_maintenance: int, alerts: int) -> MaintenanceState:
    if in_maintenance == 0:
        return MaintenanceState.NONE
    return MaintenanceState.ACTIVE if in_maintenance >= alerts else MaintenanceState.PARTIAL
