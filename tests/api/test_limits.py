"""The limits of SPEC section 7, message size and deadlines, over the real channel.

Every limit is refused with INVALID_ARGUMENT whose google.rpc.BadRequest names the field and whose
description (and message) names the limit, and a request exactly at the limit is served. Over the
server's message size (server.MAX_REQUEST_BYTES) the answer is RESOURCE_EXHAUSTED. A call whose
deadline passes answers DEADLINE_EXCEEDED, and a write is all or nothing (SPEC 9: one call is one
transaction), whether or not the service finishes it after the client gave up.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import Message
from google.protobuf.wrappers_pb2 import UInt32Value
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from sqlalchemy import text

from incidents_service.server import MAX_REQUEST_BYTES
from tests.builders import alert, get, report, status_details, sv, svs
from tests.conftest import Client, TeamFactory

MAX_IDS = 1000
MAX_NAME = 1024
MAX_DESCRIPTION_BYTES = 64 * 1024
MAX_LABEL_KEY = 256
MAX_LABEL_VALUE = 4096
MAX_LABELS = 256
MAX_EVENTS = 1000


def _text(length: int, alphabet: str = "a\u540d\U0001f600") -> str:
    """`length` characters, mixing 1-, 3- and 4-byte UTF-8 characters: limits count characters."""
    return (alphabet * (length // len(alphabet) + 1))[:length]


def _violations(error: grpc.RpcError) -> list[tuple[str, str]]:
    return [
        (v.field, v.description)
        for bad in status_details(error, error_details_pb2.BadRequest)
        for v in bad.field_violations
    ]


def _refused(call: Callable[[], Any], field: str, limit: str) -> grpc.RpcError:
    """INVALID_ARGUMENT whose BadRequest names `field` (or a field under it) and says which limit."""
    with pytest.raises(grpc.RpcError) as info:
        call()
    error = info.value
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, f"{error.code()}: {error.details()}"
    violations = _violations(error)
    naming = [(f, d) for f, d in violations if f == field or f.startswith((f"{field}[", f"{field}."))]
    assert naming, f"no violation names {field!r}: {violations}"
    assert any(limit in description for _, description in naming), f"no violation says {limit!r}: {naming}"
    assert field.split("[")[0] in (error.details() or ""), error.details()
    return error


def _total(client: Client) -> int:
    return client.incidents.ListIncidents(svc.ListIncidentsRequest()).pagination.total_size.value


def _frozen(client: Client, incident_id: str) -> bytes:
    incident = client.incidents.GetIncident(get(incident_id)).incident
    incident.ClearField("duration")
    return incident.SerializeToString(deterministic=True)


def _create(client: Client, **fields: Any) -> pb.Incident:
    fields.setdefault("name", "limits")
    return client.management.CreateIncident(api.CreateIncidentRequest(**fields)).incident


def _serving(channel: grpc.Channel) -> bool:
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
    return response.status == health_pb2.HealthCheckResponse.SERVING


def _meta(pairs: dict[str, str]) -> list[pb.MetaLabel]:
    return [pb.MetaLabel(key=sv(key), value=sv(value)) for key, value in pairs.items()]


# ---- teams with many incidents (module-scoped: built once per backend) -----------------------------------


@dataclass
class Thousand:
    client: Client
    incident_ids: list[str]
    results: list[api.AlertEventResult]


def _report_many(client: Client, count: int, prefix: str) -> list[api.AlertEventResult]:
    events = [alert(f"{prefix}-corr-{i}", f"{prefix}-cx-{i}") for i in range(count)]
    return list(client.ingestion.ReportAlertEvents(report(*events), timeout=120).results)


@pytest.fixture(scope="module")
def thousand(server) -> Thousand:
    """A team with exactly 1000 open incidents, made by one ReportAlertEvents call of 1000 events."""
    client = TeamFactory(server).team()
    results = _report_many(client, MAX_EVENTS, "k")
    return Thousand(client, [result.incident_id for result in results], results)


CROWDED = 5000


@pytest.fixture(scope="module")
def crowded(server) -> Client:
    """A team with several thousand incidents, each with its own labels: aggregating them takes a while."""
    client = TeamFactory(server).team()
    for batch in range(CROWDED // MAX_EVENTS):
        events = [
            alert(f"c{batch}-corr-{i}", f"c{batch}-cx-{i}", contextual_labels={"host": f"h{batch}-{i}", "pod": f"p{i}"})
            for i in range(MAX_EVENTS)
        ]
        client.ingestion.ReportAlertEvents(report(*events), timeout=120)
    return client


# ---- ids per call -----------------------------------------------------------------------------------------


def _assign(ids: list[str]) -> Message:
    return svc.AssignIncidentsRequest(
        assigned_to=pb.UserDetails(user_id=sv("carol@example.com")), incident_ids=svs(ids)
    )


BATCH_RPCS: dict[str, tuple[str, str, Callable[[list[str]], Message]]] = {
    # name: (stub, ids field, request)
    "BatchGetIncident": ("incidents", "ids", lambda ids: svc.BatchGetIncidentRequest(ids=svs(ids))),
    "AssignIncidents": ("incidents", "incident_ids", _assign),
    "UnassignIncidents": ("incidents", "incident_ids", lambda ids: svc.UnassignIncidentsRequest(incident_ids=svs(ids))),
    "AcknowledgeIncidents": (
        "incidents",
        "incident_ids",
        lambda ids: svc.AcknowledgeIncidentsRequest(incident_ids=svs(ids)),
    ),
    "SnoozeIncidents": (
        "management",
        "incident_ids",
        lambda ids: api.SnoozeIncidentsRequest(incident_ids=ids, duration_minutes=5),
    ),
    "ResolveIncidents": ("incidents", "incident_ids", lambda ids: svc.ResolveIncidentsRequest(incident_ids=svs(ids))),
    "CloseIncidents": ("incidents", "incident_ids", lambda ids: svc.CloseIncidentsRequest(incident_ids=svs(ids))),
    "DeleteIncidents": ("incidents", "incident_ids", lambda ids: svc.DeleteIncidentsRequest(incident_ids=svs(ids))),
}


def _batch_call(client: Client, name: str, ids: list[str]) -> Message:
    stub, _, request = BATCH_RPCS[name]
    return getattr(getattr(client, stub), name)(request(ids), timeout=120)


@pytest.mark.parametrize("name", list(BATCH_RPCS))
def test_more_than_1000_ids_are_refused_naming_the_limit_and_nothing_changes(client, name):
    mine = _create(client).id.value
    before = _frozen(client, mine)
    ids = [mine] + [str(uuid.uuid4()) for _ in range(MAX_IDS)]

    _refused(lambda: _batch_call(client, name, ids), BATCH_RPCS[name][1], str(MAX_IDS))

    assert _frozen(client, mine) == before


def test_exactly_1000_alert_events_are_accepted(thousand):
    assert len(thousand.results) == MAX_EVENTS
    assert {result.outcome for result in thousand.results} == {api.AlertEventResult.CREATED}
    assert len(set(thousand.incident_ids)) == MAX_EVENTS
    assert _total(thousand.client) == MAX_EVENTS


# In this order every action is allowed on every incident (acknowledge before resolve, delete last):
# pytest keeps the order of the parameters.
@pytest.mark.parametrize("name", list(BATCH_RPCS))
def test_exactly_1000_ids_are_accepted(thousand, name):
    response = _batch_call(thousand.client, name, thousand.incident_ids)

    if name == "BatchGetIncident":
        assert set(response.incidents) == set(thousand.incident_ids)
        assert list(response.not_found_ids) == []
    elif name == "DeleteIncidents":
        assert [v.value for v in response.deleted_ids] == thousand.incident_ids
        assert _total(thousand.client) == 0
    else:
        assert [incident.id.value for incident in response.incidents] == thousand.incident_ids


# ---- names and descriptions ---------------------------------------------------------------------------


def _alert_with(**fields: Any) -> api.ReportAlertEventsRequest:
    return report(alert(f"corr-{uuid.uuid4()}", f"cx-{uuid.uuid4()}", **fields))


@dataclass(frozen=True)
class TextCase:
    field: str  # the request field
    length_of: Callable[[str], int]  # how the limit measures the text
    limit: int
    says: str  # what the refusal's description must contain
    alphabet: str


TEXT_CASES = {
    "name": TextCase("name", len, MAX_NAME, "1024", "a\u540d\U0001f600"),
    "description": TextCase("description", lambda s: len(s.encode()), MAX_DESCRIPTION_BYTES, "64 KiB", "a"),
    "description (2-byte characters)": TextCase(
        "description", lambda s: len(s.encode()), MAX_DESCRIPTION_BYTES, "64 KiB", "\u00e9"
    ),
}


def _sized(case: TextCase, over: bool) -> str:
    per_char = len(case.alphabet[0].encode()) if case.length_of is not len else 1
    text = _text(case.limit // per_char, case.alphabet)
    assert case.length_of(text) == case.limit
    return text + "a" if over else text


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_create_incident_text_limits(client, case):
    c = TEXT_CASES[case]
    at_limit = _create(client, **{c.field: _sized(c, over=False)})
    assert getattr(at_limit, c.field).value == _sized(c, over=False)
    before = _total(client)

    _refused(lambda: _create(client, **{c.field: _sized(c, over=True)}), c.field, c.says)

    assert _total(client) == before


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_update_incident_text_limits(client, case):
    c = TEXT_CASES[case]
    incident_id = _create(client).id.value

    def update(text: str) -> pb.Incident:
        request = api.UpdateIncidentRequest(incident_id=incident_id, update_mask=FieldMask(paths=[c.field]))
        setattr(request, c.field, text)
        return client.management.UpdateIncident(request).incident

    assert getattr(update(_sized(c, over=False)), c.field).value == _sized(c, over=False)
    before = _frozen(client, incident_id)
    _refused(lambda: update(_sized(c, over=True)), c.field, c.says)
    assert _frozen(client, incident_id) == before


@pytest.mark.parametrize("case", list(TEXT_CASES))
def test_alert_event_text_limits(client, case):
    c = TEXT_CASES[case]
    [result] = client.ingestion.ReportAlertEvents(_alert_with(**{c.field: _sized(c, over=False)})).results
    assert result.outcome == api.AlertEventResult.CREATED
    incident = client.incidents.GetIncident(get(result.incident_id)).incident
    assert getattr(incident, c.field).value == _sized(c, over=False)
    before = _total(client)

    over = _alert_with(**{c.field: _sized(c, over=True)})
    _refused(lambda: client.ingestion.ReportAlertEvents(over), f"events[0].{c.field}", c.says)

    assert _total(client) == before


# ---- labels -----------------------------------------------------------------------------------------------

LABEL_KINDS = ["contextual_labels", "display_labels", "meta_labels"]


def _labels(kind: str, pairs: dict[str, str]) -> dict[str, Any]:
    return {kind: _meta(pairs) if kind == "meta_labels" else pairs}


def _shown(incident: pb.Incident, kind: str) -> dict[str, str]:
    if kind == "meta_labels":
        return {label.key.value: label.value.value for label in incident.meta_labels}
    return dict(getattr(incident, kind))


def _label_call(client: Client, rpc: str, kind: str, pairs: dict[str, str], incident_id: str = "") -> pb.Incident:
    """The incident after creating / updating / alerting it with these labels of one kind."""
    if rpc == "CreateIncident":
        return _create(client, **_labels(kind, pairs))
    if rpc == "UpdateIncident":
        request = api.UpdateIncidentRequest(incident_id=incident_id, update_mask=FieldMask(paths=[kind]))
        request.MergeFrom(api.UpdateIncidentRequest(**_labels(kind, pairs)))
        return client.management.UpdateIncident(request).incident
    [result] = client.ingestion.ReportAlertEvents(_alert_with(**{kind: pairs})).results  # alert() builds MetaLabels
    return client.incidents.GetIncident(get(result.incident_id)).incident


LABEL_RPCS = ["CreateIncident", "UpdateIncident", "ReportAlertEvents"]


def _label_field(rpc: str, kind: str) -> str:
    return f"events[0].{kind}" if rpc == "ReportAlertEvents" else kind


@pytest.mark.parametrize("kind", LABEL_KINDS)
@pytest.mark.parametrize("rpc", LABEL_RPCS)
def test_label_key_and_value_lengths(client, rpc, kind):
    incident_id = _create(client).id.value if rpc == "UpdateIncident" else ""
    key_at, value_at = _text(MAX_LABEL_KEY), _text(MAX_LABEL_VALUE)

    served = _label_call(client, rpc, kind, {key_at: value_at, "k": "v"}, incident_id)

    assert _shown(served, kind)[key_at] == value_at
    before = _total(client), _frozen(client, incident_id) if incident_id else b""
    field = _label_field(rpc, kind)
    _refused(lambda: _label_call(client, rpc, kind, {key_at + "x": "v"}, incident_id), field, str(MAX_LABEL_KEY))
    _refused(lambda: _label_call(client, rpc, kind, {"k": value_at + "x"}, incident_id), field, str(MAX_LABEL_VALUE))
    assert (_total(client), _frozen(client, incident_id) if incident_id else b"") == before


def _many(count: int, prefix: str = "key") -> dict[str, str]:
    return {f"{prefix}-{i}": f"value-{i}" for i in range(count)}


@pytest.mark.parametrize("kind", LABEL_KINDS)
@pytest.mark.parametrize("rpc", LABEL_RPCS)
def test_256_labels_of_a_kind_are_accepted_and_257_refused(client, rpc, kind):
    incident_id = _create(client).id.value if rpc == "UpdateIncident" else ""

    served = _label_call(client, rpc, kind, _many(MAX_LABELS), incident_id)

    assert _shown(served, kind) == _many(MAX_LABELS)
    before = _total(client), _frozen(client, incident_id) if incident_id else b""
    over = _many(MAX_LABELS + 1)
    _refused(lambda: _label_call(client, rpc, kind, over, incident_id), _label_field(rpc, kind), str(MAX_LABELS))
    assert (_total(client), _frozen(client, incident_id) if incident_id else b"") == before


@pytest.mark.parametrize("kind", LABEL_KINDS)
def test_labels_merged_across_alert_events_are_limited_to_256_per_incident(client, kind):
    correlation_key = f"corr-{uuid.uuid4()}"

    def send(*label_sets: dict[str, str]) -> list[api.AlertEventResult]:
        events = [alert(correlation_key, f"cx-{uuid.uuid4()}", **{kind: labels}) for labels in label_sets]
        return list(client.ingestion.ReportAlertEvents(report(*events)).results)

    # In one call: 200 labels, then 57 more for the same incident: refused, and nothing is applied.
    _refused(lambda: send(_many(200), _many(57, "more")), "events[1]", str(MAX_LABELS))
    assert _total(client) == 0
    # Across calls: 200, then 57 more: refused, the incident keeps its 200; 56 more make exactly 256.
    [first] = send(_many(200))
    before = _frozen(client, first.incident_id)
    _refused(lambda: send(_many(57, "more")), "events[0]", str(MAX_LABELS))
    assert _frozen(client, first.incident_id) == before
    [merged] = send(_many(56, "more"))
    assert merged.incident_id == first.incident_id
    shown = _shown(client.incidents.GetIncident(get(first.incident_id)).incident, kind)
    assert shown == {**_many(200), **_many(56, "more")}
    assert len(shown) == MAX_LABELS


# ---- alert events per call ---------------------------------------------------------------------------------


def test_more_than_1000_alert_events_are_refused_naming_the_limit(client):
    events = [alert(f"corr-{i}", f"cx-{i}") for i in range(MAX_EVENTS + 1)]

    _refused(lambda: client.ingestion.ReportAlertEvents(report(*events), timeout=60), "events", str(MAX_EVENTS))

    assert _total(client) == 0


# ---- message size --------------------------------------------------------------------------------------------


def test_a_message_over_the_servers_size_limit_is_resource_exhausted(server, client):
    request = api.CreateIncidentRequest(name="huge", description="a" * (MAX_REQUEST_BYTES + 1))
    assert request.ByteSize() > MAX_REQUEST_BYTES

    with pytest.raises(grpc.RpcError) as info:
        client.management.CreateIncident(request, timeout=60)

    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, info.value.details()
    assert _total(client) == 0
    assert _serving(server.channel)


def test_a_batch_of_valid_alert_events_over_the_size_limit_is_resource_exhausted_and_applies_nothing(server, client):
    description = "d" * (MAX_DESCRIPTION_BYTES - 100)  # each event within every limit
    count = MAX_REQUEST_BYTES // len(description) + 2
    request = report(*[alert(f"corr-{i}", f"cx-{i}", description=description) for i in range(count)])
    assert count <= MAX_EVENTS and request.ByteSize() > MAX_REQUEST_BYTES

    with pytest.raises(grpc.RpcError) as info:
        client.ingestion.ReportAlertEvents(request, timeout=60)

    assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, info.value.details()
    assert _total(client) == 0
    assert _serving(server.channel)


def test_a_message_just_under_the_size_limit_reaches_the_service(client):
    """The limit is the server's: a message of nearly MAX_REQUEST_BYTES is read and judged on its content."""
    request = api.CreateIncidentRequest(name="big", description="a" * (MAX_REQUEST_BYTES - 64))
    assert request.ByteSize() <= MAX_REQUEST_BYTES

    _refused(lambda: client.management.CreateIncident(request, timeout=60), "description", "64 KiB")


# ---- deadlines -------------------------------------------------------------------------------------------------

DEADLINE = 0.05


def _slow_aggregation() -> svc.ListIncidentAggregationsRequest:
    # One group per incident (two contextual labels), 1000 groups on the page, each with its breakdowns.
    return svc.ListIncidentAggregationsRequest(
        group_bys=[pb.GroupBy(contextual_label=sv("host")), pb.GroupBy(contextual_label=sv("pod"))],
        pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000)),
    )


def _sessions(server, state_pattern: str) -> int:
    """Other PostgreSQL sessions of the test database whose state matches (LIKE); 0 on SQLite."""
    if server.engine.dialect.name != "postgresql":
        return 0
    with server.engine.connect() as connection:
        return connection.execute(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE :pattern AND pid <> pg_backend_pid() "
                # The server's health probe runs SELECT 1 every 2 seconds, and its notification
                # dispatcher looks for work every half second: not the call's work (seen active in CI).
                "AND query <> 'SELECT 1' AND query NOT LIKE '%notification%'"
            ),
            {"pattern": state_pattern},
        ).scalar_one()


def _idle_in_transaction(server) -> int:
    """Sessions left inside a transaction."""
    return _sessions(server, "idle in transaction%")


def _active_queries(server) -> int:
    return _sessions(server, "active")


def _settle(server, seconds: float = 10) -> None:
    """Wait until the service has no query running on the test database (PostgreSQL), or a moment."""
    deadline = time.monotonic() + seconds
    time.sleep(0.2)
    while _active_queries(server) and time.monotonic() < deadline:
        time.sleep(0.1)


def test_a_slow_query_past_its_deadline_is_deadline_exceeded_and_leaves_no_transaction_open(server, crowded):
    started = time.monotonic()
    crowded.incidents.ListIncidentAggregations(_slow_aggregation(), timeout=120)
    uncapped = time.monotonic() - started
    if uncapped < 2 * DEADLINE:
        pytest.skip(f"the aggregation took only {uncapped:.3f}s here: not slow enough to pass a 50 ms deadline")

    with pytest.raises(grpc.RpcError) as info:
        crowded.incidents.ListIncidentAggregations(_slow_aggregation(), timeout=DEADLINE)

    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, info.value.details()
    # The service cancels the query instead of running it to the end for nobody.
    stopped_within = time.monotonic() + min(0.5, uncapped / 2)
    while _active_queries(server) and time.monotonic() < stopped_within:
        time.sleep(0.02)
    assert _active_queries(server) == 0, f"the query kept running after the deadline ({uncapped:.2f}s uncapped)"
    assert _idle_in_transaction(server) == 0
    assert _serving(server.channel)
    assert _total(crowded) == CROWDED


def test_a_write_past_its_deadline_is_rolled_back(server, client):
    events = [alert(f"late-corr-{i}", f"late-cx-{i}") for i in range(MAX_EVENTS)]

    with pytest.raises(grpc.RpcError) as info:
        client.ingestion.ReportAlertEvents(report(*events), timeout=DEADLINE)

    assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED, info.value.details()
    # Whatever the service does after the client gave up, no reader ever sees part of the call.
    seen = []
    deadline = time.monotonic() + 1
    while time.monotonic() < deadline:
        seen.append(_total(client))
        if seen[-1] == MAX_EVENTS:
            break
        time.sleep(0.1)
    _settle(server)
    seen.append(_total(client))
    # The call's transaction was rolled back, not committed after the client gave up.
    assert set(seen) == {0}, f"the call was (partly) committed after its deadline: {sorted(set(seen))}"
    events_count = client.incidents.ListIncidentEventsTotalCount(svc.ListIncidentEventsTotalCountRequest())
    assert events_count.count.value == 0
    assert _idle_in_transaction(server) == 0
    # The same call again, with time to finish, records everything once.
    again = client.ingestion.ReportAlertEvents(report(*events), timeout=120).results
    assert {result.outcome for result in again} == {api.AlertEventResult.CREATED}
    assert _total(client) == MAX_EVENTS


@pytest.fixture(autouse=True)
def _server_still_serving(server) -> Iterator[None]:
    yield
    assert _serving(server.channel)
