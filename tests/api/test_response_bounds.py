"""SPEC 11: responses are bounded.

A page of incidents, groups or events stops early once its encoded size would pass 4 MiB (less a
64 KiB margin) and carries a next_page_token that resumes right after its last item: walking the
pages with a client at gRPC's default 4 MiB receive limit returns every item exactly once, in order.
BatchGetIncident and GetIncidentEvents, which are not paged, answer RESOURCE_EXHAUSTED past it, and so
do batch actions (before their commit: nothing changes). Filter values keep the most common values that
fit.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.wrappers_pb2 import UInt32Value
from google.rpc import error_details_pb2
from incidents_service_api.v1 import incident_insights_pb2 as ins
from incidents_service_api.v1 import incident_insights_pb2_grpc as ins_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import alert, get, report, status_details, sv, svs
from tests.conftest import Client, TeamFactory

CLIENT_LIMIT = 4 * 1024 * 1024  # gRPC's default max receive message length
MAX_RESPONSE = CLIENT_LIMIT - 64 * 1024  # what the service promises (README "Limits")
BIG_LABELS = 60  # contextual and meta labels of 4096 characters each on the big incidents
BIG = 18
HUGE = 1  # incidents at every per-incident limit (256 labels of 4096 characters of each kind)


def _labels(count: int, prefix: str) -> dict[str, str]:
    return {f"{prefix}{i:03d}": f"{prefix}{i:03d}".ljust(4096, "v") for i in range(count)}


def _big_alert(index: int, labels: int, with_display: bool) -> api.AlertEvent:
    return alert(
        f"big-corr-{index}",
        f"big-cx-{index}",
        name=f"big incident {index:02d}",
        description="d" * (64 * 1024),
        contextual_labels=_labels(labels, "c"),
        display_labels=_labels(labels, "d") if with_display else {},
        meta_labels=_labels(labels, "m"),
    )


@dataclass
class BigTeam:
    client: Client
    incident_ids: list[str]  # oldest first


@pytest.fixture(scope="module")
def big_team(server) -> BigTeam:
    """18 incidents of about 0.55 MB and 1 of about 3.2 MB: every page of more than a few passes 4 MiB."""
    client = TeamFactory(server).team()
    ids: list[str] = []
    for start in range(0, BIG, 6):
        events = [_big_alert(i, BIG_LABELS, with_display=False) for i in range(start, start + 6)]
        results = client.ingestion.ReportAlertEvents(report(*events), timeout=120).results
        ids += [result.incident_id for result in results]
    for i in range(BIG, BIG + HUGE):
        huge = report(_big_alert(i, 256, with_display=True))
        [result] = client.ingestion.ReportAlertEvents(huge, timeout=120).results
        ids.append(result.incident_id)
    assert len(set(ids)) == BIG + HUGE
    return BigTeam(client, ids)


def _walk(call: Callable[[Any], Any], request: Any, items: str) -> tuple[list[Any], list[Any]]:
    """Every item of every page, and the pages (each response), following next_page_token to the end."""
    found: list[Any] = []
    pages: list[Any] = []
    while True:
        response = call(request, timeout=60)
        pages.append(response)
        found += list(getattr(response, items))
        token = response.pagination.next_page_token.value
        if not token:
            return found, pages
        request.pagination.page_token.value = token
        assert len(pages) < 200, "the walk does not end"


def _sizes(pages: list[Any]) -> list[int]:
    return [page.ByteSize() for page in pages]


ORDERS = {
    "default (created_at descending)": [],
    "contextual label c000 descending, then name": [
        pb.OrderBy(contextual_label=sv("c000"), direction=pb.ORDER_BY_DIRECTION_DESC),
        pb.OrderBy(incident_field=pb.INCIDENTS_FIELDS_NAME),
    ],
}


@pytest.mark.parametrize("order", list(ORDERS))
def test_list_incidents_pages_stop_under_4_mib_and_walk_every_incident_once(big_team, order):
    request = svc.ListIncidentsRequest(
        order_bys=ORDERS[order], pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000))
    )

    listed, pages = _walk(big_team.client.incidents.ListIncidents, request, "incidents")

    assert max(_sizes(pages)) <= MAX_RESPONSE
    assert len(pages) > 1, "one page held everything: the incidents are too small for this test"
    assert all(page.pagination.total_size.value == BIG + HUGE for page in pages)
    listed_ids = [incident.id.value for incident in listed]
    assert sorted(listed_ids) == sorted(big_team.incident_ids)
    assert len(set(listed_ids)) == len(listed_ids)
    # The same order as a walk whose pages are small enough never to be cut.
    small = svc.ListIncidentsRequest(
        order_bys=ORDERS[order], pagination=pb.PaginationRequest(page_size=UInt32Value(value=1))
    )
    one_by_one, _ = _walk(big_team.client.incidents.ListIncidents, small, "incidents")
    assert listed_ids == [incident.id.value for incident in one_by_one]
    # A page is cut only when the next incident would not fit: each full page is near the limit.
    biggest_incident = max(incident.ByteSize() for incident in listed)
    assert all(size + biggest_incident + 1024 > MAX_RESPONSE for size in _sizes(pages[:-1]))


def test_list_incidents_page_size_stays_a_maximum(big_team):
    request = svc.ListIncidentsRequest(pagination=pb.PaginationRequest(page_size=UInt32Value(value=3)))

    _, pages = _walk(big_team.client.incidents.ListIncidents, request, "incidents")

    assert all(1 <= len(page.incidents) <= 3 for page in pages)
    assert sum(len(page.incidents) for page in pages) == BIG + HUGE


def test_list_incident_events_pages_stop_under_4_mib_and_walk_every_event_once(big_team):
    # Each event carries its incident's contextual labels in its snapshot (incident_permutation).
    request = svc.ListIncidentEventsRequest(pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000)))

    events, pages = _walk(big_team.client.incidents.ListIncidentEvents, request, "items")

    assert max(_sizes(pages)) <= MAX_RESPONSE
    assert len(pages) > 1
    ids = [item.incident_event.id.value for item in events]
    assert len(ids) == len(set(ids)) == 2 * (BIG + HUGE)  # OPEN and UPSERT_STATE of each incident
    timestamps = [item.cx_event_timestamp.ToDatetime() for item in events]
    assert timestamps == sorted(timestamps, reverse=True)


def test_list_incident_aggregations_pages_stop_under_4_mib_and_walk_every_group_once(big_team):
    # Grouped by id, each group counts its incident's 60 (or 256) meta labels of 4096 characters.
    request = svc.ListIncidentAggregationsRequest(
        group_bys=[pb.GroupBy(incident_field=pb.INCIDENTS_FIELDS_ID)],
        pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000)),
    )

    groups, pages = _walk(big_team.client.incidents.ListIncidentAggregations, request, "incident_aggs")

    assert max(_sizes(pages)) <= MAX_RESPONSE
    assert len(pages) > 1
    grouped = [group.group_bys_value[0].incident_field.id.value for group in groups]
    assert sorted(grouped) == grouped
    assert sorted(grouped) == sorted(big_team.incident_ids)


def _resource_exhausted(call: Callable[[], Any]) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()
    error = info.value
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, f"{error.code()}: {error.details()}"
    [reason] = status_details(error, error_details_pb2.ErrorInfo)
    assert reason.reason == "RESPONSE_TOO_LARGE"
    assert int(reason.metadata["limit_bytes"]) == MAX_RESPONSE
    return error


def test_batch_get_past_4_mib_is_resource_exhausted_asking_for_fewer_ids(big_team):
    every = svc.BatchGetIncidentRequest(ids=svs(big_team.incident_ids))

    error = _resource_exhausted(lambda: big_team.client.incidents.BatchGetIncident(every))

    assert "fewer ids" in (error.details() or "")
    # Fewer ids are served, well within a default client's limit.
    few = big_team.client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(big_team.incident_ids[:5])))
    assert set(few.incidents) == set(big_team.incident_ids[:5])
    assert few.ByteSize() <= MAX_RESPONSE


def test_batch_get_just_under_4_mib_is_served(big_team):
    """As many big incidents as fit: the answer is served, one more and it is refused."""
    sizes = {i: big_team.client.incidents.GetIncident(get(i)).incident.ByteSize() for i in big_team.incident_ids[:BIG]}
    chosen: list[str] = []
    total = 0
    for incident_id, size in sizes.items():
        if total + size + 200 > MAX_RESPONSE:
            break
        chosen.append(incident_id)
        total += size + 200

    served = big_team.client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(chosen)))
    assert set(served.incidents) == set(chosen)

    one_more = [*chosen, big_team.incident_ids[BIG]]  # a 3.2 MB incident
    _resource_exhausted(
        lambda: big_team.client.incidents.BatchGetIncident(svc.BatchGetIncidentRequest(ids=svs(one_more)))
    )


def test_a_batch_action_whose_answer_passes_4_mib_is_refused_and_changes_nothing(big_team):
    """The answer of AcknowledgeIncidents lists every incident: past 4 MiB the call is refused before
    its commit, so no incident is acknowledged without its caller hearing of it."""
    every = svc.AcknowledgeIncidentsRequest(incident_ids=svs(big_team.incident_ids))

    error = _resource_exhausted(lambda: big_team.client.incidents.AcknowledgeIncidents(every, timeout=60))

    assert "nothing was changed" in (error.details() or "")
    statuses = {big_team.client.incidents.GetIncident(get(i)).incident.status for i in big_team.incident_ids}
    assert statuses == {pb.INCIDENT_STATUS_TRIGGERED}


DISTINCT = 4  # incidents whose every label value is their own


@pytest.fixture(scope="module")
def distinct_values(server) -> Client:
    """4 incidents with 250 contextual, display and meta labels each, every value 4 KiB and distinct:
    about 12 MB of filter values, three times what one response may carry."""
    client = TeamFactory(server).team()
    for i in range(DISTINCT):
        labels = {f"k{j:03d}": f"{i}-{j:03d}".ljust(4096, "v") for j in range(250)}
        event = alert(
            f"distinct-{i}", f"distinct-{i}-e", contextual_labels=labels, display_labels=labels, meta_labels=labels
        )
        client.ingestion.ReportAlertEvents(report(event), timeout=120)
    return client


def _expected_values(key: str) -> list[str]:
    # Every value counts once: most common first is then by value.
    return sorted(f"{i}-{key[1:]}".ljust(4096, "v") for i in range(DISTINCT))


def test_filter_values_past_4_mib_keep_the_most_common_of_every_kind(distinct_values):
    response = distinct_values.incidents.GetFilterValues(svc.GetFilterValuesRequest(), timeout=60)

    assert response.ByteSize() <= MAX_RESPONSE
    values = response.filters_values
    all_keys = [f"k{j:03d}" for j in range(250)]
    for kind, field in (
        (values.contextual_labels, "contextual_label_value"),
        (values.display_labels, "display_label_value"),
    ):
        kept = sorted(kind)
        assert kept, "a kind got no share of the answer"
        # All keys are equally common (4 incidents each): the leading keys by name, each with its leading values.
        assert kept == all_keys[: len(kept)]
        for key in kept:
            got = [getattr(entry, field).value for entry in kind[key].values_with_count]
            assert got and got == _expected_values(key)[: len(got)], key
        assert sum(len(kind[key].values_with_count) for key in kept) < DISTINCT * len(all_keys)
    pairs = [(entry.meta_label.key.value, entry.meta_label.value.value) for entry in values.meta_labels_with_count]
    expected_pairs = [(key, value) for key in all_keys for value in _expected_values(key)]
    assert pairs and pairs == expected_pairs[: len(pairs)]
    assert len(pairs) < len(expected_pairs)


def test_event_filter_values_past_4_mib_stay_within_one_response(distinct_values):
    response = distinct_values.incidents.ListIncidentEventsFilterValues(
        svc.ListIncidentEventsFilterValuesRequest(), timeout=60
    )

    assert response.ByteSize() <= MAX_RESPONSE
    assert response.filters_values.contextual_labels and response.filters_values.meta_labels_with_count


@pytest.fixture
def long_history(client) -> Iterator[tuple[Client, str]]:
    """An incident with 800 alert events of about 6 KB each on the wire: its whole history passes 4 MiB."""
    correlation_key = f"long-{uuid.uuid4()}"
    source = "\U0001f600" * 1024  # 4 KB of originator system_name on every event
    events = [alert(correlation_key, f"{i:04d}".ljust(512, "\u540d"), source_system=source) for i in range(800)]
    # Two calls: one would pass the 4 MiB request limit.
    results = [
        result
        for half in (events[:400], events[400:])
        for result in client.ingestion.ReportAlertEvents(report(*half), timeout=120).results
    ]
    assert {result.incident_id for result in results} == {results[0].incident_id}
    yield client, results[0].incident_id


def test_get_incident_events_past_4_mib_is_resource_exhausted(long_history):
    client, incident_id = long_history

    error = _resource_exhausted(
        lambda: client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    )

    assert "4 MiB" in (error.details() or "")
    # GetIncident still answers the newest 100 of them.
    assert len(client.incidents.GetIncident(get(incident_id)).incident.events) == 100


def test_get_incident_events_past_its_event_cap_is_resource_exhausted(client, monkeypatch):
    from incidents_service.domain import limits

    [result] = client.ingestion.ReportAlertEvents(report(alert(f"few-{uuid.uuid4()}", "cx-0"))).results
    request = svc.GetIncidentEventsRequest(incident_id=sv(result.incident_id))
    assert len(client.incidents.GetIncidentEvents(request).incident_events) == 2

    # The cap (10,000 in production) lowered so the test needs a handful of events.
    monkeypatch.setattr(limits, "MAX_EVENTS_PER_INCIDENT_RESPONSE", 1)
    error = _resource_exhausted(lambda: client.incidents.GetIncidentEvents(request))
    assert "limit of 1 events" in (error.details() or "")
    monkeypatch.setattr(limits, "MAX_EVENTS_PER_INCIDENT_RESPONSE", 2)
    assert len(client.incidents.GetIncidentEvents(request).incident_events) == 2


def test_notes_and_timeline_pages_stop_under_4_mib_and_walk_every_item_once(client):
    """70 notes of 64 KiB (4.5 MiB) and a timeline whose label changes carry 4 KiB values."""
    notes = ins_grpc.IncidentNotesServiceStub(client.channel)
    insights = ins_grpc.IncidentInsightsServiceStub(client.channel)
    incident_id = client.management.CreateIncident(api.CreateIncidentRequest(name="long notes")).incident.id.value
    bodies = [f"{i:03d}".ljust(64 * 1024, "n") for i in range(70)]
    for body in bodies:
        notes.CreateNote(ins.CreateNoteRequest(incident_id=incident_id, body=body), metadata=client.metadata)

    def list_notes(request: Any, timeout: float) -> Any:
        return notes.ListNotes(request, metadata=client.metadata, timeout=timeout)

    request = ins.ListNotesRequest(
        incident_id=incident_id, pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000))
    )
    found, pages = _walk(list_notes, request, "notes")
    assert [note.body for note in found] == bodies
    assert len(pages) > 1 and max(_sizes(pages)) <= MAX_RESPONSE

    correlation_key = f"timeline-{uuid.uuid4()}"
    incident_ids = set()
    for round_number in range(10):  # each alert replaces 60 labels of 4 KiB: old and new values on the timeline
        labels = {f"k{i:02d}": f"{round_number}-{i}".ljust(4096, "v") for i in range(60)}
        results = client.ingestion.ReportAlertEvents(
            report(alert(correlation_key, f"{correlation_key}-{round_number}", contextual_labels=labels))
        ).results
        incident_ids.add(results[0].incident_id)
    (timeline_incident,) = incident_ids

    def timeline(request: Any, timeout: float) -> Any:
        return insights.GetIncidentTimeline(request, metadata=client.metadata, timeout=timeout)

    request = ins.GetIncidentTimelineRequest(
        incident_id=timeline_incident, pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000))
    )
    one_by_one, _ = _walk(
        timeline,
        ins.GetIncidentTimelineRequest(
            incident_id=timeline_incident, pagination=pb.PaginationRequest(page_size=UInt32Value(value=1))
        ),
        "entries",
    )
    entries, pages = _walk(timeline, request, "entries")
    assert entries == one_by_one
    assert len(pages) > 1 and max(_sizes(pages)) <= MAX_RESPONSE
