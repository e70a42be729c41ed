"""Domain operations: each call is one unit of work over one team's incidents.

The servicers call exactly one of these per rpc. Writers run in a transaction that is retried whole
when another replica won a race (a unique key or a serialization failure), so a concurrent first
event of a correlation key ends as one incident and an acknowledged write is never half applied.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine

from incidents_service import metrics
from incidents_service.domain import limits
from incidents_service.domain.correlation import CorrelationGroup, CorrelationRule
from incidents_service.domain.errors import (
    ConcurrentConflict,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    RefusedTransition,
    ResponseTooLarge,
    StorageUnavailable,
)
from incidents_service.domain.maintenance import LabelMatcher, MaintenanceState, MaintenanceWindow, maintenance_state
from incidents_service.domain.model import (
    Action,
    Alert,
    AlertEvent,
    AlertOutcome,
    FlappingPolicy,
    Incident,
    IncidentChanges,
    IncidentEvent,
    IncidentState,
    IncidentStatus,
    MetaLabels,
    Severity,
    new_id,
)
from incidents_service.domain.notes import Note
from incidents_service.domain.notifications import DeliveryState
from incidents_service.domain.queries import (
    EVENT_COUNT_LIMIT,
    EventFilter,
    FilterValues,
    IncidentFilter,
    IncidentGroup,
    Page,
    PageRequest,
    SortKey,
)
from incidents_service.domain.statistics import IncidentStatistics, StatisticsQuery
from incidents_service.domain.timeline import TimelineEntry, entries_of
from incidents_service.storage.python_turns import TURNS
from incidents_service.storage.unit_of_work import UnitOfWork

T = TypeVar("T")
# Sees a batch action's incidents before its commit; raising rolls the action back.
BeforeCommit = Callable[[list[Incident]], None]

# GetIncident / BatchGetIncident show this many of the newest events (SPEC section 3).
EVENTS_SHOWN_WITH_INCIDENT = 100
_MAX_ATTEMPTS = 8


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class IncidentView:
    """An incident as a read answers it: with its newest events where the rpc shows them."""

    incident: Incident
    events: list[IncidentEvent] = field(default_factory=list)


@dataclass(frozen=True)
class AlertEventResult:
    outcome: AlertOutcome
    incident_id: str | None


@dataclass(frozen=True)
class IncidentAlerts:
    """ListIncidentAlerts' answer: a page of an incident's alerts, and what the incident derives from all."""

    page: Page[Alert]
    highest_severity: Severity
    firing_alerts: int
    total_alerts: int
    flapping_until: datetime | None
    maintenance: MaintenanceState
    correlation_log: list[dict[str, str]]


@dataclass(frozen=True)
class CorrelationRuleDraft:
    """CreateCorrelationRule's input, validated."""

    name: str
    label_keys: tuple[str, ...]
    window: timedelta


@dataclass(frozen=True)
class MaintenanceDraft:
    """CreateMaintenanceWindow's input, validated."""

    name: str
    matchers: tuple[LabelMatcher, ...]
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class IncidentDraft:
    """CreateIncident's input, validated."""

    name: str
    description: str = ""
    severity: Severity | None = None
    contextual_labels: dict[str, str] = field(default_factory=dict)
    display_labels: dict[str, str] = field(default_factory=dict)
    meta_labels: MetaLabels = field(default_factory=list)
    application_name: str = ""
    subsystem_name: str = ""
    assignee: str = ""


class IncidentOperations:
    """`engine` runs the writes; `read_engine` (by default the same) the read-only units of work."""

    def __init__(
        self, engine: Engine, read_engine: Engine | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._read_engine = read_engine or engine
        self._clock = clock

    def now(self) -> datetime:
        return self._clock()

    # ---- plumbing ------------------------------------------------------------------------------

    def _read(self, team_id: str) -> UnitOfWork:
        return UnitOfWork(self._read_engine, team_id, write=False)

    def reading(self, team_id: str) -> UnitOfWork:
        """A read-only unit of work, for operations of other modules (notifications)."""
        return self._read(team_id)

    def writing(self, team_id: str, work: Callable[[UnitOfWork], T]) -> T:
        """`work` in one write transaction retried whole, for operations of other modules (notifications)."""
        return self._write(team_id, work)

    def _write(self, team_id: str, work: Callable[[UnitOfWork], T]) -> T:
        """Run `work` in one write transaction, retried whole when a concurrent writer won a race."""
        for attempt in range(_MAX_ATTEMPTS):
            try:
                with UnitOfWork(self._engine, team_id, write=True) as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except ConcurrentConflict:
                with TURNS.waiting():
                    time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise StorageUnavailable("too many concurrent changes to the same incidents; retry")

    # ---- ingestion -----------------------------------------------------------------------------

    def report_alert_events(self, team_id: str, events: Sequence[AlertEvent]) -> list[AlertEventResult]:
        """Correlate alert events into incidents (SPEC sections 4 and 16), all in one transaction.

        An event goes to the open incident of its correlation key; else to the open incident a correlation
        rule joined its key to before; else, when a rule matches its labels within the rule's window, to
        that group's open incident; else a TRIGGERED event opens a new incident. Every read is one
        statement for the whole batch.
        """

        def work(uow: UnitOfWork) -> list[AlertEventResult]:
            seen = uow.incidents.incidents_by_cx_event_keys([event.cx_event_key for event in events])
            keys = list(dict.fromkeys(event.correlation_key for event in events))
            open_by_key: dict[str, Incident | None] = dict(uow.incidents.open_by_correlation_keys(keys))
            by_id = {found.id: found for found in open_by_key.values() if found is not None}
            unrouted = [key for key in keys if key not in open_by_key]
            rules = uow.correlation.rules()
            # Incidents correlation rules joined keys or groups to (SPEC 16), loaded with the others (a key
            # joined before stays with its incident, even once its rule is deleted).
            held = uow.alerts.incidents_holding(unrouted) if unrouted else {}
            pairs = {
                (rule.id, group)
                for event in events
                if event.correlation_key in unrouted
                for rule in rules
                if (group := rule.group_of(event.alert_labels or event.contextual_labels)) is not None
            }
            groups = uow.correlation.open_groups(pairs) if pairs else {}
            joined_ids = {*held.values(), *(group.incident_id for group in groups.values())} - by_id.keys()
            by_id.update(uow.incidents.get_many(sorted(joined_ids)) if joined_ids else {})
            for key, incident_id in held.items():
                open_by_key[key] = by_id.get(incident_id)
            # The alerts the events need (SPEC 16), read for all their incidents at once.
            stored_alerts = uow.alerts.for_ingestion(list(by_id), [e.alert_key for e in events])
            for found in by_id.values():
                found.alerts = stored_alerts.get(found.id, {})
            flapping = uow.alerts.flapping_policy()
            moments = [event.timestamp for event in events]
            windows = uow.maintenance.running_between(min(moments), max(moments)) if events else []
            created: dict[str, Incident] = {}
            changed: dict[str, Incident] = {}
            results: list[AlertEventResult] = []
            for index, event in enumerate(events):
                if event.cx_event_key in seen:
                    results.append(AlertEventResult(AlertOutcome.DUPLICATE, seen[event.cx_event_key]))
                    continue
                incident = open_by_key.get(event.correlation_key)
                labels = event.alert_labels or event.contextual_labels
                outcome = AlertOutcome.UPDATED
                if incident is not None:
                    outcome = _naming_event(index, incident.apply_alert, event, flapping, windows)
                elif event.state is IncidentState.TRIGGERED:
                    incident, correlated = _correlated(rules, groups, by_id, labels, event)
                    if incident is not None:
                        outcome = _naming_event(index, incident.apply_alert, event, flapping, windows, correlated)
                        open_by_key[event.correlation_key] = incident
                if incident is None:
                    if event.state is IncidentState.RESOLVED:
                        results.append(AlertEventResult(AlertOutcome.IGNORED, None))
                        continue
                    incident = _naming_event(index, Incident.open_from_alert, team_id, event, windows)
                    open_by_key[event.correlation_key] = created[incident.id] = by_id[incident.id] = incident
                    outcome = AlertOutcome.CREATED
                elif incident.id not in created:
                    changed[incident.id] = incident
                _seen_in_groups(rules, groups, incident, labels, event)
                seen[event.cx_event_key] = incident.id
                results.append(AlertEventResult(outcome, incident.id))
            uow.incidents.add_all(list(created.values()))
            uow.incidents.save_all(list(changed.values()))
            touched = [*created.values(), *changed.values()]
            uow.alerts.save_all([alert for incident in touched for alert in incident.alerts.values()])
            uow.correlation.save_groups(list(groups.values()))
            return results

        reported = self._write(team_id, work)
        metrics.count_alert_events(result.outcome.value for result in reported)  # committed: they count
        return reported

    def acknowledge_open_incident(self, team_id: str, actor: str, correlation_key: str) -> Incident | None:
        """Acknowledge the open incident of a correlation key, as an alert sender asks (PagerDuty's
        `acknowledge`): None when the key has no open incident; a resolved incident is left as it is
        (acknowledging it is refused for responders too), never an error, as the sender cannot act on one.
        """

        def work(uow: UnitOfWork) -> Incident | None:
            incident = uow.incidents.open_by_correlation_keys([correlation_key]).get(correlation_key)
            if incident is None or incident.refusal_reason(Action.ACKNOWLEDGE) is not None:
                return incident
            if incident.acknowledge(actor, self.now()):
                uow.incidents.save_all([incident])
            return incident

        return self._write(team_id, work)

    # ---- manual creation -----------------------------------------------------------------------

    def create_incident(self, team_id: str, actor: str, draft: IncidentDraft) -> IncidentView:
        def work(uow: UnitOfWork) -> IncidentView:
            incident = Incident.create(
                team_id,
                actor,
                self.now(),
                name=draft.name,
                description=draft.description,
                severity=draft.severity,
                contextual_labels=draft.contextual_labels,
                display_labels=draft.display_labels,
                meta_labels=draft.meta_labels,
                application_name=draft.application_name,
                subsystem_name=draft.subsystem_name,
                assignee=draft.assignee,
            )
            events = list(incident.new_events)
            uow.incidents.add(incident)
            return IncidentView(incident, events)

        return self._write(team_id, work)

    # ---- reads ---------------------------------------------------------------------------------

    def get_incident(self, team_id: str, incident_id: str) -> IncidentView:
        with self._read(team_id) as uow:
            found = uow.incidents.get_with_events(incident_id, EVENTS_SHOWN_WITH_INCIDENT)
        if found is None:
            raise NotFound("incident", [incident_id])
        return IncidentView(*found)

    def batch_get_incidents(
        self, team_id: str, incident_ids: Sequence[str]
    ) -> tuple[dict[str, IncidentView], list[str]]:
        """Found incidents by id, and the requested ids that were not found (never an error)."""
        with self._read(team_id) as uow:
            found = uow.incidents.get_many_with_events(incident_ids, EVENTS_SHOWN_WITH_INCIDENT)
        views = {incident_id: IncidentView(*incident_and_events) for incident_id, incident_and_events in found.items()}
        missing = [incident_id for incident_id in dict.fromkeys(incident_ids) if incident_id not in found]
        return views, missing

    def list_incidents(
        self, team_id: str, incident_filter: IncidentFilter, order: Sequence[SortKey], page: PageRequest
    ) -> Page[Incident]:
        with self._read(team_id) as uow:
            return uow.incidents.list_page(incident_filter, order, page, self.now())

    def aggregate_incidents(
        self, team_id: str, incident_filter: IncidentFilter, group_keys: Sequence[SortKey], page: PageRequest
    ) -> Page[IncidentGroup]:
        with self._read(team_id) as uow:
            return uow.incidents.aggregate(incident_filter, group_keys, page, self.now())

    def filter_values(self, team_id: str, incident_filter: IncidentFilter) -> FilterValues:
        with self._read(team_id) as uow:
            return uow.incidents.filter_values(incident_filter, self.now())

    def list_events(
        self, team_id: str, event_filter: EventFilter, descending: bool, page: PageRequest
    ) -> Page[IncidentEvent]:
        with self._read(team_id) as uow:
            return uow.incidents.list_events_page(event_filter, descending, page, self.now())

    def count_events(self, team_id: str, event_filter: EventFilter) -> tuple[int, bool]:
        """The number of matching events up to EVENT_COUNT_LIMIT, and whether there are more."""
        with self._read(team_id) as uow:
            counted = uow.incidents.count_events(event_filter, EVENT_COUNT_LIMIT, self.now())
        return min(counted, EVENT_COUNT_LIMIT), counted > EVENT_COUNT_LIMIT

    def event_filter_values(self, team_id: str, event_filter: EventFilter) -> FilterValues:
        with self._read(team_id) as uow:
            return uow.incidents.event_filter_values(event_filter, self.now())

    def incident_id_for_event(self, team_id: str, event_id: str) -> str:
        """The incident of an event id or alert cx_event_key (NOT_FOUND naming it otherwise)."""
        with self._read(team_id) as uow:
            incident_id = uow.incidents.incident_id_for_event(event_id)
        if incident_id is None:
            raise NotFound("incident event", [event_id])
        return incident_id

    def incident_by_correlation_key(self, team_id: str, correlation_key: str, moment: datetime) -> IncidentView:
        with self._read(team_id) as uow:
            incident = uow.incidents.incident_open_at(correlation_key, moment)
            if incident is None:
                raise NotFound("incident with correlation key", [correlation_key])
            return IncidentView(incident, uow.incidents.events_of(incident.id, EVENTS_SHOWN_WITH_INCIDENT))

    def incident_events(self, team_id: str, incident_id: str) -> list[IncidentEvent]:
        """All events of an incident, oldest first, without their snapshots (GetIncidentEvents).

        One more than MAX_EVENTS_PER_INCIDENT_RESPONSE is read, never the whole history: an incident
        with more events than one response answers is refused, its events never all in memory.
        """
        cap = limits.MAX_EVENTS_PER_INCIDENT_RESPONSE
        with self._read(team_id) as uow:
            if uow.incidents.get(incident_id) is None:
                raise NotFound("incident", [incident_id])
            events = uow.incidents.events_of(incident_id, cap + 1)
        if len(events) > cap:
            raise ResponseTooLarge(
                f"incident {incident_id[:128]} has more than the limit of {cap} events one response answers; "
                "GetIncident answers its newest 100 events",
                limits.MAX_RESPONSE_BYTES,
            )
        return events

    # ---- batch actions -------------------------------------------------------------------------

    def delete_incidents(self, team_id: str, incident_ids: Sequence[str]) -> list[str]:
        """Delete incidents and their events; all or nothing."""
        unique_ids = list(dict.fromkeys(incident_ids))

        def work(uow: UnitOfWork) -> list[str]:
            _load_all(uow, unique_ids)
            uow.incidents.delete_many(unique_ids)
            return unique_ids

        return self._write(team_id, work)

    def act_on_incidents(
        self,
        team_id: str,
        action: Action,
        incident_ids: Sequence[str],
        change: Callable[[Incident, datetime], bool],
        before_commit: BeforeCommit | None = None,
    ) -> list[Incident]:
        """Apply one lifecycle action to a batch atomically (SPEC section 4, 'Batches are atomic').

        Unknown ids fail the whole call NOT_FOUND; any refused incident fails it FAILED_PRECONDITION;
        otherwise `change` runs on each incident once (duplicates count once), and the incidents come
        back in request order. `before_commit` sees them inside the transaction: what it raises rolls
        the change back (a transport refusing an answer too large to send, SPEC 11).
        """
        unique_ids = list(dict.fromkeys(incident_ids))

        def work(uow: UnitOfWork) -> list[Incident]:
            found = _load_all(uow, unique_ids)
            refused = [
                RefusedTransition(incident_id, found[incident_id].state_label(), reason)
                for incident_id in unique_ids
                if (reason := found[incident_id].refusal_reason(action)) is not None
            ]
            if refused:
                raise FailedPrecondition(action.value, refused)
            now = self.now()
            changed = [found[incident_id] for incident_id in unique_ids if change(found[incident_id], now)]
            uow.incidents.save_all(changed)
            acted_on = [found[incident_id] for incident_id in unique_ids]
            if before_commit is not None:
                before_commit(acted_on)
            return acted_on

        return self._write(team_id, work)

    def update_incident(self, team_id: str, actor: str, incident_id: str, changes: IncidentChanges) -> Incident:
        def change(incident: Incident, now: datetime) -> bool:
            return incident.update(actor, now, changes)

        return self.act_on_incidents(team_id, Action.UPDATE, [incident_id], change)[0]

    # ---- responder actions (SPEC section 4): each a batch acted on by one principal ----------------

    def acknowledge(
        self, team_id: str, actor: str, incident_ids: Sequence[str], before_commit: BeforeCommit | None = None
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.ACKNOWLEDGE,
            incident_ids,
            lambda incident, now: incident.acknowledge(actor, now),
            before_commit,
        )

    def resolve(
        self, team_id: str, actor: str, incident_ids: Sequence[str], before_commit: BeforeCommit | None = None
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.RESOLVE,
            incident_ids,
            lambda incident, now: incident.resolve(actor, now),
            before_commit,
        )

    def close(
        self, team_id: str, actor: str, incident_ids: Sequence[str], before_commit: BeforeCommit | None = None
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.CLOSE,
            incident_ids,
            lambda incident, now: incident.close(actor, now),
            before_commit,
        )

    def assign(
        self,
        team_id: str,
        actor: str,
        incident_ids: Sequence[str],
        assignee: str,
        before_commit: BeforeCommit | None = None,
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.ASSIGN,
            incident_ids,
            lambda incident, now: incident.assign(assignee, actor, now),
            before_commit,
        )

    def unassign(
        self, team_id: str, actor: str, incident_ids: Sequence[str], before_commit: BeforeCommit | None = None
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.UNASSIGN,
            incident_ids,
            lambda incident, now: incident.unassign(actor, now),
            before_commit,
        )

    def snooze(
        self,
        team_id: str,
        actor: str,
        incident_ids: Sequence[str],
        minutes: int,
        before_commit: BeforeCommit | None = None,
        cancel_on_incident_updates: bool = False,
    ) -> list[Incident]:
        return self.act_on_incidents(
            team_id,
            Action.SNOOZE,
            incident_ids,
            lambda incident, now: incident.snooze(actor, now, minutes, cancel_on_incident_updates),
            before_commit,
        )

    # ---- notes (SPEC section 13): another team's incident or note is answered like a missing one ---

    def create_note(self, team_id: str, actor: str, incident_id: str, body: str) -> Note:
        def work(uow: UnitOfWork) -> Note:
            # Locks the incident (PostgreSQL) so a concurrent delete cannot leave the note orphaned.
            if uow.incidents.get(incident_id) is None:
                raise NotFound("incident", [incident_id])
            note = Note.write(incident_id, body, actor, self.now())
            uow.notes.add(note)
            return note

        return self._write(team_id, work)

    def get_note(self, team_id: str, note_id: str) -> Note:
        with self._read(team_id) as uow:
            note = uow.notes.get(note_id)
        if note is None:
            raise NotFound("note", [note_id])
        return note

    def list_notes(self, team_id: str, incident_id: str, page: PageRequest) -> Page[Note]:
        with self._read(team_id) as uow:
            if uow.incidents.get(incident_id) is None:
                raise NotFound("incident", [incident_id])
            total = page.known_total if page.known_total is not None else uow.notes.count_of(incident_id)
            notes = uow.notes.page_of(incident_id, page.after, page.size + 1)
        next_after = None
        if len(notes) > page.size:
            last = notes[page.size - 1]
            next_after = (last.created_at, last.id)
        shown = notes[: page.size]
        positions: list[tuple[Any, ...]] = [(note.created_at, note.id) for note in shown]
        return Page(items=shown, total_size=total, next_after=next_after, positions=positions)

    def update_note(self, team_id: str, actor: str, note_id: str, body: str) -> Note:
        def work(uow: UnitOfWork) -> Note:
            note = uow.notes.get(note_id)
            if note is None:
                raise NotFound("note", [note_id])
            note.revise(body, actor, self.now())
            uow.notes.save(note)
            return note

        return self._write(team_id, work)

    def delete_note(self, team_id: str, note_id: str) -> str:
        def work(uow: UnitOfWork) -> str:
            if not uow.notes.delete(note_id):
                raise NotFound("note", [note_id])
            return note_id

        return self._write(team_id, work)

    # ---- alerts inside incidents (SPEC 16) -------------------------------------------------------

    def incident_alerts(self, team_id: str, incident_id: str, page: PageRequest) -> IncidentAlerts:
        """A page of the incident's alerts in first-seen order, with what the incident derives from them."""
        with self._read(team_id) as uow:
            incident = uow.incidents.get(incident_id)
            if incident is None:
                raise NotFound("incident", [incident_id])
            total, firing, maintained = uow.alerts.counts_of(incident_id, self.now())
            alerts = uow.alerts.page_of(incident_id, page.after, page.size + 1)
        next_after = None
        if len(alerts) > page.size:
            last = alerts[page.size - 1]
            next_after = (last.first_seen, last.key)
        shown = alerts[: page.size]
        positions: list[tuple[Any, ...]] = [(alert.first_seen, alert.key) for alert in shown]
        known = page.known_total if page.known_total is not None else total
        listed = Page(items=shown, total_size=known, next_after=next_after, positions=positions)
        state = maintenance_state(maintained, total)
        return IncidentAlerts(
            listed, incident.peak_severity, firing, total, incident.flapping_until, state, incident.correlation_log
        )

    def alert_settings(self, team_id: str) -> FlappingPolicy:
        with self._read(team_id) as uow:
            return uow.alerts.flapping_policy()

    # ---- correlation rules (SPEC 16) ---------------------------------------------------------------

    def create_correlation_rule(self, team_id: str, actor: str, draft: CorrelationRuleDraft) -> CorrelationRule:
        def work(uow: UnitOfWork) -> CorrelationRule:
            if uow.correlation.count() >= limits.MAX_CORRELATION_RULES:
                raise InvalidArgument.single(
                    "rule", f"the team already has the limit of {limits.MAX_CORRELATION_RULES} correlation rules"
                )
            rule = CorrelationRule(new_id(), draft.name, draft.label_keys, draft.window, actor, self.now())
            uow.correlation.add(rule)
            return rule

        return self._write(team_id, work)

    def correlation_rules(self, team_id: str) -> list[CorrelationRule]:
        with self._read(team_id) as uow:
            return uow.correlation.rules()

    def delete_correlation_rule(self, team_id: str, rule_id: str) -> str:
        def work(uow: UnitOfWork) -> str:
            if not uow.correlation.delete(rule_id):
                raise NotFound("correlation rule", [rule_id])
            return rule_id

        return self._write(team_id, work)

    # ---- maintenance windows (SPEC 16) -------------------------------------------------------------

    def create_maintenance_window(self, team_id: str, actor: str, draft: MaintenanceDraft) -> MaintenanceWindow:
        def work(uow: UnitOfWork) -> MaintenanceWindow:
            now = self.now()
            if uow.maintenance.count_not_ended(now) >= limits.MAX_MAINTENANCE_WINDOWS:
                raise InvalidArgument.single(
                    "window",
                    f"the team already has the limit of {limits.MAX_MAINTENANCE_WINDOWS} running or upcoming "
                    "maintenance windows; delete one first",
                )
            window = MaintenanceWindow(new_id(), draft.name, draft.matchers, draft.starts_at, draft.ends_at, actor, now)
            uow.maintenance.add(window)
            return window

        return self._write(team_id, work)

    def maintenance_windows(self, team_id: str) -> list[MaintenanceWindow]:
        with self._read(team_id) as uow:
            return uow.maintenance.not_ended(self.now())

    def delete_maintenance_window(self, team_id: str, window_id: str) -> str:
        def work(uow: UnitOfWork) -> str:
            if not uow.maintenance.delete(window_id):
                raise NotFound("maintenance window", [window_id])
            uow.alerts.leave_maintenance_window(window_id)
            return window_id

        return self._write(team_id, work)

    def update_alert_settings(self, team_id: str, flapping: FlappingPolicy) -> FlappingPolicy:
        def work(uow: UnitOfWork) -> FlappingPolicy:
            uow.alerts.save_flapping_policy(flapping)
            return flapping

        return self._write(team_id, work)

    # ---- timeline and statistics (SPEC section 13) ---------------------------------------------

    def incident_timeline(self, team_id: str, incident_id: str, page: PageRequest) -> Page[TimelineEntry]:
        """A page of the incident's timeline, newest first, derived from its event log.

        The keyset position is (event seq, entries of that event already shown): one event may give
        several entries, and a page may end between them.
        """
        with self._read(team_id) as uow:
            if uow.incidents.get(incident_id) is None:
                raise NotFound("incident", [incident_id])
            total = page.known_total if page.known_total is not None else uow.incidents.count_events_of(incident_id)
            up_to, skip = (int(page.after[0]), int(page.after[1])) if page.after is not None else (None, 0)
            resumed_seq = up_to
            entries: list[TimelineEntry] = []
            # Where a page cut after each entry resumes (SPEC 11 may cut a page by its encoded size).
            positions: list[tuple[Any, ...]] = []
            while True:
                batch = uow.incidents.logged_events(incident_id, up_to, page.size + 1)
                for seq, logged in batch:
                    for index, entry in enumerate(entries_of(logged)):
                        if seq == resumed_seq and index < skip:
                            continue
                        if len(entries) == page.size:
                            return Page(entries, total, (seq, index), positions)
                        entries.append(entry)
                        positions.append((seq, index + 1))
                if len(batch) <= page.size:
                    return Page(entries, total, None, positions)
                up_to = batch[-1][0] - 1

    # ---- the service's own gauges (metrics.py), over every team -----------------------------------

    def open_incidents(self) -> dict[tuple[Severity, IncidentStatus], int]:
        with self._read("") as uow:
            return uow.totals.open_incidents()

    def notifications_by_state(self) -> dict[DeliveryState, int]:
        with self._read("") as uow:
            return uow.totals.notifications_by_state()

    def incident_statistics(self, team_id: str, asked: StatisticsQuery) -> IncidentStatistics:
        with self._read(team_id) as uow:
            return uow.incidents.statistics(asked, self.now())


def _correlated(
    rules: Sequence[CorrelationRule],
    groups: dict[tuple[str, str], CorrelationGroup],
    incidents: dict[str, Incident],
    labels: dict[str, str],
    event: AlertEvent,
) -> tuple[Incident | None, dict[str, str] | None]:
    """The open incident a correlation rule joins this event's alert to, and the log entry of the match:
    the first rule (oldest first) whose group of these labels has an open incident whose latest alert of
    the group was seen within the rule's window."""
    for rule in rules:
        group = rule.group_of(labels)
        found = groups.get((rule.id, group)) if group is not None else None
        incident = incidents.get(found.incident_id) if found is not None else None
        if found is not None and incident is not None and incident.is_open and found.admits(rule, event.timestamp):
            return incident, rule.log_entry(labels, event.alert_key, event.timestamp)
    return None, None


def _seen_in_groups(
    rules: Sequence[CorrelationRule],
    groups: dict[tuple[str, str], CorrelationGroup],
    incident: Incident,
    labels: dict[str, str],
    event: AlertEvent,
) -> None:
    """A firing alert of this incident is the latest of its groups: later alerts within a rule's window
    of it join the incident."""
    if event.state is not IncidentState.TRIGGERED:
        return
    for rule in rules:
        group = rule.group_of(labels)
        if group is None:
            continue
        known = groups.get((rule.id, group))
        if known is None or known.incident_id != incident.id or known.last_seen < event.timestamp:
            groups[rule.id, group] = CorrelationGroup(rule.id, group, incident.id, event.timestamp, changed=True)


def _naming_event(index: int, apply: Callable[..., T], *args: object) -> T:
    """Run a domain step for alert event `index`; a limit it hits names that event's field."""
    try:
        return apply(*args)
    except InvalidArgument as error:
        raise InvalidArgument(
            [FieldViolation(f"events[{index}].{v.field}", v.description) for v in error.violations]
        ) from error


def _load_all(uow: UnitOfWork, incident_ids: Sequence[str]) -> dict[str, Incident]:
    found = uow.incidents.get_many(incident_ids)
    missing = [incident_id for incident_id in incident_ids if incident_id not in found]
    if missing:
        raise NotFound("incident", missing)
    return found
