"""Notifications without a database: which changes an event makes, rule matching, backoff, the
request-forgery guard's verdicts, the signature and the payloads."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from incidents_service.domain.model import AlertEvent, Incident, IncidentState, Severity
from incidents_service.domain.notifications import (
    ChangeType,
    LabelMatcher,
    NotificationRule,
    NotificationTarget,
    RetryPolicy,
    RuleDraft,
    TargetKind,
    changes_of,
)
from incidents_service.notify.http_client import AddressGuard, TargetRefused
from incidents_service.notify.payloads import headers_of, signature

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _changes(incident: Incident, before=None) -> list[list[ChangeType]]:
    found = []
    for event in incident.new_events:
        found.append(changes_of(event, before))
        before = event.snapshot
    incident.new_events.clear()
    return found


def test_each_lifecycle_step_is_the_change_the_timeline_names():
    alert = AlertEvent("k", "cx-1", IncidentState.TRIGGERED, T0, severity=Severity.WARNING)
    incident = Incident.open_from_alert("team", alert)
    assert _changes(incident) == [[ChangeType.OPENED], []]  # OPEN, then its UPSERT_STATE
    last = incident.snapshot(T0)

    def step(change) -> list[ChangeType]:
        nonlocal last
        change()
        [found] = _changes(incident, last)
        last = incident.snapshot(T0)
        return found

    assert step(lambda: incident.acknowledge("a", T0)) == [ChangeType.ACKNOWLEDGED]
    assert step(lambda: incident.assign("bob", "a", T0)) == [ChangeType.ASSIGNED]
    raised = AlertEvent("k", "cx-2", IncidentState.TRIGGERED, T0 + timedelta(1), severity=Severity.CRITICAL)
    assert step(lambda: incident.apply_alert(raised)) == [ChangeType.SEVERITY_RAISED]
    assert step(lambda: incident.update("a", T0, {"severity": Severity.LOW})) == []  # lowered: nothing
    assert step(lambda: incident.resolve("a", T0)) == [ChangeType.RESOLVED]
    again = AlertEvent("k", "cx-3", IncidentState.TRIGGERED, T0 + timedelta(2), severity=Severity.ERROR)
    assert step(lambda: incident.apply_alert(again)) == [ChangeType.REOPENED, ChangeType.SEVERITY_RAISED]
    assert step(lambda: incident.snooze("a", T0, 5)) == []
    assert step(lambda: incident.unassign("a", T0)) == []
    assert step(lambda: incident.close("a", T0)) == [ChangeType.CLOSED]


def _rule(**fields) -> NotificationRule:
    draft = RuleDraft(
        name="r",
        enabled=fields.pop("enabled", True),
        changes=fields.pop("changes", frozenset({ChangeType.OPENED})),
        minimum_severity=fields.pop("minimum_severity", None),
        label_matchers=fields.pop("label_matchers", []),
        target=NotificationTarget(TargetKind.WEBHOOK, "https://a.example/"),
    )
    return NotificationRule.create(draft, "a", T0)


def test_a_rule_fires_on_its_changes_from_its_minimum_severity_where_every_matcher_holds():
    incident = Incident.create("team", "a", T0, "n", severity=Severity.ERROR, contextual_labels={"service": "db"})
    snapshot = incident.snapshot(T0)
    assert _rule().fires_on(ChangeType.OPENED, snapshot)
    assert not _rule().fires_on(ChangeType.CLOSED, snapshot)
    assert not _rule(enabled=False).fires_on(ChangeType.OPENED, snapshot)
    assert _rule(minimum_severity=Severity.ERROR).fires_on(ChangeType.OPENED, snapshot)
    assert not _rule(minimum_severity=Severity.CRITICAL).fires_on(ChangeType.OPENED, snapshot)
    equal, other = LabelMatcher("service", "db", True), LabelMatcher("service", "web", True)
    absent_ok = LabelMatcher("env", "staging", False)  # a missing label is not "staging"
    assert _rule(label_matchers=[equal, absent_ok]).fires_on(ChangeType.OPENED, snapshot)
    assert not _rule(label_matchers=[other]).fires_on(ChangeType.OPENED, snapshot)
    assert not _rule(label_matchers=[LabelMatcher("service", "db", False)]).fires_on(ChangeType.OPENED, snapshot)


def test_backoff_doubles_up_to_its_longest_interval_and_gives_up_after_its_time():
    policy = RetryPolicy(base_seconds=1, longest_seconds=600, give_up_after_seconds=86_400)
    delays = [(policy.next_attempt(n, T0, T0) - T0).total_seconds() for n in range(1, 13)]
    assert delays == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 600, 600]
    assert policy.next_attempt(200, T0, T0 + timedelta(hours=23, minutes=55)) is None
    assert policy.next_attempt(5, T0, T0 + timedelta(hours=23)) is not None


@pytest.mark.parametrize(
    ("address", "allowed", "refusal"),
    [
        ("93.184.216.34", "", None),
        ("2606:2800:220:1:248:1893:25c8:1946", "", None),
        ("127.0.0.1", "", "loopback"),
        ("::1", "", "loopback"),
        ("::ffff:127.0.0.1", "", "loopback"),
        ("169.254.169.254", "", "link-local"),
        ("fe80::1", "", "link-local"),
        ("10.0.0.5", "", "private"),
        ("192.168.1.1", "", "private"),
        ("172.16.0.1", "", "private"),
        ("fd00::1", "", "private"),
        ("0.0.0.0", "", "unspecified"),
        ("224.0.0.1", "", "multicast"),
        ("100.64.0.1", "", "not globally routable"),
        ("240.0.0.1", "", "reserved"),
        ("10.0.0.5", "10.0.0.0/8", None),
        ("127.0.0.1", "127.0.0.2/32", "loopback"),
        ("::ffff:10.0.0.5", "10.0.0.0/8", None),
    ],
)
def test_the_guard_refuses_addresses_that_are_not_global_unless_allowed(address, allowed, refusal):
    networks = [ipaddress.ip_network(allowed)] if allowed else []
    assert AddressGuard(networks).refusal(ipaddress.ip_address(address)) == refusal


def test_the_guard_checks_every_address_a_name_resolves_to():
    with pytest.raises(TargetRefused, match=r"localhost resolves to .*\(loopback\)"):
        asyncio.run(AddressGuard([]).checked_address("localhost", 80))
    assert asyncio.run(AddressGuard([ipaddress.ip_network("127.0.0.0/8")]).checked_address("127.0.0.1", 80)) == (
        "127.0.0.1"
    )


def test_the_signature_is_the_hmac_of_timestamp_dot_body():
    body = b'{"change":"opened"}'
    expected = hmac.new(b"secret-of-16-chars", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("secret-of-16-chars", 1700000000, body) == expected
    headers = headers_of("n-1", body, "secret-of-16-chars", 1700000000)
    assert headers["X-Incidents-Signature"] == f"sha256={expected}"
    assert headers["X-Incidents-Timestamp"] == "1700000000"
    assert headers["Idempotency-Key"] == "n-1"
    assert "X-Incidents-Signature" not in headers_of("n-1", body, None, 1700000000)
