"""Correlation rules (SPEC 16): a team's rules joining alerts of different correlation keys into one
incident. Plain Python, no database import.

A rule names label keys and a time window: an alert whose correlation key has no open incident joins the
open incident of an earlier alert with the same values of those labels, when that alert was seen within
the window; the incident's correlation log keeps each rule that matched, and when.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# The newest entries an incident's correlation log keeps.
MAX_CORRELATION_LOG_ENTRIES = 50


@dataclass(frozen=True)
class CorrelationRule:
    id: str
    name: str
    label_keys: tuple[str, ...]
    window: timedelta
    created_by: str
    created_at: datetime

    def group_of(self, labels: Mapping[str, str]) -> str | None:
        """The group an alert with these labels is in under this rule (a digest of the values of the
        rule's labels); None when it lacks one of them."""
        if not all(key in labels for key in self.label_keys):
            return None
        values = json.dumps([labels[key] for key in self.label_keys], separators=(",", ":"))
        return hashlib.sha256(f"{self.id}\x00{values}".encode()).hexdigest()

    def log_entry(self, labels: Mapping[str, str], alert_key: str, at: datetime) -> dict[str, str]:
        """What the incident's correlation log keeps of a match."""
        return {
            "rule_id": self.id,
            "rule_name": self.name,
            "labels": json.dumps({key: labels[key] for key in self.label_keys}, sort_keys=True),
            "alert_key": alert_key,
            "matched_at": at.isoformat(),
        }


@dataclass
class CorrelationGroup:
    """Alerts with the same values of a rule's labels, and the open incident they join."""

    rule_id: str
    group: str
    incident_id: str
    last_seen: datetime
    changed: bool = False

    def admits(self, rule: CorrelationRule, at: datetime) -> bool:
        """Whether an alert seen at `at` is within the rule's window of the group's latest alert."""
        return abs(at - self.last_seen) <= rule.window
