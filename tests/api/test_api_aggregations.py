"""ListIncidentAggregations and GetFilterValues compared with a Python model of the team's incidents.

SPEC section 6. Once per backend, a team of its own is built through the real API: alert events with
past timestamps (labels, meta labels, application and subsystem names, severities, mutes, a second
alert that changes severity and labels, resolutions, reopenings, late events), then responder actions
(acknowledge, assign, unassign, resolve, close, snooze) and two manual incidents. The incidents are
read back with BatchGetIncident; every answer is compared with what the model computes from them.

Label values and names use lowercase ascii letters and digits only, so collation never matters.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.wrappers_pb2 import BoolValue
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from incidents_service import auth
from tests.builders import RESOLVED, alert, report, sv, svs, ts, violated_fields
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
SEVERITIES = [INFO, LOW, WARNING, ERROR, CRITICAL]  # severity order, lowest first
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
STATUSES = [pb.INCIDENT_STATUS_TRIGGERED, pb.INCIDENT_STATUS_ACKNOWLEDGED, pb.INCIDENT_STATUS_RESOLVED]
STATUS_RANK = {status: rank for rank, status in enumerate(STATUSES)}
STATES = [pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_STATE_RESOLVED]
STATE_RANK = {state: rank for rank, state in enumerate(STATES)}

NAMES = ["diskfull", "cpuhigh", "memleak", "latency", "errors5xx"]
REGIONS = ["eu", "us", "ap", None]
CLUSTERS = ["c1", "c2", None]
TEAMS = ["core", "pay", "web"]
APPS = ["api", "web", "batch", ""]
SUBSYSTEMS = ["db", "cache", ""]
ASSIGNEES = ["ann", "bob", "cat", "dan"]
INCIDENT_COUNT = 40

# Group-by fields: wire enum -> the IncidentFieldOneOf member that carries the value.
GROUP_FIELDS = {
    pb.INCIDENTS_FIELDS_ID: "id",
    pb.INCIDENTS_FIELDS_SEVERITY: "severity",
    pb.INCIDENTS_FIELDS_NAME: "name",
    pb.INCIDENTS_FIELDS_STATE: "state",
    pb.INCIDENTS_FIELDS_STATUS: "status",
    pb.INCIDENTS_FIELDS_APPLICATION_NAME: "application_name",
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME: "subsystem_name",
}
# "zone" has digit values ("10" sorts before "2"); "k8s.ns" has a dot in its key; "team" is a display
# label, absent as a contextual one.
GROUP_LABELS = ["region", "cluster", "zone", "k8s.ns", "team"]


# ---- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inc:
    """An incident as BatchGetIncident answers it (plus the names the scenario sent)."""

    id: str
    name: str
    severity: int
    state: int
    status: int
    assignee: str | None
    contextual: dict[str, str]
    display: dict[str, str]
    meta: tuple[tuple[str, str], ...]
    application_name: str
    subsystem_name: str
    created_at: datetime
    closed_at: datetime | None
    last_state_update_time: datetime | None
    is_muted: bool


def _dt(stamp: Any) -> datetime:
    return stamp.ToDatetime(tzinfo=UTC)


def _inc_from_wire(incident: pb.Incident, names: tuple[str, str]) -> Inc:
    return Inc(
        id=incident.id.value,
        name=incident.name.value,
        severity=incident.severity,
        state=incident.state,
        status=incident.status,
        assignee=incident.assignments[0].assigned_to.user_id.value if incident.assignments else None,
        contextual=dict(incident.contextual_labels),
        display=dict(incident.display_labels),
        meta=tuple((label.key.value, label.value.value) for label in incident.meta_labels),
        application_name=names[0],
        subsystem_name=names[1],
        created_at=_dt(incident.created_at),
        closed_at=_dt(incident.closed_at) if incident.HasField("closed_at") else None,
        last_state_update_time=(
            _dt(incident.last_state_update_time) if incident.HasField("last_state_update_time") else None
        ),
        is_muted=incident.is_muted.value,
    )


@dataclass(frozen=True)
class Filt:
    """An IncidentQueryFilter, as data: builds the wire message and decides a match in Python."""

    statuses: frozenset[int] = frozenset()
    states: frozenset[int] = frozenset()
    severities: frozenset[int] = frozenset()
    assignees: frozenset[str] = frozenset()
    application_names: frozenset[str] = frozenset()
    subsystem_names: frozenset[str] = frozenset()
    contextual: tuple[tuple[str, frozenset[str]], ...] = ()
    display: tuple[tuple[str, frozenset[str]], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    meta_and: bool = False
    is_muted: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    name_search: str | None = None

    def wire(self) -> pb.IncidentQueryFilter:
        f = pb.IncidentQueryFilter(
            status=sorted(self.statuses),
            state=sorted(self.states),
            severity=sorted(self.severities),
            assignee=svs(sorted(self.assignees)),
            application_name=svs(sorted(self.application_names)),
            subsystem_name=svs(sorted(self.subsystem_names)),
            contextual_labels={
                key: pb.ContextualLabelValues(contextual_label_values=svs(sorted(values)))
                for key, values in self.contextual
            },
            display_labels={
                key: pb.DisplayLabelValues(display_label_values=svs(sorted(values))) for key, values in self.display
            },
            meta_labels=[pb.MetaLabel(key=sv(k), value=sv(v)) for k, v in self.meta],
            meta_labels_op=pb.FILTER_OPERATOR_AND if self.meta_and else pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED,
        )
        if self.is_muted is not None:
            f.is_muted.CopyFrom(BoolValue(value=self.is_muted))
        if self.created_from is not None:
            f.created_at_range.start_time.CopyFrom(ts(self.created_from))
        if self.created_to is not None:
            f.created_at_range.end_time.CopyFrom(ts(self.created_to))
        if self.name_search is not None:
            f.search_query.query.CopyFrom(sv(self.name_search))
        return f

    def matches(self, inc: Inc) -> bool:
        checks = [
            not self.statuses or inc.status in self.statuses,
            not self.states or inc.state in self.states,
            not self.severities or inc.severity in self.severities,
            not self.assignees or inc.assignee in self.assignees,
            not self.application_names or inc.application_name in self.application_names,
            not self.subsystem_names or inc.subsystem_name in self.subsystem_names,
            all(key in inc.contextual and inc.contextual[key] in values for key, values in self.contextual),
            all(key in inc.display and inc.display[key] in values for key, values in self.display),
            self.is_muted is None or inc.is_muted == self.is_muted,
            self.created_from is None or inc.created_at >= self.created_from,
            self.created_to is None or inc.created_at < self.created_to,
            self.name_search is None or self.name_search.lower() in inc.name.lower(),
        ]
        if self.meta:
            present = [pair in inc.meta for pair in self.meta]
            checks.append(all(present) if self.meta_and else any(present))
        return all(checks)


GroupSpec = tuple[Any, bool]  # (wire IncidentFields value or contextual label key, descending)


def _group_by_wire(spec: GroupSpec) -> pb.GroupBy:
    what, descending = spec
    direction = pb.ORDER_BY_DIRECTION_DESC if descending else pb.ORDER_BY_DIRECTION_ASC
    if isinstance(what, str):
        return pb.GroupBy(order_by_direction=direction, contextual_label=sv(what))
    return pb.GroupBy(order_by_direction=direction, incident_field=what)


def _group_value(spec: GroupSpec, inc: Inc) -> Any:
    what = spec[0]
    if isinstance(what, str):
        return inc.contextual.get(what, "")
    return {
        pb.INCIDENTS_FIELDS_ID: inc.id,
        pb.INCIDENTS_FIELDS_SEVERITY: inc.severity,
        pb.INCIDENTS_FIELDS_NAME: inc.name,
        pb.INCIDENTS_FIELDS_STATE: inc.state,
        pb.INCIDENTS_FIELDS_STATUS: inc.status,
        pb.INCIDENTS_FIELDS_APPLICATION_NAME: inc.application_name,
        pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME: inc.subsystem_name,
    }[what]


def _sort_rank(spec: GroupSpec, value: Any) -> Any:
    what = spec[0]
    if what == pb.INCIDENTS_FIELDS_SEVERITY:
        return SEVERITY_RANK[value]
    if what == pb.INCIDENTS_FIELDS_STATUS:
        return STATUS_RANK[value]
    if what == pb.INCIDENTS_FIELDS_STATE:
        return STATE_RANK[value]
    return value


@dataclass
class Group:
    """One group, normalized (from the model or from the wire) so the two compare with ==."""

    values: tuple[Any, ...]
    count: int
    states: dict[int, int]
    statuses: dict[int, int]
    severities: dict[int, int]
    assignees: dict[str, int]
    meta: dict[tuple[str, str], int]
    first_created_at: datetime | None
    last_closed_at: datetime | None
    last_state_update_time: datetime | None
    ids: list[str] = field(default_factory=list)


def _newest_first(incs: Sequence[Inc]) -> list[Inc]:
    return sorted(incs, key=lambda inc: (inc.created_at, inc.id), reverse=True)


def _most_common(counter: Counter[Any]) -> dict[Any, int]:
    """A group's breakdown keeps its 100 most common values, ties by value (SPEC 11: bounded answers)."""
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:100])


def _model_group(values: tuple[Any, ...], incs: list[Inc]) -> Group:
    closed = [inc.closed_at for inc in incs if inc.closed_at is not None]
    updated = [inc.last_state_update_time for inc in incs if inc.last_state_update_time is not None]
    return Group(
        values=values,
        count=len(incs),
        states=dict(Counter(inc.state for inc in incs)),
        statuses=dict(Counter(inc.status for inc in incs)),
        severities=dict(Counter(inc.severity for inc in incs)),
        assignees=_most_common(Counter(inc.assignee for inc in incs if inc.assignee is not None)),
        meta=_most_common(Counter(pair for inc in incs for pair in set(inc.meta))),
        first_created_at=min((inc.created_at for inc in incs), default=None),
        last_closed_at=max(closed, default=None),
        last_state_update_time=max(updated, default=None),
        ids=[inc.id for inc in _newest_first(incs)][:100],
    )


def model_groups(incs: Sequence[Inc], filt: Filt, group_bys: Sequence[GroupSpec]) -> list[Group]:
    matching = [inc for inc in incs if filt.matches(inc)]
    if not group_bys:
        return [_model_group((), matching)]
    buckets: dict[tuple[Any, ...], list[Inc]] = defaultdict(list)
    for inc in matching:
        buckets[tuple(_group_value(spec, inc) for spec in group_bys)].append(inc)
    ordered = list(buckets)
    for index in reversed(range(len(group_bys))):  # stable sorts, least significant key first
        spec = group_bys[index]
        ordered.sort(key=lambda values, i=index, s=spec: _sort_rank(s, values[i]), reverse=spec[1])
    return [_model_group(values, buckets[values]) for values in ordered]


def _unique_counts(pairs: list[tuple[Any, int]], what: str) -> dict[Any, int]:
    keys = [key for key, _ in pairs]
    assert len(keys) == len(set(keys)), f"{what}: a value is listed twice: {pairs}"
    return dict(pairs)


def _wire_group_value(spec: GroupSpec, value: pb.GroupByValues) -> Any:
    what = spec[0]
    if isinstance(what, str):
        assert value.WhichOneof("values") == "contextual_labels", value
        assert value.contextual_labels.field_name.value == what
        assert value.contextual_labels.HasField("field_value")
        return value.contextual_labels.field_value.value
    assert value.WhichOneof("values") == "incident_field", value
    member = GROUP_FIELDS[what]
    assert value.incident_field.WhichOneof("field") == member, value
    found = getattr(value.incident_field, member)
    return found if isinstance(found, int) else found.value


def wire_group(agg: pb.IncidentAggregation, group_bys: Sequence[GroupSpec]) -> Group:
    assert len(agg.group_bys_value) == len(group_bys), agg.group_bys_value
    return Group(
        values=tuple(
            _wire_group_value(spec, value) for spec, value in zip(group_bys, agg.group_bys_value, strict=True)
        ),
        count=agg.all_values_count.value,
        states=_unique_counts([(c.state, c.count.value) for c in agg.agg_state_count], "agg_state_count"),
        statuses=_unique_counts([(c.status, c.count.value) for c in agg.agg_status_count], "agg_status_count"),
        severities=_unique_counts([(c.severity, c.count.value) for c in agg.agg_severity_count], "agg_severity_count"),
        assignees=_unique_counts(
            [(c.assigned_to.user_id.value, c.count.value) for c in agg.agg_assignments_count],
            "agg_assignments_count",
        ),
        meta=_unique_counts(
            [((c.meta_label.key.value, c.meta_label.value.value), c.count.value) for c in agg.agg_meta_labels_count],
            "agg_meta_labels_count",
        ),
        first_created_at=_dt(agg.first_created_at) if agg.HasField("first_created_at") else None,
        last_closed_at=_dt(agg.last_closed_at) if agg.HasField("last_closed_at") else None,
        last_state_update_time=(_dt(agg.last_state_update_time) if agg.HasField("last_state_update_time") else None),
        ids=[value.value for value in agg.list_incidents_id],
    )


# ---- calls -------------------------------------------------------------------------------------


def aggregations_request(
    filt: Filt | None = None, group_bys: Sequence[GroupSpec] = (), page_size: int = 0, token: str = ""
) -> svc.ListIncidentAggregationsRequest:
    request = svc.ListIncidentAggregationsRequest(group_bys=[_group_by_wire(spec) for spec in group_bys])
    if filt is not None:
        request.filter.CopyFrom(filt.wire())
    if page_size:
        request.pagination.page_size.value = page_size
    if token:
        request.pagination.page_token.value = token
    return request


def walk(client: Client, filt: Filt, group_bys: Sequence[GroupSpec], page_size: int = 0) -> Walk[Group]:
    """Every page of ListIncidentAggregations, following next_page_token."""
    return walk_pages(
        lambda token: client.incidents.ListIncidentAggregations(
            aggregations_request(filt, group_bys, page_size, token)
        ),
        lambda response: [wire_group(agg, group_bys) for agg in response.incident_aggs],
    )


def check_walk(
    client: Client, incs: Sequence[Inc], filt: Filt, group_bys: Sequence[GroupSpec], page_size: int = 0
) -> list[Group]:
    expected = model_groups(incs, filt, group_bys)
    found = walk(client, filt, group_bys, page_size)
    assert [g.values for g in found.items] == [g.values for g in expected]
    assert found.items == expected
    assert found.totals == [len(expected)] * len(found.totals)
    assert found.page_lengths == expected_page_lengths(len(expected), page_size)
    return expected


def filter_values(client: Client, filt: Filt | None) -> pb.IncidentQueryFiltersValues:
    request = svc.GetFilterValuesRequest()
    if filt is not None:
        request.filter.CopyFrom(filt.wire())
    return client.incidents.GetFilterValues(request).filters_values


# ---- the scenario ------------------------------------------------------------------------------


def new_client(server: Any, principal: str = "lead@example.com") -> Client:
    team = f"team-agg-{uuid.uuid4().hex[:10]}"
    auth.create_team(server.engine, team)
    issued = auth.create_api_key(server.engine, team, principal, auth.ALL_PERMISSIONS)
    return Client(server.channel, issued.api_key, team, principal)


@dataclass
class Scenario:
    client: Client
    incidents: list[Inc]
    other_client: Client
    other_ids: list[str]

    def by_id(self, incident_id: str) -> Inc:
        return next(inc for inc in self.incidents if inc.id == incident_id)


def _first_alert(i: int, at: datetime, prefix: str = "agg") -> api.AlertEvent:
    contextual = {}
    if REGIONS[i % 4] is not None:
        contextual["region"] = REGIONS[i % 4]
    if CLUSTERS[i % 3] is not None:
        contextual["cluster"] = CLUSTERS[i % 3]
    if i % 2 == 0:
        contextual["zone"] = str(i % 12)
    if i % 3 != 2:
        contextual["k8s.ns"] = f"ns{i % 4}"
    display = {} if i % 7 == 0 else {"team": TEAMS[i % 3]}
    meta = [("env", "stage" if i % 2 else "prod")]
    if i % 4 != 3:
        meta.append(("tier", str(i % 3)))
    if i % 5 == 0:
        meta += [("owner", "ann"), ("owner", "bob")]
    event = alert(
        f"{prefix}-{i}",
        f"{prefix}-{i}-open",
        at=at,
        name=NAMES[i % 5],
        severity=SEVERITIES[(i // 2) % 5],
        contextual_labels=contextual,
        display_labels=display,
        application_name=APPS[i % 4],
        subsystem_name=SUBSYSTEMS[(i // 3) % 3],
        is_muted=i % 8 == 4,
    )
    for key, value in meta:
        event.meta_labels.append(pb.MetaLabel(key=sv(key), value=sv(value)))
    return event


def build_scenario(server: Any) -> Scenario:
    client = new_client(server)
    base = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3)
    names: dict[str, list[str]] = {}  # correlation key -> [application_name, subsystem_name]
    created = [base + timedelta(hours=i, microseconds=1011 * i) for i in range(INCIDENT_COUNT)]

    first = [_first_alert(i, created[i]) for i in range(INCIDENT_COUNT)]
    results = client.ingestion.ReportAlertEvents(report(*first)).results
    ids = [result.incident_id for result in results]
    assert all(result.outcome == api.AlertEventResult.CREATED for result in results)
    for i in range(INCIDENT_COUNT):
        names[ids[i]] = [APPS[i % 4], SUBSYSTEMS[(i // 3) % 3]]

    later: list[api.AlertEvent] = []
    for i in range(INCIDENT_COUNT):
        key = f"agg-{i}"
        if i % 5 == 1:  # severity, labels and sometimes the name follow a second alert
            second = alert(
                key,
                f"{key}-second",
                at=created[i] + timedelta(minutes=10),
                name="renamed" if i % 10 == 1 else "",
                severity=CRITICAL,
                contextual_labels={"region": "zz"},
                application_name="web",
            )
            second.meta_labels.append(pb.MetaLabel(key=sv("extra"), value=sv("yes")))
            later.append(second)
            names[ids[i]][0] = "web"
        if i % 7 == 2:  # resolved by the alerting side, and for even ones triggered again
            later.append(alert(key, f"{key}-resolved", RESOLVED, at=created[i] + timedelta(minutes=20)))
            if i % 2 == 0:
                later.append(alert(key, f"{key}-again", at=created[i] + timedelta(minutes=30), severity=WARNING))
        if i % 6 == 3:  # late: recorded, but moves nothing backwards
            later.append(alert(key, f"{key}-late", at=created[i] - timedelta(minutes=5), severity=CRITICAL))
    client.ingestion.ReportAlertEvents(report(*later))

    def action(call: str, request: Any) -> None:
        getattr(client.incidents, call)(request)

    acknowledge = [ids[i] for i in range(INCIDENT_COUNT) if i % 4 == 0 and not (i % 7 == 2 and i % 2 == 1)]
    action("AcknowledgeIncidents", svc.AcknowledgeIncidentsRequest(incident_ids=svs(acknowledge)))
    for assignee, selected in (
        ("ann", [i for i in range(INCIDENT_COUNT) if i % 3 == 0 and i % 2 == 1]),
        ("bob", [i for i in range(INCIDENT_COUNT) if i % 3 == 0 and i % 2 == 0]),
        ("cat", [i for i in range(INCIDENT_COUNT) if i % 4 == 1]),
    ):
        action(
            "AssignIncidents",
            svc.AssignIncidentsRequest(
                assigned_to=pb.UserDetails(user_id=sv(assignee)), incident_ids=svs([ids[i] for i in selected])
            ),
        )
    unassign = [ids[i] for i in range(INCIDENT_COUNT) if i % 9 == 0]
    action("UnassignIncidents", svc.UnassignIncidentsRequest(incident_ids=svs(unassign)))
    resolve = [ids[i] for i in range(INCIDENT_COUNT) if i % 10 == 5]
    action("ResolveIncidents", svc.ResolveIncidentsRequest(incident_ids=svs(resolve)))
    # Reopened after a responder resolved it: a TRIGGERED alert stamped now.
    client.ingestion.ReportAlertEvents(report(alert("agg-15", "agg-15-reopen", severity=ERROR)))
    close = [ids[i] for i in range(INCIDENT_COUNT) if i % 11 == 7]
    action("CloseIncidents", svc.CloseIncidentsRequest(incident_ids=svs(close)))
    # Closed is final: the next TRIGGERED alert of a closed incident's key opens a new incident.
    [after_close] = client.ingestion.ReportAlertEvents(report(alert("agg-7", "agg-7-after-close"))).results
    assert after_close.outcome == api.AlertEventResult.CREATED and after_close.incident_id != ids[7]
    names[after_close.incident_id] = ["", ""]
    snooze = [ids[i] for i in range(INCIDENT_COUNT) if i % 13 == 6]
    client.management.SnoozeIncidents(api.SnoozeIncidentsRequest(incident_ids=snooze, duration_minutes=120))

    manual = [
        client.management.CreateIncident(
            api.CreateIncidentRequest(
                name="manualone",
                severity=ERROR,
                contextual_labels={"region": "eu"},
                display_labels={"team": "core"},
                meta_labels=[pb.MetaLabel(key=sv("env"), value=sv("prod"))],
                application_name="api",
                assignee="dan",
            )
        ).incident.id.value,
        client.management.CreateIncident(api.CreateIncidentRequest(name="manualtwo")).incident.id.value,
    ]
    names[manual[0]] = ["api", ""]
    names[manual[1]] = ["", ""]
    ids += [*manual, after_close.incident_id]

    found = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(ids)))
    assert not found.not_found_ids
    incidents = [_inc_from_wire(found.incidents[i], (names[i][0], names[i][1])) for i in ids]

    # Another team with look-alike incidents: none of them may ever show up.
    other = new_client(server, "other@example.com")
    other_results = other.ingestion.ReportAlertEvents(
        report(*[_first_alert(i, created[i] + timedelta(seconds=7), "oth") for i in range(6)])
    ).results
    other_ids = [result.incident_id for result in other_results]
    other.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv("zed")), incident_ids=svs(other_ids))
    )
    return Scenario(client, incidents, other, other_ids)


@pytest.fixture(scope="module")
def scenario(server: Any) -> Scenario:
    return build_scenario(server)


ALL = Filt()


# ---- the scenario is what it was meant to be ---------------------------------------------------


def test_scenario_covers_every_kind_of_value(scenario):
    incs = scenario.incidents
    assert len(incs) == INCIDENT_COUNT + 3
    assert {inc.severity for inc in incs} == set(SEVERITIES)
    assert {inc.status for inc in incs} == set(STATUSES)
    assert {inc.state for inc in incs} == set(STATES)
    assert {inc.assignee for inc in incs} == {None, "ann", "bob", "cat", "dan"}
    assert any(inc.closed_at is not None for inc in incs)
    assert any(inc.closed_at is None for inc in incs)
    assert any(inc.last_state_update_time is None for inc in incs)  # manual incidents
    assert {True, False} == {inc.is_muted for inc in incs}
    assert any("region" not in inc.contextual for inc in incs)
    # application/subsystem names are also display labels (SPEC 3): the model's names agree.
    for inc in incs:
        assert inc.display.get("application_name", "") == inc.application_name
        assert inc.display.get("subsystem_name", "") == inc.subsystem_name


# ---- ListIncidentAggregations: grouping --------------------------------------------------------


def test_no_group_bys_is_one_group_of_all_matches(scenario):
    [group] = check_walk(scenario.client, scenario.incidents, ALL, [])
    assert group.count == len(scenario.incidents)


def test_no_group_bys_and_no_matches_is_one_empty_group(scenario):
    filt = Filt(assignees=frozenset({"nobody"}))
    response = scenario.client.incidents.ListIncidentAggregations(aggregations_request(filt))
    assert response.pagination.total_size.value == 1
    [agg] = response.incident_aggs
    assert agg.all_values_count.value == 0
    assert not agg.list_incidents_id
    assert not agg.agg_state_count and not agg.agg_status_count and not agg.agg_severity_count
    assert not agg.HasField("first_created_at") and not agg.HasField("last_closed_at")


@pytest.mark.parametrize("field", list(GROUP_FIELDS), ids=lambda f: pb.IncidentFields.Name(f))
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_group_by_each_incident_field(scenario, field, descending):
    groups = check_walk(scenario.client, scenario.incidents, ALL, [(field, descending)], page_size=1000)
    assert len(groups) > 1


def test_group_by_unspecified_direction_is_ascending(scenario):
    request = svc.ListIncidentAggregationsRequest(group_bys=[pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_SEVERITY)])
    response = scenario.client.incidents.ListIncidentAggregations(request)
    found = [agg.group_bys_value[0].incident_field.severity for agg in response.incident_aggs]
    assert found == [s for s in SEVERITIES if any(inc.severity == s for inc in scenario.incidents)]


def test_group_by_severity_follows_severity_order_not_enum_numbers(scenario):
    groups = check_walk(scenario.client, scenario.incidents, ALL, [(pb.INCIDENTS_FIELDS_SEVERITY, False)])
    assert [g.values[0] for g in groups] == [INFO, LOW, WARNING, ERROR, CRITICAL]


@pytest.mark.parametrize("label", GROUP_LABELS)
@pytest.mark.parametrize("descending", [False, True], ids=["asc", "desc"])
def test_group_by_contextual_label(scenario, label, descending):
    groups = check_walk(scenario.client, scenario.incidents, ALL, [(label, descending)])
    missing = [inc for inc in scenario.incidents if label not in inc.contextual]
    assert missing, "the scenario has incidents without the label"
    empty = next(g for g in groups if g.values == ("",))
    assert empty.count == len(missing)
    assert (groups[-1] if descending else groups[0]).values == ("",)


@pytest.mark.parametrize(
    "group_bys",
    [
        [(pb.INCIDENTS_FIELDS_SEVERITY, True), ("region", False)],
        [("region", True), (pb.INCIDENTS_FIELDS_STATUS, False), (pb.INCIDENTS_FIELDS_SEVERITY, True)],
        [(pb.INCIDENTS_FIELDS_STATE, False), (pb.INCIDENTS_FIELDS_APPLICATION_NAME, True), ("cluster", True)],
        [(pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME, True), (pb.INCIDENTS_FIELDS_NAME, False)],
        [(pb.INCIDENTS_FIELDS_NAME, True), (pb.INCIDENTS_FIELDS_ID, False)],
    ],
    ids=[
        "sev-desc.region",
        "region-desc.status.sev-desc",
        "state.app-desc.cluster-desc",
        "sub-desc.name",
        "name-desc.id",
    ],
)
def test_multi_level_group_bys_with_directions(scenario, group_bys):
    groups = check_walk(scenario.client, scenario.incidents, ALL, group_bys, page_size=1000)
    assert len({g.values for g in groups}) == len(groups)
    assert sum(g.count for g in groups) == len(scenario.incidents)


# ---- ListIncidentAggregations: what each group reports -----------------------------------------


STATUS_GROUPING = [(pb.INCIDENTS_FIELDS_STATUS, False)]


@pytest.mark.parametrize("part", ["states", "statuses", "severities", "assignees", "meta", "count", "ids"])
def test_each_count_kind_per_group(scenario, part):
    for group_bys in (STATUS_GROUPING, [("region", False), (pb.INCIDENTS_FIELDS_SEVERITY, False)]):
        expected = model_groups(scenario.incidents, ALL, group_bys)
        found = walk(scenario.client, ALL, group_bys, 1000).items
        assert [(g.values, getattr(g, part)) for g in found] == [(g.values, getattr(g, part)) for g in expected]


def test_assignment_counts_leave_out_unassigned_incidents(scenario):
    [group] = walk(scenario.client, ALL, []).items
    assigned = Counter(inc.assignee for inc in scenario.incidents if inc.assignee is not None)
    assert group.assignees == dict(assigned)
    assert sum(group.assignees.values()) < group.count


def test_meta_label_counts_count_each_key_value_pair(scenario):
    [group] = walk(scenario.client, ALL, []).items
    assert group.meta[("owner", "ann")] == group.meta[("owner", "bob")] > 0
    assert group.meta[("env", "prod")] + group.meta[("env", "stage")] == len(scenario.incidents) - 2


def test_group_times_first_created_last_closed_last_state_update(scenario):
    groups = check_walk(scenario.client, scenario.incidents, ALL, STATUS_GROUPING)
    by_status = {g.values[0]: g for g in groups}
    # Only RESOLVED incidents are ever closed: the other groups have no last_closed_at at all.
    assert by_status[pb.INCIDENT_STATUS_RESOLVED].last_closed_at is not None
    assert by_status[pb.INCIDENT_STATUS_TRIGGERED].last_closed_at is None
    assert by_status[pb.INCIDENT_STATUS_ACKNOWLEDGED].last_closed_at is None
    for group in groups:
        assert group.first_created_at is not None and group.last_state_update_time is not None


def test_group_of_manual_incidents_only_has_no_last_state_update_time(scenario):
    filt = Filt(name_search="manualtwo")
    [group] = check_walk(scenario.client, scenario.incidents, filt, [(pb.INCIDENTS_FIELDS_NAME, False)])
    assert group.last_state_update_time is None


def test_incident_ids_are_newest_first(scenario):
    [group] = walk(scenario.client, ALL, []).items
    assert group.ids == [inc.id for inc in _newest_first(scenario.incidents)]


# ---- ListIncidentAggregations: filter, paging, errors ------------------------------------------


@pytest.mark.parametrize(
    "filt",
    [
        Filt(severities=frozenset({CRITICAL})),
        Filt(statuses=frozenset({pb.INCIDENT_STATUS_ACKNOWLEDGED, pb.INCIDENT_STATUS_RESOLVED})),
        Filt(contextual=(("region", frozenset({"eu", "zz"})),)),
        Filt(display=(("team", frozenset({"pay"})),)),
        Filt(meta=(("owner", "ann"), ("extra", "yes"))),
        Filt(meta=(("env", "prod"), ("tier", "0")), meta_and=True),
        Filt(assignees=frozenset({"ann", "cat"})),
        Filt(application_names=frozenset({"web"}), subsystem_names=frozenset({"db", "cache"})),
        Filt(is_muted=True),
        Filt(name_search="LEAK"),
    ],
    ids=[
        "severity",
        "status",
        "contextual",
        "display",
        "meta-or",
        "meta-and",
        "assignee",
        "names",
        "muted",
        "search",
    ],
)
def test_filter_applies_before_grouping(scenario, filt):
    group_bys = [(pb.INCIDENTS_FIELDS_NAME, False), (pb.INCIDENTS_FIELDS_SEVERITY, True)]
    groups = check_walk(scenario.client, scenario.incidents, filt, group_bys)
    matching = [inc for inc in scenario.incidents if filt.matches(inc)]
    assert 0 < len(matching) < len(scenario.incidents)
    assert sum(g.count for g in groups) == len(matching)


def test_filter_on_created_at_range_before_grouping(scenario):
    ordered = sorted(scenario.incidents, key=lambda inc: inc.created_at)
    filt = Filt(created_from=ordered[5].created_at, created_to=ordered[20].created_at)
    groups = check_walk(scenario.client, scenario.incidents, filt, [(pb.INCIDENTS_FIELDS_ID, False)])
    assert len(groups) == 15


@pytest.mark.parametrize("page_size", [1, 3, 7, 41, 42])
def test_paging_through_groups_concatenates_to_the_model(scenario, page_size):
    check_walk(scenario.client, scenario.incidents, ALL, [(pb.INCIDENTS_FIELDS_ID, True)], page_size)


def test_paging_through_multi_level_groups(scenario):
    group_bys = [("region", False), (pb.INCIDENTS_FIELDS_STATUS, True), (pb.INCIDENTS_FIELDS_SEVERITY, False)]
    check_walk(scenario.client, scenario.incidents, ALL, group_bys, page_size=2)


def _first_token(client: Client, filt: Filt, group_bys: Sequence[GroupSpec]) -> str:
    return next_page_token(
        client.incidents.ListIncidentAggregations(aggregations_request(filt, group_bys, page_size=2))
    )


@pytest.mark.parametrize(
    "token_kind", ["tampered", "garbage", "other-filter", "other-group-bys", "other-direction", "other-team"]
)
def test_bad_page_token_is_invalid_argument(scenario, token_kind):
    group_bys = [(pb.INCIDENTS_FIELDS_NAME, False)]
    token = _first_token(scenario.client, ALL, group_bys)
    filt, asked_group_bys, client = ALL, group_bys, scenario.client
    if token_kind == "tampered":
        token = tampered(token)
    elif token_kind == "garbage":
        token = "not-a-token"
    elif token_kind == "other-filter":
        filt = Filt(severities=frozenset({CRITICAL}))
    elif token_kind == "other-group-bys":
        asked_group_bys = [(pb.INCIDENTS_FIELDS_SEVERITY, False)]
    elif token_kind == "other-direction":
        asked_group_bys = [(pb.INCIDENTS_FIELDS_NAME, True)]
    else:
        client = scenario.other_client
    error = rpc_error(
        client.incidents.ListIncidentAggregations,
        aggregations_request(filt, asked_group_bys, page_size=2, token=token),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert any("page_token" in f for f in violated_fields(error))


@pytest.mark.parametrize(
    "group_bys",
    [
        [
            (pb.INCIDENTS_FIELDS_NAME, False),
            (pb.INCIDENTS_FIELDS_SEVERITY, False),
            ("region", False),
            ("cluster", False),
        ],
        [(pb.INCIDENTS_FIELDS_NAME, False), (pb.INCIDENTS_FIELDS_NAME, True)],
        [("region", False), ("region", False)],
        [(pb.INCIDENTS_FIELDS_CREATED_TIME, False)],
        [(pb.INCIDENTS_FIELDS_CLOSED_TIME, False)],
        [(pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME, False)],
        [(pb.INCIDENTS_FIELDS_DURATION, False)],
        [(pb.INCIDENTS_FIELDS_UNSPECIFIED, False)],
        [("", False)],
    ],
    ids=[
        "four",
        "duplicate-field",
        "duplicate-label",
        "created",
        "closed",
        "last-update",
        "duration",
        "unspecified",
        "empty-label",
    ],
)
def test_invalid_group_bys_are_invalid_argument_naming_group_bys(scenario, group_bys):
    error = rpc_error(
        scenario.client.incidents.ListIncidentAggregations,
        aggregations_request(ALL, group_bys),
        code=grpc.StatusCode.INVALID_ARGUMENT,
    )
    fields = violated_fields(error)
    assert fields and all(f.startswith("group_bys") for f in fields), fields


def test_group_by_without_a_field_is_invalid_argument(scenario):
    request = svc.ListIncidentAggregationsRequest(group_bys=[pb.GroupBy(order_by_direction=pb.ORDER_BY_DIRECTION_ASC)])
    error = rpc_error(
        scenario.client.incidents.ListIncidentAggregations, request, code=grpc.StatusCode.INVALID_ARGUMENT
    )
    assert any(f.startswith("group_bys") for f in violated_fields(error))


def test_other_teams_incidents_never_appear_in_aggregations(scenario):
    [group] = walk(scenario.client, ALL, []).items
    assert not set(group.ids) & set(scenario.other_ids)
    assert "zed" not in group.assignees
    ids = {g.values[0] for g in walk(scenario.client, ALL, [(pb.INCIDENTS_FIELDS_ID, False)], 1000).items}
    assert ids == {inc.id for inc in scenario.incidents}
    # And the other way round: the other team sees its own incidents only.
    [other] = walk(scenario.other_client, ALL, []).items
    assert sorted(other.ids) == sorted(scenario.other_ids)


# ---- GetFilterValues ---------------------------------------------------------------------------


def _top(counter: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:100]


@dataclass
class Values:
    assignees: dict[str, int]
    statuses: dict[int, int]
    states: dict[int, int]
    severities: dict[int, int]
    contextual: dict[str, list[tuple[str, int]]]
    display: dict[str, list[tuple[str, int]]]
    meta: dict[tuple[str, str], int]


def model_values(incs: Sequence[Inc]) -> Values:
    contextual: dict[str, Counter[str]] = defaultdict(Counter)
    display: dict[str, Counter[str]] = defaultdict(Counter)
    for inc in incs:
        for key, value in inc.contextual.items():
            contextual[key][value] += 1
        for key, value in inc.display.items():
            display[key][value] += 1
    return Values(
        assignees=dict(Counter(inc.assignee for inc in incs if inc.assignee is not None)),
        statuses=dict(Counter(inc.status for inc in incs)),
        states=dict(Counter(inc.state for inc in incs)),
        severities=dict(Counter(inc.severity for inc in incs)),
        contextual={key: _top(counter) for key, counter in contextual.items()},
        display={key: _top(counter) for key, counter in display.items()},
        meta=dict(Counter(pair for inc in incs for pair in set(inc.meta))),
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


FILTER_VALUE_FILTERS = [
    None,
    Filt(),
    Filt(severities=frozenset({CRITICAL, ERROR})),
    Filt(statuses=frozenset({pb.INCIDENT_STATUS_TRIGGERED})),
    Filt(contextual=(("region", frozenset({"eu"})),)),
    Filt(meta=(("env", "prod"), ("owner", "bob")), meta_and=True),
    Filt(assignees=frozenset({"bob"})),
    Filt(is_muted=False, name_search="a"),
]


@pytest.mark.parametrize("part", ["assignees", "statuses", "states", "severities", "contextual", "display", "meta"])
@pytest.mark.parametrize("filt", FILTER_VALUE_FILTERS, ids=[f"f{i}" for i in range(len(FILTER_VALUE_FILTERS))])
def test_filter_values_each_part_matches_the_model(scenario, filt, part):
    found = wire_values(filter_values(scenario.client, filt))
    matching = [inc for inc in scenario.incidents if (filt or ALL).matches(inc)]
    assert getattr(found, part) == getattr(model_values(matching), part)


def test_filter_values_show_application_and_subsystem_names_as_display_labels(scenario):
    found = wire_values(filter_values(scenario.client, None))
    apps = Counter(inc.application_name for inc in scenario.incidents if inc.application_name)
    assert found.display["application_name"] == _top(apps)


@pytest.mark.parametrize("operator", [pb.FILTER_OPERATOR_OR_OR_UNSPECIFIED, pb.FILTER_OPERATOR_AND])
def test_filter_values_echo_the_meta_labels_operator(scenario, operator):
    filt = Filt(meta=(("env", "prod"),), meta_and=operator == pb.FILTER_OPERATOR_AND)
    assert filter_values(scenario.client, filt).meta_labels_op == operator


def test_filter_values_of_no_match_are_empty(scenario):
    values = filter_values(scenario.client, Filt(assignees=frozenset({"nobody"})))
    assert values == pb.IncidentQueryFiltersValues()


def test_other_teams_values_never_appear_in_filter_values(scenario):
    found = wire_values(filter_values(scenario.client, None))
    assert "zed" not in found.assignees
    assert sum(found.statuses.values()) == len(scenario.incidents)
    other = wire_values(filter_values(scenario.other_client, None))
    assert other.assignees == {"zed": len(scenario.other_ids)}


def test_label_key_with_a_dot_filters_and_counts_like_any_other(scenario):
    filt = Filt(contextual=(("k8s.ns", frozenset({"ns1", "ns2"})),))
    check_walk(scenario.client, scenario.incidents, filt, [("k8s.ns", True)])
    found = wire_values(filter_values(scenario.client, filt))
    assert found.contextual == model_values([inc for inc in scenario.incidents if filt.matches(inc)]).contextual


def test_created_at_range_bounds_finer_than_a_microsecond(scenario):
    """start <= created_at < end holds at nanosecond bounds though times are kept in microseconds."""
    created = sorted(inc.created_at for inc in scenario.incidents)[10]
    start, end = ts(created), ts(created)
    start.nanos += 1
    end.nanos += 1
    after = pb.IncidentQueryFilter()
    after.created_at_range.start_time.CopyFrom(start)
    until = pb.IncidentQueryFilter()
    until.created_at_range.end_time.CopyFrom(end)
    counts = []
    for f in (after, until):
        request = svc.ListIncidentAggregationsRequest(filter=f)
        counts.append(
            scenario.client.incidents.ListIncidentAggregations(request).incident_aggs[0].all_values_count.value
        )
    assert counts == [
        len([inc for inc in scenario.incidents if inc.created_at > created]),
        len([inc for inc in scenario.incidents if inc.created_at <= created]),
    ]


@pytest.mark.parametrize("key", ["zoné", 'we"ird', "back\\slash"], ids=["non-ascii", "quote", "backslash"])
def test_label_keys_with_any_characters_group_and_filter(server, key):
    """SQLite looks label keys up by row, not by a JSON path that '"' or '\\' would break."""
    client = new_client(server)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    events = [
        alert(f"key-{j}", f"key-{j}-e", at=start + timedelta(minutes=j), contextual_labels={key: f"v{j % 2}"})
        for j in range(3)
    ] + [alert("key-none", "key-none-e", at=start + timedelta(minutes=9))]
    client.ingestion.ReportAlertEvents(report(*events))
    listed = wire_values(filter_values(client, None)).contextual
    assert listed == {key: [("v0", 2), ("v1", 1)]}
    found = walk(client, ALL, [(key, False)]).items
    assert [(g.values, g.count) for g in found] == [(("",), 1), (("v0",), 2), (("v1",), 1)]
    [group] = walk(client, Filt(contextual=((key, frozenset({"v1"})),)), []).items
    assert group.count == 1


# ---- changes while paging, deletes -------------------------------------------------------------


def test_groups_created_while_paging_never_shift_the_walk(server):
    client = new_client(server)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    events = [alert(f"walk-{j}", f"walk-{j}-e", at=start + timedelta(seconds=j)) for j in range(12)]
    original = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    group_bys = [(pb.INCIDENTS_FIELDS_ID, False)]
    seen: list[str] = []
    token = ""
    for page in range(100):
        response = client.incidents.ListIncidentAggregations(aggregations_request(ALL, group_bys, 3, token))
        seen += [agg.group_bys_value[0].incident_field.id.value for agg in response.incident_aggs]
        token = response.pagination.next_page_token.value
        if not token:
            break
        client.ingestion.ReportAlertEvents(report(alert(f"new-{page}", f"new-{page}-e")))
    assert len(seen) == len(set(seen))
    assert set(original) <= set(seen)
    assert seen == sorted(seen)


def test_deleted_incidents_leave_aggregations_and_filter_values(server):
    client = new_client(server)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=5)
    events = [
        alert(f"del-{j}", f"del-{j}-e", at=start + timedelta(minutes=j), contextual_labels={"region": f"r{j}"})
        for j in range(3)
    ]
    ids = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs(ids[:1])))
    response = client.incidents.ListIncidentAggregations(aggregations_request(ALL, [("region", False)]))
    assert [agg.group_bys_value[0].contextual_labels.field_value.value for agg in response.incident_aggs] == [
        "r1",
        "r2",
    ]
    [group] = walk(client, ALL, []).items
    assert group.count == 2 and set(group.ids) == set(ids[1:])
    found = wire_values(filter_values(client, None))
    assert found.contextual == {"region": [("r1", 1), ("r2", 1)]}


# ---- a team with more than 100 values: caps on ids and values ----------------------------------


@pytest.fixture(scope="module")
def wide_team(server: Any) -> tuple[Client, list[Inc]]:
    """105 incidents; label value v{j} for j < 101, then v050, v051, v052, v052 again."""
    client = new_client(server)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
    values = [f"v{j:03d}" for j in range(101)] + ["v050", "v051", "v052", "v052"]
    events = []
    for j, value in enumerate(values):
        # Pairs of incidents share a created_at: the id breaks the tie in list_incidents_id.
        event = alert(
            f"wide-{j}",
            f"wide-{j}-e",
            at=start + timedelta(seconds=j // 2),
            contextual_labels={"k": value},
            display_labels={"d": value},
        )
        event.meta_labels.append(pb.MetaLabel(key=sv("m"), value=sv(value)))
        events.append(event)
    ids = [r.incident_id for r in client.ingestion.ReportAlertEvents(report(*events)).results]
    found = client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(ids)))
    return client, [_inc_from_wire(found.incidents[i], ("", "")) for i in ids]


def test_group_lists_at_most_100_incident_ids_newest_first(wide_team):
    client, incs = wide_team
    [group] = check_walk(client, incs, ALL, [])
    assert group.count == 105
    assert len(group.ids) == 100
    assert group.ids == [inc.id for inc in _newest_first(incs)][:100]


def test_group_counts_its_100_most_common_meta_labels(wide_team):
    """101 distinct meta labels in one group: the 100 most common are counted; of the rarest, the last
    in order (v100) is dropped."""
    client, _ = wide_team
    [group] = walk(client, ALL, []).items
    assert len(group.meta) == 100
    assert list(group.meta.items())[:3] == [(("m", "v052"), 3), (("m", "v050"), 2), (("m", "v051"), 2)]
    assert ("m", "v100") not in group.meta and ("m", "v099") in group.meta


def test_default_page_size_is_50_groups(wide_team):
    client, _ = wide_team
    found = walk(client, ALL, [(pb.INCIDENTS_FIELDS_ID, False)])
    assert found.page_lengths == [50, 50, 5]
    assert found.totals == [105, 105, 105]


def test_page_size_above_1000_means_1000(wide_team):
    client, _ = wide_team
    response = client.incidents.ListIncidentAggregations(aggregations_request(ALL, [("k", False)], page_size=5000))
    assert len(response.incident_aggs) == 101
    assert not response.pagination.next_page_token.value


def test_group_by_label_with_more_than_100_values_pages_through_all(wide_team):
    client, incs = wide_team
    groups = check_walk(client, incs, ALL, [("k", True)], page_size=30)
    assert len(groups) == 101


def test_filter_values_keep_the_100_most_frequent_values_per_key(wide_team):
    client, _ = wide_team
    found = wire_values(filter_values(client, None))
    expected = [("v052", 3), ("v050", 2), ("v051", 2)] + [(f"v{j:03d}", 1) for j in range(100) if j not in (50, 51, 52)]
    assert len(expected) == 100
    assert found.contextual["k"] == expected
    assert found.display["d"] == expected
    assert found.meta == {("m", value): n for value, n in expected}


# ---- the property ------------------------------------------------------------------------------


def _label_filter(keys: dict[str, list[str]]) -> st.SearchStrategy[tuple[tuple[str, frozenset[str]], ...]]:
    entry = st.sampled_from(sorted(keys)).flatmap(
        lambda key: st.tuples(st.just(key), st.frozensets(st.sampled_from(keys[key]), min_size=1, max_size=2))
    )
    return st.lists(entry, max_size=2, unique_by=lambda item: item[0]).map(tuple)


def _filters(incs: Sequence[Inc]) -> st.SearchStrategy[Filt]:
    times = sorted({inc.created_at for inc in incs})
    moments = st.one_of(
        st.none(), st.sampled_from(times), st.sampled_from(times).map(lambda t: t + timedelta(minutes=1))
    )
    pairs = sorted({pair for inc in incs for pair in inc.meta} | {("env", "none")})
    return st.builds(
        Filt,
        statuses=st.frozensets(st.sampled_from(STATUSES), max_size=2),
        states=st.frozensets(st.sampled_from(STATES), max_size=1),
        severities=st.frozensets(st.sampled_from(SEVERITIES), max_size=3),
        assignees=st.frozensets(st.sampled_from([*ASSIGNEES, "zed"]), max_size=2),
        application_names=st.frozensets(st.sampled_from(["api", "web", "batch", "none"]), max_size=2),
        subsystem_names=st.frozensets(st.sampled_from(["db", "cache"]), max_size=1),
        contextual=_label_filter(
            {
                "region": ["eu", "us", "ap", "zz"],
                "cluster": ["c1", "c2"],
                "zone": ["0", "10", "2"],
                "nokey": ["x"],
            }
        ),
        display=_label_filter({"team": TEAMS, "application_name": ["api", "web"]}),
        meta=st.lists(st.sampled_from(pairs), max_size=2, unique=True).map(tuple),
        meta_and=st.booleans(),
        is_muted=st.sampled_from([None, True, False]),
        created_from=moments,
        created_to=moments,
        name_search=st.sampled_from([None, "e", "LEAK", "ren", "x"]),
    )


GROUP_SPECS = st.lists(
    st.tuples(st.sampled_from([*GROUP_FIELDS, *GROUP_LABELS]), st.booleans()),
    max_size=3,
    unique_by=lambda spec: spec[0],
)


def test_random_filters_group_bys_and_page_sizes_match_the_model(scenario):
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        filt=_filters(scenario.incidents),
        group_bys=GROUP_SPECS,
        page_size=st.sampled_from([0, 1, 2, 3, 5, 8, 13]),
    )
    def check(filt: Filt, group_bys: list[GroupSpec], page_size: int) -> None:
        check_walk(scenario.client, scenario.incidents, filt, group_bys, page_size)

    check()
