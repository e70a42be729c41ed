"""Hostile input for every rpc (SPEC section 7): generated from the request descriptors, sent over the wire.

For every rpc of the three services, Hypothesis builds requests of a valid shape (every field of the
request's DESCRIPTOR, walked recursively: scalars, wrappers, enums with unknown numbers, maps, repeated
fields, oneofs, Timestamps with extreme seconds/nanos, FieldMasks) filled with hostile values: huge
strings, control characters, NUL, SQL and LIKE metacharacters, unicode, and the team's real ids mixed
in so the calls reach the database. A second test sends random bytes as the whole request.

What must hold after every call (SPEC 7: "INTERNAL or UNKNOWN never reach a client for anything a
client sent"):
- the answer is never INTERNAL or UNKNOWN, nor UNAVAILABLE or DEADLINE_EXCEEDED (the database is up and
  the team is tiny: those codes would tell a client to retry a request that can never succeed);
- a refused call changed nothing (the team's incidents and its event log are as before the call);
- the server stays up (health SERVING).

FUZZ_EXAMPLES (default 15) sets the number of examples per rpc. The fuzz channel accepts large trailers
so that the code the service chose is what the test sees (see test_error_trailers_fit_default_client_limits
for what a default client sees). The tests at the end pin the bugs the fuzz found, one case each.
"""

from __future__ import annotations

import hashlib
import os
import random
import string
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf import descriptor as pb_descriptor
from google.protobuf import message_factory
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.protobuf.wrappers_pb2 import StringValue, UInt32Value
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import alert, report, sv, svs, violated_fields
from tests.spec import READ_RPCS, SERVICES

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
FORBIDDEN = {
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.UNAVAILABLE,
    grpc.StatusCode.DEADLINE_EXCEEDED,
}
CALL_TIMEOUT = 30

METHODS = [method for service in SERVICES for method in service.methods]
READ_ONLY = READ_RPCS

TIMESTAMP_MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z
TIMESTAMP_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z


def _path(method: pb_descriptor.MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def _request_class(method: pb_descriptor.MethodDescriptor) -> type[Message]:
    return message_factory.GetMessageClass(method.input_type)


# ---- hostile values --------------------------------------------------------------------------------

SQL_AND_LIKE = [
    "'",
    '"',
    ";",
    "--",
    "%",
    "_",
    "\\",
    "\\%",
    "%_%",
    "' OR '1'='1",
    "'; DROP TABLE incidents; --",
    "x' UNION SELECT * FROM api_keys --",
    "/*",
    "*/",
    "$1",
    "?",
    ":name",
    "$.a",
    '$."a"',
    "[0]",
    "{}",
    "null",
    "\x00",
    "\r\n",
    "\t",
    "\x1b[31m",
    "\u202e",
    "\ufeff",
    "\u0130",
    "\u00df",
    "\U0001f600",
    "\U0010ffff",
    "\u00e9",
    "e\u0301",
]
# Lengths around the limits of SPEC 7 (256 label keys, 1024 names and ids, 4096 label values).
EDGE_LENGTHS = [255, 256, 257, 1023, 1024, 1025, 4095, 4096, 4097, 5000]


def hostile_text() -> st.SearchStrategy[str]:
    atom = st.one_of(
        st.sampled_from(SQL_AND_LIKE),
        st.text(max_size=6),
        st.text(alphabet=st.characters(max_codepoint=0x1F), min_size=1, max_size=4),
        st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", min_size=1, max_size=12),
    )
    small = st.lists(atom, max_size=5).map("".join)
    huge = st.tuples(
        st.sampled_from(["a", "%", "_", "'", "\\", "\u00e9", "\U0001f600", "\x00", "x'; --", "\u4e2d"]),
        st.one_of(st.sampled_from(EDGE_LENGTHS), st.integers(1000, 5000)),
    ).map(lambda pair: (pair[0] * pair[1])[: pair[1]])
    return st.one_of(small, small, small, huge)


def tame_text() -> st.SearchStrategy[str]:
    """Hostile but within every limit, so that calls get past validation into the database."""
    atom = st.one_of(
        st.sampled_from([s for s in SQL_AND_LIKE if "\x00" not in s]),
        st.text(alphabet=st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=6),
        st.text(alphabet=string.ascii_letters + string.digits + "-_.:/", min_size=1, max_size=12),
    )
    return st.lists(atom, min_size=1, max_size=5).map("".join)


def timestamps(tame: bool = False) -> st.SearchStrategy[Timestamp]:
    if tame:  # the recent past: alert events accept it
        return st.builds(Timestamp, seconds=st.integers(1_600_000_000, 1_750_000_000), nanos=st.integers(0, 10**9 - 1))
    seconds = st.one_of(
        st.sampled_from(
            [
                TIMESTAMP_MIN_SECONDS,
                TIMESTAMP_MIN_SECONDS - 1,
                TIMESTAMP_MAX_SECONDS,
                TIMESTAMP_MAX_SECONDS + 1,
                0,
                -1,
                1_700_000_000,
                2**63 - 1,
                -(2**63),
            ]
        ),
        st.integers(TIMESTAMP_MIN_SECONDS, TIMESTAMP_MAX_SECONDS),
    )
    nanos = st.one_of(
        st.sampled_from([0, 1, 999, 1000, 999_999_999, 1_000_000_000, -1, 2**31 - 1, -(2**31)]),
        st.integers(0, 999_999_999),
    )
    return st.builds(Timestamp, seconds=seconds, nanos=nanos)


_INT_RANGES = {
    pb_descriptor.FieldDescriptor.TYPE_INT32: (-(2**31), 2**31 - 1),
    pb_descriptor.FieldDescriptor.TYPE_SINT32: (-(2**31), 2**31 - 1),
    pb_descriptor.FieldDescriptor.TYPE_SFIXED32: (-(2**31), 2**31 - 1),
    pb_descriptor.FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
    pb_descriptor.FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
    pb_descriptor.FieldDescriptor.TYPE_INT64: (-(2**63), 2**63 - 1),
    pb_descriptor.FieldDescriptor.TYPE_SINT64: (-(2**63), 2**63 - 1),
    pb_descriptor.FieldDescriptor.TYPE_SFIXED64: (-(2**63), 2**63 - 1),
    pb_descriptor.FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
    pb_descriptor.FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
}


def _integers(low: int, high: int, tame: bool) -> st.SearchStrategy[int]:
    if tame:
        return st.integers(max(low, 0), min(high, 2000))
    edges = [v for v in (low, high, 0, 1, -1, 50, 1000, 1001, 10080, 10081) if low <= v <= high]
    return st.one_of(st.sampled_from(edges), st.integers(low, high), st.integers(max(low, -5), min(high, 2000)))


@dataclass
class Known:
    """Real values of the fuzzed team, mixed into the strings so calls reach real rows."""

    values: list[str] = field(default_factory=list)
    incident_ids: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)  # event ids and alert cx_event_keys
    correlation_keys: list[str] = field(default_factory=list)


# Tame requests name the team's own rows in these fields most of the time (a field, or the StringValues
# of a repeated field, of that name).
_ID_FIELDS = {"id": "incident_ids", "ids": "incident_ids", "incident_id": "incident_ids"}
_ID_FIELDS |= {"incident_ids": "incident_ids", "event_id": "event_ids", "correlation_key": "correlation_keys"}


UPDATABLE_PATHS = ["name", "description", "severity", "contextual_labels", "display_labels", "meta_labels"]


class RequestStrategies:
    """Hypothesis strategies for any request message, derived from its descriptor.

    Wild: any value of the field's type (unknown enum numbers, out-of-range timestamps, NUL, strings
    past every limit, missing required fields). Tame: hostile values that stay within the limits
    (SQL and LIKE metacharacters, unicode, control characters, the team's real ids), every string and
    enum field set, so that most calls pass validation and run their queries.
    """

    def __init__(self, known: Known, tame: bool = False) -> None:
        text = tame_text() if tame else hostile_text()
        self.tame = tame
        self.text = st.one_of(text, st.sampled_from(known.values)) if known.values else text
        self._known = known
        self._cache: dict[str, st.SearchStrategy[Message]] = {}

    def message(self, descriptor: pb_descriptor.Descriptor, depth: int = 0) -> st.SearchStrategy[Message]:
        name = descriptor.full_name
        if name == "google.protobuf.Timestamp":
            return timestamps(self.tame)
        if name == "google.protobuf.FieldMask":
            return self._field_masks()
        if name not in self._cache:
            self._cache[name] = self._build(descriptor, depth)
        return self._cache[name]

    def _field_masks(self) -> st.SearchStrategy[Message]:
        path = st.sampled_from(UPDATABLE_PATHS)
        if not self.tame:
            path = st.one_of(path, st.sampled_from(["", "id", "team_id", "name.value", "closed_at", "*"]), self.text)
        # Tame masks stay within the cap of 6 paths; wild ones also pass it.
        size = 6 if self.tame else 8
        return st.builds(FieldMask, paths=st.lists(path, min_size=1 if self.tame else 0, max_size=size))

    def _build(self, descriptor: pb_descriptor.Descriptor, depth: int) -> st.SearchStrategy[Message]:
        if depth > 6:
            return st.just(message_factory.GetMessageClass(descriptor)())
        cls = message_factory.GetMessageClass(descriptor)
        groups = [o for o in descriptor.oneofs if not getattr(o, "is_synthetic", False)]
        strategies = {f.name: self._field(f, depth) for f in descriptor.fields}
        tame = self.tame

        def always(f: pb_descriptor.FieldDescriptor) -> bool:
            return tame and not f.is_repeated and f.type in (f.TYPE_STRING, f.TYPE_ENUM)

        @st.composite
        def build(draw: Callable[[st.SearchStrategy[Any]], Any]) -> Message:
            message = cls()
            chosen = {o.name: draw(st.sampled_from([None, *[f.name for f in o.fields]])) for o in groups}
            for f in descriptor.fields:
                group = f.containing_oneof
                if group is not None and group.name in chosen:
                    if chosen[group.name] != f.name:
                        continue
                elif not always(f) and not draw(st.booleans()):
                    continue
                _assign(message, f, draw(strategies[f.name]))
            return message

        return build()

    def _scalar(self, f: pb_descriptor.FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        kind = f.type
        if kind == f.TYPE_STRING:
            return self.text
        if kind == f.TYPE_BYTES:
            return st.binary(max_size=64)
        if kind == f.TYPE_BOOL:
            return st.booleans()
        if kind in (f.TYPE_DOUBLE, f.TYPE_FLOAT):
            return st.floats(allow_nan=True, allow_infinity=True, width=32 if kind == f.TYPE_FLOAT else 64)
        if kind == f.TYPE_ENUM:
            defined = [value.number for value in f.enum_type.values]
            if self.tame:
                named = [value.number for value in f.enum_type.values if value.number != 0]
                return st.sampled_from(named or defined)
            unknown = [-1, 99, 1000, 2**31 - 1, -(2**31)]
            return st.one_of(st.sampled_from(defined), st.sampled_from(defined), st.sampled_from(unknown))
        if kind == f.TYPE_MESSAGE:
            return self.message(f.message_type, depth + 1)
        low, high = _INT_RANGES[kind]
        return _integers(low, high, self.tame)

    def _own_rows(self, f: pb_descriptor.FieldDescriptor) -> st.SearchStrategy[Any] | None:
        values = getattr(self._known, _ID_FIELDS.get(f.name, "-"), None)
        if not self.tame or not values:
            return None
        text = st.one_of(st.sampled_from(values), st.sampled_from(values), st.sampled_from(values), self.text)
        if f.type == f.TYPE_STRING:
            return text
        if f.message_type is not None and f.message_type.full_name == "google.protobuf.StringValue":
            return st.builds(StringValue, value=text)
        return None

    def _field(self, f: pb_descriptor.FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
        size = 3 if self.tame else 4
        own = self._own_rows(f)
        if own is not None:
            return st.lists(own, min_size=1, max_size=size) if f.is_repeated else own
        if f.message_type is not None and f.message_type.GetOptions().map_entry:
            key_field = f.message_type.fields_by_name["key"]
            value_field = f.message_type.fields_by_name["value"]
            return st.dictionaries(self._scalar(key_field, depth), self._scalar(value_field, depth), max_size=size)
        if f.is_repeated:
            return st.lists(self._scalar(f, depth), max_size=size)
        return self._scalar(f, depth)


def request_strategy(descriptor: pb_descriptor.Descriptor, known: Known) -> st.SearchStrategy[Message]:
    return st.one_of(
        RequestStrategies(known).message(descriptor), RequestStrategies(known, tame=True).message(descriptor)
    )


def _assign(message: Message, f: pb_descriptor.FieldDescriptor, value: Any) -> None:
    target = getattr(message, f.name)
    if f.message_type is not None and f.message_type.GetOptions().map_entry:
        value_is_message = f.message_type.fields_by_name["value"].message_type is not None
        for key, item in value.items():
            if value_is_message:
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif f.is_repeated:
        if f.message_type is not None:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif f.message_type is not None:
        target.CopyFrom(value)
    else:
        setattr(message, f.name, value)


def _walk(message: Message) -> list[Message]:
    """The message and every message inside it (map values and repeated items included)."""
    found = [message]
    for f, value in message.ListFields():
        if f.message_type is None:
            continue
        if f.message_type.GetOptions().map_entry:
            if f.message_type.fields_by_name["value"].message_type is not None:
                for item in value.values():
                    found.extend(_walk(item))
        elif f.is_repeated:
            for item in value:
                found.extend(_walk(item))
        else:
            found.extend(_walk(value))
    return found


# ---- the fuzzed team ---------------------------------------------------------------------------------


@dataclass
class FuzzTeam:
    client: Any
    channel: grpc.Channel
    known: Known

    def snapshot(self) -> tuple[int, str, str]:
        """The team's state: incident count, a hash of its incidents, and a hash of its event log."""
        incidents_hash = hashlib.sha256()
        total = 0
        token = ""
        while True:
            request = svc.ListIncidentsRequest(
                pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000), page_token=sv(token))
            )
            page = self.client.incidents.ListIncidents(request)
            total = page.pagination.total_size.value
            for incident in page.incidents:
                incident.ClearField("duration")  # grows with the clock
                incident.ClearField("is_muted")  # a snooze ends with the clock
                incidents_hash.update(incident.SerializeToString(deterministic=True))
            token = page.pagination.next_page_token.value
            if not token:
                break
        events_hash = hashlib.sha256()
        token = ""
        while True:
            request = svc.ListIncidentEventsRequest(
                pagination=pb.PaginationRequest(page_size=UInt32Value(value=1000), page_token=sv(token))
            )
            page = self.client.incidents.ListIncidentEvents(request)
            for item in page.items:
                events_hash.update(item.SerializeToString(deterministic=True))
            token = page.pagination.next_page_token.value
            if not token:
                break
        return total, incidents_hash.hexdigest(), events_hash.hexdigest()

    def serving(self) -> bool:
        response = health_pb2_grpc.HealthStub(self.channel).Check(health_pb2.HealthCheckRequest(), timeout=10)
        return response.status == health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
def fuzz_channel(server):
    # Trailers of up to 64 KiB: what the service answers is what the test sees, whatever its size.
    channel = grpc.insecure_channel(
        server.address,
        options=[("grpc.max_metadata_size", 64 * 1024), ("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    yield channel
    channel.close()


@pytest.fixture
def fuzz_team(client, fuzz_channel) -> FuzzTeam:
    """A team with a little data: alert incidents (one resolved), a manual one, labels, an assignee."""
    tag = uuid.uuid4().hex[:8]
    results = client.ingestion.ReportAlertEvents(
        report(
            alert(
                f"corr-a-{tag}",
                f"cx-1-{tag}",
                name="disk full on db-1",
                contextual_labels={"env": "prod", "team": "core"},
                display_labels={"owner": "ops"},
                meta_labels={"region": "eu"},
                application_name="billing",
                subsystem_name="db",
            ),
            alert(f"corr-a-{tag}", f"cx-2-{tag}", state=2),
            alert(f"corr-b-{tag}", f"cx-3-{tag}", name="50% of requests_failed", contextual_labels={"env": "dev"}),
        )
    ).results
    created = client.management.CreateIncident(
        api.CreateIncidentRequest(
            name="manual o'reilly; --", assignee="bob@example.com", contextual_labels={"env": "prod"}
        )
    ).incident
    incident_ids = list(dict.fromkeys([r.incident_id for r in results] + [created.id.value]))
    event_ids = [
        event.id.value
        for incident_id in incident_ids
        for event in client.incidents.GetIncidentEvents(
            svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
        ).incident_events
    ]
    known = Known(
        incident_ids
        + event_ids
        + [f"cx-1-{tag}", f"cx-2-{tag}", f"cx-3-{tag}", f"corr-a-{tag}", f"corr-b-{tag}"]
        + ["env", "prod", "team", "core", "owner", "ops", "region", "eu", "billing", "db", "bob@example.com"],
        incident_ids=incident_ids,
        event_ids=[*event_ids, f"cx-1-{tag}", f"cx-2-{tag}", f"cx-3-{tag}"],
        correlation_keys=[f"corr-a-{tag}", f"corr-b-{tag}"],
    )
    return FuzzTeam(client, fuzz_channel, known)


def _settings() -> settings:
    return settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )


def _is_postgres(server) -> bool:
    return server.engine.dialect.name == "postgresql"


def _check_call(team: FuzzTeam, method: pb_descriptor.MethodDescriptor, call: Callable[[], Any], state: dict) -> None:
    """Make one call; check its code, and that a refused call changed nothing."""
    try:
        call()
    except grpc.RpcError as error:
        assert error.code() not in FORBIDDEN, f"{method.name} answered {error.code()}: {error.details()}"
        after = team.snapshot()
        assert after == state["snapshot"], f"{method.name} was refused ({error.code()}) but changed the team's data"
        return
    if method.name not in READ_ONLY:
        state["snapshot"] = team.snapshot()


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_hostile_requests_never_fail_internally_nor_change_data_when_refused(server, fuzz_team, method):
    send = fuzz_team.channel.unary_unary(
        _path(method), request_serializer=lambda message: message.SerializeToString(), response_deserializer=None
    )
    state = {"snapshot": fuzz_team.snapshot()}

    @_settings()
    @given(request=request_strategy(method.input_type, fuzz_team.known))
    def run(request: Message) -> None:
        _check_call(
            fuzz_team,
            method,
            lambda: send(request, metadata=fuzz_team.client.metadata, timeout=CALL_TIMEOUT),
            state,
        )

    run()
    assert fuzz_team.serving()


def _raw_bytes() -> st.SearchStrategy[bytes]:
    # Random bytes, and random bytes after a field tag so that some of them decode into fields.
    tagged = st.tuples(st.integers(1, 20), st.integers(0, 5), st.binary(max_size=64)).map(
        lambda t: bytes([(t[0] << 3) | t[1]]) + t[2]
    )
    return st.one_of(st.binary(max_size=256), tagged)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: m.name)
def test_random_bytes_as_the_request_never_fail_internally(server, fuzz_team, method):
    send = fuzz_team.channel.unary_unary(_path(method))  # identity serializers: the bytes go as they are
    request_class = _request_class(method)
    state = {"snapshot": fuzz_team.snapshot()}

    @_settings()
    @given(raw=_raw_bytes())
    def run(raw: bytes) -> None:
        try:
            decoded = request_class.FromString(raw)
        except DecodeError:
            decoded = None
        try:
            send(raw, metadata=fuzz_team.client.metadata, timeout=CALL_TIMEOUT)
        except grpc.RpcError as error:
            assert error.code() not in FORBIDDEN, f"{method.name} answered {error.code()}: {error.details()}"
            if decoded is None:
                assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
            assert fuzz_team.snapshot() == state["snapshot"], f"refused {method.name} changed the team's data"
            return
        assert decoded is not None, "the server accepted bytes that are not a request message"
        if method.name not in READ_ONLY:
            state["snapshot"] = fuzz_team.snapshot()

    run()
    assert fuzz_team.serving()


# ---- bugs the fuzz found, each pinned by its own case (all fixed) --------------------------------------

FILTER_REQUESTS: dict[str, Callable[[Timestamp], Message]] = {
    "ListIncidents": lambda t: svc.ListIncidentsRequest(filter=pb.IncidentQueryFilter(start_time=t)),
    "ListIncidentAggregations": lambda t: svc.ListIncidentAggregationsRequest(
        filter=pb.IncidentQueryFilter(created_at_range=pb.TimeRange(start_time=t))
    ),
    "GetFilterValues": lambda t: svc.GetFilterValuesRequest(
        filter=pb.IncidentQueryFilter(incident_duration_range=pb.TimeRange(start_time=t))
    ),
    "ListIncidentEvents": lambda t: svc.ListIncidentEventsRequest(
        filter=pb.IncidentEventQueryFilter(timestamp=pb.TimeRange(start_time=t))
    ),
    "ListIncidentEventsTotalCount": lambda t: svc.ListIncidentEventsTotalCountRequest(
        filter=pb.IncidentEventQueryFilter(timestamp=pb.TimeRange(end_time=t))
    ),
    "ListIncidentEventsFilterValues": lambda t: svc.ListIncidentEventsFilterValuesRequest(
        filter=pb.IncidentEventQueryFilter(timestamp=pb.TimeRange(start_time=t))
    ),
}


@pytest.mark.parametrize("rpc", sorted(FILTER_REQUESTS))
def test_filter_timestamp_at_the_maximum_is_answered_without_internal(client, rpc):
    last = Timestamp(seconds=TIMESTAMP_MAX_SECONDS, nanos=999_999_999)  # a valid Timestamp (RFC 3339 max)

    try:
        getattr(client.incidents, rpc)(FILTER_REQUESTS[rpc](last))
    except grpc.RpcError as error:
        assert error.code() not in FORBIDDEN, error.details()


LABEL_KEY_REQUESTS: dict[str, Callable[[str], Message]] = {
    "ListIncidents order_bys": lambda key: svc.ListIncidentsRequest(order_bys=[pb.OrderBy(contextual_label=sv(key))]),
    "ListIncidentAggregations group_bys": lambda key: svc.ListIncidentAggregationsRequest(
        group_bys=[pb.GroupBy(contextual_label=sv(key))]
    ),
    "ListIncidents search_query": lambda key: svc.ListIncidentsRequest(
        filter=pb.IncidentQueryFilter(search_query=pb.IncidentSearchQuery(query=sv("x"), contextual_label=sv(key)))
    ),
}


@pytest.mark.parametrize("case", sorted(LABEL_KEY_REQUESTS))
def test_nul_in_a_label_key_of_order_group_or_search_is_invalid_argument(client, case):
    client.management.CreateIncident(api.CreateIncidentRequest(name="n", contextual_labels={"a": "b"}))
    method = case.split()[0]

    with pytest.raises(grpc.RpcError) as info:
        getattr(client.incidents, method)(LABEL_KEY_REQUESTS[case]("a\x00b"))

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    assert any(field.endswith("contextual_label") for field in violated_fields(info.value)), info.value.details()


@pytest.mark.parametrize("key_field", ["correlation_key", "cx_event_key"])
def test_long_non_ascii_alert_keys_are_refused_by_their_byte_limit(client, key_field):
    # 1024 characters (the character limit) of 4-byte UTF-8: over the 2048-byte limit of indexed keys,
    # which keeps them within PostgreSQL's b-tree entry size.
    rng = random.Random(7)
    key = "".join(chr(rng.randrange(0x10000, 0x1FFFF)) for _ in range(1024))  # incompressible
    keys = {"correlation_key": f"corr-{uuid.uuid4()}", "cx_event_key": f"cx-{uuid.uuid4()}", key_field: key}

    with pytest.raises(grpc.RpcError) as info:
        client.ingestion.ReportAlertEvents(report(alert(keys["correlation_key"], keys["cx_event_key"])))

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    assert f"events[0].{key_field}" in violated_fields(info.value)
    assert "2048 bytes" in info.value.details()
    # Just under the byte limit is stored (on PostgreSQL: it fits the unique index).
    keys[key_field] = key[:512]
    answer = client.ingestion.ReportAlertEvents(report(alert(keys["correlation_key"], keys["cx_event_key"])))
    assert answer.results[0].outcome == api.AlertEventResult.CREATED


UNDECODABLE = [b"\x0a", b"\x00", b"\xff\xff\xff", b"\x0a\x05\x0a\x03\xff\xfe\xfd"]  # truncated, field 0, bad UTF-8


@pytest.mark.parametrize("raw", UNDECODABLE, ids=lambda raw: raw.hex())
def test_undecodable_request_is_invalid_argument(server, client, raw):
    send = server.channel.unary_unary("/com.coralogixapis.incidents.v1.IncidentsService/GetIncident")

    with pytest.raises(grpc.RpcError) as info:
        send(raw, metadata=client.metadata, timeout=CALL_TIMEOUT)

    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()


def _emoji_ids(count: int) -> list[str]:
    return [f"{i}-" + "\U0001f600" * 1000 for i in range(count)]


@pytest.mark.parametrize("case", ["DeleteIncidents NOT_FOUND", "CreateIncident INVALID_ARGUMENT"])
def test_error_trailers_fit_default_client_limits(client, case):
    if case.startswith("DeleteIncidents"):
        expected = grpc.StatusCode.NOT_FOUND

        def call() -> Any:
            return client.incidents.DeleteIncidents(svc.DeleteIncidentsRequest(incident_ids=svs(_emoji_ids(10))))

    else:
        expected = grpc.StatusCode.INVALID_ARGUMENT
        labels = {f"{i}-" + "\U0001f600" * 300: "v" for i in range(200)}

        def call() -> Any:
            return client.management.CreateIncident(api.CreateIncidentRequest(name="x", contextual_labels=labels))

    with pytest.raises(grpc.RpcError) as info:
        call()  # a default channel: the one every generated client uses

    assert info.value.code() == expected, info.value.details()
