"""GET /metrics (SPEC 15): after a scripted workload over gRPC, Connect and the alert intake, the counters and
histograms say what happened: calls by method and code, latency, alert events by outcome, pool connections,
open incidents by severity. The process-wide metrics are compared before and after the workload."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from incidents_service_api.v1 import notifications_pb2 as nt

from incidents_service import auth, metrics
from incidents_service.config import Settings
from incidents_service.domain.errors import StorageUnavailable
from incidents_service.storage.database import create_database_engine
from incidents_service.storage.unit_of_work import UnitOfWork
from tests.builders import RESOLVED, alert, get, report
from tests.conftest import BackgroundServer, Client, _admin_connection
from tests.http_calls import call, connect
from tests.support.metrics import scrape, value
from tests.support.notify import Rules, wait_for

INCIDENTS = "/com.coralogixapis.incidents.v1.IncidentsService"
REPORT = "/incidents_service.v1.AlertIngestionService/ReportAlertEvents"


class Metered:
    """The test server (gauges read on every scrape) and a team of its own."""

    def __init__(self, http_url: str, client: Client) -> None:
        self.http_url = http_url
        self.client = client


@pytest.fixture(scope="module")
def metered(engine, database_url) -> Iterator[Metered]:
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", http_listen="127.0.0.1:0", workers=4)
    background = BackgroundServer(settings, engine)
    background.server.gauges_max_age_seconds = 0
    port = background.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    team = f"metrics-{uuid.uuid4().hex[:10]}"
    auth.create_team(engine, team)
    issued = auth.create_api_key(engine, team, "metrics@example.com", auth.ALL_PERMISSIONS)
    yield Metered(f"http://127.0.0.1:{background.server.http_port}", Client(channel, issued.api_key, team, "m"))
    channel.close()
    background.stop()


def test_a_scripted_workload_shows_in_the_counters_and_histograms(metered):
    client, http_url = metered.client, metered.http_url
    before, _ = scrape(http_url)
    key = f"metrics-{uuid.uuid4().hex}"
    created = client.ingestion.ReportAlertEvents(
        report(
            alert(key, f"{key}-1", severity=pb.INCIDENT_SEVERITY_CRITICAL),
            alert(f"{key}-x", f"{key}-2", state=RESOLVED),
        )
    )
    client.ingestion.ReportAlertEvents(report(alert(key, f"{key}-1", severity=pb.INCIDENT_SEVERITY_CRITICAL)))
    incident_id = created.results[0].incident_id
    for _ in range(3):
        client.incidents.GetIncident(get(incident_id))
    with pytest.raises(grpc.RpcError):
        client.incidents.GetIncident(get("no-such-incident"))
    with pytest.raises(grpc.RpcError):
        client.incidents.GetIncident(get(incident_id), metadata=(("authorization", "Bearer nope"),))
    assert connect(http_url, f"{INCIDENTS}/GetIncident", {"id": incident_id}, key=client.api_key).status == 200
    paged = {"routing_key": client.api_key, "event_action": "trigger", "dedup_key": key + "-pd",
             "payload": {"summary": "disk full", "severity": "error", "source": "db-1"}}  # fmt: skip
    assert call(http_url, "/v2/enqueue", paged).status == 202
    after, text = scrape(http_url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    get_incident = f"{INCIDENTS}/GetIncident"
    assert delta("incidents_calls_total", method=get_incident, code="OK", transport="grpc") == 3
    assert delta("incidents_calls_total", method=get_incident, code="NOT_FOUND", transport="grpc") == 1
    assert delta("incidents_calls_total", method=get_incident, code="UNAUTHENTICATED", transport="grpc") == 1
    assert delta("incidents_calls_total", method=get_incident, code="OK", transport="connect") == 1
    assert delta("incidents_calls_total", method=REPORT, code="OK", transport="grpc") == 2
    assert delta("incidents_calls_total", method="/v2/enqueue", code="OK", transport="http") == 1
    # The latency histogram counts every call of the method, whatever its code.
    assert delta("incidents_call_duration_seconds_count", method=get_incident, transport="grpc") == 5
    assert delta("incidents_call_duration_seconds_bucket", method=get_incident, transport="grpc", le="+Inf") == 5
    assert delta("incidents_call_duration_seconds_sum", method=get_incident, transport="grpc") > 0
    # Alert events by outcome: gRPC's three and the PagerDuty trigger.
    assert delta("incidents_alert_events_total", outcome="CREATED") == 2
    assert delta("incidents_alert_events_total", outcome="IGNORED") == 1
    assert delta("incidents_alert_events_total", outcome="DUPLICATE") == 1
    # Open incidents, read from the database when scraped: this team's critical and error incidents.
    assert delta("incidents_open", severity="critical", status="triggered") == 1
    assert delta("incidents_open", severity="error", status="triggered") == 1
    assert ("incidents_open", frozenset({("severity", "low"), ("status", "resolved")})) in after
    # The pools: connections in use now (none between calls) and the units of work that asked for one.
    for pool in ("writes", "reads", "control"):
        assert value(after, "incidents_db_connections_in_use", pool=pool) == 0
    waits = sum(delta("incidents_db_connection_wait_seconds_count", pool=pool) for pool in ("writes", "reads"))
    assert waits >= 9  # at least one unit of work per storage call above
    assert value(after, "incidents_calls_in_flight") == 0
    # No team and no incident id is ever a label.
    assert metered.client.team_name not in text and incident_id not in text and key not in text


def test_metrics_need_no_key_and_take_only_get(metered):
    assert call(metered.http_url, "/metrics", method="GET").status == 200
    assert call(metered.http_url, "/metrics", method="POST", body=b"").status == 405


def test_a_gauge_that_cannot_be_read_is_left_out_and_the_rest_still_answer(metered, monkeypatch):
    def broken(*_args: Any) -> Any:
        raise RuntimeError("the database is away")

    monkeypatch.setattr("incidents_service.operations.IncidentOperations.open_incidents", broken)
    samples, text = scrape(metered.http_url)
    assert "incidents_open" not in text
    assert any(name == "incidents_calls_total" for name, _ in samples)


@pytest.mark.postgres
def test_a_pool_never_opens_more_than_its_size_and_the_wait_for_a_connection_is_measured(postgres_database_url):
    name = f"bound-{uuid.uuid4().hex[:8]}"
    engine = create_database_engine(f"{postgres_database_url}?application_name={name}", pool_size=2)
    metrics.observe_pool(engine, name)
    try:
        held = [engine.connect(), engine.connect()]
        release = threading.Timer(0.3, held[0].close)
        release.start()
        with UnitOfWork(engine, team_id="", write=False):  # waits for the connection released
            in_use = metrics.CONNECTIONS_IN_USE.labels(name)._value.get()
            with _admin_connection() as admin:
                opened = admin.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (name,)
                ).fetchone()
        held[1].close()
        assert in_use == 2 and opened is not None and opened[0] == 2
        waited = metrics.CONNECTION_WAIT_SECONDS.labels(name)
        assert waited._sum.get() >= 0.25
        with pytest.raises(StorageUnavailable, match="no database connection became free"):
            held = [engine.connect(), engine.connect()]
            try:
                with UnitOfWork(engine, team_id="", write=False):
                    pass
            finally:
                for connection in held:
                    connection.close()
    finally:
        engine.dispose()


def test_notifications_are_a_gauge_by_state(metered):
    """A rule whose target the request-forgery guard refuses: its notification fails at once, and the
    `failed` series of incidents_notifications (read from the database) counts it."""
    client, http_url = metered.client, metered.http_url
    before, _ = scrape(http_url)
    assert {state for (name, labels) in before if name == "incidents_notifications" for _, state in labels} == {
        "pending",
        "delivered",
        "failed",
    }
    rules = Rules(client.channel, client.api_key)
    rules.webhook("http://127.0.0.1:9/hook", [nt.NOTIFICATION_CHANGE_OPENED])
    client.ingestion.ReportAlertEvents(report(alert(f"gauge-{uuid.uuid4().hex}", uuid.uuid4().hex)))
    wait_for(
        lambda: (
            value(scrape(http_url)[0], "incidents_notifications", state="failed")
            >= value(before, "incidents_notifications", state="failed") + 1
        ),
        30,
        "the refused notification to be counted as failed",
    )
