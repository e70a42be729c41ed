"""ListIncidentEvents, ListIncidentEventsTotalCount and ListIncidentEventsFilterValues against a model.

SPEC section 6: the events of the team's incidents, each with the incident as it was right after that
event; the filter applies to that snapshot and to the event timestamp. Once per backend a team of its
own is built through the real API while a Python model replays every alert event and responder action
with the lifecycle rules (SPEC 4) and keeps each event's snapshot. Event ids come from
GetIncidentEvents; the timestamps of events stamped by the server (responder actions, an alert sent
without a timestamp) are taken from the listing after checking each lies within its call's window.

Label values and names use lowercase ascii letters and digits only, so collation never matters.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.wrappers_pb2 import BoolValue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service import auth
from tests.builders import RESOLVED, TRIGGERED, alert, report, sv, svs, ts, violated_fields
from tests.conftest import Client
from tests.support.calls import next_page_token, rpc_error, tampered
from tests.support.pages import Walk, expected_page_lengths, walk_pages

# ---- vocabulary --------------------------------------------------------------------------------

INFO, LOW, WARNING, ERROR, CRITICAL = (
    pb.INCIDENT_SEVERITY_INFO,
    pb.INCIDENT_SEVERITY_LOW,
    pb.INCIDENT_SEVERITY_WARNING,
    pb.INCIDENT_SEVERITY_ERROR,
    pb.INCIDENT_SEVERITY_CRITICAL,
)
SEVERITIES = [INFO, LOW, WARNING, ERROR, CRITICAL]
ST_TRIGGERED, ST_RESOLVED = pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATE_RESOLVED
TRIGGERED_S, ACKNOWLEDGED_S, RESOLVED_S = (
    pb.INCIDENT_STATUS_TRIGGERED,
    pb.INCIDENT_STATUS_ACKNOWLEDGED,
    pb.INCIDENT_STATUS_RESOLVED,
)
STATUSES = [TRIGGERED_S, ACKNOWLEDGED_S, RESOLVED_S]
OPEN, UPSERT, CLOSE, SNOOZE, ASSIGN, ACK, UNASSIGN = (
    pb.INCIDENT_EVENT_TYPE_OPEN,
    pb.INCIDENT_EVENT_TYPE_UPSERT_STATE,
    pb.INCIDENT_EVENT_TYPE_CLOSE,
    pb.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR,
    pb.INCIDENT_EVENT_TYPE_ASSIGN,
    pb.INCIDENT_EVENT_TYPE_ACKNOWLEDGE,
    pb.INCIDENT_EVENT_TYPE_UNASSIGN,
)
OPERATIONAL, ADMINISTRATIVE = pb.ORIGINATOR_TYPE_OPERATIONAL, pb.ORIGINATOR_TYPE_ADMINISTRATIVE
ALERT_TYPES = [
    pb.INCIDENT_EVENT_ALERT_TYPE_STANDARD_OR_UNSPECIFIED,
    pb.INCIDENT_EVENT_ALERT_TYPE_METRIC,
    pb.INCIDENT_EVENT_ALERT_TYPE_RATIO,
    pb.INCIDENT_EVENT_ALERT_TYPE_TRACING,
]
ASC, DESC, UNSPECIFIED = (
    pb.ORDER_BY_DIRECTION_ASC,
    pb.ORDER_BY_DIRECTION_DESC,
    pb.ORDER_BY_DIRECTION_UNSPECIFIED,
)

NAMES = ["diskfull", "cpuhigh", "memleak", "latency", "errors5xx"]
REGIONS = ["eu", "us", "ap", None]
CLUSTERS = ["c1", "c2", None]
TEAMS = ["core", "pay", "web"]
APPS = ["api", "web", "batch", ""]
INCIDENT_COUNT = 30
PRINCIPAL = "lead@example.com"
SOURCE = "monitor"


# ---- the model ---------------------------------------------------------------------------------

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Snap:
    """The incident right after an event."""

    name: str
    severity: int
    state: int
    status: int
    is_muted: bool
    contextual: Pairs  # sorted items
    display: Pairs
    meta: Pairs  # merged key/value pairs, no pair twice


@dataclass(frozen=True)
class AlertInfo:
    alert_id: str
    alert_name: str
    alert_type: int
    labels: Pairs  # the alert event's own meta labels


@dataclass
class Ev:
    seq: int  # recording order
    incident: MInc
    type: int
    originator: tuple[int, str]
    snap: Snap
    cx_event_key: str | None = None
    opening_key: str | None = None  # OPEN caused by an alert event: that event's cx_event_key
    alert: AlertInfo | None = None
    timestamp: datetime | None = None
    window: tuple[datetime, datetime] | None = None  # server-stamped: [before the call, after it]
    id: str = ""
    wire: pb.IncidentEvent | None = None  # as GetIncidentEvents answers it

    @property
    def when(self) -> datetime:
        if self.timestamp is not None:
            return self.timestamp
        assert self.window is not None
        return self.window[1]


@dataclass
class MInc:
    key: str
    name: str
    severity: int
    contextual: dict[str, str]
    display: dict[str, str]
    meta: list[tuple[str, str]]
    state: int = ST_TRIGGERED
    status: int = TRIGGERED_S
    alert_muted: bool = False
    snoozed: bool = False
    last_update: datetime | None = None
    closed: bool = False
    assignee: str | None = None
    id: str = ""

    def snap(self) -> Snap:
        return Snap(
            name=self.name,
            severity=self.severity,
            state=self.state,
            status=self.status,
            is_muted=self.alert_muted or self.snoozed,
            contextual=tuple(sorted(self.contextual.items())),
            display=tuple(sorted(self.display.items())),
            meta=tuple(self.meta),
        )


def _merge(current: list[tuple[str, str]], incoming: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    merged = list(current)
    for pair in incoming:
        if pair not in merged:
            merged.append(pair)
    return merged


def _pairs(labels: Sequence[pb.MetaLabel]) -> Pairs:
    return tuple((label.key.value, label.value.value) for label in labels)


def _dt(stamp: Any) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _now() -> datetime:
    return datetime.now(UTC)


class World:
    """Sends requests for one team and replays each in the model, in the same order."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.open: dict[str, MInc] = {}
        self.incidents: list[MInc] = []
        self.events: list[Ev] = []
        self.problems: list[str] = []  # disagreements noticed while building (asserted by a test)
        self.renamed: dict[str, str] = {}  # incident key -> name given by UpdateIncident
        self.seen: dict[str, MInc] = {}  # cx_event_key -> its incident

    def _record(self, inc: MInc, type_: int, originator: tuple[int, str], **fields: Any) -> Ev:
        event = Ev(len(self.events), inc, type_, originator, inc.snap(), **fields)
        self.events.append(event)
        return event

    def by_key(self, key: str) -> MInc:
        return next(inc for inc in reversed(self.incidents) if inc.key == key)

    # ---- alert events ----------------------------------------------------------------------

    def report(self, *alerts: api.AlertEvent) -> None:
        before = _now()
        results = self.client.ingestion.ReportAlertEvents(report(*alerts)).results
        window = (before, _now())
        for event, result in zip(alerts, results, strict=True):
            outcome, inc, recorded = self._apply(event)
            if result.outcome != outcome:
                self.problems.append(f"{event.cx_event_key}: outcome {result.outcome}, model {outcome}")
            if outcome == api.AlertEventResult.CREATED:
                inc.id = result.incident_id
            elif (inc.id if inc else "") != result.incident_id:
                self.problems.append(f"{event.cx_event_key}: incident {result.incident_id}, model {inc.id}")
            for ev in recorded:
                if ev.timestamp is None:
                    ev.window = window

    def _apply(self, a: api.AlertEvent) -> tuple[int, MInc | None, list[Ev]]:
        at = _dt(a.timestamp) if a.HasField("timestamp") else None
        info = AlertInfo(a.alert_id, a.alert_name, a.alert_type, _pairs(a.meta_labels))
        originator = (OPERATIONAL, a.source_system)
        if a.cx_event_key in self.seen:  # a key the team has seen: nothing changes
            return api.AlertEventResult.DUPLICATE, self.seen[a.cx_event_key], []
        inc = self.open.get(a.correlation_key)
        if inc is None and a.state_type == RESOLVED:  # nothing open to resolve
            return api.AlertEventResult.IGNORED, None, []
        if inc is None:
            inc = MInc(
                key=a.correlation_key,
                name=a.name or a.correlation_key,
                severity=a.severity or INFO,
                contextual=dict(a.contextual_labels),
                display=dict(a.display_labels),
                meta=_merge([], _pairs(a.meta_labels)),
                alert_muted=a.is_muted,
                last_update=at or _now(),
            )
            self._names(inc, a)
            self.open[inc.key] = inc
            self.incidents.append(inc)
            self.seen[a.cx_event_key] = inc
            opened = self._record(inc, OPEN, originator, opening_key=a.cx_event_key, alert=info, timestamp=at)
            upsert = self._record(inc, UPSERT, originator, cx_event_key=a.cx_event_key, alert=info, timestamp=at)
            return api.AlertEventResult.CREATED, inc, [opened, upsert]
        self.seen[a.cx_event_key] = inc
        outcome = api.AlertEventResult.UPDATED
        late = at is not None and inc.last_update is not None and at < inc.last_update
        if not late:
            if a.state_type == TRIGGERED:
                if inc.status == RESOLVED_S:
                    outcome = api.AlertEventResult.REOPENED
                    inc.status = TRIGGERED_S
                inc.state = ST_TRIGGERED
                inc.name = a.name or inc.name
                inc.severity = a.severity or inc.severity
                inc.contextual.update(a.contextual_labels)
                inc.display.update(a.display_labels)
                inc.meta = _merge(inc.meta, _pairs(a.meta_labels))
                self._names(inc, a)
            else:
                inc.state, inc.status = ST_RESOLVED, RESOLVED_S
            inc.alert_muted = a.is_muted
            inc.last_update = at or _now()
        upsert = self._record(inc, UPSERT, originator, cx_event_key=a.cx_event_key, alert=info, timestamp=at)
        return outcome, inc, [upsert]

    @staticmethod
    def _names(inc: MInc, a: api.AlertEvent) -> None:
        if a.application_name:
            inc.display["application_name"] = a.application_name
        if a.subsystem_name:
            inc.display["subsystem_name"] = a.subsystem_name

    # ---- responder actions (one incident per call: every event gets its own server time) ----

    def _call(self, call: Callable[[], Any], inc: MInc, type_: int | None) -> None:
        before = _now()
        call()
        window = (before, _now())
        if type_ is not None:
            self._record(inc, type_, (ADMINISTRATIVE, PRINCIPAL), window=window)

    def acknowledge(self, inc: MInc) -> None:
        assert inc.status != RESOLVED_S and not inc.closed
        changed = inc.status == TRIGGERED_S
        inc.status = ACKNOWLEDGED_S
        request = svc.AcknowledgeIncidentsRequest(incident_ids=svs([inc.id]))
        self._call(lambda: self.client.incidents.AcknowledgeIncidents(request), inc, ACK if changed else None)

    def resolve(self, inc: MInc) -> None:
        changed = not inc.closed and inc.status != RESOLVED_S
        inc.state, inc.status = ST_RESOLVED, RESOLVED_S
        request = svc.ResolveIncidentsRequest(incident_ids=svs([inc.id]))
        self._call(lambda: self.client.incidents.ResolveIncidents(request), inc, UPSERT if changed else None)

    def close(self, inc: MInc) -> None:
        inc.state, inc.status, inc.closed = ST_RESOLVED, RESOLVED_S, True
        self.open.pop(inc.key, None)
        request = svc.CloseIncidentsRequest(incident_ids=svs([inc.id]))
        self._call(lambda: self.client.incidents.CloseIncidents(request), inc, CLOSE)

    def assign(self, inc: MInc, who: str) -> None:
        inc.assignee = who
        request = svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv(who)), incident_ids=svs([inc.id]))
        self._call(lambda: self.client.incidents.AssignIncidents(request), inc, ASSIGN)

    def unassign(self, inc: MInc) -> None:
        changed = inc.assignee is not None
        inc.assignee = None
        request = svc.UnassignIncidentsRequest(incident_ids=svs([inc.id]))
        self._call(lambda: self.client.incidents.UnassignIncidents(request), inc, UNASSIGN if changed else None)

    def snooze(self, inc: MInc) -> None:
        inc.snoozed = True  # 120 minutes: running for the whole test run
        request = api.SnoozeIncidentsRequest(incident_ids=[inc.id], duration_minutes=120)
        self._call(lambda: self.client.management.SnoozeIncidents(request), inc, SNOOZE)

    def rename(self, inc: MInc, name: str) -> None:
        """UpdateIncident: its UPDATE event is not listed, but later snapshots carry the new name."""
        inc.name = name
        self.renamed[inc.key] = name
        request = api.UpdateIncidentRequest(incident_id=inc.id, name=name, update_mask=FieldMask(paths=["name"]))
        self._call(lambda: self.client.management.UpdateIncident(request), inc, None)

    def create(self, key: str, request: api.CreateIncidentRequest) -> MInc:
        inc = MInc(
            key=key,
            name=request.name,
            severity=request.severity or INFO,
            contextual=dict(request.contextual_labels),
            display=dict(request.display_labels),
            meta=_merge([], _pairs(request.meta_labels)),
        )
        self._names(inc, request)
        self.incidents.append(inc)
        before = _now()
        inc.id = self.client.management.CreateIncident(request).incident.id.value
        self._record(inc, OPEN, (ADMINISTRATIVE, PRINCIPAL), window=(before, _now()))
        return inc

    # ---- ids and server timestamps ---------------------------------------------------------

    def resolve_ids(self) -> None:
        """Event ids from GetIncidentEvents; server-stamped times from one full listing."""
        for inc in self.incidents:
            mine = [ev for ev in self.events if ev.incident is inc]
            keyed = {ev.cx_event_key: ev for ev in mine if ev.cx_event_key}
            unkeyed: dict[int, deque[Ev]] = defaultdict(deque)
            for ev in mine:
                if not ev.cx_event_key:
                    unkeyed[ev.type].append(ev)
            request = svc.GetIncidentEventsRequest(incident_id=sv(inc.id))
            for wire in self.client.incidents.GetIncidentEvents(request).incident_events:
                cx = wire.upsert_state.payload.cx_event_key.value if wire.HasField("upsert_state") else ""
                if cx in keyed:
                    ev = keyed.pop(cx)
                elif unkeyed[wire.incident_event_type]:
                    ev = unkeyed[wire.incident_event_type].popleft()
                else:
                    self.problems.append(f"{inc.key}: unexpected event {wire}")
                    continue
                ev.id, ev.wire = wire.id.value, wire
            leftover = [ev for ev in keyed.values()] + [ev for q in unkeyed.values() for ev in q]
            self.problems.extend(f"{inc.key}: event {ev.type} missing" for ev in leftover)
        request = svc.ListIncidentEventsRequest(order_by=pb.ListIncidentEventRequestOrderBy(direction=ASC))
        request.pagination.page_size.value = 1000
        listed = {
            item.incident_event.id.value: item for item in self.client.incidents.ListIncidentEvents(request).items
        }
        for ev in self.events:
            if ev.window is not None and ev.id in listed:
                ev.timestamp = _dt(listed[ev.id].cx_event_timestamp)

    def ordered(self, descending: bool = False) -> list[Ev]:
        return sorted(self.events, key=lambda ev: (ev.when, ev.seq), reverse=descending)


# ---- the scenario ------------------------------------------------------------------------------


def new_client(server: Any) -> Client:
    team = f"team-ev-{uuid.uuid4().hex[:10]}"
    auth.create_team(server.engine, team)
    issued = auth.create_api_key(server.engine, team, PRINCIPAL, auth.ALL_PERMISSIONS)
    return Client(server.channel, issued.api_key, team, PRINCIPAL)


def _first_alert(i: int, at: datetime, prefix: str) -> api.AlertEvent:
    contextual = {}
    if REGIONS[i % 4] is not None:
        contextual["region"] = REGIONS[i % 4]
    if CLUSTERS[i % 3] is not None:
        contextual["cluster"] = CLUSTERS[i % 3]
    meta = {"env": "stage" if i % 2 else "prod"}
    if i % 4 != 3:
        meta["tier"] = str(i % 3)
    return alert(
        f"{prefix}-{i}",
        f"{prefix}-{i}-open",
        at=at,
        meta_labels=meta,
        name=NAMES[i % 5],
        severity=SEVERITIES[(i // 2) % 5],
        contextual_labels=contextual,
        display_labels={} if i % 7 == 0 else {"team": TEAMS[i % 3]},
        application_name=APPS[i % 4],
        is_muted=i % 8 == 4,
        alert_id=f"alert{i % 6}",
        alert_name=f"rule{i % 6}",
        alert_type=ALERT_TYPES[i % 4],
        source_system=SOURCE,
    )


def _later_alerts(i: int, at: datetime) -> list[api.AlertEvent]:
    key = f"ev-{i}"
    events = []
    if i % 5 == 1:  # severity, labels, mute and sometimes the name follow a second alert
        events.append(
            alert(
                key,
                f"{key}-second",
                at=at + timedelta(minutes=10),
                meta_labels={"extra": "yes"},
                name="renamed" if i % 10 == 1 else "",
                severity=CRITICAL,
                contextual_labels={"region": "zz"},
                display_labels={"team": "ops"},
                is_muted=i % 10 == 6,
                alert_id="alertx",
                source_system=SOURCE,
            )
        )
    if i % 7 == 2:  # resolved by the alerting side, and for even ones triggered again
        events.append(alert(key, f"{key}-resolved", RESOLVED, at=at + timedelta(minutes=20), source_system=SOURCE))
        if i % 2 == 0:
            events.append(
                alert(key, f"{key}-again", at=at + timedelta(minutes=30), severity=WARNING, source_system=SOURCE)
            )
    if i % 6 == 3:  # late: recorded at its own time, moves nothing backwards
        events.append(
            alert(
                key,
                f"{key}-late",
                at=at - timedelta(minutes=5),
                name="latename",
                severity=LOW if i % 2 else CRITICAL,
                source_system=SOURCE,
            )
        )
    return events


def build_world(server: Any, prefix: str = "ev", count: int = INCIDENT_COUNT, actions: bool = True) -> World:
    world = World(new_client(server))
    base = _now().replace(microsecond=0) - timedelta(days=2)
    created = [base + timedelta(hours=i, microseconds=137 * i) for i in range(count)]
    world.report(*[_first_alert(i, created[i], prefix) for i in range(count)])
    if not actions:
        return world
    world.report(*[event for i in range(count) for event in _later_alerts(i, created[i])])
    for i in range(count):
        inc = world.by_key(f"{prefix}-{i}")
        if i % 10 == 3:
            world.rename(inc, f"renamedby{i}")
        if (i % 4 == 0 or i % 10 == 3) and inc.status == TRIGGERED_S:
            world.acknowledge(inc)
        if i % 3 == 0:
            world.assign(inc, "ann" if i % 2 else "bob")
        if i % 9 == 0:
            world.unassign(inc)
        if i % 10 == 5:
            world.resolve(inc)
        if i == 15:  # reopened after a responder resolved it, by an alert stamped by the server
            world.report(alert(inc.key, f"{inc.key}-reopen", severity=ERROR, source_system=SOURCE))
        if i % 11 == 7:
            world.close(inc)
        if i % 13 == 6:
            world.snooze(inc)
    if count > 18:
        world.report(
            # Closed is final: a new incident for the key; nothing open to resolve; a key seen before.
            alert(f"{prefix}-7", f"{prefix}-7-after-close", severity=LOW, source_system=SOURCE),
            alert(f"{prefix}-18", f"{prefix}-18-ignored", RESOLVED, source_system=SOURCE),
            alert(f"{prefix}-2", f"{prefix}-2-open", severity=CRITICAL, source_system=SOURCE),
        )
    manual = world.create(
        "manual-1",
        api.CreateIncidentRequest(
            name="manualone",
            severity=ERROR,
            contextual_labels={"region": "eu"},
            display_labels={"team": "core"},
            meta_labels=[pb.MetaLabel(key=sv("env"), value=sv("prod"))],
            application_name="api",
        ),
    )
    world.acknowledge(manual)
    other_manual = world.create("manual-2", api.CreateIncidentRequest(name="manualtwo"))
    world.assign(other_manual, "cat")
    world.close(other_manual)
    return world


@dataclass
class Scenario:
    world: World
    other: World

    @property
    def client(self) -> Client:
        return self.world.client


@pytest.fixture(scope="module")
def scenario(server: Any) -> Scenario:
    world = build_world(server)
    world.resolve_ids()
    # Another team with look-alike incidents and events: none of them may ever show up.
    other = build_world(server, prefix="ev", count=4)
    other.resolve_ids()
    return Scenario(world, other)


# ---- filters, items, walks ---------------------------------------------------------------------


@dataclass(frozen=True)
class EvFilt:
    """An IncidentEventQueryFilter, as data: builds the wire message and decides a match in Python."""

    statuses: frozenset[int] = frozenset()
    severities: frozenset[int] = frozenset()
    contextual: tuple[tuple[str, frozenset[str]], ...] = ()
    display: tuple[tuple[str, frozenset[str]], ...] = ()
    name: str | None = None
    is_muted: bool | None = None
    start: datetime | None = None
    end: datetime | None = None
    meta: Pairs = ()
    meta_and: bool = False

    def wire(self) -> pb.IncidentEventQueryFilter:
        f = pb.IncidentEventQueryFilter(
            status=sorted(self.statuses),
            severity=sorted(self.severities),
            contextual_labels={
                key: pb.ContextualLabelValues(contextual_label_values=svs(sorted(values)))
                for key, values in self.contextual
            },
            display_labels={
                key: pb.DisplayLabelValues(display_label_values=svs(sorted(values))) for key, values in self.display
            },
            labels=pb.LabelsFilter(
                meta_labels=[pb.MetaLabel(key=sv(k), value=sv(v)) for k, v in self.meta],
                operator=pb.FILTER_OPERATOR_AND if self.meta_and else pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED,
            ),
        )
        if self.name is not None:
            f.name.CopyFrom(sv(self.name))
        if self.is_muted is not None:
            f.is_muted.CopyFrom(BoolValue(value=self.is_muted))
        if self.start is not None:
            f.timestamp.start_time.CopyFrom(ts(self.start))
        if self.end is not None:
            f.timestamp.end_time.CopyFrom(ts(self.end))
        return f

    def matches(self, ev: Ev) -> bool:
        snap = ev.snap
        contextual, display = dict(snap.contextual), dict(snap.display)
        checks = [
            not self.statuses or snap.status in self.statuses,
            not self.severities or snap.severity in self.severities,
            all(key in contextual and contextual[key] in values for key, values in self.contextual),
            all(key in display and display[key] in values for key, values in self.display),
            self.name is None or self.name.lower() in snap.name.lower(),
            self.is_muted is None or snap.is_muted == self.is_muted,
            self.start is None or ev.when >= self.start,
            self.end is None or ev.when < self.end,
        ]
        if self.meta:
            present = [pair in snap.meta for pair in self.meta]
            checks.append(all(present) if self.meta_and else any(present))
        return all(checks)


ALL = EvFilt()


@dataclass
class Item:
    """One IncidentEventExtended, normalized (from the model or the wire) so the two compare with ==."""

    id: str
    incident_event: pb.IncidentEvent | None
    cx_event_key: str | None
    timestamp: datetime | None
    severity: int
    state: int
    status: int
    is_muted: bool | None
    permutation: dict[str, str]
    group_by_fields: list[str]
    alert_labels: list[tuple[str, str]]
    alert_id: str | None
    alert_name: str | None
    alert_type: int


def model_item(ev: Ev) -> Item:
    info = ev.alert
    return Item(
        id=ev.id,
        incident_event=ev.wire,
        cx_event_key=ev.cx_event_key,
        timestamp=ev.timestamp,
        severity=ev.snap.severity,
        state=ev.snap.state,
        status=ev.snap.status,
        is_muted=ev.snap.is_muted,
        permutation=dict(ev.snap.contextual),
        group_by_fields=sorted(dict(ev.snap.contextual)),
        alert_labels=list(info.labels) if info else [],
        alert_id=(info.alert_id or None) if info else None,
        alert_name=(info.alert_name or None) if info else None,
        alert_type=info.alert_type if info else pb.INCIDENT_EVENT_ALERT_TYPE_STANDARD_OR_UNSPECIFIED,
    )


def wire_item(item: pb.IncidentEventExtended, opening_keys: dict[str, str]) -> Item:
    md = item.incident_event_extended_metadata
    event_id = item.incident_event.id.value
    cx = item.cx_event_key.value if item.HasField("cx_event_key") else None
    if cx is not None and opening_keys.get(event_id) == cx:
        # An OPEN caused by an alert event may name that event's key or none: both read as none.
        cx = None
    return Item(
        id=event_id,
        incident_event=item.incident_event if item.HasField("incident_event") else None,
        cx_event_key=cx,
        timestamp=_dt(item.cx_event_timestamp) if item.HasField("cx_event_timestamp") else None,
        severity=md.incident_severity,
        state=md.incident_state,
        status=md.incident_status,
        is_muted=md.is_muted.value if md.HasField("is_muted") else None,
        permutation=dict(md.incident_permutation),
        group_by_fields=[value.value for value in md.alert_group_by_fields],
        alert_labels=list(_pairs(md.alert_labels)),
        alert_id=md.alert_id.value if md.HasField("alert_id") else None,
        alert_name=md.alert_name.value if md.HasField("alert_name") else None,
        alert_type=md.alert_type,
    )


def expected_events(world: World, filt: EvFilt, descending: bool = True) -> list[Ev]:
    return [ev for ev in world.ordered(descending) if filt.matches(ev)]


def events_request(
    filt: EvFilt | None = None, direction: int | None = None, page_size: int = 0, token: str = ""
) -> svc.ListIncidentEventsRequest:
    request = svc.ListIncidentEventsRequest()
    if filt is not None:
        request.filter.CopyFrom(filt.wire())
    if direction is not None:
        request.order_by.direction = direction
    if page_size:
        request.pagination.page_size.value = page_size
    if token:
        request.pagination.page_token.value = token
    return request


def walk(
    client: Client, filt: EvFilt | None, direction: int | None = None, page_size: int = 0
) -> Walk[pb.IncidentEventExtended]:
    """Every page of ListIncidentEvents, following next_page_token."""
    return walk_pages(
        lambda token: client.incidents.ListIncidentEvents(events_request(filt, direction, page_size, token)),
        lambda response: response.items,
    )


def event_ids(found: Walk[pb.IncidentEventExtended]) -> list[str]:
    return [item.incident_event.id.value for item in found.items]


def check_walk(world: World, filt: EvFilt, direction: int | None = None, page_size: int = 1000) -> list[Ev]:
    expected = expected_events(world, filt, descending=direction != ASC)
    found = walk(world.client, filt, direction, page_size)
    assert event_ids(found) == [ev.id for ev in expected]
    assert found.totals == [len(expected)] * len(found.totals)
    assert found.page_lengths == expected_page_lengths(len(expected), page_size)
    return expected


def total_count(client: Client, filt: EvFilt | None) -> tuple[int, bool]:
    request = svc.ListIncidentEventsTotalCountRequest()
    if filt is not None:
        request.filter.CopyFrom(filt.wire())
    response = client.incidents.ListIncidentEventsTotalCount(request)
    return response.count.value, response.reached_limit.value


def event_filter_values(client: Client, filt: EvFilt | None) -> pb.IncidentQueryFiltersValues:
    request = svc.ListIncidentEventsFilterValuesRequest()
    if filt is not None:
        request.filter.CopyFrom(filt.wire())
    return client.incidents.ListIncidentEventsFilterValues(request).filters_values


def _opening_keys(world: World) -> dict[str, str]:
    return {ev.id: ev.opening_key for ev in world.events if ev.opening_key}


# ---- the model agrees with the service's other reads -------------------------------------------


def test_model_replays_the_scenario_like_the_service(scenario):
    world = scenario.world
    assert world.problems == []
    assert all(ev.id for ev in world.events)
    found = scenario.client.incidents.BatchGetIncident(
        svc.BatchGetIncidentRequest(ids=svs([inc.id for inc in world.incidents]))
    ).incidents
    for inc in world.incidents:
        incident = found[inc.id]
        now = (
            incident.name.value,
            incident.severity,
            incident.state,
            incident.status,
            incident.is_muted.value,
            dict(incident.contextual_labels),
            dict(incident.display_labels),
            sorted(_pairs(incident.meta_labels)),
        )
        model = inc.snap()
        assert now == (
            model.name,
            model.severity,
            model.state,
            model.status,
            model.is_muted,
            dict(model.contextual),
            dict(model.display),
            sorted(model.meta),
        ), inc.key


def test_scenario_covers_every_kind_of_event(scenario):
    world = scenario.world
    assert {ev.type for ev in world.events} == {OPEN, UPSERT, CLOSE, SNOOZE, ASSIGN, ACK, UNASSIGN}
    assert {ev.snap.status for ev in world.events} == set(STATUSES)
    assert {ev.snap.severity for ev in world.events} == set(SEVERITIES)
    assert {ev.snap.is_muted for ev in world.events} == {True, False}
    assert any(ev.cx_event_key and ev.cx_event_key.endswith("-late") for ev in world.events)
    assert len([inc for inc in world.incidents if inc.key == "ev-7"]) == 2  # reopened after close: new
    assert len(world.events) > 100


def test_alert_events_carry_their_timestamps_and_server_events_their_call_time(scenario):
    items = walk(scenario.client, None, ASC, 1000).items
    by_id = {item.incident_event.id.value: item for item in items}
    for ev in scenario.world.events:
        assert ev.id in by_id, ev
        found = _dt(by_id[ev.id].cx_event_timestamp)
        if ev.window is None:
            assert found == ev.timestamp, ev.cx_event_key
        else:
            assert ev.window[0] - timedelta(seconds=1) <= found <= ev.window[1] + timedelta(seconds=1), ev.type


# ---- listing: items and order ------------------------------------------------------------------


@pytest.mark.parametrize("direction", [None, UNSPECIFIED, DESC, ASC], ids=["unset", "unspecified", "desc", "asc"])
def test_unfiltered_listing_is_every_event_with_its_snapshot_in_order(scenario, direction):
    world = scenario.world
    expected = expected_events(world, ALL, descending=direction != ASC)
    found = walk(scenario.client, None, direction, 1000)
    opening = _opening_keys(world)
    assert [wire_item(item, opening) for item in found.items] == [model_item(ev) for ev in expected]
    assert found.totals == [len(world.events)]


def test_default_order_is_newest_first_with_recording_order_reversed_on_ties(scenario):
    found = walk(scenario.client, None, None, 1000).items
    stamps = [_dt(item.cx_event_timestamp) for item in found]
    assert stamps == sorted(stamps, reverse=True)
    # An alert that opens an incident records OPEN then UPSERT_STATE at one time: newest first.
    opened_by_alerts = [
        index
        for index, item in enumerate(found)
        if item.incident_event.incident_event_type == OPEN and item.incident_event.HasField("operational_event")
    ]
    assert opened_by_alerts
    for index in opened_by_alerts:
        before = found[index - 1]
        assert before.incident_event.incident_event_type == UPSERT
        assert before.cx_event_timestamp == found[index].cx_event_timestamp


def test_listed_event_is_the_event_get_incident_events_answers(scenario):
    found = walk(scenario.client, None, ASC, 1000).items
    wires = {ev.id: ev.wire for ev in scenario.world.events}
    for item in found:
        assert item.incident_event == wires[item.incident_event.id.value]


def test_alert_metadata_comes_from_the_alert_event_only(scenario):
    world = scenario.world
    found = {item.incident_event.id.value: item for item in walk(scenario.client, None, ASC, 1000).items}
    for ev in world.events:
        md = found[ev.id].incident_event_extended_metadata
        if ev.alert is None:  # responder actions and manual incidents
            assert not md.HasField("alert_id") and not md.HasField("alert_name") and not md.alert_labels
            assert not found[ev.id].HasField("cx_event_key")
        else:
            assert md.alert_id.value == ev.alert.alert_id
            assert md.alert_type == ev.alert.alert_type


def test_late_event_keeps_the_newer_values_in_its_snapshot(scenario):
    world = scenario.world
    late = [ev for ev in world.events if ev.cx_event_key and ev.cx_event_key.endswith("-late")]
    assert late
    found = {item.incident_event.id.value: item for item in walk(scenario.client, None, ASC, 1000).items}
    for ev in late:
        earlier = [e for e in world.events if e.incident is ev.incident and e.seq < ev.seq][-1]
        md = found[ev.id].incident_event_extended_metadata
        assert (md.incident_severity, md.incident_state, md.incident_status) == (
            earlier.snap.severity,
            earlier.snap.state,
            earlier.snap.status,
        )
        assert _dt(found[ev.id].cx_event_timestamp) == ev.timestamp  # listed at its own, older time
    assert check_walk(world, EvFilt(name="latename")) == []


def test_update_events_are_not_listed_but_later_snapshots_carry_the_new_name(scenario):
    world = scenario.world
    key, name = next(iter(world.renamed.items()))
    matched = check_walk(world, EvFilt(name=name.upper()))
    assert matched and {ev.incident.key for ev in matched} == {key}
    assert all(ev.window is not None for ev in matched)  # only responder actions after the rename
    inc = world.by_key(key)
    listed = set(event_ids(walk(scenario.client, None, ASC, 1000)))
    mine = [wire.id.value for wire in (ev.wire for ev in world.events if ev.incident is inc) if wire]
    assert len(mine) == len([ev for ev in world.events if ev.incident is inc])
    assert set(mine) <= listed


# ---- filters on the snapshot -------------------------------------------------------------------


def test_acknowledged_incident_keeps_triggered_earlier_events(scenario):
    world = scenario.world
    inc = next(i for i in world.incidents if any(ev.type == ACK and ev.incident is i for ev in world.events))
    mine = {ev.id for ev in world.events if ev.incident is inc}
    triggered = set(event_ids(walk(scenario.client, EvFilt(statuses=frozenset({TRIGGERED_S})), None, 1000))) & mine
    acknowledged = (
        set(event_ids(walk(scenario.client, EvFilt(statuses=frozenset({ACKNOWLEDGED_S})), None, 1000))) & mine
    )
    opened = {ev.id for ev in world.events if ev.incident is inc and ev.type in (OPEN, UPSERT)}
    assert opened <= triggered
    acked = {ev.id for ev in world.events if ev.incident is inc and ev.type == ACK}
    assert acked <= acknowledged and not acked & triggered


EVENT_FILTERS = {
    "status-triggered": EvFilt(statuses=frozenset({TRIGGERED_S})),
    "status-acknowledged": EvFilt(statuses=frozenset({ACKNOWLEDGED_S})),
    "status-resolved-or-ack": EvFilt(statuses=frozenset({RESOLVED_S, ACKNOWLEDGED_S})),
    "severity-critical": EvFilt(severities=frozenset({CRITICAL})),
    "severity-info-low": EvFilt(severities=frozenset({INFO, LOW})),
    "contextual-region": EvFilt(contextual=(("region", frozenset({"zz"})),)),
    "contextual-two-keys": EvFilt(contextual=(("region", frozenset({"eu", "us"})), ("cluster", frozenset({"c1"})))),
    "contextual-absent-key": EvFilt(contextual=(("nokey", frozenset({"x"})),)),
    "display-team": EvFilt(display=(("team", frozenset({"ops", "core"})),)),
    "display-application": EvFilt(display=(("application_name", frozenset({"web"})),)),
    "name-substring": EvFilt(name="leak"),
    "name-case-insensitive": EvFilt(name="RENAMED"),
    "name-percent-is-plain": EvFilt(name="%"),
    "name-underscore-is-plain": EvFilt(name="_"),
    "muted": EvFilt(is_muted=True),
    "not-muted": EvFilt(is_muted=False),
    "labels-or": EvFilt(meta=(("extra", "yes"), ("tier", "0"))),
    "labels-and": EvFilt(meta=(("env", "prod"), ("tier", "1")), meta_and=True),
    "labels-and-never-together": EvFilt(meta=(("env", "prod"), ("env", "stage")), meta_and=True),
    "combined": EvFilt(statuses=frozenset({TRIGGERED_S}), severities=frozenset({CRITICAL, WARNING}), is_muted=False),
}


@pytest.mark.parametrize("name", list(EVENT_FILTERS))
def test_event_filter_applies_to_the_snapshot(scenario, name):
    matched = check_walk(scenario.world, EVENT_FILTERS[name])
    if name in (
        "contextual-absent-key",
        "labels-and-never-together",
        "name-percent-is-plain",
        "name-underscore-is-plain",
    ):
        assert matched == []
    else:
        assert 0 < len(matched) < len(scenario.world.events)


def test_label_filter_matches_pairs_merged_by_a_later_alert_only_from_then_on(scenario):
    matched = check_walk(scenario.world, EvFilt(meta=(("extra", "yes"),)))
    assert matched and not any(ev.type == OPEN for ev in matched)


def test_timestamp_range_is_start_inclusive_end_exclusive(scenario):
    world = scenario.world
    ordered = world.ordered()
    start, end = ordered[10].timestamp, ordered[40].timestamp
    matched = check_walk(world, EvFilt(start=start, end=end))
    assert matched[-1].timestamp == start
    assert all(ev.timestamp != end for ev in matched)
    check_walk(world, EvFilt(start=start))
    check_walk(world, EvFilt(end=end))
    assert check_walk(world, EvFilt(start=end, end=start)) == []


def test_timestamp_bounds_finer_than_a_microsecond(scenario):
    """start <= timestamp < end holds at nanosecond bounds though times are kept in microseconds."""
    world = scenario.world
    moment = world.ordered()[20].timestamp
    assert moment is not None
    start, end = ts(moment), ts(moment)
    start.nanos += 1
    end.nanos += 1
    after = pb.IncidentEventQueryFilter(timestamp=pb.TimeRange(start_time=start))
    until = pb.IncidentEventQueryFilter(timestamp=pb.TimeRange(end_time=end))
    counts = [
        scenario.client.incidents.ListIncidentEventsTotalCount(
            svc.ListIncidentEventsTotalCountRequest(filter=f)
        ).count.value
        for f in (after, until)
    ]
    assert counts == [
        len([ev for ev in world.events if ev.when > moment]),
        len([ev for ev in world.events if ev.when <= moment]),
    ]


def test_timestamp_range_over_server_stamped_events(scenario):
    world = scenario.world
    actions = [ev for ev in world.ordered() if ev.window is not None]
    matched = check_walk(world, EvFilt(start=actions[3].timestamp, end=actions[-3].timestamp), ASC)
    assert len(matched) >= len(actions) - 6


@pytest.mark.parametrize("key", ["zoné", 'we"ird'], ids=["non-ascii", "quote"])
def test_event_filter_on_label_keys_with_any_characters(server, key):
    """Label keys with any characters filter the snapshots (SQLite too, where a JSON path would break)."""
    world = World(new_client(server))
    start = _now().replace(microsecond=0) - timedelta(hours=3)
    world.report(
        *[
            alert(f"key-{j}", f"key-{j}-e", at=start + timedelta(minutes=j), contextual_labels={key: f"v{j}"})
            for j in range(3)
        ]
    )
    world.resolve_ids()
    values = wire_values(event_filter_values(world.client, None))
    assert values.contextual == {key: [("v0", 2), ("v1", 2), ("v2", 2)]}
    filt = EvFilt(contextual=((key, frozenset({"v1"})),))
    assert [ev.incident.key for ev in check_walk(world, filt)] == ["key-1", "key-1"]


# ---- paging ------------------------------------------------------------------------------------


@pytest.mark.parametrize("direction", [None, ASC])
@pytest.mark.parametrize("page_size", [1, 7, 50])
def test_paging_walks_every_match_once_in_order(scenario, direction, page_size):
    check_walk(scenario.world, ALL, direction, page_size)


def test_paging_a_filtered_listing(scenario):
    check_walk(scenario.world, EvFilt(statuses=frozenset({TRIGGERED_S}), is_muted=False), DESC, 4)


def test_default_page_size_is_50(scenario):
    found = walk(scenario.client, None)
    assert found.page_lengths[0] == 50
    assert event_ids(found) == [ev.id for ev in scenario.world.ordered(descending=True)]


def _first_token(client: Client, filt: EvFilt, direction: int | None) -> str:
    return next_page_token(client.incidents.ListIncidentEvents(events_request(filt, direction, 3)))


@pytest.mark.parametrize("kind", ["tampered", "garbage", "other-filter", "other-direction", "other-team"])
def test_bad_page_token_is_invalid_argument(scenario, kind):
    token = _first_token(scenario.client, ALL, DESC)
    filt, direction, client = ALL, DESC, scenario.client
    if kind == "tampered":
        token = tampered(token)
    elif kind == "garbage":
        token = "bm90LWEtdG9rZW4"
    elif kind == "other-filter":
        filt = EvFilt(is_muted=True)
    elif kind == "other-direction":
        direction = ASC
    else:
        client = scenario.other.client
    error = rpc_error(
        client.incidents.ListIncidentEvents,
        events_request(filt, direction, 3, token),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert any("page_token" in f for f in violated_fields(error))


@pytest.mark.parametrize(
    "order_by",
    [
        pb.ListIncidentEventRequestOrderBy(direction=7),
        pb.ListIncidentEventRequestOrderBy(field=3),
    ],
    ids=["unknown-direction", "unknown-field"],
)
def test_unknown_order_is_invalid_argument(scenario, order_by):
    request = svc.ListIncidentEventsRequest(order_by=order_by)
    error = rpc_error(scenario.client.incidents.ListIncidentEvents, request)
    assert any(f.startswith("order_by") for f in violated_fields(error))


def test_page_size_above_1000_means_1000(scenario):
    found = walk(scenario.client, None, ASC, 5000)
    assert found.page_lengths == [len(scenario.world.events)]


@pytest.mark.parametrize("direction", [DESC, ASC])
def test_events_recorded_while_paging_never_shift_the_walk(server, direction):
    world = build_world(server, prefix="walk", count=6, actions=False)
    world.resolve_ids()
    original = [ev.id for ev in world.ordered(descending=direction == DESC)]
    seen: list[str] = []
    token = ""
    for page in range(100):
        response = world.client.incidents.ListIncidentEvents(events_request(None, direction, 4, token))
        seen += [item.incident_event.id.value for item in response.items]
        token = response.pagination.next_page_token.value
        if not token:
            break
        # New events, stamped now: after every original one.
        world.client.ingestion.ReportAlertEvents(report(alert(f"walk-{page % 6}", f"walk-more-{page}")))
        world.client.ingestion.ReportAlertEvents(report(alert(f"fresh-{page}", f"fresh-{page}-e")))
    assert len(seen) == len(set(seen))
    if direction == DESC:
        assert seen == original
    else:
        assert seen[: len(original)] == original


def test_deleted_incident_events_disappear(server):
    world = build_world(server, prefix="del", count=3, actions=False)
    world.resolve_ids()
    gone = world.incidents[0]
    world.client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs([gone.id])))
    kept = [ev for ev in world.ordered(descending=True) if ev.incident is not gone]
    assert event_ids(walk(world.client, None)) == [ev.id for ev in kept]
    assert total_count(world.client, None) == (len(kept), False)
    assert wire_values(event_filter_values(world.client, None)) == model_values(kept)


# ---- TotalCount --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["all", *EVENT_FILTERS])
def test_total_count_counts_the_matches(scenario, name):
    filt = EVENT_FILTERS.get(name, ALL)
    assert total_count(scenario.client, filt) == (len(expected_events(scenario.world, filt)), False)


def test_total_count_of_an_unset_filter_counts_every_event_of_the_team(scenario):
    assert total_count(scenario.client, None) == (len(scenario.world.events), False)
    assert total_count(scenario.other.client, None) == (len(scenario.other.events), False)


def test_total_count_stops_at_10000_and_says_it_reached_the_limit(server):
    """9,500 alerts on 500 correlation keys: 9,500 UPSERT_STATE + 500 OPEN = 10,000 events exactly.

    Then one more alert passes the limit. (Alerts on existing incidents are the cheap way to many
    events: a few seconds per backend.)
    """
    client = new_client(server)
    start = _now().replace(microsecond=0) - timedelta(days=1)
    for call in range(10):
        events = [
            alert(f"many-{call}-{i % 50}", f"many-{call}-{i}", at=start + timedelta(seconds=call * 1000 + i))
            for i in range(500 if call == 9 else 1000)
        ]
        client.ingestion.ReportAlertEvents(report(*events))
    assert total_count(client, None) == (10_000, False)
    second_call = EvFilt(start=start + timedelta(seconds=1000), end=start + timedelta(seconds=2000))
    assert total_count(client, second_call) == (1050, False)
    client.ingestion.ReportAlertEvents(report(alert("many-9-0", "one-more", at=start + timedelta(seconds=9999))))
    assert total_count(client, None) == (10_000, True)
    assert total_count(client, second_call) == (1050, False)
    response = client.incidents.ListIncidentEvents(events_request(None, None, 5))
    assert response.pagination.total_size.value == 10_001
    assert response.items[0].cx_event_key.value == "one-more"


# ---- FilterValues ------------------------------------------------------------------------------


def _top(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:100]


def _unique_counts(pairs: list[tuple[Any, int]], what: str) -> dict[Any, int]:
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"{what}: a value is listed twice: {pairs}"
    return dict(pairs)


@dataclass
class Values:
    assignees: dict[str, int]
    statuses: dict[int, int]
    states: dict[int, int]
    severities: dict[int, int]
    contextual: dict[str, list[tuple[str, int]]]
    display: dict[str, list[tuple[str, int]]]
    meta: dict[tuple[str, str], int]


def model_values(events: Sequence[Ev]) -> Values:
    contextual: dict[str, Counter[str]] = defaultdict(Counter)
    display: dict[str, Counter[str]] = defaultdict(Counter)
    for ev in events:
        for key, value in ev.snap.contextual:
            contextual[key][value] += 1
        for key, value in ev.snap.display:
            display[key][value] += 1
    return Values(
        assignees={},
        statuses=dict(Counter(ev.snap.status for ev in events)),
        states=dict(Counter(ev.snap.state for ev in events)),
        severities=dict(Counter(ev.snap.severity for ev in events)),
        contextual={key: _top(counter) for key, counter in contextual.items()},
        display={key: _top(counter) for key, counter in display.items()},
        meta=dict(Counter(pair for ev in events for pair in set(ev.snap.meta))),
    )


def wire_values(values: pb.IncidentQueryFiltersValues) -> Values:
    meta_counts = [c.count.value for c in values.meta_labels_with_count]
    assert meta_counts == sorted(meta_counts, reverse=True), "meta labels are not most frequent first"
    return Values(
        assignees=_unique_counts([(c.assignee.value, c.count.value) for c in values.assignee_with_count], "assignee"),
        statuses=_unique_counts([(c.status, c.count.value) for c in values.status_with_count], "status"),
        states=_unique_counts([(c.state, c.count.value) for c in values.state_with_count], "state"),
        severities=_unique_counts([(c.severity, c.count.value) for c in values.severity_with_count], "severity"),
        contextual={
            key: [(v.contextual_label_value.value, v.count.value) for v in found.values_with_count]
            for key, found in values.contextual_labels.items()
        },
        display={
            key: [(v.display_label_value.value, v.count.value) for v in found.values_with_count]
            for key, found in values.display_labels.items()
        },
        meta=_unique_counts(
            [
                ((c.meta_label.key.value, c.meta_label.value.value), c.count.value)
                for c in values.meta_labels_with_count
            ],
            "meta label",
        ),
    )


@pytest.mark.parametrize("name", ["unset", "all", *EVENT_FILTERS])
def test_event_filter_values_count_the_matching_snapshots(scenario, name):
    filt = None if name == "unset" else EVENT_FILTERS.get(name, ALL)
    found = wire_values(event_filter_values(scenario.client, filt))
    assert found == model_values(expected_events(scenario.world, filt or ALL))


@pytest.mark.parametrize("operator", [pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED, pb.FILTER_OPERATOR_AND])
def test_event_filter_values_echo_the_labels_operator(scenario, operator):
    filt = EvFilt(meta=(("env", "prod"),), meta_and=operator == pb.FILTER_OPERATOR_AND)
    assert event_filter_values(scenario.client, filt).meta_labels_op == operator


def test_event_filter_values_within_a_time_range(scenario):
    world = scenario.world
    ordered = world.ordered()
    filt = EvFilt(start=ordered[5].timestamp, end=ordered[30].timestamp)
    found = wire_values(event_filter_values(scenario.client, filt))
    assert found == model_values(expected_events(world, filt))
    assert 0 < sum(found.statuses.values()) < 30


def test_event_filter_values_have_no_assignees(scenario):
    assert not event_filter_values(scenario.client, None).assignee_with_count


# ---- other teams -------------------------------------------------------------------------------


def test_other_teams_events_never_appear(scenario):
    mine = set(event_ids(walk(scenario.client, None, None, 1000)))
    theirs = set(event_ids(walk(scenario.other.client, None, None, 1000)))
    assert mine == {ev.id for ev in scenario.world.events}
    assert theirs == {ev.id for ev in scenario.other.events}
    assert not mine & theirs
    # Look-alike events of the other team match the same filters, and still stay out.
    filt = EvFilt(name="diskfull")
    assert set(event_ids(walk(scenario.client, filt, None, 1000))) <= mine
    assert total_count(scenario.client, filt)[0] == len(expected_events(scenario.world, filt))


def test_other_teams_events_never_count_in_filter_values(scenario):
    values = wire_values(event_filter_values(scenario.client, None))
    assert sum(values.statuses.values()) == len(scenario.world.events)


# ---- the property ------------------------------------------------------------------------------


def _label_filter(keys: dict[str, list[str]]) -> st.SearchStrategy[tuple[tuple[str, frozenset[str]], ...]]:
    entry = st.sampled_from(sorted(keys)).flatmap(
        lambda key: st.tuples(st.just(key), st.frozensets(st.sampled_from(keys[key]), min_size=1, max_size=2))
    )
    return st.lists(entry, max_size=2, unique_by=lambda item: item[0]).map(tuple)


def _event_filters(world: World) -> st.SearchStrategy[EvFilt]:
    times = sorted({ev.when for ev in world.events})
    moments = st.one_of(
        st.none(), st.sampled_from(times), st.sampled_from(times).map(lambda t: t + timedelta(seconds=1))
    )
    pairs = sorted({pair for ev in world.events for pair in ev.snap.meta} | {("env", "none")})
    return st.builds(
        EvFilt,
        statuses=st.frozensets(st.sampled_from(STATUSES), max_size=2),
        severities=st.frozensets(st.sampled_from(SEVERITIES), max_size=3),
        contextual=_label_filter({"region": ["eu", "us", "ap", "zz"], "cluster": ["c1", "c2"], "nokey": ["x"]}),
        display=_label_filter({"team": [*TEAMS, "ops"], "application_name": ["api", "web"]}),
        name=st.sampled_from([None, "e", "LEAK", "renamed", "manual", "x"]),
        is_muted=st.sampled_from([None, True, False]),
        start=moments,
        end=moments,
        meta=st.lists(st.sampled_from(pairs), max_size=2, unique=True).map(tuple),
        meta_and=st.booleans(),
    )


def test_random_event_filters_directions_and_page_sizes_match_the_model(scenario):
    world = scenario.world

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        filt=_event_filters(world),
        direction=st.sampled_from([None, UNSPECIFIED, ASC, DESC]),
        page_size=st.sampled_from([0, 3, 8, 20]),
    )
    def check(filt: EvFilt, direction: int | None, page_size: int) -> None:
        matched = check_walk(world, filt, direction, page_size)
        assert total_count(world.client, filt) == (len(matched), False)
        assert wire_values(event_filter_values(world.client, filt)) == model_values(matched)

    check()


def test_list_incident_events_names_every_bad_field_of_filter_and_order_at_once(client):
    request = svc.ListIncidentEventsRequest()
    request.filter.severity.append(99)
    request.order_by.direction = 7
    request.order_by.field = 3
    with pytest.raises(grpc.RpcError) as refused:
        client.incidents.ListIncidentEvents(request)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert sorted(violated_fields(refused.value)) == ["filter.severity", "order_by.direction", "order_by.field"]
