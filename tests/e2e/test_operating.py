"""Operating a real `serve` process (SPEC 15): every log line is JSON, a failing call logs its traceback
as a field, the key never appears; /metrics of `serve --processes 2` adds up every process's calls."""

from __future__ import annotations

import http.server
import signal
import sqlite3
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import ClassVar

import grpc
import pytest
from com.coralogixapis.incidents.v1 import incidents_service_pb2_grpc as svc_grpc
from incidents_service_api.v1 import incidents_service_api_pb2_grpc as api_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from tests.builders import alert, get, report
from tests.e2e.test_faults import make_team, migrate, start_server
from tests.http_calls import connect
from tests.support.logs import log_lines
from tests.support.metrics import scrape, value
from tests.support.notify import wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.e2e

REPORT = "/incidents_service.v1.AlertIngestionService/ReportAlertEvents"
GET_INCIDENT = "/com.coralogixapis.incidents.v1.IncidentsService/GetIncident"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'incidents.db'}"
    migrate(url)
    return url


def test_every_log_line_of_a_serve_run_is_json_and_a_failing_call_logs_its_traceback(sqlite_url, tmp_path):
    team = make_team(sqlite_url, "logs")
    http_address = f"127.0.0.1:{free_port()}"
    log = tmp_path / "serve.log"
    server = start_server(sqlite_url, log, args=("--http-listen", http_address), INCIDENTS_LOG_LEVEL="INFO")
    metadata = (("authorization", f"Bearer {team.api_key}"),)
    try:
        with grpc.insecure_channel(server.address) as channel:
            ingestion = api_grpc.AlertIngestionServiceStub(channel)
            created = ingestion.ReportAlertEvents(report(alert("logs", "logs-1")), metadata=metadata, timeout=10)
            incident_id = created.results[0].incident_id
            incidents = svc_grpc.IncidentsServiceStub(channel)
            incidents.GetIncident(get(incident_id), metadata=metadata, timeout=10)
            with pytest.raises(grpc.RpcError) as refused:
                incidents.GetIncident(get(incident_id), metadata=(("authorization", "Bearer ik_x_y"),), timeout=10)
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            # A row the code cannot read (a severity no version wrote): a bug's INTERNAL, with its traceback.
            with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as database:
                database.execute("UPDATE incidents SET severity = 42 WHERE id = ?", (incident_id,))
            with pytest.raises(grpc.RpcError) as failed:
                incidents.GetIncident(get(incident_id), metadata=metadata, timeout=10)
            assert failed.value.code() == grpc.StatusCode.INTERNAL
        answer = connect(f"http://{http_address}", GET_INCIDENT, {"id": "nothing"}, key=team.api_key)
        assert answer.status == 404
        # make run: SIGTERM reaches the server from the terminal's process group and again from make.
        server.process.send_signal(signal.SIGTERM)
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=30) == 0
    finally:
        server.kill()
    text = log.read_text()
    lines = log_lines(text)
    assert text.endswith("\n") and len(lines) == len(text.splitlines())
    assert team.api_key not in text
    for line in lines:
        assert line["level"] in ("debug", "info", "warning", "error", "critical"), line
        assert time.time() - datetime_seconds(line["timestamp"]) < 120, line
    events = [line["event"] for line in lines]
    assert events[0] == "serving" and events[-2:] == ["shutdown", "stopped"]
    assert events.count("shutdown") == 1
    calls = [line for line in lines if line["event"] == "rpc"]
    assert [(c["method"], c["code"], c["transport"]) for c in calls] == [
        (REPORT, "OK", "grpc"),
        (GET_INCIDENT, "OK", "grpc"),
        (GET_INCIDENT, "UNAUTHENTICATED", "grpc"),
        (GET_INCIDENT, "INTERNAL", "grpc"),
        (GET_INCIDENT, "NOT_FOUND", "connect"),
    ]
    assert calls[1]["team"] == team.name and calls[2]["team"] is None
    [failure] = [line for line in lines if line["event"] == "call_failed"]
    assert failure["level"] == "error" and failure["method"] == GET_INCIDENT
    assert failure["exception"].startswith("Traceback (most recent call last):")
    assert "KeyError: 42" in failure["exception"]


def datetime_seconds(timestamp: str) -> float:
    from datetime import datetime

    moment = datetime.fromisoformat(timestamp)
    assert moment.tzinfo is not None
    return moment.timestamp()


def metrics_folders() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("incidents-metrics-*"))


def test_serve_processes_metrics_add_up_every_process_and_the_folder_goes_away(sqlite_url, tmp_path):
    team = make_team(sqlite_url, "metrics-processes")
    http_address = f"127.0.0.1:{free_port()}"
    folders_before = metrics_folders()
    log = tmp_path / "serve.log"
    server = start_server(
        sqlite_url,
        log,
        args=("--http-listen", http_address, "--processes", "2"),
        INCIDENTS_LOG_LEVEL="INFO",
    )
    metadata = (("authorization", f"Bearer {team.api_key}"),)
    try:
        started_folders = metrics_folders() - folders_before
        assert len(started_folders) == 1
        # The server answered as soon as one process listened: wait for the other too, or every call
        # below may go to the first (seen in CI: all 30 to one process).
        wait_for(
            lambda: len({line["pid"] for line in log_lines(log.read_text()) if line["event"] == "serving"}) == 2,
            30,
            "both processes serving",
        )
        # A fresh connection per call: the kernel spreads them over both processes (SO_REUSEPORT).
        key = uuid.uuid4().hex
        for index in range(30):
            with grpc.insecure_channel(server.address) as channel:
                api_grpc.AlertIngestionServiceStub(channel).ReportAlertEvents(
                    report(alert(f"{key}-{index}", f"{key}-{index}")), metadata=metadata, timeout=10
                )
        # Each scrape is answered by one process or the other, and each sees the sum of both.
        deadline = time.monotonic() + 20
        for _ in range(10):
            samples, _text = scrape(f"http://{http_address}")
            assert value(samples, "incidents_calls_total", method=REPORT, code="OK", transport="grpc") == 30
            assert value(samples, "incidents_alert_events_total", outcome="CREATED") == 30
            assert value(samples, "incidents_call_duration_seconds_count", method=REPORT, transport="grpc") == 30
            assert value(samples, "incidents_open", severity="error", status="triggered") >= 0
            assert time.monotonic() < deadline
        # Both processes served some of the calls, so the sums above came from both.
        lines = log_lines(log.read_text())
        served_by = {line["pid"] for line in lines if line["event"] == "rpc" and line["method"] == REPORT}
        assert len(served_by) == 2
        assert server.terminate() == 0
    finally:
        server.kill()
    assert metrics_folders() - folders_before == set()
    for line in log_lines(log.read_text()):
        assert "timestamp" in line and "level" in line


class Collector(http.server.BaseHTTPRequestHandler):
    """An OTLP/HTTP trace collector: keeps every exported span's (trace id, name, parent span id)."""

    spans: ClassVar[list[tuple[bytes, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    Collector.spans.append((span.trace_id, span.name, span.parent_span_id))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def test_with_an_otlp_endpoint_set_serve_exports_each_calls_trace(sqlite_url, tmp_path):
    collector = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    Collector.spans.clear()
    team = make_team(sqlite_url, "otlp")
    endpoint = f"http://127.0.0.1:{collector.server_address[1]}"
    server = start_server(sqlite_url, tmp_path / "serve.log", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)
    try:
        with grpc.insecure_channel(server.address) as channel:
            api_grpc.AlertIngestionServiceStub(channel).ReportAlertEvents(
                report(alert("otlp", "otlp-1")), metadata=(("authorization", f"Bearer {team.api_key}"),), timeout=10
            )
        assert server.terminate() == 0  # exports what is still batched on the way out
    finally:
        server.kill()
        collector.shutdown()
    [root] = [span for span in Collector.spans if span[1] == REPORT]
    statements = [span for span in Collector.spans if span[0] == root[0] and span is not root]
    assert statements and {name for _trace, name, _parent in statements} >= {"SELECT", "INSERT"}
    assert {trace for trace, _name, _parent in Collector.spans} == {root[0]}  # the probe made no trace
