"""The HTTP alert intake (SPEC 12): Alertmanager webhook notifications and PagerDuty Events API v2 events
become incidents, checked over gRPC. Both databases.
"""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc

from tests.builders import sv, ts
from tests.conftest import Client, RunningServer, TeamFactory
from tests.http_calls import call

ALERTMANAGER = "/v1/intake/alertmanager"
PAGERDUTY = "/v2/enqueue"


def incident_of(client: Client, correlation_key: str) -> pb.Incident | None:
    request = svc.GetIncidentUsingCorrelationKeyRequest(
        correlation_key=sv(correlation_key), incident_point_in_time=ts(datetime.now(UTC))
    )
    try:
        incident: pb.Incident = client.incidents.GetIncidentUsingCorrelationKey(request).incident
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.NOT_FOUND
        return None
    return incident


def total_incidents(client: Client) -> int:
    return int(client.incidents.ListIncidents(svc.ListIncidentsRequest()).pagination.total_size.value)


def event_types(client: Client, incident_id: str) -> list[int]:
    request = svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
    events = client.incidents.GetIncidentEvents(request).incident_events
    return [event.incident_event_type for event in events]


# ---- Alertmanager --------------------------------------------------------------------------------


def notification(group_key: str, status: str, starts_at: datetime, ends_at: datetime | None = None,
                 **common: Any) -> dict[str, Any]:  # fmt: skip
    labels = common.get("labels", {"alertname": "CheckoutLatency", "severity": "critical", "service": "checkout"})
    return {
        "version": "4",
        "groupKey": group_key,
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "incidents",
        "groupLabels": {"alertname": labels.get("alertname", "")},
        "commonLabels": labels,
        "commonAnnotations": common.get("annotations", {"summary": "Checkout p99 above 2s", "description": "Slow"}),
        "externalURL": "http://alertmanager.example:9093",
        "alerts": [
            {
                "status": status,
                "labels": {**labels, "instance": instance},
                "annotations": {},
                "startsAt": starts_at.isoformat().replace("+00:00", "Z"),
                "endsAt": (ends_at.isoformat().replace("+00:00", "Z") if ends_at else "0001-01-01T00:00:00Z"),
                "generatorURL": f"http://prometheus.example/graph?g0.expr=latency&i={instance}",
                "fingerprint": f"fp-{instance}",
            }
            for instance in ("a", "b")
        ],
    }


def test_an_alertmanager_group_is_one_incident_that_fires_repeats_and_resolves(
    server: RunningServer, client: Client
) -> None:
    group = f'{{}}:{{alertname="CheckoutLatency", run="{uuid.uuid4().hex[:8]}"}}'
    started = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    firing = call(server.http_url, ALERTMANAGER, notification(group, "firing", started), key=client.api_key)
    assert firing.status == 200, firing.body
    assert firing.json()["outcome"] == "CREATED"
    incident = incident_of(client, f"alertmanager/{group}")
    assert incident is not None
    assert incident.name.value == "Checkout p99 above 2s"
    assert incident.description.value == "Slow"
    assert incident.severity == pb.INCIDENT_SEVERITY_CRITICAL
    assert dict(incident.contextual_labels) == {"alertname": "CheckoutLatency", "severity": "critical",
                                                "service": "checkout"}  # fmt: skip
    assert incident.display_labels["alertmanager_url"] == "http://alertmanager.example:9093"
    assert sorted(label.value.value for label in incident.meta_labels) == [
        "http://prometheus.example/graph?g0.expr=latency&i=a",
        "http://prometheus.example/graph?g0.expr=latency&i=b",
    ]
    repeated = call(server.http_url, ALERTMANAGER, notification(group, "firing", started), key=client.api_key)
    assert repeated.json() == {"status": "success", "incident_id": incident.id.value, "outcome": "DUPLICATE"}
    ended = started + timedelta(minutes=3)
    resolved = call(server.http_url, ALERTMANAGER, notification(group, "resolved", started, ended), key=client.api_key)
    assert resolved.json()["outcome"] == "UPDATED"
    after = incident_of(client, f"alertmanager/{group}")
    assert after is not None and after.status == pb.INCIDENT_STATUS_RESOLVED
    again = started + timedelta(minutes=4)
    refired = call(server.http_url, ALERTMANAGER, notification(group, "firing", again), key=client.api_key)
    assert refired.json() == {"status": "success", "incident_id": incident.id.value, "outcome": "REOPENED"}
    # One event per alert of each notification (two alerts, three notifications applied).
    assert event_types(client, incident.id.value).count(pb.INCIDENT_EVENT_TYPE_UPSERT_STATE) == 6


def test_alertmanager_name_falls_back_to_alertname_and_unknown_severity_is_unset(
    server: RunningServer, client: Client
) -> None:
    group = f"group-{uuid.uuid4().hex[:8]}"
    body = notification(group, "firing", datetime.now(UTC), labels={"alertname": "DiskFull", "severity": "page"},
                        annotations={})  # fmt: skip
    assert call(server.http_url, ALERTMANAGER, body, key=client.api_key).status == 200
    incident = incident_of(client, f"alertmanager/{group}")
    assert incident is not None
    assert incident.name.value == "DiskFull"
    assert incident.severity == pb.INCIDENT_SEVERITY_INFO  # unset: a new incident's default


# ---- PagerDuty -----------------------------------------------------------------------------------


def enqueue(server: RunningServer, key: str, action: str, dedup_key: str | None = None, **payload: Any) -> Any:
    event: dict[str, Any] = {"routing_key": key, "event_action": action}
    if dedup_key is not None:
        event["dedup_key"] = dedup_key
    if payload:
        event["payload"] = payload
    return call(server.http_url, PAGERDUTY, event)


def test_pagerduty_trigger_acknowledge_resolve(server: RunningServer, client: Client) -> None:
    triggered = enqueue(server, client.api_key, "trigger", summary="Disk full on db-1", severity="error",
                        source="db-1", component="postgres", group="storage", **{"class": "disk"},
                        custom_details={"free_bytes": 0, "mount": "/var"})  # fmt: skip
    assert triggered.status == 202
    answer = triggered.json()
    assert answer["status"] == "success" and answer["message"] == "Event processed"
    dedup_key = answer["dedup_key"]  # generated: the event had none
    assert dedup_key
    incident = incident_of(client, dedup_key)
    assert incident is not None
    assert incident.name.value == "Disk full on db-1"
    assert incident.severity == pb.INCIDENT_SEVERITY_ERROR
    assert dict(incident.contextual_labels) == {"source": "db-1", "component": "postgres", "group": "storage",
                                                "class": "disk"}  # fmt: skip
    assert dict(incident.display_labels) == {"free_bytes": "0", "mount": "/var"}

    acknowledged = enqueue(server, client.api_key, "acknowledge", dedup_key)
    assert acknowledged.status == 202 and acknowledged.json()["dedup_key"] == dedup_key
    after_ack = incident_of(client, dedup_key)
    assert after_ack is not None and after_ack.status == pb.INCIDENT_STATUS_ACKNOWLEDGED
    assert event_types(client, incident.id.value)[-1] == pb.INCIDENT_EVENT_TYPE_ACKNOWLEDGE

    resolved = enqueue(server, client.api_key, "resolve", dedup_key)
    assert resolved.status == 202
    after_resolve = incident_of(client, dedup_key)
    assert after_resolve is not None and after_resolve.status == pb.INCIDENT_STATUS_RESOLVED
    # A trigger after the resolve reopens the same incident, as PagerDuty's next trigger would page again.
    enqueue(server, client.api_key, "trigger", dedup_key, summary="Disk full again", severity="critical")
    reopened = incident_of(client, dedup_key)
    assert reopened is not None and reopened.status == pb.INCIDENT_STATUS_TRIGGERED
    assert reopened.id.value == incident.id.value


def test_pagerduty_unknown_dedup_key_is_accepted_and_opens_nothing(server: RunningServer, client: Client) -> None:
    before = total_incidents(client)
    for action in ("resolve", "acknowledge"):
        answer = enqueue(server, client.api_key, action, "never-triggered")
        assert answer.status == 202
        assert answer.json() == {"status": "success", "message": "Event processed", "dedup_key": "never-triggered"}
    assert total_incidents(client) == before
    assert incident_of(client, "never-triggered") is None


def test_pagerduty_invalid_events_name_their_errors_and_change_nothing(server: RunningServer, client: Client) -> None:
    before = total_incidents(client)
    cases = [
        ({"summary": "x", "severity": "fatal"}, "trigger", ["payload.severity"]),
        ({"severity": "info"}, "trigger", ["payload.summary"]),
        ({"summary": " ", "severity": "info"}, "trigger", ["payload.summary"]),
        ({"summary": "x", "severity": "info"}, "explode", ["event_action"]),
        ({}, "resolve", ["dedup_key"]),
    ]
    for payload, action, fields in cases:
        answer = enqueue(server, client.api_key, action, **payload)
        assert answer.status == 400, (payload, answer.body)
        body = answer.json()
        assert body["status"] == "invalid event"
        assert body["message"]
        assert [error.split(":")[0] for error in body["errors"]] == fields, body
    bad_key = enqueue(server, "ik_000000000000_nope", "trigger", summary="x", severity="info")
    assert bad_key.status == 401
    assert set(bad_key.json()) == {"status", "message", "errors"}
    assert total_incidents(client) == before


def test_a_thousand_pagerduty_events_from_sixteen_senders_lose_nothing(
    server: RunningServer, teams: TeamFactory
) -> None:
    """50 dedup keys x 20 events: 15 distinct triggers each, and one timestamped trigger sent 5 times
    (a retrying sender). One incident per key; every distinct event is in its log, each retry once."""
    client = teams.team()
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    events: list[dict[str, Any]] = []
    keys = [f"pd-{uuid.uuid4().hex[:10]}" for _ in range(50)]
    for key in keys:
        for index in range(15):
            payload = {"summary": f"{key} #{index}", "severity": "warning", "source": "bench"}
            event = {"routing_key": client.api_key, "event_action": "trigger", "dedup_key": key, "payload": payload}
            events.append(event)
        retried = {"routing_key": client.api_key, "event_action": "trigger", "dedup_key": key,
                   "payload": {"summary": f"{key} retried", "severity": "critical", "source": "bench",
                               "timestamp": moment.isoformat()}}  # fmt: skip
        events.extend([retried] * 5)
    # Interleave the keys so that concurrent senders race on the same new keys.
    events.sort(key=lambda event: (hash(event["payload"]["summary"]) % 97, event["dedup_key"]))
    with ThreadPoolExecutor(16) as senders:
        answers = list(senders.map(lambda event: call(server.http_url, PAGERDUTY, event, timeout=60), events))
    assert Counter(answer.status for answer in answers) == Counter({202: 1000}), [
        answer.body[:200] for answer in answers if answer.status != 202
    ][:3]
    assert total_incidents(client) == 50
    for key in keys[:10]:
        incident = incident_of(client, key)
        assert incident is not None
        assert event_types(client, incident.id.value).count(pb.INCIDENT_EVENT_TYPE_UPSERT_STATE) == 16


@pytest.mark.parametrize("route", [ALERTMANAGER, PAGERDUTY])
def test_the_intake_needs_incidents_ingest(
    server: RunningServer, client: Client, teams: TeamFactory, route: str
) -> None:
    reader = teams.key(client.team_name, "reader@example.com", frozenset({"incidents:read"}))
    if route == PAGERDUTY:
        answer = enqueue(server, reader.api_key, "trigger", summary="x", severity="info")
    else:
        answer = call(server.http_url, route, notification("g", "firing", datetime.now(UTC)), key=reader.api_key)
    assert answer.status == 403
    assert "incidents:ingest" in answer.body.decode()
