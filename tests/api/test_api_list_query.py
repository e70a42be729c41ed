"""ListIncidents as a query engine: every filter, every order and keyset pagination against a Python model.

SPEC section 6. One data set per backend (about 70 incidents built through the real API: alert events
with explicit timestamps, then acknowledge / resolve / close / assign / snooze) is read back with
BatchGetIncident into a Python model; each listing (all pages walked) must equal the model's filtered,
ordered result exactly, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import os
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import RESOLVED, TRIGGERED, alert, report, sv, svs, ts
from tests.conftest import Client, RunningServer, TeamFactory
from tests.support.calls import next_page_token, rpc_error
from tests.support.pages import Walk, walk_pages

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)

SEVERITY_RANK = {
    pb.INCIDENT_SEVERITY_INFO: 1,
    pb.INCIDENT_SEVERITY_LOW: 2,
    pb.INCIDENT_SEVERITY_WARNING: 3,
    pb.INCIDENT_SEVERITY_ERROR: 4,
    pb.INCIDENT_SEVERITY_CRITICAL: 5,
}
STATUS_RANK = {
    pb.INCIDENT_STATUS_TRIGGERED: 1,
    pb.INCIDENT_STATUS_ACKNOWLEDGED: 2,
    pb.INCIDENT_STATUS_RESOLVED: 3,
}
STATE_RANK = {pb.INCIDENT_STATE_TRIGGERED: 1, pb.INCIDENT_STATE_RESOLVED: 2}

# Meta labels whose keys and values overlap: a pair must match as an exact (key, value) pair.
META_POOL = [
    ("env", "prod"),
    ("env", "dev"),
    ("prod", "env"),
    ("tier", "gold"),
    ("tier", "tier"),
    ("gold", "x1"),
    ("team", "core"),
]
# The first incidents carry these, so a swapped pair and a key == value pair surely exist.
FORCED_META = [[("env", "prod")], [("prod", "env")], [("tier", "tier")], [("tier", "gold")]]
# Names with the LIKE metacharacters and mixed case (search tests); "plain" names are lowercase
# letters and digits only, so that ordering by name never depends on a collation.
FANCY_NAMES = [
    "Disk 100% Full",
    "CPU_Load high",
    "path C:\\Temp\\logs",
    "50%_off\\Sale",
    "a_b",
    "axb",
    "A%B",
    "aXXb",
    "back\\slash",
    "Under_Score",
    "Per%cent",
    "x\\_y",
    "x\\Ay",
    "MiXeD CaSe",
    "100 percent",
    "ab",
]
PLAIN_WORDS = ["disk", "cpu", "mem", "net", "latency"]


# ---- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    id: str
    name: str
    status: int
    state: int
    severity: int
    assignee: str | None
    app: str
    subsystem: str
    contextual: dict[str, str]
    display: dict[str, str]
    meta: tuple[tuple[str, str], ...]
    is_muted: bool
    created_at: datetime
    closed_at: datetime | None
    last_update: datetime | None


def _time(message: Any, name: str) -> datetime | None:
    return getattr(message, name).ToDatetime(tzinfo=UTC) if message.HasField(name) else None


def row_from_wire(incident: pb.Incident) -> Row:
    display = dict(incident.display_labels)
    created_at = _time(incident, "created_at")
    assert created_at is not None
    return Row(
        id=incident.id.value,
        name=incident.name.value,
        status=incident.status,
        state=incident.state,
        severity=incident.severity,
        assignee=incident.assignments[0].assigned_to.user_id.value if incident.assignments else None,
        app=display.get("application_name", ""),
        subsystem=display.get("subsystem_name", ""),
        contextual=dict(incident.contextual_labels),
        display=display,
        meta=tuple((m.key.value, m.value.value) for m in incident.meta_labels),
        is_muted=incident.is_muted.value,
        created_at=created_at,
        closed_at=_time(incident, "closed_at"),
        last_update=_time(incident, "last_state_update_time"),
    )


Range = tuple[datetime | None, datetime | None]


@dataclass
class Filter:
    """One IncidentQueryFilter, both as the wire message and as a Python predicate."""

    status: tuple[int, ...] = ()
    state: tuple[int, ...] = ()
    severity: tuple[int, ...] = ()
    assignee: tuple[str, ...] = ()
    application_name: tuple[str, ...] = ()
    subsystem_name: tuple[str, ...] = ()
    contextual_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    display_labels: dict[str, tuple[str, ...]] = field(default_factory=dict)
    meta_labels: tuple[tuple[str, str | None], ...] = ()
    meta_and: bool = False
    is_muted: bool | None = None
    created_range: Range | None = None  # created_at_range (present, each end optional)
    deprecated_range: Range | None = None  # the deprecated start_time / end_time
    duration_range: Range | None = None
    # (text, where): where is None (unset), an IncidentsFields number, or a contextual label key.
    search: tuple[str, int | str | None] | None = None

    def wire(self) -> pb.IncidentQueryFilter:
        f = pb.IncidentQueryFilter(
            status=list(self.status),
            state=list(self.state),
            severity=list(self.severity),
            assignee=svs(list(self.assignee)),
            application_name=svs(list(self.application_name)),
            subsystem_name=svs(list(self.subsystem_name)),
            meta_labels_op=pb.FILTER_OPERATOR_AND if self.meta_and else pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED,
        )
        for key, values in self.contextual_labels.items():
            f.contextual_labels[key].contextual_label_values.extend(svs(list(values)))
        for key, values in self.display_labels.items():
            f.display_labels[key].display_label_values.extend(svs(list(values)))
        for key, value in self.meta_labels:
            label = f.meta_labels.add(key=sv(key))
            if value is not None:
                label.value.value = value
        if self.is_muted is not None:
            f.is_muted.value = self.is_muted
        if self.created_range is not None:
            _set_range(f.created_at_range, self.created_range)
        if self.deprecated_range is not None:
            start, end = self.deprecated_range
            if start is not None:
                f.start_time.CopyFrom(ts(start))
            if end is not None:
                f.end_time.CopyFrom(ts(end))
        if self.duration_range is not None:
            _set_range(f.incident_duration_range, self.duration_range)
        if self.search is not None:
            text, where = self.search
            f.search_query.query.value = text
            if isinstance(where, int):
                f.search_query.incident_field = where
            elif isinstance(where, str):
                f.search_query.contextual_label.value = where
        return f

    def matches(self, r: Row) -> bool:
        if self.status and r.status not in self.status:
            return False
        if self.state and r.state not in self.state:
            return False
        if self.severity and r.severity not in self.severity:
            return False
        if self.assignee and r.assignee not in self.assignee:
            return False
        if self.application_name and r.app not in self.application_name:
            return False
        if self.subsystem_name and r.subsystem not in self.subsystem_name:
            return False
        for labels, wanted in ((r.contextual, self.contextual_labels), (r.display, self.display_labels)):
            for key, values in wanted.items():
                if values and labels.get(key) not in values:
                    return False
        if self.meta_labels:
            hits = [
                any(k == key and (value is None or v == value) for k, v in r.meta) for key, value in self.meta_labels
            ]
            if not (all(hits) if self.meta_and else any(hits)):
                return False
        if self.is_muted is not None and r.is_muted != self.is_muted:
            return False
        created = self.created_range if self.created_range is not None else self.deprecated_range
        if created is not None:
            start, end = created
            if start is not None and r.created_at < start:
                return False
            if end is not None and r.created_at >= end:
                return False
        if self.duration_range is not None:
            start, end = self.duration_range
            if end is not None and r.created_at > end:
                return False
            if start is not None and r.closed_at is not None and r.closed_at < start:
                return False
        if self.search is not None:
            text, where = self.search
            target: str | None
            if where is None or where in (pb.INCIDENTS_FIELDS_UNSPECIFIED, pb.INCIDENTS_FIELDS_NAME):
                target = r.name
            elif where == pb.INCIDENTS_FIELDS_ID:
                target = r.id
            elif where == pb.INCIDENTS_FIELDS_APPLICATION_NAME:
                target = r.app
            elif where == pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME:
                target = r.subsystem
            else:
                assert isinstance(where, str)
                target = r.contextual.get(where)
            if target is None or text.lower() not in target.lower():
                return False
        return True


def _set_range(message: pb.TimeRange, value: Range) -> None:
    message.SetInParent()
    start, end = value
    if start is not None:
        message.start_time.CopyFrom(ts(start))
    if end is not None:
        message.end_time.CopyFrom(ts(end))


# An order key: (IncidentsFields number or contextual label key, direction enum value).
Order = tuple[int | str, int]


def order_wire(orders: Sequence[Order]) -> list[pb.OrderBy]:
    out = []
    for what, direction in orders:
        if isinstance(what, str):
            out.append(pb.OrderBy(direction=direction, contextual_label=sv(what)))
        else:
            out.append(pb.OrderBy(direction=direction, incident_field=what))
    return out


def sort_value(r: Row, what: int | str) -> Any:
    if isinstance(what, str):
        return r.contextual.get(what, "")
    return {
        pb.INCIDENTS_FIELDS_ID: lambda: r.id,
        pb.INCIDENTS_FIELDS_SEVERITY: lambda: SEVERITY_RANK[r.severity],
        pb.INCIDENTS_FIELDS_NAME: lambda: r.name,
        pb.INCIDENTS_FIELDS_CREATED_TIME: lambda: r.created_at,
        pb.INCIDENTS_FIELDS_CLOSED_TIME: lambda: r.closed_at or FAR_FUTURE,
        pb.INCIDENTS_FIELDS_STATE: lambda: STATE_RANK[r.state],
        pb.INCIDENTS_FIELDS_STATUS: lambda: STATUS_RANK[r.status],
        pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME: lambda: r.last_update or FAR_FUTURE,
        pb.INCIDENTS_FIELDS_APPLICATION_NAME: lambda: r.app,
        pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME: lambda: r.subsystem,
        # Only used on closed incidents (an open one's duration moves with the clock).
        pb.INCIDENTS_FIELDS_DURATION: lambda: (r.closed_at or FAR_FUTURE) - r.created_at,
    }[what]()


def full_order(orders: Sequence[Order]) -> list[tuple[int | str, bool]]:
    """The requested keys (descending?) plus the created_at, id tie-breakers in the last key's direction."""
    if not orders:
        return [(pb.INCIDENTS_FIELDS_CREATED_TIME, True), (pb.INCIDENTS_FIELDS_ID, True)]
    keys = [(what, direction == pb.ORDER_BY_DIRECTION_DESC) for what, direction in orders]
    last_descending = keys[-1][1]
    for tie_breaker in (pb.INCIDENTS_FIELDS_CREATED_TIME, pb.INCIDENTS_FIELDS_ID):
        if all(what != tie_breaker for what, _ in keys):
            keys.append((tie_breaker, last_descending))
    return keys


def model_order(rows: Sequence[Row], orders: Sequence[Order]) -> list[Row]:
    result = list(rows)
    for what, descending in reversed(full_order(orders)):  # stable sorts, least significant key first
        result.sort(key=lambda r, what=what: sort_value(r, what), reverse=descending)
    return result


# ---- the data set ------------------------------------------------------------------------------


@dataclass
class DataSet:
    client: Client
    teams: TeamFactory
    backend: str
    rows: list[Row]
    by_id: dict[str, Row] = field(init=False)

    def __post_init__(self) -> None:
        self.by_id = {r.id: r for r in self.rows}

    def expected(self, flt: Filter, orders: Sequence[Order] = ()) -> list[str]:
        return [r.id for r in model_order([r for r in self.rows if flt.matches(r)], orders)]

    def created_times(self) -> list[datetime]:
        return sorted({r.created_at for r in self.rows})

    def closed_times(self) -> list[datetime]:
        return sorted({r.closed_at for r in self.rows if r.closed_at is not None})


def _build(server: RunningServer) -> DataSet:
    teams = TeamFactory(server)
    client = teams.team("builder@example.com")
    rng = random.Random(20240611)
    now = datetime.now(UTC)
    base = (now - timedelta(hours=3)).replace(microsecond=0)
    fates = ["open", "open", "ack", "resolve", "alert_resolve", "reopen", "close", "ack_close"]
    plan: list[dict[str, Any]] = []
    events: list[api.AlertEvent] = []
    at = base
    for i in range(64):
        fancy = i % 4 == 3
        if i % 9 != 1:  # every ninth incident shares created_at with the one before (tie-breaking)
            at = base + timedelta(minutes=i, microseconds=(i * 104_729) % 1_000_000)
        fate = rng.choice(fates)
        contextual = {"kind": "fancy" if fancy else "plain", "fate": fate}
        if rng.random() < 0.75:
            contextual["region"] = rng.choice(["eu1", "us1", "ap1"])
        if rng.random() < 0.5:
            contextual["team"] = rng.choice(["core", "edge"])
        display = {}
        if rng.random() < 0.6:
            display["dashboard"] = rng.choice(["d1", "d2", "d3"])
        if rng.random() < 0.5:
            display["owner"] = rng.choice(["o1", "o2"])
        meta = FORCED_META[i] if i < len(FORCED_META) else rng.sample(META_POOL, k=rng.randint(0, 3))
        fields = {
            "name": FANCY_NAMES[(i // 4) % len(FANCY_NAMES)]
            if fancy
            else rng.choice(PLAIN_WORDS) + rng.choice(["", "1", "2", "x9"]),
            "severity": rng.choice(list(SEVERITY_RANK)),
            "application_name": rng.choice(["billing", "checkout", "search", "auth", ""]),
            "subsystem_name": rng.choice(["api", "worker", "db", "cache", ""]),
            "contextual_labels": contextual,
            "display_labels": display,
            "is_muted": rng.random() < 0.2,
        }
        key = f"corr-{i}"
        events.append(alert(key, f"{key}-0", at=at, **fields))
        events[-1].meta_labels.extend(pb.MetaLabel(key=sv(k), value=sv(v)) for k, v in meta)
        plan.append({"key": key, "fate": fate, "at": at, "fields": fields, "follow_up": i % 5 == 2})
    results = client.ingestion.ReportAlertEvents(report(*events)).results
    assert len({r.incident_id for r in results}) == 64
    for entry, result in zip(plan, results, strict=True):
        entry["id"] = result.incident_id

    # Later alert events: a changed severity and mute, a resolve, a resolve then a re-trigger.
    later: list[api.AlertEvent] = []
    for entry in plan:
        key, t, fields = entry["key"], entry["at"], entry["fields"]
        if entry["follow_up"]:
            changed = dict(fields, severity=rng.choice(list(SEVERITY_RANK)), is_muted=not fields["is_muted"])
            later.append(alert(key, f"{key}-1", at=t + timedelta(seconds=20), **changed))
        if entry["fate"] in ("alert_resolve", "reopen"):
            later.append(alert(key, f"{key}-2", state=RESOLVED, at=t + timedelta(seconds=40), **fields))
        if entry["fate"] == "reopen":
            later.append(alert(key, f"{key}-3", state=TRIGGERED, at=t + timedelta(seconds=50), **fields))
    client.ingestion.ReportAlertEvents(report(*later))

    # Incidents created by hand: created_at = now, no last_state_update_time.
    for n, assignee in enumerate(["", "dave@example.com", "", "alice@example.com"]):
        created = client.management.CreateIncident(
            api.CreateIncidentRequest(
                name=f"manual{n}",
                severity=list(SEVERITY_RANK)[n],
                contextual_labels={"kind": "plain", "fate": "manual", "region": ["eu1", "us1"][n % 2]},
                display_labels={"dashboard": "d1"} if n % 2 else {},
                meta_labels=[pb.MetaLabel(key=sv("env"), value=sv("prod"))] if n == 0 else [],
                application_name=["billing", ""][n % 2],
                subsystem_name="api",
                assignee=assignee,
            )
        ).incident
        plan.append({"id": created.id.value, "fate": "manual", "key": None})

    by_fate: dict[str, list[str]] = {}
    for entry in plan:
        by_fate.setdefault(entry["fate"], []).append(entry["id"])
    incidents = client.incidents
    assignable = by_fate.get("open", []) + by_fate.get("ack", []) + by_fate.get("close", [])
    for n, incident_id in enumerate(assignable):
        if rng.random() < 0.6:
            who = ["alice@example.com", "bob@example.com", "carol@example.com"][n % 3]
            incidents.AssignIncidents(
                svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv(who)), incident_ids=svs([incident_id]))
            )
    incidents.AcknowledgeIncidents(
        svc.AcknowledgeIncidentsRequest(incident_ids=svs(by_fate["ack"] + by_fate["ack_close"]))
    )
    incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=svs(by_fate["resolve"])))
    closing = by_fate["close"] + by_fate["ack_close"]
    half = len(closing) // 2
    incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs(closing[:half])))
    incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs(closing[half:])))
    snoozed = [i for i in by_fate["open"] + by_fate["ack"] + by_fate["reopen"] if rng.random() < 0.35]
    client.management.SnoozeIncidents(api.SnoozeIncidentsRequest(incident_ids=snoozed, duration_minutes=600))

    ids = [entry["id"] for entry in plan]
    found = incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(ids)))
    assert not found.not_found_ids
    rows = [row_from_wire(found.incidents[i]) for i in ids]
    return DataSet(client, teams, server.engine.dialect.name, rows)


@pytest.fixture(scope="module")
def dataset(server: RunningServer) -> Iterator[DataSet]:
    ds = _build(server)
    # The data set must exercise what the tests rely on.
    assert len(ds.rows) == 68
    assert {r.status for r in ds.rows} == set(STATUS_RANK)
    assert {r.state for r in ds.rows} == set(STATE_RANK)
    assert {r.severity for r in ds.rows} == set(SEVERITY_RANK)
    assert {r.is_muted for r in ds.rows} == {True, False}
    assert sum(r.closed_at is not None for r in ds.rows) >= 5
    assert sum(r.last_update is None for r in ds.rows) == 4
    assert len({r.assignee for r in ds.rows}) >= 4
    assert len(ds.created_times()) < len(ds.rows)  # some incidents share created_at
    yield ds


# ---- listing helpers ---------------------------------------------------------------------------


def list_page(
    client: Client,
    flt: pb.IncidentQueryFilter,
    orders: Sequence[Order],
    page_size: int | None,
    token: str = "",
) -> svc.ListIncidentsResponse:
    request = svc.ListIncidentsRequest(filter=flt, order_bys=order_wire(orders))
    if page_size is not None:
        request.pagination.page_size.value = page_size
    if token:
        request.pagination.page_token.value = token
    return client.incidents.ListIncidents(request)


def walk(
    client: Client,
    flt: pb.IncidentQueryFilter,
    orders: Sequence[Order] = (),
    page_size: int | None = None,
    between_pages: Callable[[svc.ListIncidentsResponse], None] | None = None,
) -> Walk[str]:
    """The ids of every page of ListIncidents, following next_page_token; a list shows no events."""

    def ids(response: svc.ListIncidentsResponse) -> list[str]:
        assert all(not incident.events for incident in response.incidents)
        return [incident.id.value for incident in response.incidents]

    return walk_pages(lambda token: list_page(client, flt, orders, page_size, token), ids, between_pages, most=500)


def describe(ds: DataSet, ids: Sequence[str], orders: Sequence[Order]) -> list[tuple[Any, ...]]:
    keys = full_order(orders)
    return [tuple(sort_value(ds.by_id[i], what) for what, _ in keys) for i in ids]


def assert_listing(ds: DataSet, flt: Filter, orders: Sequence[Order] = (), page_size: int | None = 7) -> list[str]:
    expected = ds.expected(flt, orders)
    got = walk(ds.client, flt.wire(), orders, page_size)
    if got.items != expected:
        missing = set(expected) - set(got.items)
        extra = set(got.items) - set(expected)
        detail = (
            f"expected sort values {describe(ds, expected, orders)}\n"
            f"got sort values      {describe(ds, [i for i in got.items if i in ds.by_id], orders)}\n"
            f"missing {[ds.by_id[i] for i in missing]}\nextra {[ds.by_id.get(i, i) for i in extra]}\n"
            f"duplicates {len(got.items) - len(set(got.items))}"
        )
        assert got.items == expected, detail
    assert set(got.totals) == {len(expected)}, got.totals
    limit = 50 if not page_size else min(page_size, 1000)
    assert all(len(page) <= limit for page in got.pages)
    return expected


def violated_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None, "no google.rpc.Status in the trailers"
    fields = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            fields.extend(v.field for v in bad_request.field_violations)
    return fields


# ---- 1. one test per filter field --------------------------------------------------------------


def _nth_created(ds: DataSet, n: int) -> datetime:
    return ds.created_times()[n]


def _shared_created_at(ds: DataSet) -> datetime:
    counts: dict[datetime, int] = {}
    for r in ds.rows:
        counts[r.created_at] = counts.get(r.created_at, 0) + 1
    return min(t for t, n in counts.items() if n > 1)


def _absent(count: int) -> tuple[str, ...]:
    return tuple(f"absent-{i}" for i in range(count))


def _absent_pairs(count: int) -> tuple[tuple[str, str | None], ...]:
    return tuple((f"absent-{i}", "x" if i % 2 else None) for i in range(count))


def _id_fragment(ds: DataSet) -> str:
    return ds.rows[5].id[9:13].upper()


FILTER_CASES: dict[str, Callable[[DataSet], Filter]] = {
    "none": lambda ds: Filter(),
    "status_one": lambda ds: Filter(status=(pb.INCIDENT_STATUS_ACKNOWLEDGED,)),
    "status_two": lambda ds: Filter(status=(pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_STATUS_RESOLVED)),
    "state": lambda ds: Filter(state=(pb.INCIDENT_STATE_RESOLVED,)),
    "state_both": lambda ds: Filter(state=(pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATE_RESOLVED)),
    "severity": lambda ds: Filter(severity=(pb.INCIDENT_SEVERITY_LOW, pb.INCIDENT_SEVERITY_CRITICAL)),
    "assignee": lambda ds: Filter(assignee=("alice@example.com", "dave@example.com")),
    "assignee_absent": lambda ds: Filter(assignee=("nobody@example.com",)),
    "application_name": lambda ds: Filter(application_name=("billing", "auth", "ghost")),
    "subsystem_name": lambda ds: Filter(subsystem_name=("db",)),
    "contextual_one_key": lambda ds: Filter(contextual_labels={"region": ("eu1", "ap1")}),
    "contextual_two_keys": lambda ds: Filter(contextual_labels={"region": ("us1",), "team": ("core", "edge")}),
    "contextual_key_without_values": lambda ds: Filter(contextual_labels={"region": (), "team": ("edge",)}),
    "contextual_absent_key": lambda ds: Filter(contextual_labels={"nosuchkey": ("eu1",)}),
    "display_labels": lambda ds: Filter(display_labels={"dashboard": ("d1", "d3"), "owner": ("o2",)}),
    "display_app_name": lambda ds: Filter(display_labels={"application_name": ("checkout",)}),
    "meta_or": lambda ds: Filter(meta_labels=(("env", "dev"), ("team", "core"))),
    "meta_and": lambda ds: Filter(meta_labels=(("env", "prod"), ("tier", "gold")), meta_and=True),
    "meta_key_only": lambda ds: Filter(meta_labels=(("tier", None),)),
    "meta_key_only_and": lambda ds: Filter(meta_labels=(("env", None), ("tier", None)), meta_and=True),
    "meta_absent_value": lambda ds: Filter(meta_labels=(("env", "nope"),)),
    "meta_swapped_pair": lambda ds: Filter(meta_labels=(("prod", "env"),)),
    "meta_key_equals_value": lambda ds: Filter(meta_labels=(("tier", "tier"),)),
    # Past CONTAINMENT_MAX_VALUES values PostgreSQL answers with array parameters: the same answers.
    "assignee_many": lambda ds: Filter(assignee=("alice@example.com", *_absent(12))),
    "application_name_many": lambda ds: Filter(application_name=("billing", "auth", *_absent(12))),
    "contextual_many_values": lambda ds: Filter(contextual_labels={"region": ("eu1", "ap1", *_absent(12))}),
    "display_many_values": lambda ds: Filter(display_labels={"dashboard": ("d1", *_absent(12))}),
    "meta_or_many": lambda ds: Filter(meta_labels=(("env", "dev"), ("tier", None), *_absent_pairs(12))),
    "meta_or_many_swapped": lambda ds: Filter(meta_labels=(("prod", "env"), *_absent_pairs(12))),
    "meta_and_many": lambda ds: Filter(
        meta_labels=(("env", "prod"), ("tier", "gold"), ("env", None), *[("tier", "gold")] * 9), meta_and=True
    ),
    "meta_and_many_one_absent": lambda ds: Filter(
        meta_labels=(("env", "prod"), *[("tier", None)] * 9, ("absent", None)), meta_and=True
    ),
    "is_muted_true": lambda ds: Filter(is_muted=True),
    "is_muted_false": lambda ds: Filter(is_muted=False),
    "created_range_both": lambda ds: Filter(created_range=(_nth_created(ds, 10), _nth_created(ds, 30))),
    "created_range_start": lambda ds: Filter(created_range=(_nth_created(ds, 40), None)),
    "created_range_end": lambda ds: Filter(created_range=(None, _nth_created(ds, 12))),
    "created_range_shared_instant": lambda ds: Filter(
        created_range=(_shared_created_at(ds), _shared_created_at(ds) + timedelta(microseconds=1))
    ),
    "created_range_empty_message": lambda ds: Filter(created_range=(None, None)),
    "deprecated_start_end": lambda ds: Filter(deprecated_range=(_nth_created(ds, 5), _nth_created(ds, 25))),
    "deprecated_start_only": lambda ds: Filter(deprecated_range=(_nth_created(ds, 50), None)),
    "deprecated_ignored_when_range_set": lambda ds: Filter(
        created_range=(_nth_created(ds, 20), None), deprecated_range=(None, _nth_created(ds, 10))
    ),
    "duration_range_both": lambda ds: Filter(
        duration_range=(ds.closed_times()[len(ds.closed_times()) // 2], _nth_created(ds, 30))
    ),
    "duration_range_before_closes": lambda ds: Filter(duration_range=(_nth_created(ds, 3), _nth_created(ds, 20))),
    "duration_range_after_closes": lambda ds: Filter(
        duration_range=(ds.closed_times()[-1] + timedelta(seconds=1), None)
    ),
    "duration_range_end_only": lambda ds: Filter(duration_range=(None, _nth_created(ds, 8))),
    "search_name_default": lambda ds: Filter(search=("DISK", None)),
    "search_name_percent": lambda ds: Filter(search=("%", pb.INCIDENTS_FIELDS_NAME)),
    "search_name_underscore": lambda ds: Filter(search=("a_b", None)),
    "search_name_backslash": lambda ds: Filter(search=("\\", None)),
    "search_name_backslash_underscore": lambda ds: Filter(search=("X\\_", None)),
    "search_name_percent_b": lambda ds: Filter(search=("a%b", None)),
    "search_name_unspecified_field": lambda ds: Filter(search=("cpu", pb.INCIDENTS_FIELDS_UNSPECIFIED)),
    "search_id": lambda ds: Filter(search=(_id_fragment(ds), pb.INCIDENTS_FIELDS_ID)),
    "search_application_name": lambda ds: Filter(search=("ChEcK", pb.INCIDENTS_FIELDS_APPLICATION_NAME)),
    "search_subsystem_name": lambda ds: Filter(search=("ORK", pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME)),
    "search_contextual_label": lambda ds: Filter(search=("U", "region")),
    "search_absent_label": lambda ds: Filter(search=("e", "nosuchkey")),
    "search_no_match": lambda ds: Filter(search=("zzzz%", None)),
    "combined": lambda ds: Filter(
        status=(pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_STATUS_ACKNOWLEDGED),
        severity=(pb.INCIDENT_SEVERITY_ERROR, pb.INCIDENT_SEVERITY_WARNING, pb.INCIDENT_SEVERITY_INFO),
        contextual_labels={"kind": ("plain",)},
        created_range=(_nth_created(ds, 2), None),
    ),
}


MATCHES_NOTHING = {
    "assignee_absent",
    "meta_and_many_one_absent",
    "contextual_absent_key",
    "meta_absent_value",
    "search_absent_label",
    "search_no_match",
}
MATCHES_EVERYTHING = {"none", "created_range_empty_message", "state_both"}


@pytest.mark.parametrize("case", FILTER_CASES)
def test_filter_field_matches_the_model(dataset: DataSet, case: str) -> None:
    flt = FILTER_CASES[case](dataset)
    expected = assert_listing(dataset, flt, page_size=9)
    # The data set makes each case non-trivial: some incidents match and some do not.
    if case not in MATCHES_NOTHING:
        assert expected, "the case matches nothing: the data set does not exercise it"
    if case not in MATCHES_EVERYTHING:
        assert len(expected) < len(dataset.rows), "the case matches everything"


def test_created_at_range_bounds_keep_their_nanoseconds(dataset: DataSet) -> None:
    """start <= created_at < end with the bounds as sent: created_at + 1 ns is after created_at."""
    moment = _shared_created_at(dataset)
    at_moment = {r.id for r in dataset.rows if r.created_at == moment}
    start_after = pb.IncidentQueryFilter()
    start_after.created_at_range.start_time.CopyFrom(ts(moment))
    start_after.created_at_range.start_time.nanos += 1
    end_after = pb.IncidentQueryFilter()
    end_after.created_at_range.end_time.CopyFrom(ts(moment))
    end_after.created_at_range.end_time.nanos += 1
    starting = set(walk(dataset.client, start_after, page_size=100).items)
    ending = set(walk(dataset.client, end_after, page_size=100).items)
    problems = []
    if at_moment & starting:
        problems.append("start = created_at + 1ns still matches the incidents created at created_at")
    if not at_moment <= ending:
        problems.append("end = created_at + 1ns excludes the incidents created at created_at")
    assert not problems, problems


def test_search_treats_like_metacharacters_as_plain_characters(dataset: DataSet) -> None:
    names = {r.name for r in dataset.rows}
    assert {"a_b", "axb", "A%B", "aXXb", "x\\_y", "x\\Ay"} <= names
    for text, want in [("a_b", {"a_b"}), ("a%b", {"A%B"}), ("x\\_", {"x\\_y"}), ("\\a", {"x\\Ay"})]:
        got = walk(dataset.client, Filter(search=(text, None)).wire(), page_size=100).items
        assert {dataset.by_id[i].name for i in got} == want, text


def test_meta_label_pair_filter_matches_exact_pairs_only(dataset: DataSet) -> None:
    """A meta label (key, value) filter matches that exact pair, not one that merely holds both strings."""
    # Regression: PostgreSQL once answered this with JSONB containment alone, which ignores the order
    # inside the pair ((prod, env) matched a stored (env, prod); (tier, tier) matched (tier, gold)).
    rows = dataset.by_id
    for key, value in [("prod", "env"), ("tier", "tier"), ("env", "prod")]:
        got = walk(dataset.client, Filter(meta_labels=((key, value),)).wire(), page_size=100).items
        wrong = [rows[i].meta for i in got if (key, value) not in rows[i].meta]
        assert not wrong, f"filter ({key}, {value}) matched incidents with meta labels {wrong}"


# ---- 1b. one test per order field, both directions ---------------------------------------------

ORDER_FIELDS: dict[str, int | str] = {
    "id": pb.INCIDENTS_FIELDS_ID,
    "severity": pb.INCIDENTS_FIELDS_SEVERITY,
    "name": pb.INCIDENTS_FIELDS_NAME,
    "created_time": pb.INCIDENTS_FIELDS_CREATED_TIME,
    "closed_time": pb.INCIDENTS_FIELDS_CLOSED_TIME,
    "state": pb.INCIDENTS_FIELDS_STATE,
    "status": pb.INCIDENTS_FIELDS_STATUS,
    "last_state_update_time": pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
    "application_name": pb.INCIDENTS_FIELDS_APPLICATION_NAME,
    "subsystem_name": pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
    "contextual_label": "region",
}
DIRECTIONS = {
    "asc": pb.ORDER_BY_DIRECTION_ASC,
    "unspecified": pb.ORDER_BY_DIRECTION_UNSPECIFIED,
    "desc": pb.ORDER_BY_DIRECTION_DESC,
}
PLAIN_ONLY = {"kind": ("plain",)}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("which", ORDER_FIELDS)
def test_order_field_matches_the_model(dataset: DataSet, which: str, direction: str) -> None:
    orders: list[Order] = [(ORDER_FIELDS[which], DIRECTIONS[direction])]
    # Names: only the lowercase-and-digits ones, so the order never depends on a collation.
    flt = Filter(contextual_labels=PLAIN_ONLY) if which == "name" else Filter()
    expected = assert_listing(dataset, flt, orders, page_size=6)
    assert len(expected) >= 40


def test_order_by_duration_of_closed_incidents(dataset: DataSet) -> None:
    closed = Filter(contextual_labels={"fate": ("close", "ack_close")})
    assert all(dataset.by_id[i].closed_at is not None for i in dataset.expected(closed))
    for direction in (pb.ORDER_BY_DIRECTION_ASC, pb.ORDER_BY_DIRECTION_DESC):
        assert_listing(dataset, closed, [(pb.INCIDENTS_FIELDS_DURATION, direction)], page_size=3)


def test_order_by_duration_puts_longer_open_incidents_by_age(dataset: DataSet) -> None:
    """Open incidents last now - created_at: the oldest is the longest, whatever the exact clock."""
    still_open = Filter(contextual_labels={"fate": ("open", "ack", "reopen")})
    orders: list[Order] = [(pb.INCIDENTS_FIELDS_DURATION, pb.ORDER_BY_DIRECTION_DESC)]
    got = walk(dataset.client, still_open.wire(), orders, page_size=4).items
    # Equal created_at means equal duration: tie-breakers created_at desc (equal), then id desc.
    matching = sorted((r for r in dataset.rows if still_open.matches(r)), key=lambda r: r.id, reverse=True)
    expected = [r.id for r in sorted(matching, key=lambda r: r.created_at)]
    assert len(expected) >= 10
    assert got == expected


def test_multi_key_order_and_tie_breaker_direction(dataset: DataSet) -> None:
    for orders in (
        [(pb.INCIDENTS_FIELDS_SEVERITY, pb.ORDER_BY_DIRECTION_DESC), (pb.INCIDENTS_FIELDS_STATE, 0)],
        [(pb.INCIDENTS_FIELDS_STATUS, pb.ORDER_BY_DIRECTION_ASC), ("team", pb.ORDER_BY_DIRECTION_DESC)],
        [(pb.INCIDENTS_FIELDS_ID, pb.ORDER_BY_DIRECTION_ASC), (pb.INCIDENTS_FIELDS_CREATED_TIME, 2)],
        [(pb.INCIDENTS_FIELDS_CREATED_TIME, pb.ORDER_BY_DIRECTION_ASC), (pb.INCIDENTS_FIELDS_SEVERITY, 2)],
        [("nosuchkey", pb.ORDER_BY_DIRECTION_DESC), (pb.INCIDENTS_FIELDS_APPLICATION_NAME, 1)],
    ):
        assert_listing(dataset, Filter(), orders, page_size=5)


# ---- pagination --------------------------------------------------------------------------------


def test_page_size_defaults_and_caps(dataset: DataSet) -> None:
    total = len(dataset.rows)
    assert total > 50
    expected = dataset.expected(Filter())
    for size in (None, 0):
        first = list_page(dataset.client, pb.IncidentQueryFilter(), (), size)
        assert [i.id.value for i in first.incidents] == expected[:50]
        assert first.pagination.next_page_token.value
        assert first.pagination.total_size.value == total
    for size in (1000, 1001, 5000, 2**32 - 1):
        page = list_page(dataset.client, pb.IncidentQueryFilter(), (), size)
        assert [i.id.value for i in page.incidents] == expected
        assert page.pagination.next_page_token.value == ""
    one = walk(dataset.client, pb.IncidentQueryFilter(), (), 1)
    assert one.items == expected and all(len(p) == 1 for p in one.pages)


def test_empty_result_is_one_empty_page(dataset: DataSet) -> None:
    response = list_page(dataset.client, Filter(assignee=("nobody",)).wire(), (), 5)
    assert list(response.incidents) == []
    assert response.pagination.total_size.value == 0
    assert response.pagination.next_page_token.value == ""


def test_page_size_may_change_between_pages(dataset: DataSet) -> None:
    """The token belongs to the filter and order; AIP-158 lets the page size change."""
    orders: list[Order] = [(pb.INCIDENTS_FIELDS_SEVERITY, pb.ORDER_BY_DIRECTION_DESC)]
    flt = Filter(state=(pb.INCIDENT_STATE_TRIGGERED,))
    expected = dataset.expected(flt, orders)
    ids, token, sizes = [], "", iter([3, 10, 1, 7, 25, 2] * 20)
    while True:
        response = list_page(dataset.client, flt.wire(), orders, next(sizes), token)
        ids.extend(i.id.value for i in response.incidents)
        token = response.pagination.next_page_token.value
        if not token:
            break
    assert ids == expected


# ---- 2. the property ---------------------------------------------------------------------------

SORTABLE: list[int | str] = [
    pb.INCIDENTS_FIELDS_ID,
    pb.INCIDENTS_FIELDS_SEVERITY,
    pb.INCIDENTS_FIELDS_NAME,
    pb.INCIDENTS_FIELDS_CREATED_TIME,
    pb.INCIDENTS_FIELDS_CLOSED_TIME,
    pb.INCIDENTS_FIELDS_STATE,
    pb.INCIDENTS_FIELDS_STATUS,
    pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
    pb.INCIDENTS_FIELDS_APPLICATION_NAME,
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
    "region",
    "team",
    "fate",
    "nosuchkey",
]
SEARCH_FIELDS: list[int | str | None] = [
    None,
    pb.INCIDENTS_FIELDS_UNSPECIFIED,
    pb.INCIDENTS_FIELDS_NAME,
    pb.INCIDENTS_FIELDS_ID,
    pb.INCIDENTS_FIELDS_APPLICATION_NAME,
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
    "region",
    "team",
    "nosuchkey",
]


def _some(draw: Any, values: Sequence[Any], max_size: int = 3) -> tuple[Any, ...]:
    return tuple(draw(st.lists(st.sampled_from(list(values)), min_size=1, max_size=max_size, unique=True)))


def _maybe(draw: Any, probability_in_ten: int = 3) -> bool:
    return bool(draw(st.integers(0, 9)) < probability_in_ten)


def _label_filter(draw: Any, labels: list[dict[str, str]], exclude: set[str]) -> dict[str, tuple[str, ...]]:
    keys = [*sorted({k for labels_ in labels for k in labels_} - exclude), "absentkey"]
    chosen = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=2, unique=True))
    out = {}
    for key in chosen:
        values = [*sorted({labels_[key] for labels_ in labels if key in labels_}), "zz9"]
        out[key] = tuple(draw(st.lists(st.sampled_from(values), min_size=0, max_size=2, unique=True)))
    return out


def _instant(draw: Any, ds: DataSet) -> datetime:
    moments = ds.created_times() + ds.closed_times()
    moment = draw(st.sampled_from(moments))
    return moment + draw(st.sampled_from([timedelta(0), timedelta(microseconds=1), -timedelta(seconds=30)]))


def _range(draw: Any, ds: DataSet) -> Range:
    start = _instant(draw, ds) if draw(st.booleans()) else None
    end = _instant(draw, ds) if draw(st.booleans()) else None
    return start, end


def _search_text(draw: Any, ds: DataSet, where: int | str | None) -> str:
    if where == pb.INCIDENTS_FIELDS_ID:
        source = draw(st.sampled_from(ds.rows)).id
    elif where == pb.INCIDENTS_FIELDS_APPLICATION_NAME:
        source = draw(st.sampled_from(["billing", "checkout", "search", "auth", "nothere"]))
    elif where == pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME:
        source = draw(st.sampled_from(["api", "worker", "db", "cache", "nothere"]))
    elif isinstance(where, str):
        source = draw(st.sampled_from(["eu1", "us1", "ap1", "core", "edge", "nothere"]))
    else:
        source = draw(st.sampled_from([r.name for r in ds.rows] + ["%", "_", "\\", "a_b", "50%_", "nothere"]))
    start = draw(st.integers(0, max(0, len(source) - 1)))
    end = draw(st.integers(start + 1, len(source)))
    text = source[start:end]
    return draw(st.sampled_from([text, text.upper(), text.lower(), text.swapcase()]))


@st.composite
def filters(draw: Any, ds: DataSet) -> Filter:
    f = Filter()
    rows = ds.rows
    if _maybe(draw):
        f.status = _some(draw, list(STATUS_RANK), 2)
    if _maybe(draw):
        f.state = _some(draw, list(STATE_RANK), 1)
    if _maybe(draw):
        f.severity = _some(draw, list(SEVERITY_RANK))
    if _maybe(draw, 2):
        f.assignee = _some(draw, [*sorted({r.assignee for r in rows if r.assignee}), "nobody@example.com"])
    if _maybe(draw, 2):
        f.application_name = _some(draw, [*sorted({r.app for r in rows if r.app}), "ghostapp"])
    if _maybe(draw, 2):
        f.subsystem_name = _some(draw, [*sorted({r.subsystem for r in rows if r.subsystem}), "ghostsub"])
    if _maybe(draw, 2):
        f.contextual_labels = _label_filter(draw, [r.contextual for r in rows], {"kind"})
    if _maybe(draw, 2):
        f.display_labels = _label_filter(draw, [r.display for r in rows], set())
    if _maybe(draw):
        pairs = sorted({p for r in rows for p in r.meta})
        candidates: list[tuple[str, str | None]] = [
            *pairs,
            *[(k, None) for k in sorted({k for k, _ in pairs})],
            ("env", "nope"),
            ("absent", None),
            *[(v, k) for k, v in pairs],  # swapped pairs: a pair must match as an exact pair
        ]
        f.meta_labels = _some(draw, candidates)
        f.meta_and = draw(st.booleans())
    if _maybe(draw, 2):
        f.is_muted = draw(st.booleans())
    if _maybe(draw):
        f.created_range = _range(draw, ds)
    if _maybe(draw, 2):
        f.deprecated_range = _range(draw, ds)
    if _maybe(draw, 2):
        f.duration_range = _range(draw, ds)
    if _maybe(draw):
        where = draw(st.sampled_from(SEARCH_FIELDS))
        f.search = (_search_text(draw, ds, where), where)
    return f


PROPERTY_EXAMPLES = int(os.environ.get("LIST_QUERY_EXAMPLES", "40"))


@st.composite
def orders_(draw: Any) -> list[Order]:
    fields = draw(st.lists(st.sampled_from(SORTABLE), min_size=0, max_size=3, unique=True))
    return [(what, draw(st.sampled_from(list(DIRECTIONS.values())))) for what in fields]


@settings(max_examples=PROPERTY_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_filters_orders_and_page_sizes_match_the_model(dataset: DataSet, data: st.DataObject) -> None:
    flt = data.draw(filters(dataset), label="filter")
    orders = data.draw(orders_(), label="orders")
    if any(what == pb.INCIDENTS_FIELDS_NAME for what, _ in orders):
        flt.contextual_labels = {**flt.contextual_labels, **PLAIN_ONLY}  # names: no collation questions
    page_size = data.draw(st.integers(1, 25), label="page_size")
    assert_listing(dataset, flt, orders, page_size)


# ---- 3. page tokens ----------------------------------------------------------------------------


def _first_token(ds: DataSet, flt: Filter, orders: Sequence[Order], size: int = 5) -> str:
    return next_page_token(list_page(ds.client, flt.wire(), orders, size))


def _assert_bad_token(ds: DataSet, client: Client, flt: Filter, orders: Sequence[Order], token: str) -> None:
    error = rpc_error(lambda: list_page(client, flt.wire(), orders, 5, token))
    assert any("page_token" in f for f in violated_fields(error)), violated_fields(error)


def test_altered_tokens_are_invalid_argument(dataset: DataSet) -> None:
    flt, orders = Filter(), [(pb.INCIDENTS_FIELDS_NAME, pb.ORDER_BY_DIRECTION_ASC)]
    token = _first_token(dataset, flt, orders)
    middle = len(token) // 2
    flipped = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    for altered in (flipped, token[:middle], token[:-1], token[:-4], token + "A", "!!!", "x" * 40):
        _assert_bad_token(dataset, dataset.client, flt, orders, altered)
    # The untouched token still works.
    assert list_page(dataset.client, flt.wire(), orders, 5, token).incidents


def test_token_reused_with_another_filter_or_order_is_invalid_argument(dataset: DataSet) -> None:
    flt = Filter(severity=(pb.INCIDENT_SEVERITY_ERROR, pb.INCIDENT_SEVERITY_INFO, pb.INCIDENT_SEVERITY_LOW))
    orders: list[Order] = [(pb.INCIDENTS_FIELDS_CREATED_TIME, pb.ORDER_BY_DIRECTION_ASC)]
    token = _first_token(dataset, flt, orders, 3)
    for other_filter, other_orders in (
        (Filter(), orders),
        (Filter(severity=(pb.INCIDENT_SEVERITY_ERROR,)), orders),
        (Filter(severity=flt.severity, is_muted=False), orders),
        (flt, []),
        (flt, [(pb.INCIDENTS_FIELDS_CREATED_TIME, pb.ORDER_BY_DIRECTION_DESC)]),
        (flt, [(pb.INCIDENTS_FIELDS_ID, pb.ORDER_BY_DIRECTION_ASC)]),
        (flt, [*orders, (pb.INCIDENTS_FIELDS_ID, pb.ORDER_BY_DIRECTION_DESC)]),
    ):
        _assert_bad_token(dataset, dataset.client, other_filter, other_orders, token)


def test_token_from_another_team_is_invalid_argument(dataset: DataSet) -> None:
    flt, orders = Filter(), [(pb.INCIDENTS_FIELDS_SEVERITY, pb.ORDER_BY_DIRECTION_DESC)]
    token = _first_token(dataset, flt, orders)
    other = dataset.teams.team()
    other.ingestion.ReportAlertEvents(report(*(alert(f"o{i}", f"o{i}-e") for i in range(8))))
    _assert_bad_token(dataset, other, flt, orders, token)
    # Another key of the same team may continue the walk.
    same_team = dataset.teams.key(dataset.client.team_name, "someone-else@example.com")
    assert list_page(same_team, flt.wire(), orders, 5, token).incidents


def test_token_from_another_rpc_is_invalid_argument(dataset: DataSet) -> None:
    """A ListIncidentAggregations token with the very same filter does not page ListIncidents."""
    request = svc.ListIncidentAggregationsRequest(
        filter=pb.IncidentQueryFilter(),
        group_bys=[pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_ID)],
    )
    request.pagination.page_size.value = 5
    token = dataset.client.incidents.ListIncidentAggregations(request).pagination.next_page_token.value
    assert token
    _assert_bad_token(dataset, dataset.client, Filter(), [], token)


# ---- 4. incidents created while paging ---------------------------------------------------------


@pytest.mark.parametrize("descending", [False, True], ids=["created_asc", "created_desc"])
def test_incidents_created_between_pages_do_not_shift_the_walk(client: Client, descending: bool) -> None:
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    times = [base + timedelta(minutes=i) for i in range(14)]
    times[5] = times[4]  # a created_at tie inside the walk
    times[9] = times[8]
    events = [alert(f"pre-{i}", f"pre-{i}-e", at=t) for i, t in enumerate(times)]
    pre = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    created = dict(zip(pre, times, strict=True))
    direction = pb.ORDER_BY_DIRECTION_DESC if descending else pb.ORDER_BY_DIRECTION_ASC
    orders: list[Order] = [(pb.INCIDENTS_FIELDS_CREATED_TIME, direction)]
    expected = sorted(pre, key=lambda i: (created[i], i), reverse=descending)
    counter = iter(range(1000))

    def add_incidents(response: svc.ListIncidentsResponse) -> None:
        n = next(counter)
        if n >= 8:  # each page adds incidents ahead of the cursor: stop, or the walk never ends
            return
        cursor = response.incidents[-1].created_at.ToDatetime(tzinfo=UTC)
        new = [
            cursor - timedelta(seconds=30),  # just before the cursor
            cursor,  # exactly at the cursor (tie)
            cursor + timedelta(seconds=30),  # just after the cursor
            base - timedelta(minutes=10 + n),  # before everything
            base + timedelta(hours=1, minutes=n),  # after everything (still in the past)
        ]
        client.ingestion.ReportAlertEvents(
            report(*(alert(f"new-{n}-{k}", f"new-{n}-{k}-e", at=t) for k, t in enumerate(new)))
        )
        client.ingestion.ReportAlertEvents(report(alert(f"now-{n}", f"now-{n}-e")))  # created now

    result = walk(client, pb.IncidentQueryFilter(), orders, 3, between_pages=add_incidents)
    assert next(counter) > 5, "the walk ended before incidents were added on several pages"
    assert len(result.items) == len(set(result.items)), "an incident appeared twice"
    assert [i for i in result.items if i in created] == expected
    # The pages still run in the requested order (new incidents included).
    listed = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(result.items))).incidents
    keys = [(listed[i].created_at.ToDatetime(tzinfo=UTC), i) for i in result.items]
    assert keys == sorted(keys, reverse=descending)


# ---- 5. bad input ------------------------------------------------------------------------------


def _list_error(client: Client, request: svc.ListIncidentsRequest) -> list[str]:
    error = rpc_error(lambda: client.incidents.ListIncidents(request))
    return violated_fields(error)


@pytest.mark.parametrize(
    ("build", "field_part"),
    [
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(status=[99])), "status"),
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(status=[1, 4])), "status"),
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(severity=[42])), "severity"),
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(severity=[6])), "severity"),
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(state=[3])), "state"),
        (lambda: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(meta_labels_op=7)), "meta_labels_op"),
        (
            lambda: svc.ListIncidentsRequest(order_bys=[pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_UNSPECIFIED)]),
            "order_bys",
        ),
        (lambda: svc.ListIncidentsRequest(order_bys=[pb.OrderBy()]), "order_bys"),
        (lambda: svc.ListIncidentsRequest(order_bys=[pb.OrderBy(incident_field=77)]), "order_bys"),
        (
            lambda: svc.ListIncidentsRequest(
                order_bys=[pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_ID, direction=9)]
            ),
            "order_bys",
        ),
        (
            lambda: svc.ListIncidentsRequest(
                order_bys=[
                    pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_ID),
                    pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_UNSPECIFIED),
                ]
            ),
            "order_bys[1]",
        ),
        (
            lambda: svc.ListIncidentsRequest(
                filter=pb.IncidentQueryFilter(
                    search_query=pb.IncidentSearchQuery(query=sv("x"), incident_field=pb.INCIDENTS_FIELDS_SEVERITY)
                )
            ),
            "search_query",
        ),
        (
            lambda: svc.ListIncidentsRequest(
                filter=pb.IncidentQueryFilter(
                    search_query=pb.IncidentSearchQuery(query=sv("x"), incident_field=pb.INCIDENTS_FIELDS_CREATED_TIME)
                )
            ),
            "search_query",
        ),
    ],
    ids=[
        "status_99",
        "status_4",
        "severity_42",
        "severity_6",
        "state_3",
        "meta_labels_op_7",
        "order_unspecified_field",
        "order_no_field",
        "order_unknown_field",
        "order_unknown_direction",
        "order_second_key_unspecified",
        "search_severity",
        "search_created_time",
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    client: Client, build: Callable[[], svc.ListIncidentsRequest], field_part: str
) -> None:
    fields = _list_error(client, build())
    assert any(field_part in f for f in fields), fields


def test_every_bad_field_is_named_at_once(client: Client) -> None:
    request = svc.ListIncidentsRequest(
        filter=pb.IncidentQueryFilter(status=[99], severity=[42]),
        order_bys=[pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_UNSPECIFIED)],
    )
    fields = _list_error(client, request)
    for part in ("status", "severity", "order_bys"):
        assert any(part in f for f in fields), (part, fields)


# ---- label keys that need quoting --------------------------------------------------------------

ODD_KEYS = ["a.b", "sp ace", "x[0]", "$", "dollar$.key", 'q"k', "back\\slash", "*"]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_label_keys_are_plain_strings(client: Client, key: str) -> None:
    """Any label key works in a filter, an order and a search (no JSON-path or SQL meaning)."""
    base = datetime.now(UTC) - timedelta(hours=1)
    values = ["v2", "v1", "v3"]
    events = [
        alert(
            f"odd-{n}",
            f"odd-{n}-e",
            at=base + timedelta(minutes=n),
            name=f"odd{n}",
            contextual_labels={key: value, "other": value},
            display_labels={key: value},
        )
        for n, value in enumerate(values)
    ]
    events.append(alert("odd-none", "odd-none-e", at=base + timedelta(minutes=5), name="oddnone"))
    ids = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    v2, v1, v3, none = ids

    def listed(flt: Filter, orders: Sequence[Order] = ()) -> list[str]:
        return walk(client, flt.wire(), orders, 2).items

    checks = {
        "contextual_labels filter": (listed(Filter(contextual_labels={key: ("v1", "v3")})), [v3, v1]),
        "display_labels filter": (listed(Filter(display_labels={key: ("v2",)})), [v2]),
        "contextual label search": (listed(Filter(search=("V3", key))), [v3]),
        "order asc": (listed(Filter(), [(key, pb.ORDER_BY_DIRECTION_ASC)]), [none, v1, v2, v3]),
        "order desc": (listed(Filter(), [(key, pb.ORDER_BY_DIRECTION_DESC)]), [v3, v2, v1, none]),
    }
    names = {v1: "v1", v2: "v2", v3: "v3", none: "none"}
    wrong = {
        what: ([names[i] for i in got], [names[i] for i in want]) for what, (got, want) in checks.items() if got != want
    }
    assert not wrong, wrong


def test_empty_label_value_is_a_value(client: Client) -> None:
    """A label whose value is "" matches a filter for "" (a missing label does not) and sorts first."""
    base = datetime.now(UTC) - timedelta(hours=1)
    events = [
        alert("e-empty", "e-empty-e", at=base, contextual_labels={"zone": ""}, display_labels={"zone": ""}),
        alert("e-missing", "e-missing-e", at=base + timedelta(minutes=1)),
        alert("e-a", "e-a-e", at=base + timedelta(minutes=2), contextual_labels={"zone": "a"}),
    ]
    empty, missing, a = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    stored = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs([empty]))).incidents
    assert dict(stored[empty].contextual_labels) == {"zone": ""}
    assert walk(client, Filter(contextual_labels={"zone": ("",)}).wire()).items == [empty]
    assert walk(client, Filter(contextual_labels={"zone": ("", "a")}).wire()).items == [a, empty]
    assert walk(client, Filter(display_labels={"zone": ("",)}).wire()).items == [empty]
    # "" and a missing label sort alike; created_at then breaks the tie.
    asc = [("zone", pb.ORDER_BY_DIRECTION_ASC)]
    assert walk(client, pb.IncidentQueryFilter(), asc, 1).items == [empty, missing, a]
