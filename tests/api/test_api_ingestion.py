"""ReportAlertEvents over the real gRPC channel (SPEC sections 4, 7 and 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import RESOLVED, alert, get, list_request, report, sv, svs, violated_fields

CREATED = api.AlertEventResult.CREATED
UPDATED = api.AlertEventResult.UPDATED
REOPENED = api.AlertEventResult.REOPENED
DUPLICATE = api.AlertEventResult.DUPLICATE
IGNORED = api.AlertEventResult.IGNORED


# ---- helpers -----------------------------------------------------------------------------------


def _ago(**delta: float) -> datetime:
    return datetime.now(UTC) - timedelta(**delta)


def _ingest(client, *events: api.AlertEvent) -> list[api.AlertEventResult]:
    return list(client.ingestion.ReportAlertEvents(report(*events)).results)


def _incident(client, incident_id: str) -> pb.Incident:
    return client.incidents.GetIncident(get(incident_id)).incident


def _events(client, incident_id: str) -> list[pb.IncidentEvent]:
    request = svc.GetIncidentEventsRequest(incident_id=sv(incident_id))
    return list(client.incidents.GetIncidentEvents(request).incident_events)


def _total(client) -> int:
    return client.incidents.ListIncidents(list_request()).pagination.total_size.value


def _meta(incident: pb.Incident) -> list[tuple[str, str]]:
    return [(label.key.value, label.value.value) for label in incident.meta_labels]


def _upsert_keys(events: list[pb.IncidentEvent]) -> list[str]:
    return [
        e.upsert_state.payload.cx_event_key.value
        for e in events
        if e.incident_event_type == pb.INCIDENT_EVENT_TYPE_UPSERT_STATE
    ]


def _invalid_argument(client, *events: api.AlertEvent) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        client.ingestion.ReportAlertEvents(report(*events))
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()
    return info.value


# ---- correlation and lifecycle -----------------------------------------------------------------


def test_first_triggered_event_creates_triggered_incident(client):
    [result] = _ingest(
        client,
        alert("db-down", "e1", name="DB down", severity=pb.INCIDENT_SEVERITY_ERROR, description="disk"),
    )

    assert result.outcome == CREATED
    incident = _incident(client, result.incident_id)
    assert incident.id.value == result.incident_id
    assert incident.name.value == "DB down"
    assert incident.description.value == "disk"
    assert incident.severity == pb.INCIDENT_SEVERITY_ERROR
    assert incident.state == pb.INCIDENT_STATE_TRIGGERED
    assert incident.status == pb.INCIDENT_STATUS_TRIGGERED
    assert incident.last_state_update_key.value == "e1"


def test_created_incident_records_operational_open_then_upsert_triggered(client):
    [result] = _ingest(client, alert("db-down", "e1", source_system="prometheus"))

    opened, upserted = _events(client, result.incident_id)
    assert opened.incident_event_type == pb.INCIDENT_EVENT_TYPE_OPEN
    assert upserted.incident_event_type == pb.INCIDENT_EVENT_TYPE_UPSERT_STATE
    assert upserted.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_TRIGGERED
    assert upserted.upsert_state.payload.cx_event_key.value == "e1"
    for event in (opened, upserted):
        assert event.id.value
        assert event.originator_type == pb.ORIGINATOR_TYPE_OPERATIONAL
        assert event.WhichOneof("originator") == "operational_event"
        assert event.operational_event.system_name.value == "prometheus"


def test_new_incident_without_name_or_severity_is_named_after_key_with_info(client):
    [result] = _ingest(client, alert("checkout-latency", "e1"))

    incident = _incident(client, result.incident_id)
    assert incident.name.value == "checkout-latency"
    assert incident.severity == pb.INCIDENT_SEVERITY_INFO


def test_second_triggered_event_updates_same_incident_name_and_severity(client):
    [first] = _ingest(client, alert("k", "e1", name="old", severity=pb.INCIDENT_SEVERITY_WARNING))
    [second] = _ingest(client, alert("k", "e2", name="new", severity=pb.INCIDENT_SEVERITY_CRITICAL))

    assert second.outcome == UPDATED
    assert second.incident_id == first.incident_id
    incident = _incident(client, first.incident_id)
    assert incident.name.value == "new"
    assert incident.severity == pb.INCIDENT_SEVERITY_CRITICAL
    assert incident.last_state_update_key.value == "e2"
    assert _upsert_keys(_events(client, first.incident_id)) == ["e1", "e2"]
    assert _total(client) == 1


def test_triggered_event_merges_contextual_and_display_labels(client):
    [first] = _ingest(
        client,
        alert("k", "e1", contextual_labels={"a": "1", "b": "1"}, display_labels={"x": "1", "y": "1"}),
    )
    _ingest(client, alert("k", "e2", contextual_labels={"b": "2", "c": "3"}, display_labels={"y": "2"}))

    incident = _incident(client, first.incident_id)
    assert dict(incident.contextual_labels) == {"a": "1", "b": "2", "c": "3"}
    assert dict(incident.display_labels) == {"x": "1", "y": "2"}


def test_triggered_event_merges_meta_labels_as_a_union(client):
    [first] = _ingest(client, alert("k", "e1", meta_labels={"team": "db", "env": "prod"}))
    _ingest(client, alert("k", "e2", meta_labels={"team": "db", "region": "eu"}))

    assert sorted(_meta(_incident(client, first.incident_id))) == [
        ("env", "prod"),
        ("region", "eu"),
        ("team", "db"),
    ]


def test_resolved_event_resolves_state_and_status(client):
    [first] = _ingest(client, alert("k", "e1", source_system="prometheus"))
    [result] = _ingest(client, alert("k", "e2", state=RESOLVED, source_system="prometheus"))

    assert result.outcome == UPDATED
    assert result.incident_id == first.incident_id
    incident = _incident(client, first.incident_id)
    assert incident.state == pb.INCIDENT_STATE_RESOLVED
    assert incident.status == pb.INCIDENT_STATUS_RESOLVED
    assert not incident.HasField("closed_at")
    last = _events(client, first.incident_id)[-1]
    assert last.incident_event_type == pb.INCIDENT_EVENT_TYPE_UPSERT_STATE
    assert last.upsert_state.state_type == pb.UPSERT_INCIDENT_STATE_TYPE_RESOLVED
    assert last.originator_type == pb.ORIGINATOR_TYPE_OPERATIONAL
    assert last.operational_event.system_name.value == "prometheus"


def test_triggered_event_after_resolved_reopens_incident(client):
    [first] = _ingest(client, alert("k", "e1"))
    _ingest(client, alert("k", "e2", state=RESOLVED))
    [result] = _ingest(client, alert("k", "e3"))

    assert result.outcome == REOPENED
    assert result.incident_id == first.incident_id
    incident = _incident(client, first.incident_id)
    assert incident.state == pb.INCIDENT_STATE_TRIGGERED
    assert incident.status == pb.INCIDENT_STATUS_TRIGGERED
    assert _total(client) == 1


def test_triggered_event_after_an_administrative_resolve_reopens_incident(client):
    [first] = _ingest(client, alert("k", "e1"))
    client.incidents.ResolveIncidents(svc.ResolveIncidentsRequest(incident_ids=svs([first.incident_id])))

    [result] = _ingest(client, alert("k", "e2"))

    assert result.outcome == REOPENED
    assert _incident(client, first.incident_id).status == pb.INCIDENT_STATUS_TRIGGERED


def test_events_for_one_key_within_one_call_all_apply_in_order(client):
    results = _ingest(
        client,
        alert("k", "e1", name="first"),
        alert("k", "e2", name="second", severity=pb.INCIDENT_SEVERITY_ERROR),
        alert("k", "e3", state=RESOLVED),
    )

    assert [r.outcome for r in results] == [CREATED, UPDATED, UPDATED]
    incident_id = results[0].incident_id
    incident = _incident(client, incident_id)
    assert incident.name.value == "second"
    assert incident.severity == pb.INCIDENT_SEVERITY_ERROR
    assert incident.status == pb.INCIDENT_STATUS_RESOLVED
    assert incident.last_state_update_key.value == "e3"
    assert _upsert_keys(_events(client, incident_id)) == ["e1", "e2", "e3"]


def test_resolved_event_without_open_incident_is_ignored_and_creates_nothing(client):
    [result] = _ingest(client, alert("never-triggered", "e1", state=RESOLVED))

    assert result.outcome == IGNORED
    assert result.incident_id == ""
    assert _total(client) == 0


def test_repeated_cx_event_key_in_later_call_is_duplicate_and_changes_nothing(client):
    [first] = _ingest(client, alert("k", "e1", name="original"))
    before = _events(client, first.incident_id)

    [again] = _ingest(client, alert("k", "e1", name="changed", severity=pb.INCIDENT_SEVERITY_CRITICAL))

    assert again.outcome == DUPLICATE
    assert again.incident_id == first.incident_id
    assert _events(client, first.incident_id) == before
    incident = _incident(client, first.incident_id)
    assert incident.name.value == "original"
    assert incident.severity == pb.INCIDENT_SEVERITY_INFO


def test_repeated_cx_event_key_within_one_call_is_duplicate(client):
    results = _ingest(client, alert("k", "e1", name="original"), alert("k", "e1", name="changed"))

    assert [r.outcome for r in results] == [CREATED, DUPLICATE]
    assert results[1].incident_id == results[0].incident_id
    assert _upsert_keys(_events(client, results[0].incident_id)) == ["e1"]
    assert _incident(client, results[0].incident_id).name.value == "original"


def test_cx_event_key_reused_under_another_correlation_key_is_duplicate_of_original(client):
    [first] = _ingest(client, alert("k1", "shared"))
    [again] = _ingest(client, alert("k2", "shared"))

    assert again.outcome == DUPLICATE
    assert again.incident_id == first.incident_id
    assert _total(client) == 1


def test_late_event_is_recorded_but_does_not_move_name_or_severity_back(client):
    [first] = _ingest(
        client,
        alert("k", "e-new", at=_ago(minutes=1), name="current", severity=pb.INCIDENT_SEVERITY_CRITICAL),
    )
    [late] = _ingest(client, alert("k", "e-old", at=_ago(minutes=5), name="stale", severity=pb.INCIDENT_SEVERITY_INFO))

    assert late.incident_id == first.incident_id
    assert late.outcome != DUPLICATE
    incident = _incident(client, first.incident_id)
    assert incident.name.value == "current"
    assert incident.severity == pb.INCIDENT_SEVERITY_CRITICAL
    assert incident.last_state_update_key.value == "e-new"
    assert "e-old" in _upsert_keys(_events(client, first.incident_id))


def test_late_resolved_event_is_recorded_but_does_not_resolve(client):
    newest = _ago(minutes=1).replace(microsecond=0)
    [first] = _ingest(client, alert("k", "e-new", at=newest))
    [late] = _ingest(client, alert("k", "e-old", state=RESOLVED, at=_ago(minutes=5)))

    assert late.incident_id == first.incident_id
    incident = _incident(client, first.incident_id)
    assert incident.state == pb.INCIDENT_STATE_TRIGGERED
    assert incident.status == pb.INCIDENT_STATUS_TRIGGERED
    assert incident.last_state_update_time.ToDatetime(tzinfo=UTC) == newest
    assert "e-old" in _upsert_keys(_events(client, first.incident_id))


def test_late_triggered_event_does_not_reopen_a_newer_resolve(client):
    [first] = _ingest(client, alert("k", "e1", at=_ago(minutes=10)))
    _ingest(client, alert("k", "e2", state=RESOLVED, at=_ago(minutes=2)))

    [late] = _ingest(client, alert("k", "e-late", at=_ago(minutes=5), name="stale"))

    assert late.outcome != REOPENED
    incident = _incident(client, first.incident_id)
    assert incident.state == pb.INCIDENT_STATE_RESOLVED
    assert incident.status == pb.INCIDENT_STATUS_RESOLVED
    assert incident.name.value == "k"


def test_triggered_event_for_key_whose_incident_was_closed_starts_new_incident(client):
    [first] = _ingest(client, alert("k", "e1"))
    client.incidents.CloseIncidents(svc.CloseIncidentsRequest(incident_ids=svs([first.incident_id])))

    [second] = _ingest(client, alert("k", "e2"))

    assert second.outcome == CREATED
    assert second.incident_id != first.incident_id
    assert _incident(client, first.incident_id).HasField("closed_at")
    assert _total(client) == 2


def test_results_are_one_per_event_in_request_order(client):
    results = _ingest(
        client,
        alert("a", "a1"),
        alert("b", "b1"),
        alert("a", "a2", state=RESOLVED),
        alert("nothing-open", "n1", state=RESOLVED),
        alert("b", "b1"),
        alert("a", "a3"),
        alert("b", "b2"),
    )

    assert [r.outcome for r in results] == [CREATED, CREATED, UPDATED, IGNORED, DUPLICATE, REOPENED, UPDATED]
    a, b = results[0].incident_id, results[1].incident_id
    assert a != b
    assert [r.incident_id for r in results] == [a, b, a, "", b, a, b]
    assert _total(client) == 2


def test_same_correlation_key_in_two_teams_makes_two_incidents(client, teams):
    other = teams.team("bob@example.com")

    [mine] = _ingest(client, alert("shared-key", "e1"))
    [theirs] = _ingest(other, alert("shared-key", "e1"))

    assert mine.outcome == CREATED
    assert theirs.outcome == CREATED
    assert mine.incident_id != theirs.incident_id
    assert _total(client) == 1
    assert _total(other) == 1


def test_application_and_subsystem_names_appear_in_display_labels(client):
    [result] = _ingest(
        client, alert("k", "e1", application_name="shop", subsystem_name="cart", display_labels={"x": "1"})
    )

    labels = dict(_incident(client, result.incident_id).display_labels)
    assert labels == {"x": "1", "application_name": "shop", "subsystem_name": "cart"}


# ---- validation: one bad event fails the whole call ---------------------------------------------


def _bad_event(case: str) -> api.AlertEvent:
    if case == "correlation_key":
        return alert("", "bad-e")
    if case == "cx_event_key":
        return alert("bad-k", "")
    if case == "state_type":
        return alert("bad-k", "bad-e", state=pb.UPSERT_INCIDENT_STATE_TYPE_UNSPECIFIED)
    if case == "name":
        return alert("bad-k", "bad-e", name="n" * 1025)
    if case == "description":
        return alert("bad-k", "bad-e", description="d" * (64 * 1024 + 1))
    if case == "label_key":
        return alert("bad-k", "bad-e", contextual_labels={"k" * 257: "v"})
    if case == "label_value":
        return alert("bad-k", "bad-e", display_labels={"key": "v" * 4097})
    if case == "label_count":
        return alert("bad-k", "bad-e", contextual_labels={f"l{i}": "v" for i in range(257)})
    if case == "meta_label_count":
        return alert("bad-k", "bad-e", meta_labels={f"l{i}": "v" for i in range(257)})
    if case == "timestamp":
        return alert("bad-k", "bad-e", at=datetime.now(UTC) + timedelta(days=1))
    raise AssertionError(case)


INVALID_EVENT_CASES = {
    # case: the field the BadRequest violation must name (as a prefix of `events[1].`)
    "correlation_key": "correlation_key",
    "cx_event_key": "cx_event_key",
    "state_type": "state_type",
    "name": "name",
    "description": "description",
    "label_key": "contextual_labels",
    "label_value": "display_labels",
    "label_count": "contextual_labels",
    "meta_label_count": "meta_labels",
    "timestamp": "timestamp",
}


@pytest.mark.parametrize("case", list(INVALID_EVENT_CASES))
def test_invalid_event_fails_whole_call_naming_its_field(client, case):
    valid_before, valid_after = alert("ok-1", "ok-e1"), alert("ok-2", "ok-e2")

    error = _invalid_argument(client, valid_before, _bad_event(case), valid_after)

    expected = f"events[1].{INVALID_EVENT_CASES[case]}"
    fields = violated_fields(error)
    assert fields, "INVALID_ARGUMENT without a BadRequest field violation"
    assert all(field.startswith(expected) for field in fields), fields


@pytest.mark.parametrize("case", ["state_type", "name", "timestamp"])
def test_invalid_event_applies_none_of_the_valid_events_in_the_call(client, case):
    _ingest(client, alert("existing", "x1"))
    valid_before, valid_after = alert("ok-1", "ok-e1"), alert("existing", "ok-e2", state=RESOLVED)

    _invalid_argument(client, valid_before, _bad_event(case), valid_after)

    assert _total(client) == 1
    listed = client.incidents.ListIncidents(list_request()).incidents
    assert listed[0].state == pb.INCIDENT_STATE_TRIGGERED
    # The valid events' keys were not recorded either: sent again alone, they apply.
    assert [r.outcome for r in _ingest(client, valid_before, valid_after)] == [CREATED, UPDATED]


def test_every_invalid_event_of_a_call_is_named(client):
    error = _invalid_argument(client, alert("", "e0"), alert("ok", "e1"), alert("k2", ""))

    fields = violated_fields(error)
    assert "events[0].correlation_key" in fields
    assert "events[2].cx_event_key" in fields
    assert not any(field.startswith("events[1]") for field in fields)


def test_values_at_the_limits_are_accepted(client):
    event = alert(
        "k",
        "e1",
        name="n" * 1024,
        description="d" * (64 * 1024),
        contextual_labels={"k" * 256: "v" * 4096, **{f"l{i}": "v" for i in range(255)}},
        display_labels={f"d{i}": "v" for i in range(256 - 2)},
        application_name="app",
        subsystem_name="sub",
        meta_labels={f"m{i}": "v" for i in range(256)},
    )

    [result] = _ingest(client, event)

    incident = _incident(client, result.incident_id)
    assert len(incident.name.value) == 1024
    assert len(incident.description.value) == 64 * 1024
    assert len(incident.contextual_labels) == 256
    assert len(incident.display_labels) == 256
    assert len(incident.meta_labels) == 256


def test_more_than_1000_events_is_invalid_argument_naming_the_limit(client):
    events = [alert(f"k{i}", f"e{i}") for i in range(1001)]

    error = _invalid_argument(client, *events)

    assert "1000" in error.details()
    assert "events" in violated_fields(error)
    assert _total(client) == 0


def test_1000_events_are_accepted(client):
    results = _ingest(client, *[alert(f"k{i}", f"e{i}") for i in range(1000)])

    assert len(results) == 1000
    assert {r.outcome for r in results} == {CREATED}
    assert _total(client) == 1000


def test_empty_events_list_is_invalid_argument(client):
    error = _invalid_argument(client)

    assert "events" in violated_fields(error)


def test_is_muted_follows_the_latest_alert_event(client):
    [result] = _ingest(client, alert("k", "e1", is_muted=True))
    assert _incident(client, result.incident_id).is_muted.value is True

    _ingest(client, alert("k", "e2", is_muted=False))
    assert _incident(client, result.incident_id).is_muted.value is False


def test_event_timestamp_becomes_created_at_and_last_state_update_time(client):
    at = _ago(hours=2).replace(microsecond=0)
    [result] = _ingest(client, alert("k", "e1", at=at))

    incident = _incident(client, result.incident_id)
    assert incident.created_at.ToDatetime(tzinfo=UTC) == at
    assert incident.last_state_update_time.ToDatetime(tzinfo=UTC) == at


def test_label_merge_does_not_leak_between_incidents(client):
    _ingest(client, alert("a", "a1", contextual_labels={"only": "a"}))
    [b] = _ingest(client, alert("b", "b1", contextual_labels={"only": "b"}))

    assert dict(_incident(client, b.incident_id).contextual_labels) == {"only": "b"}


def test_triggered_event_keeps_an_acknowledged_status(client):
    [first] = _ingest(client, alert("k", "e1"))
    client.incidents.AcknowledgeIncidents(svc.AcknowledgeIncidentsRequest(incident_ids=svs([first.incident_id])))

    [result] = _ingest(client, alert("k", "e2"))

    assert result.outcome == UPDATED
    incident = _incident(client, first.incident_id)
    assert incident.status == pb.INCIDENT_STATUS_ACKNOWLEDGED
    assert incident.state == pb.INCIDENT_STATE_TRIGGERED


def _labels_of_kind(incident: pb.Incident, kind: str) -> int:
    if kind == "meta_labels":
        return len(incident.meta_labels)
    return len(getattr(incident, kind))


@pytest.mark.parametrize("kind", ["contextual_labels", "display_labels", "meta_labels"])
def test_merge_that_would_exceed_256_labels_per_incident_is_invalid_argument(client, kind):
    def labels(prefix: str) -> dict[str, str]:
        return {f"{prefix}{i}": "v" for i in range(200)}

    first_labels = {"meta_labels": labels("a")} if kind == "meta_labels" else {kind: labels("a")}
    second_labels = {"meta_labels": labels("b")} if kind == "meta_labels" else {kind: labels("b")}
    [first] = _ingest(client, alert("k", "e1", **first_labels))

    error = _invalid_argument(client, alert("k", "e2", **second_labels))

    assert any(field.startswith(f"events[0].{kind}") for field in violated_fields(error))
    assert _labels_of_kind(_incident(client, first.incident_id), kind) == 200


def test_application_name_cannot_push_display_labels_past_256(client):
    event = alert("k", "e1", display_labels={f"d{i}": "v" for i in range(256)}, application_name="shop")

    try:
        [result] = _ingest(client, event)
    except grpc.RpcError as exc:
        assert exc.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _total(client) == 0
        return
    assert len(_incident(client, result.incident_id).display_labels) <= 256
