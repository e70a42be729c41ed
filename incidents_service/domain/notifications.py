"""Notification rules and notifications: which incident changes are sent where, and how delivery retries.

Plain Python. The changes a rule can fire on are read off the incident's event log the way its
timeline reads it (timeline.lifecycle_actions), so "acknowledged" means the same in both places.
"""

from __future__ import annotations

import enum
import hashlib
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import SplitResult, urlsplit

from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.limits import MAX_LABEL_KEY_CHARS, MAX_LABEL_VALUE_CHARS, MAX_NAME_CHARS, check_text
from incidents_service.domain.model import IncidentEvent, IncidentSnapshot, Severity, Standing, new_id
from incidents_service.domain.timeline import TimelineAction, lifecycle_actions

MAX_RULES_PER_TEAM = 100
MAX_LABEL_MATCHERS = 32
MAX_URL_CHARS = 2048
MIN_SECRET_CHARS = 16
MAX_SECRET_CHARS = 1024
MAX_RULE_UPDATE_PATHS = 6
# ListIncidentActions shows at most this many attempts of one notification (the newest). The default
# retry schedule makes about 155 in its 24 hours.
MAX_ATTEMPTS_SHOWN = 200
MAX_ERROR_CHARS = 300


class ChangeType(enum.StrEnum):
    OPENED = "opened"
    REOPENED = "reopened"
    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"
    CLOSED = "closed"
    SEVERITY_RAISED = "severity_raised"


class TargetKind(enum.StrEnum):
    WEBHOOK = "webhook"
    SLACK = "slack"


class DeliveryState(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class AttemptOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"  # retried later
    REFUSED = "refused"  # the target may not be called: never retried


# The timeline's actions that are changes a rule can fire on (severity_raised is read separately).
_CHANGE_OF_ACTION = {
    TimelineAction.CREATED: ChangeType.OPENED,
    TimelineAction.REOPENED: ChangeType.REOPENED,
    TimelineAction.ACKNOWLEDGED: ChangeType.ACKNOWLEDGED,
    TimelineAction.ASSIGNED: ChangeType.ASSIGNED,
    TimelineAction.RESOLVED: ChangeType.RESOLVED,
    TimelineAction.CLOSED: ChangeType.CLOSED,
}


def changes_of(event: IncidentEvent, before: Standing | None) -> list[ChangeType]:
    """The changes one newly recorded event made, given the incident as it was before it."""
    found: list[ChangeType] = []
    for action in lifecycle_actions(event, before):
        if action in _CHANGE_OF_ACTION:
            found.append(_CHANGE_OF_ACTION[action])
        elif (
            action is TimelineAction.SEVERITY_CHANGED
            and before is not None
            and event.snapshot is not None
            and event.snapshot.severity > before.severity
        ):
            found.append(ChangeType.SEVERITY_RAISED)
    return found


@dataclass(frozen=True)
class LabelMatcher:
    key: str
    value: str
    equal: bool  # False: the label must not have this value (a missing label matches)

    def holds(self, labels: dict[str, str]) -> bool:
        return (labels.get(self.key) == self.value) is self.equal


@dataclass(frozen=True)
class NotificationTarget:
    kind: TargetKind
    url: str
    secret: str | None = None  # webhooks only: signs every request

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def key(self) -> str:
        """Which receiver this is (its URL, hashed): the unit in which an incident's notifications keep order."""
        return hashlib.sha256(self.url.encode("utf-8")).hexdigest()

    def shown_url(self) -> str:
        """The URL as it may be answered: without a user name or password."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if ":" in host:
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port is not None else "")
        return SplitResult(parts.scheme, netloc, parts.path, parts.query, parts.fragment).geturl()


@dataclass
class NotificationRule:
    id: str
    name: str
    enabled: bool
    changes: frozenset[ChangeType]
    minimum_severity: Severity | None
    label_matchers: list[LabelMatcher]
    target: NotificationTarget
    created_at: datetime
    updated_at: datetime
    updated_by: str

    @classmethod
    def create(cls, draft: RuleDraft, actor: str, now: datetime) -> NotificationRule:
        return cls(
            id=new_id(),
            name=draft.name,
            enabled=draft.enabled,
            changes=draft.changes,
            minimum_severity=draft.minimum_severity,
            label_matchers=list(draft.label_matchers),
            target=draft.target,
            created_at=now,
            updated_at=now,
            updated_by=actor,
        )

    def revise(self, draft: RuleDraft, fields: Sequence[str], actor: str, now: datetime) -> None:
        """Replace the named fields (UPDATABLE_RULE_FIELDS) with the draft's values."""
        for name in fields:
            setattr(self, name, getattr(draft, name))
        self.updated_at = max(now, self.created_at)
        self.updated_by = actor

    def fires_on(self, change: ChangeType, incident: IncidentSnapshot) -> bool:
        """Whether this change of an incident (as the change left it) is one this rule sends."""
        if not self.enabled or change not in self.changes:
            return False
        if self.minimum_severity is not None and incident.severity < self.minimum_severity:
            return False
        return not self.label_matchers or all(
            matcher.holds(incident.contextual_labels) for matcher in self.label_matchers
        )


UPDATABLE_RULE_FIELDS = ("name", "enabled", "changes", "minimum_severity", "label_matchers", "target")


@dataclass(frozen=True)
class RuleDraft:
    """A rule's values as a request gives them, validated."""

    name: str
    enabled: bool
    changes: frozenset[ChangeType]
    minimum_severity: Severity | None
    label_matchers: list[LabelMatcher]
    target: NotificationTarget


def check_rule_name(field_name: str, name: str, out: list[FieldViolation]) -> None:
    if not name:
        out.append(FieldViolation(field_name, "is required"))
    check_text(field_name, name, MAX_NAME_CHARS, out)


def check_label_matcher(field_name: str, matcher: LabelMatcher, out: list[FieldViolation]) -> None:
    if not matcher.key:
        out.append(FieldViolation(f"{field_name}.key", "is required"))
    check_text(f"{field_name}.key", matcher.key, MAX_LABEL_KEY_CHARS, out)
    check_text(f"{field_name}.value", matcher.value, MAX_LABEL_VALUE_CHARS, out)


def check_target_url(field_name: str, url: str, out: list[FieldViolation]) -> None:
    """An http(s) URL with a host. Whether its address may be called is decided at delivery (it may
    resolve differently then)."""
    if not url:
        out.append(FieldViolation(field_name, "is required"))
        return
    if len(url) > MAX_URL_CHARS:
        out.append(FieldViolation(field_name, f"longer than the limit of {MAX_URL_CHARS} characters"))
        return
    if any(character.isspace() or ord(character) < 32 for character in url):
        out.append(FieldViolation(field_name, "contains a space or a control character"))
        return
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError for a port that is not a number in range
    except ValueError as exc:
        out.append(FieldViolation(field_name, f"is not a valid URL: {exc}"[:200]))
        return
    if parts.scheme.lower() not in ("http", "https"):
        out.append(FieldViolation(field_name, "must be an http or https URL"))
    elif not parts.hostname:
        out.append(FieldViolation(field_name, "has no host"))
    elif _bad_ip_literal(parts.netloc.rpartition("@")[2]):
        out.append(FieldViolation(field_name, "has a malformed IP address"))


def _bad_ip_literal(host_and_port: str) -> bool:
    if not host_and_port.startswith("["):
        return False
    literal = host_and_port[1:].partition("]")[0]
    try:
        ipaddress.IPv6Address(literal)
    except ValueError:
        return True
    return False


def check_secret(field_name: str, secret: str, out: list[FieldViolation]) -> None:
    if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
        out.append(
            FieldViolation(field_name, f"a signing secret is {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters")
        )
    elif "\x00" in secret:
        out.append(FieldViolation(field_name, "contains a NUL character"))


# ---- notifications and their delivery ----------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: base, 2 x base, 4 x base, ... at most `longest` apart, for `give_up_after`."""

    base_seconds: float = 1.0
    longest_seconds: float = 600.0
    give_up_after_seconds: float = 86_400.0

    def next_attempt(self, attempts_made: int, created_at: datetime, now: datetime) -> datetime | None:
        """When to try again after `attempts_made` failed attempts; None once the time to keep trying is up."""
        delay = min(self.base_seconds * 2 ** min(attempts_made - 1, 60), self.longest_seconds)
        due = now + timedelta(seconds=delay)
        if due > created_at + timedelta(seconds=self.give_up_after_seconds):
            return None
        return due


@dataclass(frozen=True)
class DeliveryAttempt:
    attempted_at: datetime
    outcome: AttemptOutcome
    http_status: int | None
    error: str
    duration_ms: int


@dataclass(frozen=True)
class IncidentAction:
    """One notification of an incident, as ListIncidentActions shows it."""

    id: str
    rule_id: str
    rule_name: str
    change: ChangeType
    change_time: datetime
    target_kind: TargetKind
    target_host: str
    state: DeliveryState
    attempt_count: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    finished_at: datetime | None
    attempts: list[DeliveryAttempt] = field(default_factory=list)


def clipped_error(text: str) -> str:
    """An error as it is kept and shown: one line, bounded."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 3] + "..."
