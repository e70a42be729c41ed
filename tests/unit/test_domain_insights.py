"""Domain rules of notes, response times, the timeline and statistics buckets: plain Python, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from incidents_service.domain.model import AlertEvent, Incident, IncidentState, Severity
from incidents_service.domain.notes import Note
from incidents_service.domain.queries import IncidentFilter
from incidents_service.domain.statistics import StatisticsQuery, nearest_rank, rounded_mean, to_micros
from incidents_service.domain.timeline import LoggedEvent, entries_of

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _alert(state: IncidentState, at: datetime, **fields) -> AlertEvent:
    return AlertEvent("db-down", f"cx-{at.timestamp()}-{state}", state, at, source_system="prom", **fields)


def _opened() -> Incident:
    return Incident.open_from_alert("team", _alert(IncidentState.TRIGGERED, T0, severity=Severity.WARNING))


# ---- response times ----------------------------------------------------------------------------------


def test_the_first_acknowledge_is_kept():
    incident = _opened()
    incident.acknowledge("a", T0 + MINUTE)
    incident.apply_alert(_alert(IncidentState.RESOLVED, T0 + 2 * MINUTE))
    incident.apply_alert(_alert(IncidentState.TRIGGERED, T0 + 3 * MINUTE))
    incident.acknowledge("b", T0 + 4 * MINUTE)
    assert incident.acknowledged_at == T0 + MINUTE


def test_resolved_at_is_when_the_status_last_became_resolved_and_reopening_clears_it():
    incident = _opened()
    assert incident.resolved_at is None
    incident.apply_alert(_alert(IncidentState.RESOLVED, T0 + MINUTE))
    assert incident.resolved_at == T0 + MINUTE
    incident.resolve("a", T0 + 2 * MINUTE)  # already resolved: no change
    assert incident.resolved_at == T0 + MINUTE
    incident.apply_alert(_alert(IncidentState.TRIGGERED, T0 + 3 * MINUTE))
    assert incident.resolved_at is None
    incident.resolve("a", T0 + 4 * MINUTE)
    assert incident.resolved_at == T0 + 4 * MINUTE
    incident.close("a", T0 + 5 * MINUTE)  # closing a resolved incident keeps when it was resolved
    assert incident.resolved_at == T0 + 4 * MINUTE


def test_closing_an_unresolved_incident_resolves_it_then():
    incident = _opened()
    incident.close("a", T0 + 7 * MINUTE)
    assert incident.resolved_at == incident.closed_at == T0 + 7 * MINUTE


def test_response_times_never_precede_creation():
    incident = _opened()  # an alert clock ahead of the server's
    incident.acknowledge("a", T0 - MINUTE)
    incident.resolve("a", T0 - MINUTE)
    assert incident.acknowledged_at == incident.resolved_at == T0


# ---- notes ---------------------------------------------------------------------------------------------


def test_a_revision_replaces_the_body_and_says_who_and_when():
    note = Note.write("incident", "first", "alice", T0)
    note.revise("second", "bob", T0 + MINUTE)
    assert (note.body, note.author, note.updated_by, note.created_at, note.updated_at) == (
        "second",
        "alice",
        "bob",
        T0,
        T0 + MINUTE,
    )


# ---- timeline --------------------------------------------------------------------------------------------


def _entries(incident: Incident) -> list[tuple[str, str, str, str, str]]:
    """Every recorded event's entries, oldest event first, as (action, actor, field, old, new)."""
    found = []
    before = None
    assignee = None
    for event in incident.new_events:
        for entry in entries_of(LoggedEvent(event, before, assignee)):
            who = entry.actor or entry.source_system
            found.append((entry.action.name, who, entry.field, entry.old_value, entry.new_value))
        before = event.snapshot
        if event.type.value == "ASSIGN":
            assignee = event.payload["assigned_to"]
        elif event.type.value == "UNASSIGN":
            assignee = None
    return found


def test_an_alert_that_changes_nothing_of_the_description_keeps_no_change():
    incident = _opened()
    incident.apply_alert(_alert(IncidentState.TRIGGERED, T0 + MINUTE, description="same"))
    incident.apply_alert(_alert(IncidentState.TRIGGERED, T0 + 2 * MINUTE, description="same"))
    assert [event.payload.get("changes") for event in incident.new_events] == [
        None,
        None,
        {"description": {"old": "", "new": "same"}},
        None,
    ]


def test_each_event_reads_as_its_action_and_the_fields_it_changed():
    incident = _opened()
    raised = _alert(
        IncidentState.TRIGGERED, T0 + MINUTE, severity=Severity.CRITICAL, name="DB down", description="no primary"
    )
    incident.apply_alert(raised)
    incident.assign("carol", "alice", T0 + 2 * MINUTE)
    incident.unassign("bob", T0 + 3 * MINUTE)
    incident.update("alice", T0 + 4 * MINUTE, {"description": "replica lag", "severity": Severity.ERROR})
    incident.apply_alert(_alert(IncidentState.TRIGGERED, T0 - MINUTE, severity=Severity.INFO))  # late: no change

    assert _entries(incident) == [
        ("CREATED", "prom", "", "", ""),
        ("SEVERITY_CHANGED", "prom", "severity", "WARNING", "CRITICAL"),
        ("UPDATED", "prom", "name", "db-down", "DB down"),
        ("UPDATED", "prom", "description", "", "no primary"),
        ("ASSIGNED", "alice", "assignee", "", "carol"),
        ("UNASSIGNED", "bob", "assignee", "carol", ""),
        ("SEVERITY_CHANGED", "alice", "severity", "CRITICAL", "ERROR"),
        ("UPDATED", "alice", "description", "no primary", "replica lag"),
    ]


# ---- statistics ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "count", "rank"),
    [(50, 1, 1), (90, 1, 1), (50, 10, 5), (50, 11, 6), (90, 10, 9), (90, 11, 10), (90, 100, 90), (90, 101, 91)],
)
def test_nearest_rank_is_the_ceiling_of_p_n_over_100(percent, count, rank):
    assert nearest_rank(percent, count) == rank


def test_the_mean_rounds_halves_up():
    assert [rounded_mean(total, 2) for total in (1, 2, 3, 5)] == [1, 1, 2, 3]
    assert rounded_mean(10, 3) == 3 and rounded_mean(11, 3) == 4


def test_buckets_tile_the_range_and_every_microsecond_falls_in_the_bucket_the_formula_says():
    start = T0 + timedelta(microseconds=7)
    asked = StatisticsQuery(IncidentFilter(), start, start + timedelta(microseconds=103), 7)
    edges = asked.bucket_edges()
    assert edges[0] == asked.start and edges[-1] == asked.end
    for micros in range(103):
        moment = start + timedelta(microseconds=micros)
        index = (to_micros(moment) - asked.start_micros) * 7 // asked.span_micros
        assert edges[index] <= moment < edges[index + 1]
