"""SPEC 11: every request is bounded before it runs.

Each repeated field of every rpc has a cap. One past it is INVALID_ARGUMENT whose google.rpc.BadRequest
names the field and whose description says the cap; exactly at it the request is served. A request
of a huge shape (thousands of label keys, tens of thousands of values) is refused before any
statement about incidents reaches the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from sqlalchemy import Engine, event

from tests.builders import status_details, sv, svs
from tests.conftest import Client

# The caps of SPEC 11, written out here so a change to the service's constants is noticed.
VALUES_PER_FIELD = 100
LABEL_KEYS = 32
VALUES_PER_KEY = 100
META_LABELS = 100
ORDER_BYS = 10
GROUP_BYS = 3
SEARCH_CHARS = 4096
UPDATE_MASK_PATHS = 6


def _violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    return [
        (v.field, v.description)
        for bad in status_details(error, error_details_pb2.BadRequest)
        for v in bad.field_violations
    ]


def _refused(call: Callable[[], Any], field: str, says: str) -> list[tuple[str, str]]:
    """INVALID_ARGUMENT with a violation naming exactly `field` whose description says the cap."""
    with pytest.raises(grpc.RpcError) as info:
        call()
    error = info.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{error.code()}: {error.details()}"
    violations = _violations(error)
    assert any(f == field and says in d for f, d in violations), f"no ({field!r}, {says!r}) in {violations}"
    assert field in (error.details() or ""), error.details()
    return violations


# ---- the filter of incidents: ListIncidents, ListIncidentAggregations, GetFilterValues ----------------------


@dataclass(frozen=True)
class Cap:
    field: str  # the field the violation names
    says: str  # what its description must say
    limit: int
    request_with: Callable[[int], Any]  # the filter (or request) with that many items in the capped field


def _contextual(keys: int, values: int = 1) -> dict[str, pb.ContextualLabelValues]:
    return {
        f"k{k}": pb.ContextualLabelValues(contextual_label_values=svs([f"v{v}" for v in range(values)]))
        for k in range(keys)
    }


def _display(keys: int, values: int = 1) -> dict[str, pb.DisplayLabelValues]:
    return {
        f"k{k}": pb.DisplayLabelValues(display_label_values=svs([f"v{v}" for v in range(values)])) for k in range(keys)
    }


def _meta(count: int) -> list[pb.MetaLabel]:
    return [pb.MetaLabel(key=sv(f"k{i}"), value=sv(f"v{i}")) for i in range(count)]


def _names(count: int) -> list[Any]:
    return svs([f"name-{i}" for i in range(count)])


Q = pb.IncidentQueryFilter
INCIDENT_FILTER_CAPS = {
    "assignee": Cap("filter.assignee", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(assignee=_names(n))),
    "status": Cap(
        "filter.status", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(status=[pb.INCIDENT_STATUS_TRIGGERED] * n)
    ),
    "state": Cap(
        "filter.state", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(state=[pb.INCIDENT_STATE_TRIGGERED] * n)
    ),
    "severity": Cap(
        "filter.severity", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(severity=[pb.INCIDENT_SEVERITY_LOW] * n)
    ),
    "application_name": Cap(
        "filter.application_name", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(application_name=_names(n))
    ),
    "subsystem_name": Cap(
        "filter.subsystem_name", "limit of 100 values", VALUES_PER_FIELD, lambda n: Q(subsystem_name=_names(n))
    ),
    "contextual_labels keys": Cap(
        "filter.contextual_labels", "limit of 32 label keys", LABEL_KEYS, lambda n: Q(contextual_labels=_contextual(n))
    ),
    "contextual_labels values": Cap(
        "filter.contextual_labels['k0']",
        "limit of 100 values",
        VALUES_PER_KEY,
        lambda n: Q(contextual_labels=_contextual(1, n)),
    ),
    "display_labels keys": Cap(
        "filter.display_labels", "limit of 32 label keys", LABEL_KEYS, lambda n: Q(display_labels=_display(n))
    ),
    "display_labels values": Cap(
        "filter.display_labels['k0']", "limit of 100 values", VALUES_PER_KEY, lambda n: Q(display_labels=_display(1, n))
    ),
    "meta_labels": Cap(
        "filter.meta_labels", "limit of 100 meta labels", META_LABELS, lambda n: Q(meta_labels=_meta(n))
    ),
    "search_query": Cap(
        "filter.search_query.query",
        "limit of 4096 characters",
        SEARCH_CHARS,
        lambda n: Q(search_query=pb.IncidentSearchQuery(query=sv("\u540d" * n))),
    ),
}

INCIDENT_FILTER_RPCS: dict[str, Callable[[pb.IncidentQueryFilter], Message]] = {
    "ListIncidents": lambda f: svc.ListIncidentsRequest(filter=f),
    "ListIncidentAggregations": lambda f: svc.ListIncidentAggregationsRequest(filter=f),
    "GetFilterValues": lambda f: svc.GetFilterValuesRequest(filter=f),
}


@pytest.mark.parametrize("rpc", list(INCIDENT_FILTER_RPCS))
@pytest.mark.parametrize("cap", list(INCIDENT_FILTER_CAPS))
def test_incident_filter_caps(client, rpc, cap):
    c = INCIDENT_FILTER_CAPS[cap]
    call = getattr(client.incidents, rpc)

    call(INCIDENT_FILTER_RPCS[rpc](c.request_with(c.limit)))  # exactly at the cap: served

    _refused(lambda: call(INCIDENT_FILTER_RPCS[rpc](c.request_with(c.limit + 1))), c.field, c.says)


# ---- the filter of events: ListIncidentEvents, its TotalCount and FilterValues ----------------------------

E = pb.IncidentEventQueryFilter
EVENT_FILTER_CAPS = {
    "status": Cap(
        "filter.status", "limit of 100 values", VALUES_PER_FIELD, lambda n: E(status=[pb.INCIDENT_STATUS_TRIGGERED] * n)
    ),
    "severity": Cap(
        "filter.severity", "limit of 100 values", VALUES_PER_FIELD, lambda n: E(severity=[pb.INCIDENT_SEVERITY_LOW] * n)
    ),
    "contextual_labels keys": Cap(
        "filter.contextual_labels", "limit of 32 label keys", LABEL_KEYS, lambda n: E(contextual_labels=_contextual(n))
    ),
    "contextual_labels values": Cap(
        "filter.contextual_labels['k0']",
        "limit of 100 values",
        VALUES_PER_KEY,
        lambda n: E(contextual_labels=_contextual(1, n)),
    ),
    "display_labels keys": Cap(
        "filter.display_labels", "limit of 32 label keys", LABEL_KEYS, lambda n: E(display_labels=_display(n))
    ),
    "display_labels values": Cap(
        "filter.display_labels['k0']", "limit of 100 values", VALUES_PER_KEY, lambda n: E(display_labels=_display(1, n))
    ),
    "labels.meta_labels": Cap(
        "filter.labels.meta_labels",
        "limit of 100 meta labels",
        META_LABELS,
        lambda n: E(labels=pb.LabelsFilter(meta_labels=_meta(n))),
    ),
    "name": Cap("filter.name", "limit of 4096 characters", SEARCH_CHARS, lambda n: E(name=sv("\U0001f600" * n))),
}

EVENT_FILTER_RPCS: dict[str, Callable[[pb.IncidentEventQueryFilter], Message]] = {
    "ListIncidentEvents": lambda f: svc.ListIncidentEventsRequest(filter=f),
    "ListIncidentEventsTotalCount": lambda f: svc.ListIncidentEventsTotalCountRequest(filter=f),
    "ListIncidentEventsFilterValues": lambda f: svc.ListIncidentEventsFilterValuesRequest(filter=f),
}


@pytest.mark.parametrize("rpc", list(EVENT_FILTER_RPCS))
@pytest.mark.parametrize("cap", list(EVENT_FILTER_CAPS))
def test_event_filter_caps(client, rpc, cap):
    c = EVENT_FILTER_CAPS[cap]
    call = getattr(client.incidents, rpc)

    call(EVENT_FILTER_RPCS[rpc](c.request_with(c.limit)))

    _refused(lambda: call(EVENT_FILTER_RPCS[rpc](c.request_with(c.limit + 1))), c.field, c.says)


# ---- order_bys, group_bys, update_mask ----------------------------------------------------------------------

_ORDERABLE = [
    pb.INCIDENTS_FIELDS_SEVERITY,
    pb.INCIDENTS_FIELDS_NAME,
    pb.INCIDENTS_FIELDS_STATE,
    pb.INCIDENTS_FIELDS_STATUS,
    pb.INCIDENTS_FIELDS_CLOSED_TIME,
    pb.INCIDENTS_FIELDS_LAST_STATE_UPDATE_TIME,
    pb.INCIDENTS_FIELDS_APPLICATION_NAME,
    pb.INCIDENTS_FIELDS_SUBSYSTEM_NAME,
    pb.INCIDENTS_FIELDS_DURATION,
]


def _order_bys(count: int) -> svc.ListIncidentsRequest:
    keys = [pb.OrderBy(incident_field=field) for field in _ORDERABLE]
    keys += [pb.OrderBy(contextual_label=sv(f"label-{i}")) for i in range(count)]
    return svc.ListIncidentsRequest(order_bys=keys[:count])


def _group_bys(count: int) -> svc.ListIncidentAggregationsRequest:
    return svc.ListIncidentAggregationsRequest(
        group_bys=[pb.GroupBy(contextual_label=sv(f"label-{i}")) for i in range(count)]
    )


UPDATABLE = ["name", "description", "severity", "contextual_labels", "display_labels", "meta_labels"]


def test_order_bys_cap(client):
    assert len(client.incidents.ListIncidents(_order_bys(ORDER_BYS)).incidents) == 0

    _refused(lambda: client.incidents.ListIncidents(_order_bys(ORDER_BYS + 1)), "order_bys", "limit of 10")


def test_group_bys_cap(client):
    client.incidents.ListIncidentAggregations(_group_bys(GROUP_BYS))

    _refused(lambda: client.incidents.ListIncidentAggregations(_group_bys(GROUP_BYS + 1)), "group_bys", "limit of 3")


def test_update_mask_paths_cap(client):
    incident_id = client.management.CreateIncident(api.CreateIncidentRequest(name="before")).incident.id.value

    def update(paths: list[str]) -> pb.Incident:
        request = api.UpdateIncidentRequest(
            incident_id=incident_id,
            name="after",
            severity=pb.INCIDENT_SEVERITY_ERROR,
            update_mask=FieldMask(paths=paths),
        )
        return client.management.UpdateIncident(request).incident

    assert update(UPDATABLE).name.value == "after"
    assert len(UPDATABLE) == UPDATE_MASK_PATHS

    _refused(lambda: update([*UPDATABLE, "name"]), "update_mask.paths", "limit of 6 paths")
    _refused(lambda: update(["name"] * 10_000), "update_mask.paths", "limit of 6 paths")


def test_every_cap_passed_in_one_request_is_named(client):
    request = svc.ListIncidentsRequest(
        filter=Q(assignee=_names(101), contextual_labels=_contextual(33), meta_labels=_meta(101)),
        order_bys=_order_bys(11).order_bys,
    )

    violations = _refused(lambda: client.incidents.ListIncidents(request), "filter.assignee", "limit of 100")

    fields = {field for field, _ in violations}
    assert {"filter.assignee", "filter.contextual_labels", "filter.meta_labels", "order_bys"} <= fields


# ---- huge shapes never reach the database --------------------------------------------------------------------


@contextmanager
def _statements_about_incidents(engine: Engine) -> Iterator[list[str]]:
    """Statements on the incident tables run (by any engine of this process) while the block runs."""
    seen: list[str] = []
    lock = threading.Lock()

    def record(conn, cursor, statement, parameters, context, executemany):
        if "incident" in statement.lower():
            with lock:
                seen.append(statement[:200])

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


HUGE = {
    "1000 contextual label keys": (
        lambda: svc.ListIncidentsRequest(filter=Q(contextual_labels=_contextual(1000))),
        "ListIncidents",
        "filter.contextual_labels",
    ),
    "70000 assignees": (
        lambda: svc.ListIncidentsRequest(filter=Q(assignee=_names(70_000))),
        "ListIncidents",
        "filter.assignee",
    ),
    "one label key with 70000 values": (
        lambda: svc.GetFilterValuesRequest(filter=Q(display_labels=_display(1, 70_000))),
        "GetFilterValues",
        "filter.display_labels['k0']",
    ),
    "70000 event statuses": (
        lambda: svc.ListIncidentEventsRequest(filter=E(status=[pb.INCIDENT_STATUS_ACKNOWLEDGED] * 70_000)),
        "ListIncidentEvents",
        "filter.status",
    ),
    "10000 meta labels in an aggregation": (
        lambda: svc.ListIncidentAggregationsRequest(filter=Q(meta_labels=_meta(10_000))),
        "ListIncidentAggregations",
        "filter.meta_labels",
    ),
}


@pytest.mark.parametrize("shape", list(HUGE))
def test_a_huge_request_is_refused_before_any_statement_runs(server, client: Client, shape):
    build, rpc, field = HUGE[shape]
    request = build()
    call = getattr(client.incidents, rpc)

    with _statements_about_incidents(server.engine) as statements:
        _refused(lambda: call(request), field, "more than the limit")
    assert statements == []

    # The same rpc within its caps does query the incidents (so the recording above would have seen it).
    with _statements_about_incidents(server.engine) as statements:
        call(type(request)())
    assert statements
