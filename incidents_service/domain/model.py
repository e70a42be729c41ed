"""The incident and its event log: plain Python, no database or gRPC import.

Every change to an incident goes through a method here, and every method that changes something
appends exactly one event (two for an alert that opens an incident), so the incident's fields always
agree with its log. Methods that would change nothing return False and record nothing.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from incidents_service.domain.correlation import MAX_CORRELATION_LOG_ENTRIES
from incidents_service.domain.errors import FieldViolation, InvalidArgument
from incidents_service.domain.limits import MAX_FLAPPING_THRESHOLD, MAX_LABELS_PER_KIND
from incidents_service.domain.maintenance import MaintenanceWindow, covering_window


class Severity(enum.IntEnum):
    """Values are the severity order (lowest first), used for sorting and comparisons."""

    INFO = 1
    LOW = 2
    WARNING = 3
    ERROR = 4
    CRITICAL = 5


class IncidentState(enum.StrEnum):
    """What the alerting side says."""

    TRIGGERED = "TRIGGERED"
    RESOLVED = "RESOLVED"


class IncidentStatus(enum.StrEnum):
    """What responders see."""

    TRIGGERED = "TRIGGERED"
    ACKNOWLEDGED = "ACKNOWLEDGED"
    RESOLVED = "RESOLVED"


class EventType(enum.StrEnum):
    OPEN = "OPEN"
    UPSERT_STATE = "UPSERT_STATE"
    CLOSE = "CLOSE"
    SNOOZE_INDICATOR = "SNOOZE_INDICATOR"
    ASSIGN = "ASSIGN"
    ACKNOWLEDGE = "ACKNOWLEDGE"
    UNASSIGN = "UNASSIGN"
    # Kept in the log for UpdateIncident; the wire enum has no such type, so GetIncidentEvents omits it.
    UPDATE = "UPDATE"


class OriginatorType(enum.StrEnum):
    OPERATIONAL = "OPERATIONAL"  # the alerting system (operational_event.system_name)
    ADMINISTRATIVE = "ADMINISTRATIVE"  # a person or service holding an API key (user_id)


class AlertType(enum.StrEnum):
    STANDARD = "STANDARD"
    METRIC = "METRIC"
    NEW_VALUE = "NEW_VALUE"
    RATIO = "RATIO"
    TIME_RELATIVE = "TIME_RELATIVE"
    UNIQUE_COUNT = "UNIQUE_COUNT"
    TRACING = "TRACING"
    FLOW = "FLOW"
    SLO = "SLO"


class AlertOutcome(enum.StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    REOPENED = "REOPENED"
    DUPLICATE = "DUPLICATE"
    IGNORED = "IGNORED"


MetaLabels = list[tuple[str, str]]

# Name of the originator recorded for alert events that do not say which system sent them.
DEFAULT_SOURCE_SYSTEM = "alerting"


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Originator:
    type: OriginatorType
    name: str  # user_id (administrative) or system_name (operational)

    @classmethod
    def user(cls, principal: str) -> Originator:
        return cls(OriginatorType.ADMINISTRATIVE, principal)

    @classmethod
    def system(cls, system_name: str) -> Originator:
        return cls(OriginatorType.OPERATIONAL, system_name or DEFAULT_SOURCE_SYSTEM)


@dataclass(frozen=True)
class AlertEvent:
    """One alert event as reported by the alerting side, already validated."""

    correlation_key: str
    cx_event_key: str
    state: IncidentState
    timestamp: datetime
    name: str = ""
    description: str = ""
    severity: Severity | None = None
    contextual_labels: dict[str, str] = field(default_factory=dict)
    display_labels: dict[str, str] = field(default_factory=dict)
    meta_labels: MetaLabels = field(default_factory=list)
    application_name: str = ""
    subsystem_name: str = ""
    is_muted: bool = False
    alert_id: str = ""
    alert_name: str = ""
    alert_type: AlertType = AlertType.STANDARD
    source_system: str = ""
    # Which alert of the incident the event is about (see `alert_key`), and that alert's own labels.
    alert_instance_id: str = ""
    alert_labels: dict[str, str] = field(default_factory=dict)

    @property
    def alert_key(self) -> str:
        """The alert's identity inside its incident (SPEC 16): the sender's alert instance (an Alertmanager
        fingerprint, a PagerDuty dedup key), else the correlation key (one alert per incident). Not
        `alert_id`: that names the alert definition, which senders set on some events of a key and not
        on others (SPEC 9), and which one definition's many instances share."""
        return self.alert_instance_id or self.correlation_key

    def alert_details(self) -> dict[str, Any]:
        """What the event log keeps of the alert (IncidentEventExtendedMetadata), with the alert's
        identity, so each alert's history can be read back from the one log."""
        return {
            "alert_id": self.alert_id,
            "alert_name": self.alert_name,
            "alert_type": self.alert_type.value,
            "alert_labels": [list(pair) for pair in self.meta_labels],
            "correlation_key": self.correlation_key,
            "alert_key": self.alert_key,
        }


class AlertState(enum.StrEnum):
    """An alert inside an incident: firing or resolved."""

    FIRING = "FIRING"
    RESOLVED = "RESOLVED"


ALERT_STATE_OF_EVENT = {IncidentState.TRIGGERED: AlertState.FIRING, IncidentState.RESOLVED: AlertState.RESOLVED}


@dataclass(frozen=True)
class FlappingPolicy:
    """A team's setting (SPEC 16): an alert that changes state at least `threshold` times within
    `window` is flapping."""

    threshold: int = 4
    window: timedelta = timedelta(minutes=30)


DEFAULT_FLAPPING = FlappingPolicy()


@dataclass
class Alert:
    """One alert inside an incident (SPEC 16), changed only through Incident.apply_alert."""

    incident_id: str
    key: str
    state: AlertState
    severity: Severity
    labels: dict[str, str]
    first_seen: datetime
    last_seen: datetime
    state_changes: int = 0
    # The correlation key of its events (another than the incident's when a correlation rule joined it).
    correlation_key: str = ""
    # Its latest state changes (at most MAX_FLAPPING_THRESHOLD, none older than the window), and the
    # moment it stops flapping unless it changes again (None: it never flapped).
    recent_changes: list[datetime] = field(default_factory=list)
    flapping_until: datetime | None = None
    # The maintenance window that covered it at its last event, and when that window ends.
    maintenance_window_id: str | None = None
    maintenance_until: datetime | None = None
    # Storage bookkeeping: whether its row exists, and whether this unit of work changed it.
    stored: bool = field(default=False, compare=False)
    changed: bool = field(default=True, compare=False)

    @classmethod
    def first_seen_in(cls, incident_id: str, event: AlertEvent) -> Alert:
        return cls(
            incident_id=incident_id,
            key=event.alert_key,
            state=ALERT_STATE_OF_EVENT[event.state],
            severity=event.severity or Severity.INFO,
            labels=dict(event.alert_labels or event.contextual_labels),
            first_seen=event.timestamp,
            last_seen=event.timestamp,
            correlation_key=event.correlation_key,
        )

    @property
    def firing(self) -> bool:
        return self.state is AlertState.FIRING

    def is_flapping(self, at: datetime) -> bool:
        return self.flapping_until is not None and at < self.flapping_until

    def in_maintenance(self, at: datetime) -> bool:
        return self.maintenance_until is not None and at < self.maintenance_until

    def opens_incidents(self, at: datetime) -> bool:
        """Whether its firing opens or reopens its incident: not while it flaps or is in maintenance."""
        return not self.is_flapping(at) and not self.in_maintenance(at)

    def check_maintenance(self, windows: Iterable[MaintenanceWindow], at: datetime) -> None:
        """Which window (if any) covers it at `at`, as its labels are now."""
        window = covering_window(windows, self.labels, at)
        self.maintenance_window_id = window.id if window is not None else None
        self.maintenance_until = window.ends_at if window is not None else None

    def observe(self, event: AlertEvent, flapping: FlappingPolicy = DEFAULT_FLAPPING) -> bool:
        """A newer event of this alert; False (and no change) for one older than the alert's last."""
        if event.timestamp < self.last_seen:
            return False
        state = ALERT_STATE_OF_EVENT[event.state]
        if state is not self.state:
            self.state = state
            self.state_changes += 1
            self._count_change(event.timestamp, flapping)
        if event.severity is not None:
            self.severity = event.severity
        if event.state is IncidentState.TRIGGERED and (event.alert_labels or event.contextual_labels):
            self.labels = dict(event.alert_labels or event.contextual_labels)
        self.last_seen = event.timestamp
        self.changed = True
        return True

    def _count_change(self, at: datetime, flapping: FlappingPolicy) -> None:
        """Flapping (SPEC 16): at least `threshold` changes within `window`. Counting at `at`, that holds
        until the threshold-th newest change leaves the window, so the alert flaps until then."""
        recent = [moment for moment in self.recent_changes if moment > at - flapping.window]
        recent.append(at)
        self.recent_changes = recent[-MAX_FLAPPING_THRESHOLD:]
        if len(self.recent_changes) >= flapping.threshold:
            until = self.recent_changes[-flapping.threshold] + flapping.window
            self.flapping_until = max(until, self.flapping_until) if self.flapping_until else until


def derived_state(alerts: Iterable[Alert]) -> IncidentState:
    """SPEC 16: an incident is TRIGGERED while any of its alerts fires, RESOLVED once none does."""
    return IncidentState.TRIGGERED if any(alert.firing for alert in alerts) else IncidentState.RESOLVED


def derived_severity(alerts: Iterable[Alert], current: Severity) -> Severity:
    """SPEC 16: the highest severity of the firing alerts; while none fires the incident keeps the
    severity it had (resolving is not a change of severity)."""
    return max((alert.severity for alert in alerts if alert.firing), default=current)


class Standing(Protocol):
    """Where an incident stands in its life: what the timeline's lifecycle actions (and so the changes
    notifications fire on) are read from. An IncidentSnapshot is one."""

    @property
    def status(self) -> IncidentStatus: ...

    @property
    def severity(self) -> Severity: ...


class StoredStanding(NamedTuple):
    status: IncidentStatus
    severity: Severity


@dataclass(frozen=True)
class IncidentSnapshot:
    """The incident as it was right after an event: event queries filter on this."""

    name: str
    severity: Severity
    state: IncidentState
    status: IncidentStatus
    is_muted: bool
    contextual_labels: dict[str, str]
    display_labels: dict[str, str]
    meta_labels: MetaLabels


@dataclass
class IncidentEvent:
    id: str
    incident_id: str
    type: EventType
    timestamp: datetime
    originator: Originator
    payload: dict[str, Any]
    # The incident right after the event. Event queries need it; an incident's log shown with the
    # incident is read without it (None), as it is kept for queries only.
    snapshot: IncidentSnapshot | None = None
    cx_event_key: str | None = None
    alert: dict[str, Any] | None = None


@dataclass
class Incident:
    id: str
    team_id: str
    name: str
    description: str
    severity: Severity
    state: IncidentState
    status: IncidentStatus
    created_at: datetime
    correlation_key: str | None = None
    assigned_to: str | None = None
    assigned_by: str | None = None
    contextual_labels: dict[str, str] = field(default_factory=dict)
    display_labels: dict[str, str] = field(default_factory=dict)
    meta_labels: MetaLabels = field(default_factory=list)
    application_name: str = ""
    subsystem_name: str = ""
    closed_at: datetime | None = None
    last_state_update_time: datetime | None = None
    last_state_update_key: str | None = None
    alert_muted: bool = False
    snoozed_until: datetime | None = None
    # Response times (statistics): the first acknowledge, and when the status last became RESOLVED
    # (None while it is not RESOLVED). Both follow from the event log; kept here so queries need no log.
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    # The highest severity the incident ever had (SPEC 16); None: its current one (older rows).
    highest_severity: Severity | None = None
    # Until when one of its alerts flaps (SPEC 16): the latest moment any of them stops flapping.
    flapping_until: datetime | None = None
    # Whether the running snooze ends when an alert joins, the severity rises or the incident reopens.
    snooze_cancel_on_updates: bool = False
    # The correlation rules that joined alerts to it, and when (SPEC 16), newest MAX_CORRELATION_LOG_ENTRIES.
    correlation_log: list[dict[str, str]] = field(default_factory=list)
    # Its alerts by key, as far as this unit of work loaded them: every firing alert and those its alert
    # events name (all apply_alert needs; ingestion loads them). Stored by the alert repository.
    alerts: dict[str, Alert] = field(default_factory=dict, repr=False, compare=False)
    # Events recorded by this unit of work and not yet stored; the repository drains them.
    new_events: list[IncidentEvent] = field(default_factory=list, repr=False, compare=False)
    # Its status and severity as loaded, before this unit of work's events (None: a new incident): the
    # changes its first new event made are read against them (notifications), as its last stored
    # event's snapshot would say, without reading that back.
    stored_status: IncidentStatus | None = field(default=None, repr=False, compare=False)
    stored_severity: Severity | None = field(default=None, repr=False, compare=False)

    # ---- derived views -------------------------------------------------------------------------

    @property
    def stored_standing(self) -> StoredStanding | None:
        if self.stored_status is None or self.stored_severity is None:
            return None
        return StoredStanding(self.stored_status, self.stored_severity)

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def is_muted(self, now: datetime) -> bool:
        """Muted while the latest alert event said so, or while a snooze runs."""
        return self.alert_muted or (self.snoozed_until is not None and self.snoozed_until > now)

    def is_flapping(self, at: datetime) -> bool:
        """An incident is flapping while one of its alerts is (SPEC 16)."""
        return self.flapping_until is not None and at < self.flapping_until

    def suppresses_notifications(self, at: datetime) -> bool:
        """The one place notifications ask whether this incident's changes at `at` notify anyone: not
        while one of its alerts flaps, nor while every alert of it that fires is in maintenance
        (SPEC 16; its alerts as ingestion loads them: all that fire). A running snooze is asked
        separately (`is_muted`)."""
        firing = [alert for alert in self.alerts.values() if alert.firing]
        return self.is_flapping(at) or (bool(firing) and all(alert.in_maintenance(at) for alert in firing))

    @property
    def peak_severity(self) -> Severity:
        """The highest severity the incident ever had (SPEC 16)."""
        return max(self.highest_severity or self.severity, self.severity)

    def duration(self, now: datetime) -> timedelta:
        end = self.closed_at if self.closed_at is not None else now
        return max(end - self.created_at, timedelta(0))

    def snapshot(self, now: datetime) -> IncidentSnapshot:
        return IncidentSnapshot(
            name=self.name,
            severity=self.severity,
            state=self.state,
            status=self.status,
            is_muted=self.is_muted(now),
            contextual_labels=dict(self.contextual_labels),
            display_labels=dict(self.display_labels),
            meta_labels=list(self.meta_labels),
        )

    def _record(
        self,
        type_: EventType,
        at: datetime,
        originator: Originator,
        payload: dict[str, Any],
        cx_event_key: str | None = None,
        alert: dict[str, Any] | None = None,
    ) -> IncidentEvent:
        event = IncidentEvent(
            id=new_id(),
            incident_id=self.id,
            type=type_,
            timestamp=at,
            originator=originator,
            payload=payload,
            snapshot=self.snapshot(at),
            cx_event_key=cx_event_key,
            alert=alert,
        )
        self.new_events.append(event)
        return event

    # ---- creation ------------------------------------------------------------------------------

    @classmethod
    def open_from_alert(cls, team_id: str, alert: AlertEvent, windows: Iterable[MaintenanceWindow] = ()) -> Incident:
        """First TRIGGERED alert event of a correlation key with no open incident. An alert in
        maintenance is recorded in an incident it does not open: its status is RESOLVED from the start."""
        incident = cls(
            id=new_id(),
            team_id=team_id,
            correlation_key=alert.correlation_key,
            name=alert.name or alert.correlation_key,
            description=alert.description,
            severity=alert.severity or Severity.INFO,
            state=IncidentState.TRIGGERED,
            status=IncidentStatus.TRIGGERED,
            created_at=alert.timestamp,
            contextual_labels=dict(alert.contextual_labels),
            display_labels=dict(alert.display_labels),
            meta_labels=_merge_meta_labels([], alert.meta_labels),
            application_name=alert.application_name,
            subsystem_name=alert.subsystem_name,
            alert_muted=alert.is_muted,
            last_state_update_time=alert.timestamp,
            last_state_update_key=alert.cx_event_key,
        )
        _set_name_labels(incident)
        first = Alert.first_seen_in(incident.id, alert)
        first.check_maintenance(windows, alert.timestamp)
        incident.alerts[first.key] = first
        incident.severity = incident.highest_severity = first.severity
        if not first.opens_incidents(alert.timestamp):
            incident._mark_resolved(alert.timestamp)
        noted = _held_back(first, alert.timestamp)
        incident._record(
            EventType.OPEN,
            alert.timestamp,
            Originator.system(alert.source_system),
            dict(noted),
            alert=alert.alert_details(),
        )
        incident._record_alert(alert, noted=noted)
        return incident

    @classmethod
    def create(
        cls,
        team_id: str,
        actor: str,
        now: datetime,
        name: str,
        description: str = "",
        severity: Severity | None = None,
        contextual_labels: dict[str, str] | None = None,
        display_labels: dict[str, str] | None = None,
        meta_labels: MetaLabels | None = None,
        application_name: str = "",
        subsystem_name: str = "",
        assignee: str = "",
    ) -> Incident:
        """CreateIncident: a manual incident, not tied to any correlation key."""
        incident = cls(
            id=new_id(),
            team_id=team_id,
            name=name,
            description=description,
            severity=severity or Severity.INFO,
            highest_severity=severity or Severity.INFO,
            state=IncidentState.TRIGGERED,
            status=IncidentStatus.TRIGGERED,
            created_at=now,
            contextual_labels=dict(contextual_labels or {}),
            display_labels=dict(display_labels or {}),
            meta_labels=_merge_meta_labels([], meta_labels or []),
            application_name=application_name,
            subsystem_name=subsystem_name,
        )
        _set_name_labels(incident)
        incident._record(EventType.OPEN, now, Originator.user(actor), {})
        if assignee:
            incident.assign(assignee, actor, now)
        return incident

    # ---- alert events --------------------------------------------------------------------------

    def apply_alert(
        self,
        alert: AlertEvent,
        flapping: FlappingPolicy = DEFAULT_FLAPPING,
        windows: Iterable[MaintenanceWindow] = (),
        correlated: dict[str, str] | None = None,
    ) -> AlertOutcome:
        """A new (not duplicate) alert event for this open incident's correlation key.

        The event changes its alert (unless older than the alert's last event); the incident's state and
        severity then follow its alerts (SPEC 16). `self.alerts` must hold every firing alert and the
        event's own alert when stored (report_alert_events loads exactly those).
        """
        outcome = AlertOutcome.UPDATED
        joins = alert.alert_key not in self.alerts
        severity_before = self.severity
        observed = self._observe_alert(alert, flapping)
        if observed is not None:
            observed.check_maintenance(windows, alert.timestamp)
            if observed.flapping_until is not None and (
                self.flapping_until is None or observed.flapping_until > self.flapping_until
            ):
                self.flapping_until = observed.flapping_until
            # A flapping alert, or one in maintenance, does not reopen the incident (SPEC 16).
            reopens = observed.opens_incidents(alert.timestamp)
            if alert.state is IncidentState.TRIGGERED and self.status is IncidentStatus.RESOLVED and reopens:
                outcome = AlertOutcome.REOPENED
                self.status = IncidentStatus.TRIGGERED
                self.resolved_at = None
            self.state = derived_state(self.alerts.values())
            self.severity = derived_severity(self.alerts.values(), self.severity)
            self.highest_severity = self.peak_severity
            if self.state is IncidentState.RESOLVED:
                self._mark_resolved(alert.timestamp)
        updated = joins or self.severity > severity_before or outcome is AlertOutcome.REOPENED
        # What the log keeps beside the event: why it opened nothing, and that it ended a snooze.
        noted = _held_back(observed, alert.timestamp)
        if correlated is not None:
            # A correlation rule joined the event's alert to this incident: its log keeps the match.
            self.correlation_log = [*self.correlation_log, correlated][-MAX_CORRELATION_LOG_ENTRIES:]
            noted["correlated_by"] = correlated["rule_id"]
        if updated and self._cancel_snooze(alert.timestamp):
            noted["snooze_ended"] = True  # cancel_on_incident_updates
        if self.last_state_update_time is not None and alert.timestamp < self.last_state_update_time:
            # Late for the incident: kept in the log, but its name and labels must not move backwards.
            self._record_alert(alert, noted=noted)
            return outcome

        changes: dict[str, dict[str, Any]] = {}
        if alert.state is IncidentState.TRIGGERED:
            if alert.name:
                self.name = alert.name
            if alert.description and alert.description != self.description:
                # Snapshots do not keep the description: the log entry keeps its old and new value.
                changes["description"] = {"old": self.description, "new": alert.description}
                self.description = alert.description
            self.contextual_labels.update(alert.contextual_labels)
            self.display_labels.update(alert.display_labels)
            self.meta_labels = _merge_meta_labels(self.meta_labels, alert.meta_labels)
            if alert.application_name:
                self.application_name = alert.application_name
            if alert.subsystem_name:
                self.subsystem_name = alert.subsystem_name
            _set_name_labels(self)
        self.alert_muted = alert.is_muted
        self.last_state_update_time = alert.timestamp
        self.last_state_update_key = alert.cx_event_key
        self._record_alert(alert, changes, noted)
        return outcome

    def _observe_alert(self, event: AlertEvent, flapping: FlappingPolicy) -> Alert | None:
        """The event's alert, having taken the event (a new alert joins); None when the event is older
        than the alert's last one, which then stays as it is."""
        known = self.alerts.get(event.alert_key)
        if known is None:
            joined = self.alerts[event.alert_key] = Alert.first_seen_in(self.id, event)
            return joined
        return known if known.observe(event, flapping) else None

    def _record_alert(
        self, alert: AlertEvent, changes: dict[str, dict[str, Any]] | None = None, noted: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {
            "state_type": alert.state.value,
            "cx_event_key": alert.cx_event_key,
            "is_muted": alert.is_muted,
        }
        if changes:
            payload["changes"] = changes
        payload.update(noted or {})
        self._record(
            EventType.UPSERT_STATE,
            alert.timestamp,
            Originator.system(alert.source_system),
            payload,
            cx_event_key=alert.cx_event_key,
            alert=alert.alert_details(),
        )

    # ---- responder actions ---------------------------------------------------------------------
    # Each returns True when it changed the incident (and recorded one event), False for an
    # idempotent no-op. Refusals are checked by `refusal_reason` before any incident of a batch changes.

    def refusal_reason(self, action: Action) -> str | None:
        """Why `action` is refused in the current state, or None when it may proceed."""
        if action is Action.ACKNOWLEDGE:
            if not self.is_open:
                return "closed"
            if self.status is IncidentStatus.RESOLVED:
                return "resolved"
        if action in (Action.ASSIGN, Action.SNOOZE, Action.UPDATE) and not self.is_open:
            return "closed"
        return None

    def state_label(self) -> str:
        """How FAILED_PRECONDITION names the incident's state."""
        return "CLOSED" if not self.is_open else self.status.value

    def _mark_resolved(self, at: datetime) -> None:
        """Status RESOLVED; resolved_at keeps the moment it became so (MTTR counts from created_at)."""
        if self.status is not IncidentStatus.RESOLVED:
            self.resolved_at = max(at, self.created_at)
        self.status = IncidentStatus.RESOLVED

    def acknowledge(self, actor: str, now: datetime) -> bool:
        if self.status is IncidentStatus.ACKNOWLEDGED:
            return False
        self.status = IncidentStatus.ACKNOWLEDGED
        if self.acknowledged_at is None:
            self.acknowledged_at = max(now, self.created_at)
        self._record(EventType.ACKNOWLEDGE, now, Originator.user(actor), {"acknowledged_by": actor})
        return True

    def resolve(self, actor: str, now: datetime) -> bool:
        if not self.is_open or self.status is IncidentStatus.RESOLVED:
            return False
        self.state = IncidentState.RESOLVED
        self._mark_resolved(now)
        self._record(
            EventType.UPSERT_STATE,
            now,
            Originator.user(actor),
            {"state_type": IncidentState.RESOLVED.value, "cx_event_key": None, "is_muted": self.alert_muted},
        )
        return True

    def close(self, actor: str, now: datetime) -> bool:
        if not self.is_open:
            return False
        self.closed_at = max(now, self.created_at)
        self.state = IncidentState.RESOLVED
        self._mark_resolved(self.closed_at)
        self._record(EventType.CLOSE, now, Originator.user(actor), {"closed_by": actor})
        return True

    def assign(self, assignee: str, actor: str, now: datetime) -> bool:
        # Re-assigning to the same person still records who assigned it: the one assignment is replaced.
        self.assigned_to = assignee
        self.assigned_by = actor
        self._record(EventType.ASSIGN, now, Originator.user(actor), {"assigned_to": assignee, "assigned_by": actor})
        return True

    def unassign(self, actor: str, now: datetime) -> bool:
        if self.assigned_to is None:
            return False
        self.assigned_to = None
        self.assigned_by = None
        self._record(EventType.UNASSIGN, now, Originator.user(actor), {})
        return True

    def snooze(self, actor: str, now: datetime, minutes: int, cancel_on_incident_updates: bool = False) -> bool:
        self.snoozed_until = now + timedelta(minutes=minutes)
        self.snooze_cancel_on_updates = cancel_on_incident_updates
        payload: dict[str, Any] = {"start_time": now.isoformat(), "duration_minutes": minutes, "user_id": actor}
        if cancel_on_incident_updates:
            payload["cancel_on_incident_updates"] = True
        self._record(EventType.SNOOZE_INDICATOR, now, Originator.user(actor), payload)
        return True

    def _cancel_snooze(self, at: datetime) -> bool:
        """A snooze taken with cancel_on_incident_updates ends at an update (SPEC 16); True when it did."""
        if not self.snooze_cancel_on_updates or self.snoozed_until is None or self.snoozed_until <= at:
            return False
        self.snoozed_until = at
        self.snooze_cancel_on_updates = False
        return True

    def update(self, actor: str, now: datetime, changes: IncidentChanges) -> bool:
        """UpdateIncident: replace the named fields; the log keeps each old and new value."""
        diff: dict[str, dict[str, Any]] = {}
        for name, requested in changes.items():
            new_value = _copied(requested)
            if name == "display_labels":
                # The application and subsystem names always show there; a map without them means the same.
                new_value = {**new_value, **_name_labels(self)}
            old_value = getattr(self, name)
            if old_value != new_value:
                diff[name] = {"old": _jsonable(old_value), "new": _jsonable(new_value)}
                setattr(self, name, new_value)
        if not diff:
            return False
        self.highest_severity = self.peak_severity
        _set_name_labels(self)
        self._record(EventType.UPDATE, now, Originator.user(actor), {"changes": diff})
        return True


IncidentChanges = dict[str, Any]  # field name -> new value, fields limited to UPDATABLE_FIELDS

UPDATABLE_FIELDS = ("name", "description", "severity", "contextual_labels", "display_labels", "meta_labels")


class Action(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"
    CLOSE = "close"
    ASSIGN = "assign"
    UNASSIGN = "unassign"
    SNOOZE = "snooze"
    UPDATE = "update"


def _held_back(alert: Alert | None, at: datetime) -> dict[str, Any]:
    """Why an alert's event opens and reopens nothing (SPEC 16), as the event log keeps it."""
    held: dict[str, Any] = {}
    if alert is not None and alert.is_flapping(at):
        held["flapping"] = True
    if alert is not None and alert.in_maintenance(at):
        held["in_maintenance"] = True
    return held


def _merge_meta_labels(current: MetaLabels, incoming: MetaLabels) -> MetaLabels:
    """Union of key/value pairs, first-seen order kept, no pair twice."""
    merged = list(current)
    seen = set(merged)
    for pair in incoming:
        if pair not in seen:
            merged.append(pair)
            seen.add(pair)
    return merged


def _name_labels(incident: Incident) -> dict[str, str]:
    names = {"application_name": incident.application_name, "subsystem_name": incident.subsystem_name}
    return {key: value for key, value in names.items() if value}


def _copied(value: Any) -> Any:
    """A private copy of a label map or list, so no caller's object becomes part of the incident."""
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return list(value)
    return value


def _set_name_labels(incident: Incident) -> None:
    """Application and subsystem names also show in display_labels (SPEC section 3).

    Called after every change to labels, so it also enforces the per-incident label limit: labels
    merge across alert events, and a merge may not grow an incident past it.
    """
    incident.display_labels.update(_name_labels(incident))
    violations = [
        FieldViolation(kind, f"the incident would have {count} {kind}, over the limit of {MAX_LABELS_PER_KIND}")
        for kind, count in (
            ("contextual_labels", len(incident.contextual_labels)),
            ("display_labels", len(incident.display_labels)),
            ("meta_labels", len(incident.meta_labels)),
        )
        if count > MAX_LABELS_PER_KIND
    ]
    if violations:
        raise InvalidArgument(violations)


def _jsonable(value: Any) -> Any:
    """A detached, JSON-ready copy: the log must not change when the incident later does."""
    if isinstance(value, Severity):
        return value.name
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list):
        return [list(item) if isinstance(item, tuple) else item for item in value]
    return value
