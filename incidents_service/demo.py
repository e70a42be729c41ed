"""`incidents-service demo`: realistic demo incidents for a team, made the way production makes them.

Incidents come from alert events (ReportAlertEvents' operation) for a handful of services, then
responders act on some of them: assign, acknowledge, and close. Timestamps spread over the last few
days and increase per correlation key; responder actions happen minutes after the incident opened
(the operations run with a clock set to that moment), so durations and event logs look real.

The content is deterministic (a fixed random seed); every run gets its own run id inside the
correlation and cx_event keys, so running the demo twice loads a second, independent set.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from incidents_service.auth import find_team
from incidents_service.domain.errors import InvalidArgument
from incidents_service.domain.model import AlertEvent, AlertOutcome, AlertType, IncidentState, Severity
from incidents_service.operations import IncidentOperations
from incidents_service.storage.unit_of_work import UnitOfWork

ACTOR = "demo@incidents"
SEED = 20240601
DAYS = 4
EVENT_BATCH = 500  # alert events per report_alert_events call (the API allows 1000)
MAX_INCIDENTS = 100_000
SOURCE_SYSTEMS = ("alertmanager", "coralogix-alerts")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2")
RESPONDERS = ("alice@example.com", "bob@example.com", "carol@example.com", "dave@example.com")


@dataclass(frozen=True)
class _Alert:
    """An alert definition of one service."""

    alert_id: str
    name: str
    description: str
    severity: Severity
    alert_type: AlertType


@dataclass(frozen=True)
class _Service:
    name: str
    application: str
    owner: str  # the owning team, a meta label
    alerts: tuple[_Alert, ...]


SERVICES = (
    _Service(
        "checkout",
        "shop",
        "storefront",
        (
            _Alert(
                "checkout-latency",
                "Checkout p99 latency above 2s",
                "p99 latency of POST /checkout is above 2 seconds for 5 minutes.",
                Severity.ERROR,
                AlertType.METRIC,
            ),
            _Alert(
                "checkout-5xx",
                "Checkout 5xx rate above 2%",
                "More than 2% of checkout requests fail with a server error.",
                Severity.CRITICAL,
                AlertType.RATIO,
            ),
            _Alert(
                "cart-cache-miss",
                "Cart cache hit ratio below 80%",
                "The cart cache misses more than usual; the database takes the load.",
                Severity.WARNING,
                AlertType.METRIC,
            ),
        ),
    ),
    _Service(
        "payments",
        "shop",
        "payments",
        (
            _Alert(
                "psp-timeouts",
                "Payment provider timeouts",
                "Calls to the payment service provider time out (> 10s).",
                Severity.CRITICAL,
                AlertType.STANDARD,
            ),
            _Alert(
                "card-declines",
                "Card authorization failures above 5%",
                "The share of declined card authorizations is well above its baseline.",
                Severity.ERROR,
                AlertType.RATIO,
            ),
            _Alert(
                "refund-backlog",
                "Refund queue backlog above 1000",
                "Refunds wait in the queue longer than the SLA allows.",
                Severity.WARNING,
                AlertType.METRIC,
            ),
        ),
    ),
    _Service(
        "search",
        "catalog",
        "discovery",
        (
            _Alert(
                "search-index-lag",
                "Search index lag above 10 minutes",
                "Product updates take more than 10 minutes to become searchable.",
                Severity.WARNING,
                AlertType.METRIC,
            ),
            _Alert(
                "search-latency",
                "Search p95 latency above 800ms",
                "Search queries are slow; the cluster may be under-provisioned.",
                Severity.ERROR,
                AlertType.METRIC,
            ),
            _Alert(
                "search-new-error",
                "New error signature in search-api logs",
                "A log error pattern never seen before appeared in search-api.",
                Severity.LOW,
                AlertType.NEW_VALUE,
            ),
        ),
    ),
    _Service(
        "auth",
        "platform",
        "identity",
        (
            _Alert(
                "login-failures",
                "Login failure spike",
                "Failed logins are 5x above the hourly baseline: outage or credential stuffing.",
                Severity.CRITICAL,
                AlertType.TIME_RELATIVE,
            ),
            _Alert(
                "token-cpu",
                "Token service CPU above 90%",
                "token-service pods run hot; requests may queue.",
                Severity.WARNING,
                AlertType.METRIC,
            ),
            _Alert(
                "cert-expiry",
                "TLS certificate expires in less than 14 days",
                "Renew the certificate of the public auth endpoint.",
                Severity.INFO,
                AlertType.STANDARD,
            ),
        ),
    ),
    _Service(
        "inventory",
        "catalog",
        "supply",
        (
            _Alert(
                "inventory-sync",
                "Inventory sync job failed",
                "The nightly warehouse sync job exited with errors.",
                Severity.ERROR,
                AlertType.STANDARD,
            ),
            _Alert(
                "stock-deadlocks",
                "Stock reservation deadlocks",
                "The inventory database reports deadlocks on stock reservations.",
                Severity.WARNING,
                AlertType.UNIQUE_COUNT,
            ),
            _Alert(
                "inventory-disk",
                "Low disk on inventory-db",
                "Less than 10% disk left on the inventory database volume.",
                Severity.LOW,
                AlertType.METRIC,
            ),
        ),
    ),
)


@dataclass
class _Plan:
    """One demo incident: its alert events and what responders do to it, with their times."""

    correlation_key: str
    created_at: datetime
    triggers: list[AlertEvent]
    later_events: list[AlertEvent] = field(default_factory=list)  # RESOLVED, maybe reopened after it
    assign_to: str | None = None
    assign_at: datetime | None = None
    acknowledge_at: datetime | None = None
    close_at: datetime | None = None
    incident_id: str = ""


def load_demo(engine: Engine, team_name: str, count: int) -> str:
    """Load `count` demo incidents into the team; answers a one-line summary."""
    if not 1 <= count <= MAX_INCIDENTS:
        raise InvalidArgument.single("incidents", f"must be 1 to {MAX_INCIDENTS}")
    with UnitOfWork(engine, team_id="", write=False) as uow:
        team = find_team(uow, team_name)

    now = datetime.now(UTC).replace(microsecond=0)
    run_id = uuid.uuid4().hex[:8]
    rng = random.Random(SEED)
    plans = [_plan(rng, run_id, index, now) for index in range(count)]

    clock = _Clock(now)
    operations = IncidentOperations(engine, clock=clock.now)

    # 1. The alert side opens the incidents and repeats its TRIGGERED events.
    events_reported = 0
    by_key = {plan.correlation_key: plan for plan in plans}
    for batch in _batches([event for plan in plans for event in plan.triggers], EVENT_BATCH):
        results = operations.report_alert_events(team.id, batch)
        events_reported += len(batch)
        for event, result in zip(batch, results, strict=True):
            if result.outcome is AlertOutcome.CREATED and result.incident_id:
                by_key[event.correlation_key].incident_id = result.incident_id

    # 2. Responders pick some of them up, minutes after they opened.
    assigned = acknowledged = 0
    for plan in plans:
        if plan.assign_to and plan.assign_at:
            clock.moment = plan.assign_at
            operations.assign(team.id, ACTOR, [plan.incident_id], plan.assign_to)
            assigned += 1
        if plan.acknowledge_at:
            clock.moment = plan.acknowledge_at
            operations.acknowledge(team.id, ACTOR, [plan.incident_id])
            acknowledged += 1

    # 3. The alert side resolves some (and a few fire again afterwards).
    for batch in _batches([event for plan in plans for event in plan.later_events], EVENT_BATCH):
        operations.report_alert_events(team.id, batch)
        events_reported += len(batch)

    # 4. Responders close some of the resolved ones.
    closed = 0
    for plan in plans:
        if plan.close_at:
            clock.moment = plan.close_at
            operations.close(team.id, ACTOR, [plan.incident_id])
            closed += 1

    resolved_open = sum(
        1 for plan in plans if plan.later_events and plan.later_events[-1].state is IncidentState.RESOLVED
    ) - sum(1 for plan in plans if plan.close_at)
    return (
        f"loaded {count} demo incidents into team {team.name!r} (run {run_id}, {events_reported} alert events"
        f" over the last {DAYS} days): {closed} closed, {resolved_open} resolved, "
        f"{count - closed - resolved_open} triggered; {acknowledged} acknowledged, {assigned} assigned"
    )


class _Clock:
    """The operations' clock: the moment a responder action happens."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _plan(rng: random.Random, run_id: str, index: int, now: datetime) -> _Plan:
    service = rng.choice(SERVICES)
    alert = rng.choice(service.alerts)
    region = rng.choice(REGIONS)
    env = "prod" if rng.random() < 0.8 else "staging"
    oncall = rng.choice(RESPONDERS)
    source = rng.choice(SOURCE_SYSTEMS)
    correlation_key = f"demo-{run_id}-{alert.alert_id}-{region}-{env}-{index:05d}"
    # Severity: the alert's, sometimes one step off (staging is calmer).
    severity = alert.severity
    if env == "staging" and severity > Severity.INFO:
        severity = Severity(severity - 1)
    elif rng.random() < 0.15 and severity < Severity.CRITICAL:
        severity = Severity(severity + 1)

    # Minutes after the opening event: repeats, then (maybe) resolution, reopening, and actions.
    age_minutes = rng.uniform(10, DAYS * 24 * 60)
    created_at = now - timedelta(minutes=age_minutes)
    offsets = [0.0]
    for _ in range(rng.choice((0, 1, 1, 2, 2, 3))):
        offsets.append(offsets[-1] + rng.uniform(1, 25))
    fate = rng.choices(("triggered", "resolved", "closed", "reopened"), weights=(35, 30, 28, 7))[0]
    assign = rng.random() < 0.5
    acknowledge = rng.random() < 0.6
    assign_offset = rng.uniform(0.5, 10)
    acknowledge_offset = assign_offset + rng.uniform(0.5, 15)
    resolve_offset = max(offsets[-1], acknowledge_offset) + rng.uniform(5, 180)
    reopen_offset = resolve_offset + rng.uniform(10, 120)
    close_offset = resolve_offset + rng.uniform(5, 240)
    # Squeeze the story into the incident's age so nothing lies in the future.
    span = max(offsets[-1], reopen_offset if fate == "reopened" else 0.0, close_offset)
    scale = min(1.0, rng.uniform(0.3, 0.95) * age_minutes / span)

    def at(offset: float) -> datetime:
        return created_at + timedelta(minutes=offset * scale)

    def event(number: int, offset: float, state: IncidentState, muted: bool = False) -> AlertEvent:
        return AlertEvent(
            correlation_key=correlation_key,
            cx_event_key=f"{correlation_key}-{number}",
            state=state,
            timestamp=at(offset),
            name=alert.name,
            description=alert.description,
            severity=severity,
            contextual_labels={"service": service.name, "region": region, "env": env},
            display_labels={
                "runbook": f"https://runbooks.example.com/{service.name}/{alert.alert_id}",
                "dashboard": f"https://grafana.example.com/d/{service.name}?var-region={region}",
            },
            meta_labels=[("team", service.owner), ("oncall", oncall)],
            application_name=service.application,
            subsystem_name=service.name,
            is_muted=muted,
            alert_id=alert.alert_id,
            alert_name=alert.name,
            alert_type=alert.alert_type,
            source_system=source,
        )

    muted = env == "staging" and rng.random() < 0.3
    plan = _Plan(
        correlation_key=correlation_key,
        created_at=created_at,
        triggers=[event(number, offset, IncidentState.TRIGGERED, muted) for number, offset in enumerate(offsets)],
    )
    number = len(offsets)
    if fate != "triggered":
        plan.later_events.append(event(number, resolve_offset, IncidentState.RESOLVED, muted))
    if fate == "reopened":
        plan.later_events.append(event(number + 1, reopen_offset, IncidentState.TRIGGERED, muted))
    if assign:
        plan.assign_to, plan.assign_at = oncall, at(assign_offset)
    if acknowledge:
        plan.acknowledge_at = at(acknowledge_offset)
    if fate == "closed":
        plan.close_at = at(close_offset)
    return plan


def _batches(events: Sequence[AlertEvent], size: int) -> Iterator[list[AlertEvent]]:
    for start in range(0, len(events), size):
        yield list(events[start : start + size])
