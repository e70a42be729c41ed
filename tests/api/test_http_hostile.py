"""The auth matrix and hostile input over HTTP (SPEC 2, 7, 11, 12), for every route: each rpc over Connect,
the Alertmanager webhook and the PagerDuty enqueue. Both databases.

Every refusal is a clear 4xx JSON answer, refused keys are refused before the body is read, nothing a
client sends answers 5xx, and a refused request changes nothing.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from typing import Any

import pytest
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents_service import auth
from incidents_service.api import intake
from tests.builders import alert, report
from tests.conftest import Client, RunningServer, TeamFactory
from tests.http_calls import call, error_details, raw_exchange, send_until_answered
from tests.spec import SPEC_PERMISSIONS

# Where each rpc of the SPEC's permission table is served (its service, from the server's own table).
PATH_OF = {path.rsplit("/", 1)[-1]: path for path in auth.METHOD_PERMISSIONS}
RPC_PATHS = {rpc: PATH_OF[rpc] for rpc in SPEC_PERMISSIONS}
ALERTMANAGER = "/v1/intake/alertmanager"
PAGERDUTY = "/v2/enqueue"
# Every route and the permission it needs.
ROUTES: dict[str, str] = {
    **{path: SPEC_PERMISSIONS[rpc] for rpc, path in RPC_PATHS.items()},
    ALERTMANAGER: "incidents:ingest",
    PAGERDUTY: "incidents:ingest",
}
FIVE_MIB = 5 * 1024 * 1024
TRIGGER = {"event_action": "trigger", "payload": {"summary": "s", "severity": "info"}}


def _pieces(data: bytes, size: int = 256 * 1024) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def notification(group: str = "g", status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": group,
        "status": status,
        "receiver": "incidents",
        "groupLabels": {},
        "commonLabels": {"alertname": "Hostile"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager",
        "alerts": [{"status": status, "labels": {}, "annotations": {}, "startsAt": "2026-01-01T00:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "f1"}],
    }  # fmt: skip


def send(server: RunningServer, path: str, key: str | None, body: Any = None, **kwargs: Any) -> Any:
    """Call a route with a key the way its senders pass keys (PagerDuty: routing_key in the body)."""
    if path == PAGERDUTY:
        event = body if body is not None else TRIGGER
        if isinstance(event, dict) and key is not None:
            event = {**event, "routing_key": key}
        return call(server.http_url, path, event, **kwargs)
    if path == ALERTMANAGER and body is None:
        body = notification(f"hostile-{uuid.uuid4().hex[:6]}")
    return call(server.http_url, path, {} if body is None else body, key=key, **kwargs)


def total_incidents(client: Client) -> int:
    response = client.incidents.ListIncidents(svc.ListIncidentsRequest())
    return int(response.pagination.total_size.value)


def refusal_code(path: str, answer: Any) -> str:
    body = answer.json()
    return str(body["status"] if path == PAGERDUTY else body["code"])


def test_every_route_refuses_missing_malformed_unknown_and_revoked_keys(
    server: RunningServer, teams: TeamFactory, client: Client
) -> None:
    revoked = teams.key(client.team_name, "revoked@example.com")
    auth.revoke_api_key(server.engine, revoked.api_key.split("_")[1])
    before = total_incidents(client)
    for path in ROUTES:
        for key in (None, "not-a-key with spaces", f"ik_{uuid.uuid4().hex[:12]}_unknown", revoked.api_key):
            if path == PAGERDUTY and key is None:
                continue  # below: a PagerDuty event without a routing key
            answer = send(server, path, key)
            assert answer.status == 401, (path, key, answer.status, answer.body[:200])
            assert refusal_code(path, answer) in ("unauthenticated", "unauthorized"), (path, answer.body[:200])
    no_key = call(server.http_url, PAGERDUTY, TRIGGER)
    assert no_key.status == 401
    assert total_incidents(client) == before


def test_every_route_names_the_permission_it_lacks(server: RunningServer, client: Client, teams: TeamFactory) -> None:
    for path, permission in ROUTES.items():
        lacking = teams.key(client.team_name, "lacking@example.com", auth.ALL_PERMISSIONS - {permission})
        answer = send(server, path, lacking.api_key)
        assert answer.status == 403, (path, answer.status, answer.body[:200])
        if path == PAGERDUTY:
            assert permission in answer.json()["message"]
            continue
        body = answer.json()
        assert body["code"] == "permission_denied"
        assert permission in body["message"]
        if path != ALERTMANAGER:
            assert error_details(body)[0]["metadata"] == {"permission": permission}
        only = teams.key(client.team_name, "only@example.com", frozenset({permission}))
        allowed = send(server, path, only.api_key)
        assert allowed.status not in (401, 403), (path, allowed.body[:200])
        assert allowed.status < 500, (path, allowed.body[:200])


def test_a_refused_key_is_refused_before_the_body_is_read(server: RunningServer) -> None:
    """Headers announcing a 10 MB body, and no body at all: the answer comes at once."""
    for path in (RPC_PATHS["GetIncident"], RPC_PATHS["ReportAlertEvents"], ALERTMANAGER):
        request = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer ik_000000000000_unknown\r\nContent-Length: 10000000\r\n\r\n"
        ).encode()
        answered = raw_exchange(server.http_url, request, wait=5)
        assert answered.startswith(b"HTTP/1.1 401"), (path, answered[:200])


def test_bodies_over_4_mib_are_refused_and_change_nothing(server: RunningServer, client: Client) -> None:
    before = total_incidents(client)
    for path in (*RPC_PATHS.values(), ALERTMANAGER):
        # Declared: refused from the Content-Length, before reading.
        request = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {client.api_key}\r\nContent-Length: {FIVE_MIB}\r\n\r\n"
        ).encode()
        answered = raw_exchange(server.http_url, request, wait=5)
        assert answered.startswith(b"HTTP/1.1 413"), (path, answered[:200])
    # Sent without a length (chunked): refused once it passes the limit, before the rest is read.
    big = json.dumps({"events": [{"correlation_key": "k", "cx_event_key": "e", "name": "x" * FIVE_MIB}]}).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in _pieces(big)) + b"0\r\n\r\n"
    for path in (RPC_PATHS["ReportAlertEvents"], ALERTMANAGER):
        head = (
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"Authorization: Bearer {client.api_key}\r\nTransfer-Encoding: chunked\r\n\r\n"
        ).encode()
        answered = send_until_answered(server.http_url, head, chunked)
        assert answered.split(b" ")[1] in (b"413", b"429"), (path, answered[:300])
    pagerduty = json.dumps({"routing_key": client.api_key, "event_action": "trigger",
                            "payload": {"summary": "x" * 600_000, "severity": "info"}}).encode()  # fmt: skip
    head = f"POST {PAGERDUTY} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(pagerduty)}\r\n\r\n".encode()
    assert send_until_answered(server.http_url, head, pagerduty).startswith(b"HTTP/1.1 413")
    assert total_incidents(client) == before


def test_malformed_json_wrong_types_and_unknown_fields_are_clear_400s(server: RunningServer, client: Client) -> None:
    before = total_incidents(client)
    bodies: list[Any] = ["{", "[]", '"text"', "null", '{"unknown_field_x": 1}', b"\xff\xfe\x00"]
    for path in ROUTES:
        for body in bodies:
            answer = send(server, path, client.api_key, body)
            assert 400 <= answer.status < 500, (path, body, answer.status, answer.body[:200])
            assert answer.json(), (path, body)  # a JSON explanation, never an empty page
    wrong_type = call(server.http_url, RPC_PATHS["GetIncident"], "{}", key=client.api_key,
                      headers={"Content-Type": "text/plain"})  # fmt: skip
    assert wrong_type.status == 415
    assert total_incidents(client) == before


def test_unknown_routes_answer_404_json(server: RunningServer, client: Client) -> None:
    unknown = ("/", "/nope", "/grpc.health.v1.Health/Check", "/com.coralogixapis.incidents.v1.IncidentsService/Nope")
    for path in unknown:
        answer = call(server.http_url, path, {}, key=client.api_key)
        assert answer.status == 404
        assert answer.json()["code"] == "unimplemented"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    route=st.sampled_from(sorted(ROUTES)),
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=300),
        lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=30), children, max_size=5),
        max_leaves=20,
    ),
)
def test_random_json_bodies_never_answer_5xx(server: RunningServer, client: Client, route: str, body: Any) -> None:
    answer = send(server, route, client.api_key, json.dumps(body, allow_nan=True))
    assert answer.status < 500, (route, body, answer.status, answer.body[:300])


def test_intake_refusals_change_nothing_and_name_the_fields(server: RunningServer, client: Client) -> None:
    before = total_incidents(client)
    bad = notification()
    bad["status"] = "burning"
    bad["alerts"][0]["startsAt"] = "yesterday"
    answer = call(server.http_url, ALERTMANAGER, bad, key=client.api_key)
    assert answer.status == 400
    assert [e["field"] for e in answer.json()["errors"]] == ["status", "alerts[0].startsAt"]
    too_long = notification()
    too_long["commonAnnotations"] = {"summary": "s" * 2000}
    answer = call(server.http_url, ALERTMANAGER, too_long, key=client.api_key)
    assert answer.status == 400
    assert answer.json()["errors"][0]["field"] == "commonAnnotations.summary"
    assert total_incidents(client) == before
    client.ingestion.ReportAlertEvents(report(alert("kept", "kept-1")))
    assert total_incidents(client) == before + 1


def test_pagerduty_senders_that_never_finish_hold_neither_memory_nor_the_route(
    server: RunningServer, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PagerDuty event is read before its key is known: stalled senders are cut off after the read
    limit, at most 16 are read at once, and a real sender still gets through."""
    monkeypatch.setattr(intake, "PAGERDUTY_READ_SECONDS", 0.5)
    host, port = server.http_url.removeprefix("http://").split(":")
    stalled = []
    for _ in range(20):
        connection = socket.create_connection((host, int(port)), timeout=10)
        connection.sendall(b'POST /v2/enqueue HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"routing')
        stalled.append(connection)
    try:
        started = time.monotonic()
        answer = call(server.http_url, PAGERDUTY, {**TRIGGER, "routing_key": client.api_key}, timeout=10)
        assert answer.status == 202, answer.body
        assert time.monotonic() - started < 5
        for connection in stalled:
            assert connection.recv(65536).startswith(b"HTTP/1.1 408")
    finally:
        for connection in stalled:
            connection.close()
