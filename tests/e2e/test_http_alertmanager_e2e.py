"""End to end with the real sender: Prometheus Alertmanager (Debian's prometheus-alertmanager) notifies this
server through a webhook receiver and a PagerDuty receiver pointed at it (SPEC 12, the README's
"Send alerts from Alertmanager" configuration). Both databases.

The test runs its own Alertmanager (temporary config and storage, a free port, no clustering, 1 s group
wait, group interval and repeat interval), posts alerts to Alertmanager's own API that fire, repeat and
resolve (endsAt), and checks over gRPC that each group opens one incident, keeps one through the
repeats, and resolves. In CI (CI=true) a missing binary fails the test; elsewhere it skips.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from com.coralogixapis.incidents.v1 import incident_pb2 as pb
from com.coralogixapis.incidents.v1 import incidents_service_pb2 as svc
from incidents_service_api.v1 import incident_alerts_pb2 as alr
from incidents_service_api.v1 import incident_alerts_pb2_grpc as alr_grpc

from tests.conftest import Client, RunningServer
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

ALERTMANAGER = Path("/usr/bin/prometheus-alertmanager")
IN_CI = os.environ.get("CI", "").lower() == "true"
WAIT_SECONDS = 20.0


def _config(http_url: str, api_key: str) -> str:
    return f"""
route:
  receiver: webhook
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1s
  routes:
    - matchers: ['via="pagerduty"']
      receiver: pagerduty
receivers:
  - name: webhook
    webhook_configs:
      - url: {http_url}/v1/intake/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: {api_key}
  - name: pagerduty
    pagerduty_configs:
      - url: {http_url}/v2/enqueue
        routing_key: {api_key}
        severity: '{{{{ .CommonLabels.severity }}}}'
        send_resolved: true
"""


@pytest.fixture
def alertmanager(tmp_path: Path) -> Iterator[Callable[[str, str], str]]:
    """Starts an Alertmanager for (http_url, api_key); answers its base URL. Stopped after the test."""
    if not ALERTMANAGER.exists():
        message = f"{ALERTMANAGER} is missing: apt-get install prometheus-alertmanager (make alertmanager)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    processes: list[subprocess.Popen[bytes]] = []

    def start(http_url: str, api_key: str) -> str:
        config = tmp_path / "alertmanager.yml"
        config.write_text(_config(http_url, api_key))
        port = free_port()
        log = (tmp_path / "alertmanager.log").open("wb")
        process = subprocess.Popen(
            [str(ALERTMANAGER), f"--config.file={config}", f"--storage.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=", "--log.level=warn"],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + WAIT_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "alertmanager.log").read_text()
            try:
                with urllib.request.urlopen(f"{base}/-/ready", timeout=1) as response:
                    if response.status == 200:
                        return base
            except OSError:
                time.sleep(0.1)
        pytest.fail("Alertmanager did not become ready")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _post_alerts(base: str, alerts: list[dict[str, Any]]) -> None:
    request = urllib.request.Request(
        f"{base}/api/v2/alerts", data=json.dumps(alerts).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def _incidents(client: Client) -> list[pb.Incident]:
    return list(client.incidents.ListIncidents(svc.ListIncidentsRequest()).incidents)


def _wait_for(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def test_alertmanager_notifications_open_one_incident_per_group_and_resolve_them(
    server: RunningServer, client: Client, alertmanager: Callable[[str, str], str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="incidents_service.calls")
    base = alertmanager(server.http_url, client.api_key)
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alerts = [
        {"labels": {"alertname": f"WebhookLatency{run}", "severity": "critical", "instance": "a"},
         "annotations": {"summary": "Checkout latency high", "description": "p99 above 2s"},
         "startsAt": now, "generatorURL": "http://prometheus.example/graph?g0.expr=latency"},
        {"labels": {"alertname": f"WebhookLatency{run}", "severity": "critical", "instance": "b"},
         "annotations": {"summary": "Checkout latency high"}, "startsAt": now},
        {"labels": {"alertname": f"PagedDisk{run}", "severity": "warning", "via": "pagerduty"},
         "annotations": {"summary": "Disk almost full"}, "startsAt": now},
    ]  # fmt: skip
    _post_alerts(base, alerts)
    _wait_for("both groups to open an incident", lambda: len(_incidents(client)) == 2)

    def notifications(route: str) -> int:
        return sum(
            1
            for record in caplog.records
            if route in record.getMessage() and client.api_key.split("_")[1] in record.getMessage()
        )

    # Alertmanager repeats each group's notification (repeat_interval): still one incident per group.
    _wait_for("repeated notifications", lambda: notifications("/v1/intake/alertmanager") >= 3
              and notifications("/v2/enqueue") >= 3)  # fmt: skip
    _post_alerts(base, alerts)  # the same alerts again, as Prometheus re-sends them every evaluation
    time.sleep(1.5)
    incidents = _incidents(client)
    assert len(incidents) == 2
    by_receiver = {incident.display_labels.get("alertmanager_url", "") != "": incident for incident in incidents}
    webhook, paged = by_receiver[True], by_receiver[False]
    assert webhook.name.value == "Checkout latency high"
    assert webhook.severity == pb.INCIDENT_SEVERITY_CRITICAL
    assert webhook.contextual_labels["alertname"] == f"WebhookLatency{run}"
    assert [label.value.value for label in webhook.meta_labels] == ["http://prometheus.example/graph?g0.expr=latency"]
    assert "Disk almost full" in paged.name.value or f"PagedDisk{run}" in paged.name.value
    assert paged.severity == pb.INCIDENT_SEVERITY_WARNING
    assert webhook.status == paged.status == pb.INCIDENT_STATUS_TRIGGERED

    ended = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    _post_alerts(base, [{**alert, "endsAt": ended} for alert in alerts])
    _wait_for(
        "both incidents to resolve",
        lambda: [incident.status for incident in _incidents(client)] == [pb.INCIDENT_STATUS_RESOLVED] * 2,
    )
    assert {incident.id.value for incident in _incidents(client)} == {webhook.id.value, paged.id.value}


def test_a_group_of_several_alerts_is_one_incident_that_follows_its_alerts(
    server: RunningServer, client: Client, alertmanager: Callable[[str, str], str]
) -> None:
    """SPEC 16 through the real sender: one group, three alerts; one resolving leaves the incident
    TRIGGERED at the others' severity, all resolving resolve it by itself."""
    base = alertmanager(server.http_url, client.api_key)
    run = uuid.uuid4().hex[:8]
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    alerts = [
        {"labels": {"alertname": f"GroupLatency{run}", "severity": severity, "instance": instance},
         "annotations": {"summary": "Latency high"}, "startsAt": now}
        for instance, severity in (("a", "critical"), ("b", "warning"), ("c", "warning"))
    ]  # fmt: skip
    stub = alr_grpc.IncidentAlertsServiceStub(server.channel)

    def incident() -> pb.Incident | None:
        found = _incidents(client)
        return found[0] if len(found) == 1 else None

    def alert_states() -> list[int]:
        current = incident()
        if current is None:
            return []
        request = alr.ListIncidentAlertsRequest(incident_id=current.id.value)
        answer = stub.ListIncidentAlerts(request, metadata=client.metadata, timeout=10)
        return sorted(alert.state for alert in answer.alerts)

    _post_alerts(base, alerts)
    _wait_for("three firing alerts in one incident", lambda: alert_states() == [alr.ALERT_STATE_FIRING] * 3)
    first = incident()
    assert first is not None and first.severity == pb.INCIDENT_SEVERITY_CRITICAL

    ended = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    _post_alerts(base, [{**alerts[0], "endsAt": ended}, *alerts[1:]])
    _wait_for("the critical alert to resolve", lambda: alert_states().count(alr.ALERT_STATE_RESOLVED) == 1)
    current = incident()
    assert current is not None and current.id == first.id
    assert (current.state, current.severity) == (pb.INCIDENT_STATE_TRIGGERED, pb.INCIDENT_SEVERITY_WARNING)

    _post_alerts(base, [{**alert, "endsAt": ended} for alert in alerts])
    _wait_for("the incident to resolve by itself", lambda: (found := incident()) is not None
              and found.status == pb.INCIDENT_STATUS_RESOLVED)  # fmt: skip
    assert alert_states() == [alr.ALERT_STATE_RESOLVED] * 3
