"""Notifications end to end (SPEC 14), on SQLite and PostgreSQL: rules over gRPC and Connect, the outbox
written with each change whatever its transport, delivery to real HTTP receivers on loopback (allowed by
configuration: 127.0.0.2 only), retries, order, signatures, the request-forgery guard, and the actions log.

Each backend gets a private database and a server whose dispatcher retries fast (0.2 s doubling, at most
1 s apart), so the shared session server's dispatcher never sees these notifications.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from google.protobuf.field_mask_pb2 import FieldMask
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc
from incidents_service_api.v1 import incidents_service_api_pb2 as api
from incidents_service_api.v1 import notifications_pb2 as nt
from sqlalchemy import Engine, func, select

from incidents_service import auth
from incidents_service.config import Settings
from incidents_service.domain.notifications import DeliveryState
from incidents_service.notify.settings import NotifySettings
from incidents_service.storage.migrate import migrate
from incidents_service.storage.notifications import notification_counts
from incidents_service.storage.tables import notification_changes
from tests.builders import RESOLVED, TRIGGERED, alert, report, status_details, sv, svs, violated_fields
from tests.conftest import BackgroundServer, Client
from tests.http_calls import connect
from tests.support.metrics import scrape, value
from tests.support.notify import (
    ALLOWED_NETWORKS,
    Rules,
    engine_for,
    notifications_of,
    pending_of,
    private_database,
    receiver_factory,
    settled,
    verify_signature,
    wait_for,
)

ALL_CHANGES = [
    nt.NOTIFICATION_CHANGE_OPENED,
    nt.NOTIFICATION_CHANGE_REOPENED,
    nt.NOTIFICATION_CHANGE_ACKNOWLEDGED,
    nt.NOTIFICATION_CHANGE_ASSIGNED,
    nt.NOTIFICATION_CHANGE_RESOLVED,
    nt.NOTIFICATION_CHANGE_CLOSED,
    nt.NOTIFICATION_CHANGE_SEVERITY_RAISED,
]
SECRET = "s3cr3t-signing-key-0123456789"
# How long the receiver of test_a_receiver_down_gets_everything_after_it_returns_in_order stays down
# (SPEC 14's scenario says 60 s; shorter by default, with the same meaning: many backoff periods).
receivers = pytest.fixture(receiver_factory)
DOWN_SECONDS = float(os.environ.get("NOTIFY_TEST_DOWN_SECONDS", "12"))


@dataclass
class World:
    engine: Engine
    channel: grpc.Channel
    http_url: str
    backend: str

    def team(self, principal: str = "alice@example.com") -> tuple[str, Client, Rules]:
        team = auth.create_team(self.engine, f"team-{uuid.uuid4().hex[:10]}")
        issued = auth.create_api_key(self.engine, team.name, principal, auth.ALL_PERMISSIONS)
        return team.id, Client(self.channel, issued.api_key, team.name, principal), Rules(self.channel, issued.api_key)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    if request.param == "postgresql":
        request.getfixturevalue("postgres_database_url")  # skips (or fails in CI) without PostgreSQL
    for url in private_database(request.param, tmp_path_factory):
        engine = engine_for(url)
        migrate(engine)
        notify = NotifySettings(
            allow_networks=ALLOWED_NETWORKS,
            retry_base_seconds=0.2,
            retry_max_seconds=1.0,
            poll_seconds=0.05,
            lease_seconds=10,
        )
        settings = Settings(database_url=url, listen="127.0.0.1:0", http_listen="127.0.0.1:0", workers=8, notify=notify)
        background = BackgroundServer(settings, engine)
        port = background.start()
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        try:
            yield World(engine, channel, f"http://127.0.0.1:{background.server.http_port}", request.param)
        finally:
            channel.close()
            background.stop()
            engine.dispose()


def _open(client: Client, key: str, severity: int = pb.INCIDENT_SEVERITY_ERROR, **labels: str) -> str:
    [result] = client.ingestion.ReportAlertEvents(
        report(alert(key, f"cx-{uuid.uuid4().hex}", name=f"alert {key}", severity=severity, contextual_labels=labels))
    ).results
    return str(result.incident_id)


def _changes(requests: list[Any]) -> list[tuple[str, str]]:
    """(incident id, change) of each webhook request received, in arrival order."""
    return [(r.json()["incident"]["id"], r.json()["change"]) for r in requests]


# ---- each change type fires the matching rules only -------------------------------------------------


def test_each_change_fires_exactly_the_rules_that_match_it(world, receivers):
    team_id, client, rules = world.team()
    every, narrow, disabled = receivers(), receivers(), receivers()
    # One rule per change type, all to one receiver: each request names its rule.
    by_change = {
        change: rules.webhook(every.url, [change], name=nt.NotificationChange.Name(change)) for change in ALL_CHANGES
    }
    rules.webhook(
        narrow.url,
        ALL_CHANGES,
        name="critical checkout outside staging",
        minimum_severity=pb.INCIDENT_SEVERITY_CRITICAL,
        label_matchers=[
            nt.LabelMatcher(key="service", operator=nt.LABEL_MATCH_OPERATOR_EQUAL, value="checkout"),
            nt.LabelMatcher(key="env", operator=nt.LABEL_MATCH_OPERATOR_NOT_EQUAL, value="staging"),
        ],
    )
    rules.webhook(disabled.url, ALL_CHANGES, name="off", enabled=False)

    # An ERROR checkout incident: `every` hears all its changes; `narrow` only once it is CRITICAL.
    first = _open(client, f"k-{uuid.uuid4().hex}", service="checkout", env="prod")
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([first])))
    client.incidents.AssignIncidents(
        svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv("bob@example.com")), incident_ids=svs([first]))
    )
    raise_to = api.UpdateIncidentRequest(
        incident_id=first, severity=pb.INCIDENT_SEVERITY_CRITICAL, update_mask=FieldMask(paths=["severity"])
    )
    client.management.UpdateIncident(raise_to)  # severity_raised: now CRITICAL, narrow matches from here
    lower = api.UpdateIncidentRequest(
        incident_id=first, severity=pb.INCIDENT_SEVERITY_LOW, update_mask=FieldMask(paths=["severity"])
    )
    client.management.UpdateIncident(lower)  # lowered: no change type
    client.management.UpdateIncident(raise_to)  # raised again, CRITICAL
    # Over Connect (HTTP): the outbox is below every transport.
    answer = connect(world.http_url, "incidents/ResolveIncidents", {"incident_ids": [first]}, client.api_key)
    assert answer.status == 200, answer.body
    # Reopened by an alert event of its key (the key of `first`).
    [reopened] = client.ingestion.ReportAlertEvents(
        report(alert(_key_of(client, first), f"cx-{uuid.uuid4().hex}", severity=pb.INCIDENT_SEVERITY_CRITICAL))
    ).results
    assert reopened.outcome == api.AlertEventResult.REOPENED
    client.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs([first])))
    # A staging incident, CRITICAL: `narrow` does not match its label; a PagerDuty trigger opens it.
    pagerduty = {
        "routing_key": client.api_key,
        "event_action": "trigger",
        "dedup_key": f"pd-{uuid.uuid4().hex}",
        "payload": {"summary": "disk", "severity": "critical", "source": "db-1"},
    }
    pd_answer = connect(world.http_url, "/v2/enqueue", pagerduty, None)
    assert pd_answer.status == 202, pd_answer.body
    staging = _open(client, f"k-{uuid.uuid4().hex}", pb.INCIDENT_SEVERITY_CRITICAL, service="checkout", env="staging")

    settled(world.engine, team_id)
    expected_every = [
        (first, "opened"),
        (first, "acknowledged"),
        (first, "assigned"),
        (first, "severity_raised"),
        (first, "severity_raised"),
        (first, "resolved"),
        (first, "reopened"),
        (first, "closed"),
    ]
    received = _changes(every.snapshot())
    pd_incident = next(incident for incident, change in received if incident not in (first, staging))
    assert sorted(received) == sorted([*expected_every, (pd_incident, "opened"), (staging, "opened")])
    # One receiver, one rule per change: each incident's notifications arrive in the order of its changes.
    assert [pair for pair in received if pair[0] == first] == expected_every
    for request in every.snapshot():
        body = request.json()
        assert body["rule"] == {"id": by_change[_wire_change(body["change"])].id, "name": body["rule"]["name"]}
    assert _changes(narrow.snapshot()) == [
        (first, "severity_raised"),
        (first, "severity_raised"),
        (first, "resolved"),
        (first, "reopened"),
        (first, "closed"),
    ]
    assert disabled.snapshot() == []


def _wire_change(name: str) -> int:
    return int(nt.NotificationChange.Value(f"NOTIFICATION_CHANGE_{name.upper()}"))


def _key_of(client: Client, incident_id: str) -> str:
    """The correlation key of an incident _open made (its name is "alert <key>")."""
    incident = client.incidents.GetIncident(svc.GetIncidentRequest(id=sv(incident_id))).incident
    return incident.name.value.removeprefix("alert ")


def test_a_muted_incident_notifies_nobody_while_muted(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url, ALL_CHANGES)
    key = f"k-{uuid.uuid4().hex}"
    incident = _open(client, key)
    client.management.SnoozeIncidents(api.SnoozeIncidentsRequest(incident_ids=[incident], duration_minutes=30))
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident])))
    client.incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=svs([incident])))
    # An alert event that says muted, on another incident: its opening notifies nobody either.
    client.ingestion.ReportAlertEvents(report(alert(f"k-{uuid.uuid4().hex}", f"cx-{uuid.uuid4().hex}", is_muted=True)))

    settled(world.engine, team_id)
    assert _changes(receiver.snapshot()) == [(incident, "opened")]
    assert len(notifications_of(world.engine, team_id)) == 1


def test_a_flapping_alert_notifies_nobody_once_it_flaps(world, receivers):
    """SPEC 16: an alert that changed state 4 times in 30 minutes flaps; from then on its changes neither
    reopen the incident nor notify anyone."""
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url, ALL_CHANGES)
    key, start = f"flap-{uuid.uuid4().hex}", datetime.now(UTC) - timedelta(minutes=20)

    def flip(minute: int, state: int, severity: int = pb.INCIDENT_SEVERITY_WARNING) -> str:
        at = start + timedelta(minutes=minute)
        event = alert(key, f"cx-{uuid.uuid4().hex}", state, at=at, alert_instance_id="a", severity=severity)
        return str(client.ingestion.ReportAlertEvents(report(event)).results[0].incident_id)

    incident = flip(0, TRIGGERED)
    for minute, state in ((1, RESOLVED), (2, TRIGGERED), (3, RESOLVED), (4, TRIGGERED)):  # 4 changes: flapping
        flip(minute, state)
    settled(world.engine, team_id)
    before = _changes(receiver.snapshot())
    assert before[0] == (incident, "opened")
    alerts = alr_grpc.IncidentAlertsServiceStub(world.channel).ListIncidentAlerts(
        alr.ListIncidentAlertsRequest(incident_id=incident), metadata=client.metadata
    )
    assert alerts.alerts[0].flapping

    # Flapping on, now at a higher severity: still nobody is told.
    for minute, state in ((5, RESOLVED), (6, TRIGGERED), (7, RESOLVED), (8, TRIGGERED)):
        flip(minute, state, pb.INCIDENT_SEVERITY_CRITICAL)
    settled(world.engine, team_id)
    assert _changes(receiver.snapshot()) == before


def test_alerts_in_maintenance_notify_nobody(world, receivers):
    """SPEC 16: an alert matching an active maintenance window opens nothing and notifies no one; the
    same alert outside the window notifies as usual."""
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url, ALL_CHANGES)
    now = datetime.now(UTC)
    window = alr.MaintenanceWindow(name="db upgrade", matchers=[alr.MaintenanceLabelMatcher(key="service", value="db")])
    window.starts_at.FromDatetime(now - timedelta(minutes=5))
    window.ends_at.FromDatetime(now + timedelta(hours=1))
    alr_grpc.MaintenanceWindowsServiceStub(world.channel).CreateMaintenanceWindow(
        alr.CreateMaintenanceWindowRequest(window=window), metadata=client.metadata
    )
    covered = alert(f"db-{uuid.uuid4().hex}", f"cx-{uuid.uuid4().hex}", alert_labels={"service": "db"})
    outside = alert(f"web-{uuid.uuid4().hex}", f"cx-{uuid.uuid4().hex}", alert_labels={"service": "web"})
    results = client.ingestion.ReportAlertEvents(report(covered, outside)).results

    settled(world.engine, team_id)
    assert _changes(receiver.snapshot()) == [(results[1].incident_id, "opened")]


def test_a_change_rolled_back_notifies_nobody(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url, ALL_CHANGES)
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    settled(world.engine, team_id)
    assert len(receiver.snapshot()) == 1

    # A batch with an unknown id fails whole: the acknowledge of `incident` is rolled back.
    with pytest.raises(grpc.RpcError) as refused:
        client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident, "nope"])))
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND
    # An alert batch whose second event is invalid fails whole: the first opens nothing.
    with pytest.raises(grpc.RpcError) as invalid:
        client.ingestion.ReportAlertEvents(
            report(alert(f"k-{uuid.uuid4().hex}", f"cx-{uuid.uuid4().hex}"), alert("", f"cx-{uuid.uuid4().hex}"))
        )
    assert invalid.value.code() == grpc.StatusCode.INVALID_ARGUMENT

    with world.engine.connect() as connection:
        counted = connection.execute(select(func.count()).where(notification_changes.c.team_id == team_id)).scalar_one()
    assert counted == 1  # the opening only
    assert len(notifications_of(world.engine, team_id)) == 1
    time.sleep(0.3)  # several dispatcher polls: nothing else may arrive (checked, not waited for)
    assert len(receiver.snapshot()) == 1


# ---- retries, idempotency, signatures ---------------------------------------------------------------


def test_500_three_times_then_200_is_delivered_4_times_with_one_key_and_valid_signatures(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers(answer=lambda number: 500 if number <= 3 else 200)
    rule = rules.webhook(receiver.url, [nt.NOTIFICATION_CHANGE_OPENED], secret=SECRET, name="on-call")
    incident = _open(client, f"k-{uuid.uuid4().hex}", service="checkout")

    settled(world.engine, team_id)
    requests = receiver.snapshot()
    assert len(requests) == 4
    [action] = rules.actions(incident)
    assert {request.headers["idempotency-key"] for request in requests} == {action.id}
    assert {request.body for request in requests} == {requests[0].body}  # the same body every time
    assert all(verify_signature(SECRET, request) for request in requests)
    assert not verify_signature("another-secret-of-enough-length", requests[0])
    assert [request.headers["content-type"] for request in requests] == ["application/json"] * 4
    # Backoff: 0.2 s, 0.4 s, 0.8 s between the attempts (at least; scheduling may add).
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    assert [round(gap, 1) >= expected for gap, expected in zip(gaps, (0.2, 0.4, 0.8), strict=True)] == [True] * 3
    body = requests[0].json()
    assert set(body) == {"id", "change", "time", "rule", "incident"}
    assert (body["id"], body["change"], body["rule"]) == (action.id, "opened", {"id": rule.id, "name": "on-call"})
    wire = client.incidents.GetIncident(svc.GetIncidentRequest(id=sv(incident))).incident
    assert body["incident"]["id"] == incident
    assert body["incident"]["name"] == wire.name.value
    assert body["incident"]["severity"] == "INCIDENT_SEVERITY_ERROR"
    assert body["incident"]["contextualLabels"] == {"service": "checkout"}
    assert body["incident"]["createdAt"] == body["time"]  # opened at its alert's time

    # The actions log shows every attempt.
    assert action.state == nt.ACTION_STATE_DELIVERED
    assert action.attempt_count == 4
    assert [(a.outcome, a.http_status) for a in action.attempts] == [
        (nt.ATTEMPT_OUTCOME_FAILED, 500),
        (nt.ATTEMPT_OUTCOME_FAILED, 500),
        (nt.ATTEMPT_OUTCOME_FAILED, 500),
        (nt.ATTEMPT_OUTCOME_DELIVERED, 200),
    ]
    assert [a.error for a in action.attempts] == ["HTTP 500", "HTTP 500", "HTTP 500", ""]
    assert (action.rule_id, action.rule_name, action.target_type) == (rule.id, "on-call", "webhook")
    assert action.target_host == "127.0.0.2"
    assert action.last_error == ""
    assert action.HasField("finished_at") and not action.HasField("next_attempt_at")


def test_a_receiver_down_gets_everything_after_it_returns_in_order(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    port = receiver.port
    receiver.stop()
    rules.webhook(f"http://127.0.0.2:{port}/hook", ALL_CHANGES)
    incidents = [_open(client, f"k-{uuid.uuid4().hex}") for _ in range(2)]
    expected: dict[str, list[str]] = {incident: ["opened"] for incident in incidents}
    for incident in incidents:
        client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident])))
        client.incidents.AssignIncidents(
            svc.AssignIncidentsRequest(assigned_to=pb.UserDetails(user_id=sv("x@y")), incident_ids=svs([incident]))
        )
        client.incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=svs([incident])))
        expected[incident] += ["acknowledged", "assigned", "resolved"]
    down_until = time.monotonic() + DOWN_SECONDS
    # While it is down, only the first of each incident is attempted (the rest wait their turn), again and again.
    while time.monotonic() < down_until:
        time.sleep(0.2)
        assert pending_of(world.engine, team_id) == 8
    failed_attempts = {action.id: action.attempt_count for i in incidents for action in rules.actions(i)}
    assert sum(1 for count in failed_attempts.values() if count > 0) == 2
    assert min(count for count in failed_attempts.values() if count > 0) >= 3

    receiver.start()  # back on the same port
    settled(world.engine, team_id)
    received = _changes(receiver.snapshot())
    for incident in incidents:
        assert [change for i, change in received if i == incident] == expected[incident]
    assert len(received) == 8


# ---- server-side request forgery -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/", "127.0.0.1 (loopback)"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 (link-local)"),
        ("http://localhost:{port}/", "(loopback)"),
        ("http://10.1.2.3/", "10.1.2.3 (private)"),
        ("http://[::1]:{port}/", "::1 (loopback)"),
        ("http://0.0.0.0:{port}/", "0.0.0.0 (unspecified)"),
    ],
)
def test_a_target_that_is_not_allowed_is_refused_once_and_fails_with_the_reason(world, receivers, url, reason):
    team_id, client, rules = world.team()
    listening = receivers()  # something listens on 127.0.0.2; the rule points at other addresses
    rule = rules.webhook(url.format(port=listening.port), [nt.NOTIFICATION_CHANGE_OPENED])
    incident = _open(client, f"k-{uuid.uuid4().hex}")

    settled(world.engine, team_id)
    [action] = rules.actions(incident)
    assert action.state == nt.ACTION_STATE_FAILED
    assert action.attempt_count == 1  # never retried
    [attempt] = action.attempts
    assert attempt.outcome == nt.ATTEMPT_OUTCOME_REFUSED
    assert attempt.http_status == 0
    assert reason in attempt.error
    assert "refused" in action.last_error and "INCIDENTS_WEBHOOK_ALLOW_NETWORKS" in action.last_error
    assert action.rule_id == rule.id
    assert listening.snapshot() == []


# ---- the actions log ---------------------------------------------------------------------------------


def test_actions_show_the_host_only_and_another_teams_incident_is_not_found(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url.replace("http://", "http://user:password@") + "?token=abc", ALL_CHANGES, secret=SECRET)
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident])))
    settled(world.engine, team_id)

    actions = rules.actions(incident)
    assert [a.change for a in actions] == [nt.NOTIFICATION_CHANGE_OPENED, nt.NOTIFICATION_CHANGE_ACKNOWLEDGED]
    shown = b"".join(a.SerializeToString() for a in actions)
    for secret_part in (b"password", b"token=abc", SECRET.encode(), b"/hook"):
        assert secret_part not in shown
    assert {a.target_host for a in actions} == {"127.0.0.2"}
    assert receiver.snapshot()[0].headers["authorization"].startswith("Basic ")  # the credentials were used

    _, _, stranger = world.team("mallory@example.com")
    for asked in (incident, str(uuid.uuid4())):
        with pytest.raises(grpc.RpcError) as error:
            stranger.actions(asked)
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
    # Over Connect, as JSON.
    answer = connect(world.http_url, "/incidents_service.v1.IncidentActionsService/ListIncidentActions",
                     {"incidentId": incident}, client.api_key)  # fmt: skip
    assert answer.status == 200
    assert [a["change"] for a in answer.json()["actions"]] == [
        "NOTIFICATION_CHANGE_OPENED",
        "NOTIFICATION_CHANGE_ACKNOWLEDGED",
    ]


def test_actions_are_paged_oldest_first(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    for index in range(3):
        rules.webhook(receiver.url, ALL_CHANGES, name=f"rule {index}")
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident])))
    settled(world.engine, team_id)

    every = rules.actions(incident)
    assert len(every) == 6
    walked: list[nt.IncidentAction] = []
    token = ""
    while True:
        request = nt.ListIncidentActionsRequest(incident_id=incident, pagination={"page_size": {"value": 4}})
        if token:
            request.pagination.page_token.value = token
        page = rules.ListIncidentActions(request)
        assert page.pagination.total_size.value == 6
        walked.extend(page.actions)
        token = page.pagination.next_page_token.value
        if not token:
            break
    assert [a.id for a in walked] == [a.id for a in every]
    assert [a.change for a in every] == [nt.NOTIFICATION_CHANGE_OPENED] * 3 + [nt.NOTIFICATION_CHANGE_ACKNOWLEDGED] * 3


# ---- rules -------------------------------------------------------------------------------------------


def test_rules_are_created_read_listed_updated_and_deleted_and_never_show_a_secret(world):
    _, _, rules = world.team()
    created = rules.webhook(
        "https://ops:hunter2@hooks.example.com/incidents?x=1", [nt.NOTIFICATION_CHANGE_OPENED], secret=SECRET,
        name="ops", minimum_severity=pb.INCIDENT_SEVERITY_WARNING,
    )  # fmt: skip
    assert created.webhook.url == "https://hooks.example.com/incidents?x=1"
    assert created.webhook.has_secret and created.webhook.secret == ""
    assert created.updated_by == "alice@example.com"
    slack = rules.CreateNotificationRule(
        nt.CreateNotificationRuleRequest(
            rule=nt.NotificationRule(
                name="slack",
                enabled=True,
                changes=[nt.NOTIFICATION_CHANGE_RESOLVED, nt.NOTIFICATION_CHANGE_OPENED],
                slack=nt.SlackTarget(url="https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
            )
        )
    ).rule
    assert slack.slack.url == "" and slack.slack.host == "hooks.slack.com"
    assert list(slack.changes) == [nt.NOTIFICATION_CHANGE_OPENED, nt.NOTIFICATION_CHANGE_RESOLVED]
    assert rules.GetNotificationRule(nt.GetNotificationRuleRequest(id=created.id)).rule == created
    listed = rules.ListNotificationRules(nt.ListNotificationRulesRequest())
    assert [r.id for r in listed.rules] == [created.id, slack.id]
    assert b"hunter2" not in listed.SerializeToString() and b"XXXXXXXX" not in listed.SerializeToString()

    updated = rules.UpdateNotificationRule(
        nt.UpdateNotificationRuleRequest(
            id=created.id,
            rule=nt.NotificationRule(name="ops (renamed)", enabled=False),
            update_mask=FieldMask(paths=["name", "enabled"]),
        )
    ).rule
    assert (updated.name, updated.enabled, updated.webhook.has_secret) == ("ops (renamed)", False, True)
    assert updated.minimum_severity == pb.INCIDENT_SEVERITY_WARNING
    retargeted = rules.UpdateNotificationRule(
        nt.UpdateNotificationRuleRequest(
            id=created.id,
            rule=nt.NotificationRule(webhook=nt.WebhookTarget(url="https://other.example.com/")),
            update_mask=FieldMask(paths=["target"]),
        )
    ).rule
    assert (retargeted.webhook.url, retargeted.webhook.has_secret) == ("https://other.example.com/", False)

    assert rules.DeleteNotificationRule(nt.DeleteNotificationRuleRequest(id=created.id)).id == created.id
    for call in (
        lambda: rules.GetNotificationRule(nt.GetNotificationRuleRequest(id=created.id)),
        lambda: rules.DeleteNotificationRule(nt.DeleteNotificationRuleRequest(id=created.id)),
    ):
        with pytest.raises(grpc.RpcError) as error:
            call()
        assert error.value.code() == grpc.StatusCode.NOT_FOUND
    _, _, stranger = world.team()
    with pytest.raises(grpc.RpcError) as error:
        stranger.GetNotificationRule(nt.GetNotificationRuleRequest(id=slack.id))
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert list(stranger.ListNotificationRules(nt.ListNotificationRulesRequest()).rules) == []


def _invalid(rules: Rules, rule: nt.NotificationRule) -> list[str]:
    with pytest.raises(grpc.RpcError) as error:
        rules.CreateNotificationRule(nt.CreateNotificationRuleRequest(rule=rule))
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT, error.value.details()
    return [
        f"{v.field}: {v.description}"
        for bad in status_details(error.value, _bad_request())
        for v in bad.field_violations
    ]


def _bad_request() -> Any:
    from google.rpc import error_details_pb2

    return error_details_pb2.BadRequest


def test_rules_are_validated_and_every_repeated_field_is_capped(world):
    _, _, rules = world.team()
    opened = [nt.NOTIFICATION_CHANGE_OPENED]

    def webhook(url: str) -> nt.WebhookTarget:
        return nt.WebhookTarget(url=url)

    assert _invalid(rules, nt.NotificationRule(name="x", changes=opened, webhook=webhook("ftp://x/"))) == [
        "rule.webhook.url: must be an http or https URL"
    ]
    assert _invalid(rules, nt.NotificationRule(name="x", changes=opened, webhook=webhook("http:///nohost"))) == [
        "rule.webhook.url: has no host"
    ]
    assert _invalid(rules, nt.NotificationRule(name="x", changes=opened)) == [
        "rule.target: set a webhook or a slack target"
    ]
    assert _invalid(rules, nt.NotificationRule(name="", changes=[], webhook=webhook("https://a.example/"))) == [
        "rule.name: is required",
        "rule.changes: name at least one of "
        "opened, reopened, acknowledged, assigned, resolved, closed, severity_raised",
    ]
    matchers = [nt.LabelMatcher(key=f"k{i}", operator=nt.LABEL_MATCH_OPERATOR_EQUAL) for i in range(33)]
    assert _invalid(
        rules,
        nt.NotificationRule(name="x", changes=opened, label_matchers=matchers, webhook=webhook("https://a.example/")),
    ) == ["rule.label_matchers: more than the limit of 32 label matchers"]
    assert _invalid(
        rules, nt.NotificationRule(name="x", changes=opened * 8, webhook=webhook("https://a.example/"))
    ) == ["rule.changes: more than the limit of 7 changes"]
    assert _invalid(
        rules,
        nt.NotificationRule(
            name="x",
            changes=[*opened, *opened],
            label_matchers=[nt.LabelMatcher(key="k")],
            webhook=nt.WebhookTarget(url="https://a.example/", secret="short"),
        ),
    ) == [
        "rule.changes[1]: opened is listed twice",
        "rule.label_matchers[0].operator: must be EQUAL or NOT_EQUAL",
        "rule.webhook.secret: a signing secret is 16 to 1024 characters",
    ]
    long_url = "https://a.example/" + "x" * 2048
    assert _invalid(rules, nt.NotificationRule(name="x", changes=opened, webhook=webhook(long_url))) == [
        "rule.webhook.url: longer than the limit of 2048 characters"
    ]
    for index in range(100):
        rules.webhook("https://a.example/", opened, name=f"r{index}", enabled=False)
    assert _invalid(rules, nt.NotificationRule(name="x", changes=opened, webhook=webhook("https://a.example/"))) == [
        "rule: the team already has 100 notification rules, the limit"
    ]
    with pytest.raises(grpc.RpcError) as error:
        rules.UpdateNotificationRule(
            nt.UpdateNotificationRuleRequest(id=str(uuid.uuid4()), update_mask=FieldMask(paths=["owner"] * 7))
        )
    assert violated_fields(error.value) == ["update_mask.paths"]


def test_deleting_a_rule_fails_its_pending_notifications(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    port = receiver.port
    receiver.stop()
    rule = rules.webhook(f"http://127.0.0.2:{port}/hook", ALL_CHANGES)
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([incident])))
    wait_for(lambda: any(a.attempt_count >= 1 for a in rules.actions(incident)), 10, "a first failed attempt")

    rules.DeleteNotificationRule(nt.DeleteNotificationRuleRequest(id=rule.id))

    settled(world.engine, team_id)
    actions = rules.actions(incident)
    assert [a.state for a in actions] == [nt.ACTION_STATE_FAILED] * 2
    assert {a.last_error for a in actions} == {"the rule was deleted before the notification was delivered"}


def test_managing_rules_needs_notifications_manage_and_reading_actions_incidents_read(world):
    _, client, _ = world.team()
    lacking = auth.create_api_key(
        world.engine, client.team_name, "reader@example.com", auth.ALL_PERMISSIONS - {auth.MANAGE_NOTIFICATIONS}
    )
    reader = Rules(world.channel, lacking.api_key)
    with pytest.raises(grpc.RpcError) as error:
        reader.ListNotificationRules(nt.ListNotificationRulesRequest())
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "notifications:manage" in (error.value.details() or "")
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    assert reader.actions(incident) == []  # incidents:read is enough
    blind = Rules(
        world.channel,
        auth.create_api_key(
            world.engine, client.team_name, "blind@example.com", frozenset({auth.MANAGE_NOTIFICATIONS})
        ).api_key,
    )
    with pytest.raises(grpc.RpcError) as error:
        blind.actions(incident)
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "incidents:read" in (error.value.details() or "")


def test_a_slack_target_gets_a_readable_message(world, receivers):
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.CreateNotificationRule(
        nt.CreateNotificationRuleRequest(
            rule=nt.NotificationRule(
                name="#incidents",
                enabled=True,
                changes=[nt.NOTIFICATION_CHANGE_OPENED],
                slack=nt.SlackTarget(url=receiver.url),
            )
        )
    )
    incident = _open(client, f"k-{uuid.uuid4().hex}", pb.INCIDENT_SEVERITY_CRITICAL, service="checkout<eu>")
    settled(world.engine, team_id)
    [request] = receiver.snapshot()
    text = request.json()["text"]
    assert set(request.json()) == {"text"}
    name = client.incidents.GetIncident(svc.GetIncidentRequest(id=sv(incident))).incident.name.value
    assert text.splitlines()[0] == f"*{name}*: opened"
    assert "Severity: CRITICAL · Status: TRIGGERED" in text
    assert "Labels: service=checkout&lt;eu&gt;" in text
    assert "x-incidents-signature" not in request.headers
    assert request.headers["idempotency-key"] == rules.actions(incident)[0].id


def test_the_outbox_rows_are_written_in_the_changes_transaction(world):
    """Storage level: the change, with the rules it fires, is written exactly when the change committed;
    the dispatcher then fans it out into one notification per rule."""
    team_id, client, rules = world.team()
    rule = rules.webhook("http://127.0.0.1:9/x", [nt.NOTIFICATION_CHANGE_RESOLVED], enabled=True)
    incident = _open(client, f"k-{uuid.uuid4().hex}")
    assert _changes_of(world.engine, team_id) == []  # opened is not one of its changes
    client.ingestion.ReportAlertEvents(
        report(alert(_key_of(client, incident), f"cx-{uuid.uuid4().hex}", state=RESOLVED))
    )
    [change] = _changes_of(world.engine, team_id)
    assert (change.incident_id, change.change) == (incident, "resolved")
    # Not yet fanned out, or fanned out to exactly its one rule.
    assert change.rule_ids in ([rule.id], None)
    wait_for(lambda: len(notifications_of(world.engine, team_id)) == 1, 10, "the change to be fanned out")
    [row] = notifications_of(world.engine, team_id)
    assert (row.incident_id, row.rule_id, row.target_kind, row.target_host) == (
        incident,
        rule.id,
        "webhook",
        "127.0.0.1",
    )
    wait_for(lambda: _changes_of(world.engine, team_id)[0].rule_ids is None, 10, "the change to be marked fanned out")
    assert len(notifications_of(world.engine, team_id)) == 1


def _changes_of(engine: Engine, team_id: str) -> list[Any]:
    with engine.connect() as connection:
        return list(
            connection.execute(
                select(notification_changes)
                .where(notification_changes.c.team_id == team_id)
                .order_by(notification_changes.c.seq)
            )
        )


def _counts(engine: Engine) -> dict[DeliveryState, int]:
    with engine.connect() as connection:
        return notification_counts(connection)


def test_notifications_are_counted_by_state(world, receivers):
    # Counts are over every team: earlier tests' notifications settle first.
    wait_for(lambda: _counts(world.engine)[DeliveryState.PENDING] == 0, 30, "earlier notifications to settle")
    before = _counts(world.engine)
    team_id, client, rules = world.team()
    rules.webhook(receivers().url, [nt.NOTIFICATION_CHANGE_OPENED])
    rules.webhook("http://127.0.0.1:9/", [nt.NOTIFICATION_CHANGE_OPENED])  # refused: fails
    _open(client, f"k-{uuid.uuid4().hex}")
    settled(world.engine, team_id)
    after = _counts(world.engine)
    assert {state: after[state] - before[state] for state in after} == {
        DeliveryState.PENDING: 0,
        DeliveryState.DELIVERED: 1,
        DeliveryState.FAILED: 1,
    }


def test_calls_come_first_yet_everything_is_delivered_while_they_go_on(world, receivers):
    # SPEC 14: delivery is outside the request path. While calls keep the server busy, the dispatcher
    # holds its work back (its held-back time grows) and still delivers, without waiting for a lull.
    team_id, client, rules = world.team()
    receiver = receivers()
    rules.webhook(receiver.url, [nt.NOTIFICATION_CHANGE_OPENED])
    held_before = value(scrape(world.http_url)[0], "incidents_notify_held_back_seconds_total")
    stop = threading.Event()

    def keep_busy() -> None:
        while not stop.is_set():
            client.incidents.ListIncidents(svc.ListIncidentsRequest())

    busy = [threading.Thread(target=keep_busy) for _ in range(3)]
    for thread in busy:
        thread.start()
    try:
        for _ in range(20):
            _open(client, f"busy-{uuid.uuid4().hex}")
        wait_for(lambda: len(receiver.snapshot()) >= 20, 60, "every notification delivered while calls go on")
        held_after = value(scrape(world.http_url)[0], "incidents_notify_held_back_seconds_total")
    finally:
        stop.set()
        for thread in busy:
            thread.join()
    assert len(receiver.snapshot()) == 20
    assert held_after > held_before, "the dispatcher never held back for the calls"
    settled(world.engine, team_id)
