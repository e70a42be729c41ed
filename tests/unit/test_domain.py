"""The incident's rules (SPEC sections 3, 4 and 7) on the plain domain objects: no database, no gRPC."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents_service.domain import limits
from incidents_service.domain.errors import FieldViolation
from incidents_service.domain.model import (
    Action,
    AlertEvent,
    AlertOutcome,
    EventType,
    Incident,
    IncidentEvent,
    IncidentState,
    IncidentStatus,
    Originator,
    OriginatorType,
    Severity,
)

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TEAM = "team-1"
ALICE = "alice@example.com"
BOB = "bob@example.com"


def alert(
    state: IncidentState = IncidentState.TRIGGERED,
    at: datetime = T0,
    cx_event_key: str | None = None,
    correlation_key: str = "db-down",
    **fields: Any,
) -> AlertEvent:
    return AlertEvent(
        correlation_key=correlation_key,
        cx_event_key=cx_event_key or f"cx-{uuid.uuid4().hex}",
        state=state,
        timestamp=at,
        **fields,
    )


def opened(**fields: Any) -> Incident:
    """An incident opened by a TRIGGERED alert at T0."""
    return Incident.open_from_alert(TEAM, alert(**fields))


def created(**fields: Any) -> Incident:
    fields.setdefault("name", "manual incident")
    return Incident.create(TEAM, ALICE, T0, **fields)


def recorded(incident: Incident, change: Callable[[], Any]) -> tuple[Any, list[IncidentEvent]]:
    """Run one change; answer its result and the events it recorded."""
    before = len(incident.new_events)
    result = change()
    return result, incident.new_events[before:]


def acknowledged() -> Incident:
    incident = opened()
    assert incident.acknowledge(ALICE, T0 + timedelta(minutes=1))
    return incident


def resolved() -> Incident:
    incident = opened()
    assert incident.resolve(ALICE, T0 + timedelta(minutes=1))
    return incident


def closed() -> Incident:
    incident = opened()
    assert incident.close(ALICE, T0 + timedelta(minutes=1))
    return incident


def assert_uuid(value: str) -> None:
    assert str(uuid.UUID(value)) == value


# ---- severity ------------------------------------------------------------------------------------


def test_severity_order_is_info_low_warning_error_critical():
    assert sorted(Severity) == [
        Severity.INFO,
        Severity.LOW,
        Severity.WARNING,
        Severity.ERROR,
        Severity.CRITICAL,
    ]
    assert Severity.WARNING < Severity.ERROR < Severity.CRITICAL


# ---- opening from an alert -----------------------------------------------------------------------


def test_first_triggered_alert_opens_incident_triggered_in_state_and_status():
    incident = opened()
    assert incident.state is IncidentState.TRIGGERED
    assert incident.status is IncidentStatus.TRIGGERED
    assert incident.is_open
    assert incident.closed_at is None
    assert incident.created_at == T0
    assert incident.correlation_key == "db-down"
    assert incident.team_id == TEAM
    assert_uuid(incident.id)


def test_first_alert_records_operational_open_then_upsert_state_triggered():
    event = alert(cx_event_key="cx-1", source_system="prometheus", alert_id="a-1", alert_name="DB")
    incident = Incident.open_from_alert(TEAM, event)
    assert [e.type for e in incident.new_events] == [EventType.OPEN, EventType.UPSERT_STATE]
    open_event, upsert = incident.new_events
    for recorded_event in incident.new_events:
        assert recorded_event.originator == Originator(OriginatorType.OPERATIONAL, "prometheus")
        assert recorded_event.incident_id == incident.id
        assert recorded_event.timestamp == T0
    assert open_event.cx_event_key is None
    assert upsert.payload["state_type"] == "TRIGGERED"
    assert upsert.cx_event_key == "cx-1"
    assert upsert.alert is not None
    assert upsert.alert["alert_id"] == "a-1"
    assert upsert.alert["correlation_key"] == "db-down"


def test_first_alert_without_source_system_is_recorded_as_coming_from_alerting():
    incident = opened(source_system="")
    assert [e.originator for e in incident.new_events] == [
        Originator(OriginatorType.OPERATIONAL, "alerting"),
        Originator(OriginatorType.OPERATIONAL, "alerting"),
    ]


def test_first_alert_without_name_names_the_incident_after_its_correlation_key():
    assert opened(correlation_key="disk-full-host-7").name == "disk-full-host-7"
    assert opened(correlation_key="disk-full-host-7", name="Disk full").name == "Disk full"


def test_first_alert_without_severity_opens_an_info_incident():
    assert opened().severity is Severity.INFO
    assert opened(severity=Severity.CRITICAL).severity is Severity.CRITICAL


def test_first_alert_copies_application_and_subsystem_names_into_display_labels():
    incident = opened(application_name="shop", subsystem_name="checkout", display_labels={"team": "payments"})
    assert incident.application_name == "shop"
    assert incident.subsystem_name == "checkout"
    assert incident.display_labels == {
        "team": "payments",
        "application_name": "shop",
        "subsystem_name": "checkout",
    }


def test_first_alert_sets_last_state_update_time_and_key():
    incident = opened(cx_event_key="cx-first")
    assert incident.last_state_update_time == T0
    assert incident.last_state_update_key == "cx-first"


def test_first_alert_keeps_each_meta_label_pair_once():
    incident = opened(meta_labels=[("env", "prod"), ("env", "prod"), ("env", "staging")])
    assert incident.meta_labels == [("env", "prod"), ("env", "staging")]


# ---- manual creation -----------------------------------------------------------------------------


def test_created_incident_is_triggered_with_one_administrative_open_event():
    incident = created(name="Payments slow", severity=Severity.ERROR)
    assert incident.state is IncidentState.TRIGGERED
    assert incident.status is IncidentStatus.TRIGGERED
    assert incident.correlation_key is None
    assert incident.severity is Severity.ERROR
    assert [e.type for e in incident.new_events] == [EventType.OPEN]
    assert incident.new_events[0].originator == Originator(OriginatorType.ADMINISTRATIVE, ALICE)


def test_created_incident_with_assignee_records_open_then_assign():
    incident = created(assignee=BOB)
    assert (incident.assigned_to, incident.assigned_by) == (BOB, ALICE)
    assert [e.type for e in incident.new_events] == [EventType.OPEN, EventType.ASSIGN]
    assert incident.new_events[1].payload == {"assigned_to": BOB, "assigned_by": ALICE}


# ---- alert events on an open incident ------------------------------------------------------------


def test_triggered_alert_on_resolved_incident_reopens_it():
    incident = resolved()
    outcome, events = recorded(incident, lambda: incident.apply_alert(alert(at=T0 + timedelta(minutes=5))))
    assert outcome is AlertOutcome.REOPENED
    assert incident.state is IncidentState.TRIGGERED
    assert incident.status is IncidentStatus.TRIGGERED
    assert [e.type for e in events] == [EventType.UPSERT_STATE]
    assert events[0].payload["state_type"] == "TRIGGERED"


def test_triggered_alert_on_acknowledged_incident_keeps_it_acknowledged():
    incident = acknowledged()
    outcome = incident.apply_alert(alert(at=T0 + timedelta(minutes=5)))
    assert outcome is AlertOutcome.UPDATED
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    assert incident.state is IncidentState.TRIGGERED


def test_triggered_alert_on_triggered_incident_is_an_update():
    incident = opened()
    assert incident.apply_alert(alert(at=T0 + timedelta(minutes=5))) is AlertOutcome.UPDATED
    assert incident.status is IncidentStatus.TRIGGERED


def test_triggered_alert_changes_name_description_and_severity():
    incident = opened(name="old", description="old text", severity=Severity.LOW)
    incident.apply_alert(
        alert(at=T0 + timedelta(minutes=1), name="new", description="new text", severity=Severity.CRITICAL)
    )
    assert (incident.name, incident.description, incident.severity) == ("new", "new text", Severity.CRITICAL)


def test_triggered_alert_without_name_description_or_severity_keeps_them():
    incident = opened(name="kept", description="kept text", severity=Severity.ERROR)
    incident.apply_alert(alert(at=T0 + timedelta(minutes=1)))
    assert (incident.name, incident.description, incident.severity) == ("kept", "kept text", Severity.ERROR)


def test_triggered_alert_can_lower_the_severity():
    incident = opened(severity=Severity.CRITICAL)
    incident.apply_alert(alert(at=T0 + timedelta(minutes=1), severity=Severity.LOW))
    assert incident.severity is Severity.LOW


def test_alert_labels_merge_adding_new_keys_and_overwriting_existing_ones():
    incident = opened(contextual_labels={"host": "a", "dc": "eu"}, display_labels={"owner": "x"})
    incident.apply_alert(
        alert(
            at=T0 + timedelta(minutes=1),
            contextual_labels={"host": "b", "pod": "p-1"},
            display_labels={"owner": "y", "runbook": "r"},
        )
    )
    assert incident.contextual_labels == {"host": "b", "dc": "eu", "pod": "p-1"}
    assert incident.display_labels == {"owner": "y", "runbook": "r"}


def test_alert_meta_labels_merge_as_a_union_without_duplicates():
    incident = opened(meta_labels=[("env", "prod"), ("tier", "1")])
    incident.apply_alert(
        alert(at=T0 + timedelta(minutes=1), meta_labels=[("tier", "1"), ("env", "staging"), ("env", "staging")])
    )
    assert incident.meta_labels == [("env", "prod"), ("tier", "1"), ("env", "staging")]


def test_alert_with_new_application_name_updates_the_display_label():
    incident = opened(application_name="shop")
    incident.apply_alert(alert(at=T0 + timedelta(minutes=1), application_name="store"))
    assert incident.application_name == "store"
    assert incident.display_labels["application_name"] == "store"


@pytest.mark.parametrize("make", [opened, acknowledged], ids=["triggered", "acknowledged"])
def test_resolved_alert_on_open_incident_resolves_state_and_status(make):
    incident = make()
    outcome, events = recorded(
        incident, lambda: incident.apply_alert(alert(IncidentState.RESOLVED, at=T0 + timedelta(minutes=5)))
    )
    assert outcome is AlertOutcome.UPDATED
    assert incident.state is IncidentState.RESOLVED
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.is_open
    assert [e.type for e in events] == [EventType.UPSERT_STATE]
    assert events[0].payload["state_type"] == "RESOLVED"
    assert events[0].originator.type is OriginatorType.OPERATIONAL


def test_is_muted_follows_the_latest_alert_event():
    incident = opened(is_muted=True)
    assert incident.is_muted(T0)
    incident.apply_alert(alert(at=T0 + timedelta(minutes=1), is_muted=False))
    assert not incident.is_muted(T0 + timedelta(minutes=1))
    incident.apply_alert(alert(IncidentState.RESOLVED, at=T0 + timedelta(minutes=2), is_muted=True))
    assert incident.is_muted(T0 + timedelta(minutes=2))


def test_alert_updates_last_state_update_time_and_key():
    incident = opened()
    incident.apply_alert(alert(at=T0 + timedelta(minutes=3), cx_event_key="cx-newer"))
    assert incident.last_state_update_time == T0 + timedelta(minutes=3)
    assert incident.last_state_update_key == "cx-newer"


def test_late_alert_is_recorded_but_moves_nothing_backwards():
    incident = opened(name="current", severity=Severity.CRITICAL, cx_event_key="cx-now")
    incident.apply_alert(alert(IncidentState.RESOLVED, at=T0 + timedelta(minutes=10), cx_event_key="cx-10"))
    incident.apply_alert(alert(at=T0 + timedelta(minutes=20), cx_event_key="cx-20"))
    before = (
        incident.state,
        incident.status,
        incident.severity,
        incident.name,
        incident.last_state_update_time,
        incident.last_state_update_key,
        incident.is_muted(T0 + timedelta(minutes=20)),
    )
    late = alert(
        IncidentState.RESOLVED,
        at=T0 + timedelta(minutes=15),
        cx_event_key="cx-15",
        name="stale",
        severity=Severity.INFO,
        is_muted=True,
    )
    _, events = recorded(incident, lambda: incident.apply_alert(late))
    after = (
        incident.state,
        incident.status,
        incident.severity,
        incident.name,
        incident.last_state_update_time,
        incident.last_state_update_key,
        incident.is_muted(T0 + timedelta(minutes=20)),
    )
    assert after == before
    assert before[:2] == (IncidentState.TRIGGERED, IncidentStatus.TRIGGERED)
    assert [e.type for e in events] == [EventType.UPSERT_STATE]
    assert events[0].cx_event_key == "cx-15"
    assert events[0].payload["state_type"] == "RESOLVED"


def test_alert_event_snapshots_the_incident_after_the_change():
    incident = opened()
    at = T0 + timedelta(minutes=1)
    _, events = recorded(
        incident,
        lambda: incident.apply_alert(alert(at=at, name="renamed", severity=Severity.ERROR, source_system="zab")),
    )
    (event,) = events
    assert_uuid(event.id)
    assert event.originator == Originator(OriginatorType.OPERATIONAL, "zab")
    assert event.snapshot == incident.snapshot(at)
    assert event.snapshot.name == "renamed"
    assert event.snapshot.severity is Severity.ERROR


# ---- acknowledge ---------------------------------------------------------------------------------


def test_acknowledge_triggered_incident_records_one_acknowledge_event_naming_the_actor():
    incident = opened()
    assert incident.refusal_reason(Action.ACKNOWLEDGE) is None
    changed, events = recorded(incident, lambda: incident.acknowledge(ALICE, T0 + timedelta(minutes=1)))
    assert changed is True
    assert incident.status is IncidentStatus.ACKNOWLEDGED
    assert incident.state is IncidentState.TRIGGERED
    assert [e.type for e in events] == [EventType.ACKNOWLEDGE]
    assert events[0].payload["acknowledged_by"] == ALICE


def test_acknowledge_acknowledged_incident_changes_nothing_and_records_nothing():
    incident = acknowledged()
    assert incident.refusal_reason(Action.ACKNOWLEDGE) is None
    changed, events = recorded(incident, lambda: incident.acknowledge(BOB, T0 + timedelta(minutes=2)))
    assert changed is False
    assert events == []
    assert incident.status is IncidentStatus.ACKNOWLEDGED


def test_acknowledge_resolved_incident_is_refused():
    assert resolved().refusal_reason(Action.ACKNOWLEDGE) is not None


def test_acknowledge_closed_incident_is_refused():
    incident = closed()
    assert incident.refusal_reason(Action.ACKNOWLEDGE) is not None
    assert incident.state_label() == "CLOSED"


def test_acknowledge_incident_resolved_by_alert_is_refused():
    incident = opened()
    incident.apply_alert(alert(IncidentState.RESOLVED, at=T0 + timedelta(minutes=1)))
    assert incident.refusal_reason(Action.ACKNOWLEDGE) is not None


# ---- resolve -------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [opened, acknowledged], ids=["triggered", "acknowledged"])
def test_resolve_open_incident_records_administrative_upsert_state_resolved(make):
    incident = make()
    assert incident.refusal_reason(Action.RESOLVE) is None
    changed, events = recorded(incident, lambda: incident.resolve(ALICE, T0 + timedelta(minutes=2)))
    assert changed is True
    assert incident.state is IncidentState.RESOLVED
    assert incident.status is IncidentStatus.RESOLVED
    assert incident.is_open
    assert [e.type for e in events] == [EventType.UPSERT_STATE]
    assert events[0].payload["state_type"] == "RESOLVED"
    assert events[0].originator == Originator(OriginatorType.ADMINISTRATIVE, ALICE)


@pytest.mark.parametrize("make", [resolved, closed], ids=["resolved", "closed"])
def test_resolve_resolved_or_closed_incident_changes_nothing_and_is_not_refused(make):
    incident = make()
    before = (incident.state, incident.status, incident.closed_at)
    assert incident.refusal_reason(Action.RESOLVE) is None
    changed, events = recorded(incident, lambda: incident.resolve(BOB, T0 + timedelta(minutes=5)))
    assert changed is False
    assert events == []
    assert (incident.state, incident.status, incident.closed_at) == before


# ---- close ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [opened, acknowledged, resolved], ids=["triggered", "acknowledged", "resolved"])
def test_close_open_incident_sets_closed_at_resolves_it_and_records_close(make):
    incident = make()
    at = T0 + timedelta(minutes=7)
    assert incident.refusal_reason(Action.CLOSE) is None
    changed, events = recorded(incident, lambda: incident.close(BOB, at))
    assert changed is True
    assert incident.closed_at == at
    assert not incident.is_open
    assert incident.state is IncidentState.RESOLVED
    assert incident.status is IncidentStatus.RESOLVED
    assert [e.type for e in events] == [EventType.CLOSE]
    assert events[0].payload["closed_by"] == BOB


def test_close_closed_incident_changes_nothing_and_records_nothing():
    incident = closed()
    first_closed_at = incident.closed_at
    assert incident.refusal_reason(Action.CLOSE) is None
    changed, events = recorded(incident, lambda: incident.close(BOB, T0 + timedelta(hours=1)))
    assert changed is False
    assert events == []
    assert incident.closed_at == first_closed_at


# ---- assign / unassign ---------------------------------------------------------------------------


def test_assign_replaces_the_one_assignment_and_records_assign():
    incident = opened()
    assert incident.refusal_reason(Action.ASSIGN) is None
    incident.assign(BOB, ALICE, T0 + timedelta(minutes=1))
    changed, events = recorded(incident, lambda: incident.assign(ALICE, BOB, T0 + timedelta(minutes=2)))
    assert changed is True
    assert (incident.assigned_to, incident.assigned_by) == (ALICE, BOB)
    assert [e.type for e in events] == [EventType.ASSIGN]
    assert events[0].payload == {"assigned_to": ALICE, "assigned_by": BOB}


def test_assign_closed_incident_is_refused():
    assert closed().refusal_reason(Action.ASSIGN) is not None


def test_unassign_assigned_incident_clears_assignment_and_records_unassign():
    incident = opened()
    incident.assign(BOB, ALICE, T0 + timedelta(minutes=1))
    assert incident.refusal_reason(Action.UNASSIGN) is None
    changed, events = recorded(incident, lambda: incident.unassign(ALICE, T0 + timedelta(minutes=2)))
    assert changed is True
    assert (incident.assigned_to, incident.assigned_by) == (None, None)
    assert [e.type for e in events] == [EventType.UNASSIGN]


def test_unassign_unassigned_incident_changes_nothing_and_records_nothing():
    incident = opened()
    assert incident.refusal_reason(Action.UNASSIGN) is None
    changed, events = recorded(incident, lambda: incident.unassign(ALICE, T0 + timedelta(minutes=2)))
    assert changed is False
    assert events == []


# ---- snooze --------------------------------------------------------------------------------------


def test_snooze_mutes_the_incident_until_now_plus_minutes_and_records_snooze():
    incident = opened()
    now = T0 + timedelta(minutes=1)
    assert incident.refusal_reason(Action.SNOOZE) is None
    assert not incident.is_muted(now)
    changed, events = recorded(incident, lambda: incident.snooze(ALICE, now, 30))
    assert changed is True
    assert incident.is_muted(now)
    assert incident.is_muted(now + timedelta(minutes=30) - timedelta(seconds=1))
    assert not incident.is_muted(now + timedelta(minutes=30, seconds=1))
    assert [e.type for e in events] == [EventType.SNOOZE_INDICATOR]
    assert events[0].payload["duration_minutes"] == 30
    assert events[0].payload["user_id"] == ALICE
    assert events[0].snapshot.is_muted is True


def test_snooze_closed_incident_is_refused():
    assert closed().refusal_reason(Action.SNOOZE) is not None


# ---- update --------------------------------------------------------------------------------------


def test_update_records_each_changed_field_with_old_and_new_value_in_one_event():
    incident = opened(name="old", severity=Severity.LOW, contextual_labels={"a": "1"})
    assert incident.refusal_reason(Action.UPDATE) is None
    changes = {
        "name": "new",
        "severity": Severity.CRITICAL,
        "description": "",
        "contextual_labels": {"b": "2"},
    }
    changed, events = recorded(incident, lambda: incident.update(ALICE, T0 + timedelta(minutes=1), changes))
    assert changed is True
    assert (incident.name, incident.severity) == ("new", Severity.CRITICAL)
    assert incident.contextual_labels == {"b": "2"}
    assert [e.type for e in events] == [EventType.UPDATE]
    assert events[0].payload == {
        "changes": {
            "name": {"old": "old", "new": "new"},
            "severity": {"old": "LOW", "new": "CRITICAL"},
            "contextual_labels": {"old": {"a": "1"}, "new": {"b": "2"}},
        }
    }
    assert events[0].originator == Originator(OriginatorType.ADMINISTRATIVE, ALICE)


def test_update_with_unchanged_values_changes_nothing_and_records_nothing():
    incident = opened(name="same", severity=Severity.LOW)
    changed, events = recorded(
        incident,
        lambda: incident.update(ALICE, T0 + timedelta(minutes=1), {"name": "same", "severity": Severity.LOW}),
    )
    assert changed is False
    assert events == []


def test_update_that_leaves_display_labels_as_they_were_records_nothing():
    incident = opened(application_name="shop", display_labels={"owner": "payments"})
    before = dict(incident.display_labels)
    assert before == {"owner": "payments", "application_name": "shop"}
    changed, events = recorded(
        incident,
        lambda: incident.update(ALICE, T0 + timedelta(minutes=1), {"display_labels": {"owner": "payments"}}),
    )
    assert incident.display_labels == before
    assert changed is False
    assert events == []


def test_update_event_keeps_the_labels_as_they_were_when_it_was_recorded():
    incident = opened(contextual_labels={"a": "0"})
    _, (update_event,) = recorded(
        incident, lambda: incident.update(ALICE, T0 + timedelta(minutes=1), {"contextual_labels": {"a": "1"}})
    )
    incident.apply_alert(alert(at=T0 + timedelta(minutes=2), contextual_labels={"b": "2"}))
    assert incident.contextual_labels == {"a": "1", "b": "2"}
    assert update_event.payload["changes"]["contextual_labels"] == {"old": {"a": "0"}, "new": {"a": "1"}}


def test_update_closed_incident_is_refused():
    assert closed().refusal_reason(Action.UPDATE) is not None


# ---- duration ------------------------------------------------------------------------------------


def test_duration_of_open_incident_is_the_time_since_creation():
    incident = opened()
    assert incident.duration(T0 + timedelta(minutes=42)) == timedelta(minutes=42)


def test_duration_of_closed_incident_stops_at_closed_at():
    incident = opened()
    incident.close(ALICE, T0 + timedelta(minutes=10))
    assert incident.duration(T0 + timedelta(days=3)) == timedelta(minutes=10)


# ---- every responder event -----------------------------------------------------------------------

RESPONDER_ACTIONS: dict[str, tuple[Callable[[Incident, datetime], bool], EventType]] = {
    "acknowledge": (lambda i, now: i.acknowledge(BOB, now), EventType.ACKNOWLEDGE),
    "resolve": (lambda i, now: i.resolve(BOB, now), EventType.UPSERT_STATE),
    "close": (lambda i, now: i.close(BOB, now), EventType.CLOSE),
    "assign": (lambda i, now: i.assign(ALICE, BOB, now), EventType.ASSIGN),
    "snooze": (lambda i, now: i.snooze(BOB, now, 5), EventType.SNOOZE_INDICATOR),
    "update": (lambda i, now: i.update(BOB, now, {"name": "renamed"}), EventType.UPDATE),
}


@pytest.mark.parametrize("name", sorted(RESPONDER_ACTIONS))
def test_responder_event_has_id_principal_as_originator_and_snapshot_after_change(name):
    action, event_type = RESPONDER_ACTIONS[name]
    incident = opened()
    at = T0 + timedelta(minutes=3)
    _, events = recorded(incident, lambda: action(incident, at))
    (event,) = events
    assert_uuid(event.id)
    assert event.id != incident.id
    assert event.incident_id == incident.id
    assert event.type is event_type
    assert event.timestamp == at
    assert event.originator == Originator(OriginatorType.ADMINISTRATIVE, BOB)
    assert event.snapshot == incident.snapshot(at)


def test_unassign_event_names_the_principal():
    incident = opened()
    incident.assign(ALICE, ALICE, T0)
    _, events = recorded(incident, lambda: incident.unassign(BOB, T0 + timedelta(minutes=1)))
    assert events[0].originator == Originator(OriginatorType.ADMINISTRATIVE, BOB)


def test_event_ids_are_all_distinct():
    incident = opened()
    incident.acknowledge(ALICE, T0)
    incident.assign(BOB, ALICE, T0)
    incident.resolve(ALICE, T0)
    incident.close(ALICE, T0)
    ids = [e.id for e in incident.new_events]
    assert len(ids) == 6
    assert len(set(ids)) == len(ids)


# ---- limits (SPEC section 7) ---------------------------------------------------------------------


def violations(check: Callable[[list[FieldViolation]], None]) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    check(out)
    return out


def test_name_longer_than_1024_characters_is_a_violation_naming_the_limit():
    assert violations(lambda out: limits.check_text("name", "n" * 1024, limits.MAX_NAME_CHARS, out)) == []
    (violation,) = violations(lambda out: limits.check_text("name", "n" * 1025, limits.MAX_NAME_CHARS, out))
    assert violation.field == "name"
    assert "1024" in violation.description


def test_description_longer_than_64_kib_is_a_violation_naming_the_limit():
    assert violations(lambda out: limits.check_description("description", "d" * 65536, out)) == []
    (violation,) = violations(lambda out: limits.check_description("description", "d" * 65537, out))
    assert violation.field == "description"
    assert "64 KiB" in violation.description or "65536" in violation.description


def test_description_limit_counts_utf8_bytes():
    # 32769 two-byte characters: fewer than 64 Ki characters but more than 64 KiB.
    (violation,) = violations(lambda out: limits.check_description("description", "é" * 32769, out))
    assert violation.field == "description"


def test_label_key_longer_than_256_characters_is_a_violation_naming_the_limit():
    ok = {"k" * 256: "v"}
    assert violations(lambda out: limits.check_label_map("contextual_labels", ok, out)) == []
    (violation,) = violations(lambda out: limits.check_label_map("contextual_labels", {"k" * 257: "v"}, out))
    assert violation.field.startswith("contextual_labels")
    assert "256" in violation.description


def test_label_value_longer_than_4096_characters_is_a_violation_naming_the_limit():
    ok = {"k": "v" * 4096}
    assert violations(lambda out: limits.check_label_map("display_labels", ok, out)) == []
    (violation,) = violations(lambda out: limits.check_label_map("display_labels", {"k": "v" * 4097}, out))
    assert violation.field.startswith("display_labels")
    assert "4096" in violation.description


def test_more_than_256_labels_is_a_violation_naming_the_limit():
    ok = {f"k{i}": "v" for i in range(256)}
    assert violations(lambda out: limits.check_label_map("contextual_labels", ok, out)) == []
    too_many = {f"k{i}": "v" for i in range(257)}
    (violation,) = violations(lambda out: limits.check_label_map("contextual_labels", too_many, out))
    assert violation.field == "contextual_labels"
    assert "256" in violation.description


def test_more_than_256_meta_label_pairs_is_a_violation_naming_the_limit():
    pairs = [("k", f"v{i}") for i in range(257)]
    (violation,) = violations(lambda out: limits.check_label_pairs("meta_labels", pairs, len(pairs), out))
    assert violation.field == "meta_labels"
    assert "256" in violation.description


def test_no_ids_is_a_violation():
    (violation,) = violations(lambda out: limits.check_id_count("incident_ids", 0, out))
    assert violation.field == "incident_ids"


def test_more_than_1000_ids_is_a_violation_naming_the_limit():
    assert violations(lambda out: limits.check_id_count("incident_ids", 1000, out)) == []
    (violation,) = violations(lambda out: limits.check_id_count("incident_ids", 1001, out))
    assert violation.field == "incident_ids"
    assert "1000" in violation.description


def test_every_violation_is_reported_not_just_the_first():
    labels = {"k" * 257: "v" * 4097}
    found = violations(lambda out: limits.check_label_map("contextual_labels", labels, out))
    assert len(found) == 2


# ---- property: the incident always agrees with a replay of its event log --------------------------

STEP = st.one_of(
    st.tuples(st.just("acknowledge")),
    st.tuples(st.just("resolve")),
    st.tuples(st.just("close")),
    st.tuples(st.just("assign"), st.sampled_from(["ann", "ben", "cid"])),
    st.tuples(st.just("unassign")),
    st.tuples(st.just("alert"), st.sampled_from(list(IncidentState))),
)

ACTION_OF = {
    "acknowledge": Action.ACKNOWLEDGE,
    "resolve": Action.RESOLVE,
    "close": Action.CLOSE,
    "assign": Action.ASSIGN,
    "unassign": Action.UNASSIGN,
}


def apply_step(incident: Incident, step: tuple[Any, ...], now: datetime) -> None:
    """Apply one step as the operations would: refused actions are skipped; alerts reach open incidents."""
    kind = step[0]
    if kind == "alert":
        if incident.is_open:
            incident.apply_alert(alert(step[1], at=now))
        return
    if incident.refusal_reason(ACTION_OF[kind]) is not None:
        return
    if kind == "acknowledge":
        incident.acknowledge(ALICE, now)
    elif kind == "resolve":
        incident.resolve(ALICE, now)
    elif kind == "close":
        incident.close(ALICE, now)
    elif kind == "assign":
        incident.assign(step[1], ALICE, now)
    else:
        incident.unassign(ALICE, now)


def replay(events: list[IncidentEvent]) -> dict[str, Any]:
    """Rebuild state, status, closure and assignment from the log alone, checking each snapshot."""
    state: IncidentState | None = None
    status: IncidentStatus | None = None
    assigned_to: str | None = None
    closed_at: datetime | None = None
    for event in events:
        if event.type is EventType.OPEN:
            assert state is None, "a second OPEN event"
            state, status = IncidentState.TRIGGERED, IncidentStatus.TRIGGERED
        elif event.type is EventType.UPSERT_STATE:
            if event.payload["state_type"] == "RESOLVED":
                state, status = IncidentState.RESOLVED, IncidentStatus.RESOLVED
            else:
                state = IncidentState.TRIGGERED
                # A flapping alert (or one in maintenance) reopens nothing, and its event says so.
                held_back = event.payload.get("flapping") or event.payload.get("in_maintenance")
                if status is IncidentStatus.RESOLVED and not held_back:
                    status = IncidentStatus.TRIGGERED
        elif event.type is EventType.ACKNOWLEDGE:
            assert status is IncidentStatus.TRIGGERED, "acknowledged from a status other than TRIGGERED"
            status = IncidentStatus.ACKNOWLEDGED
        elif event.type is EventType.CLOSE:
            assert closed_at is None, "a second CLOSE event"
            closed_at = event.timestamp
            state, status = IncidentState.RESOLVED, IncidentStatus.RESOLVED
        elif event.type is EventType.ASSIGN:
            assert closed_at is None, "assigned after close"
            assigned_to = event.payload["assigned_to"]
        elif event.type is EventType.UNASSIGN:
            assert assigned_to is not None, "unassigned while unassigned"
            assigned_to = None
        if event.type in (EventType.UPSERT_STATE, EventType.ACKNOWLEDGE) and event.cx_event_key is None:
            assert closed_at is None, f"{event.type} recorded after close"
        assert (event.snapshot.state, event.snapshot.status) == (state, status)
    return {"state": state, "status": status, "assigned_to": assigned_to, "closed_at": closed_at}


@settings(max_examples=300, deadline=None)
@given(manual=st.booleans(), steps=st.lists(STEP, max_size=25))
def test_incident_always_agrees_with_a_replay_of_its_events(manual, steps):
    incident = created() if manual else opened()
    for index, step in enumerate(steps, start=1):
        apply_step(incident, step, T0 + timedelta(minutes=index))
    events = incident.new_events
    replayed = replay(events)
    assert replayed["state"] is incident.state
    assert replayed["status"] is incident.status
    assert replayed["assigned_to"] == incident.assigned_to
    assert replayed["closed_at"] == incident.closed_at
    assert (incident.closed_at is not None) == any(e.type is EventType.CLOSE for e in events)
    assert sum(e.type is EventType.CLOSE for e in events) <= 1
    assert len({e.id for e in events}) == len(events)
    assert all(e.incident_id == incident.id for e in events)
