"""SnoozeIncidents with cancel_on_incident_updates (SPEC 16), on SQLite and PostgreSQL: the snooze ends
when a new alert joins the incident, when its severity rises, or when it reopens; a plain snooze does not."""

from __future__ import annotations

import uuid

from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from incidents_service_api.v1 import incidents_service_api_pb2 as api

from tests.builders import RESOLVED, TRIGGERED, alert, get, report, sv
from tests.conftest import Client


def _fire(client: Client, key: str, instance: str, severity: int = 0, state: int = TRIGGERED) -> str:
    event = alert(key, uuid.uuid4().hex, state, alert_instance_id=instance, severity=severity)
    return str(client.ingestion.ReportAlertEvents(report(event)).results[0].incident_id)


def _snooze(client: Client, incident_id: str, cancel: bool) -> None:
    request = api.SnoozeIncidentsRequest(incident_ids=[incident_id], duration_minutes=60,
                                         cancel_on_incident_updates=cancel)  # fmt: skip
    [snoozed] = client.management.SnoozeIncidents(request).incidents
    assert snoozed.is_muted.value


def _muted(client: Client, incident_id: str) -> bool:
    return bool(client.incidents.GetIncident(get(incident_id)).incident.is_muted.value)


def test_a_snooze_that_cancels_on_updates_ends_at_a_new_alert_and_at_a_severity_rise(client: Client) -> None:
    key = f"snooze-{uuid.uuid4().hex[:8]}"
    incident_id = _fire(client, key, "a", pb.INCIDENT_SEVERITY_WARNING)

    _snooze(client, incident_id, cancel=True)
    _fire(client, key, "a", pb.INCIDENT_SEVERITY_WARNING)  # the same alert again: no update
    _fire(client, key, "a", pb.INCIDENT_SEVERITY_INFO)  # its severity falls: no update either
    assert _muted(client, incident_id)
    _fire(client, key, "b", pb.INCIDENT_SEVERITY_INFO)  # a new alert joins: the snooze ends
    assert not _muted(client, incident_id)

    _snooze(client, incident_id, cancel=True)
    _fire(client, key, "a", pb.INCIDENT_SEVERITY_CRITICAL)  # the severity rises: the snooze ends
    assert not _muted(client, incident_id)

    _snooze(client, incident_id, cancel=True)
    _fire(client, key, "a", state=RESOLVED)
    _fire(client, key, "b", state=RESOLVED)  # resolved by itself: no update that ends it
    assert _muted(client, incident_id)
    _fire(client, key, "b")  # it reopens: the snooze ends
    assert not _muted(client, incident_id)

    # The log keeps which alert event ended each snooze.
    events = client.incidents.GetIncidentEvents(svc.GetIncidentEventsRequest(incident_id=sv(incident_id)))
    snoozes = [e for e in events.incident_events if e.incident_event_type == pb.INCIDENT_EVENT_TYPE_SNOOZE_INDICATOR]
    assert len(snoozes) == 3


def test_a_plain_snooze_runs_through_updates(client: Client) -> None:
    key = f"snooze-{uuid.uuid4().hex[:8]}"
    incident_id = _fire(client, key, "a", pb.INCIDENT_SEVERITY_WARNING)
    _snooze(client, incident_id, cancel=False)
    _fire(client, key, "b", pb.INCIDENT_SEVERITY_CRITICAL)
    assert _muted(client, incident_id)
