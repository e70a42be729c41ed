"""Traces (SPEC 15), seen by the SDK's in-memory exporter: one trace per call, its gRPC or HTTP server span
the root, every SQL statement of the call a child of it, on both databases."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator

import grpc
import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from incidents_service import auth, logs, tracing
from incidents_service.config import Settings
from tests.builders import alert, get, list_request, report
from tests.conftest import BackgroundServer, Client
from tests.http_calls import call, connect

INCIDENTS = "/com.coralogixapis.incidents.v1.IncidentsService"


class Traced:
    def __init__(self, exporter: InMemorySpanExporter, client: Client, http_url: str) -> None:
        self.exporter = exporter
        self.client = client
        self.http_url = http_url

    def traces(self) -> dict[int, list[ReadableSpan]]:
        """The spans finished since the last look, by trace id. The client may have its answer a moment
        before the server ends the call's span: wait (briefly) for every root span."""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            spans = self.exporter.get_finished_spans()
            with_root = {span.context.trace_id for span in spans if is_root(span)}
            if {span.context.trace_id for span in spans} <= with_root:
                break
            time.sleep(0.01)
        found: dict[int, list[ReadableSpan]] = {}
        for span in self.exporter.get_finished_spans():
            found.setdefault(span.context.trace_id, []).append(span)
        self.exporter.clear()
        return found


@pytest.fixture(scope="module")
def traced(engine, database_url) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    settings = Settings(database_url=database_url, listen="127.0.0.1:0", http_listen="127.0.0.1:0", workers=4)
    background = BackgroundServer(settings, engine, tracer_provider=provider)
    port = background.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    team = f"traces-{uuid.uuid4().hex[:10]}"
    auth.create_team(engine, team)
    issued = auth.create_api_key(engine, team, "traces@example.com", auth.ALL_PERMISSIONS)
    yield Traced(
        exporter, Client(channel, issued.api_key, team, "t"), f"http://127.0.0.1:{background.server.http_port}"
    )
    channel.close()
    background.stop()
    provider.shutdown()


def is_root(span: ReadableSpan) -> bool:
    """The first span of this server's: no parent, or the caller's (from its traceparent)."""
    return span.parent is None or span.parent.is_remote


def the_one_trace(traced: Traced) -> tuple[ReadableSpan, list[ReadableSpan]]:
    """The call's server span and the SQL spans beneath it, checking they make exactly one trace."""
    traces = traced.traces()
    assert len(traces) == 1, {hex(trace_id): [s.name for s in spans] for trace_id, spans in traces.items()}
    [spans] = traces.values()
    [root] = [span for span in spans if is_root(span)]
    assert root.kind is SpanKind.SERVER
    statements = [span for span in spans if span is not root]
    assert statements, "the call's SQL statements made no span"
    for statement in statements:
        assert statement.kind is SpanKind.CLIENT
        assert statement.parent is not None and statement.parent.span_id == root.context.span_id
        assert statement.attributes is not None and statement.attributes["db.statement"]
    return root, statements


def test_a_grpc_call_is_one_trace_with_its_statements_beneath_it(traced):
    created = traced.client.ingestion.ReportAlertEvents(report(alert("traced", f"traced-{uuid.uuid4().hex}")))
    root, statements = the_one_trace(traced)
    assert root.name == "/incidents_service.v1.AlertIngestionService/ReportAlertEvents"
    assert {span.name for span in statements} >= {"SELECT", "INSERT"}

    traced.client.incidents.GetIncident(get(created.results[0].incident_id))
    root, statements = the_one_trace(traced)
    assert root.name == f"{INCIDENTS}/GetIncident"
    assert root.attributes is not None and root.attributes["rpc.grpc.status_code"] == 0
    assert any("FROM incidents" in str(span.attributes["db.statement"]) for span in statements)  # type: ignore[index]


def test_a_refused_call_is_a_trace_with_its_status(traced):
    with pytest.raises(grpc.RpcError):
        traced.client.incidents.GetIncident(get("no-such-incident"))
    root, _statements = the_one_trace(traced)
    # The client's mistake: the code, not an error of the server's (OpenTelemetry's gRPC conventions).
    assert root.status.status_code is not StatusCode.ERROR
    assert root.attributes is not None and root.attributes["rpc.grpc.status_code"] == grpc.StatusCode.NOT_FOUND.value[0]


def test_connect_and_the_intake_are_traced_over_http(traced):
    answer = connect(traced.http_url, f"{INCIDENTS}/ListIncidents", {}, key=traced.client.api_key)
    assert answer.status == 200
    root, _statements = the_one_trace(traced)
    assert root.name == f"POST {INCIDENTS}/ListIncidents"
    event = {"routing_key": traced.client.api_key, "event_action": "trigger", "dedup_key": uuid.uuid4().hex,
             "payload": {"summary": "traced over HTTP", "severity": "info"}}  # fmt: skip
    assert call(traced.http_url, "/v2/enqueue", event).status == 202
    root, _statements = the_one_trace(traced)
    assert root.name == "POST /v2/enqueue"
    assert call(traced.http_url, "/metrics", method="GET").status == 200
    assert traced.traces() == {}  # scrapes are not calls


def test_a_callers_traceparent_is_continued_and_the_log_line_carries_the_trace_id(traced, caplog):
    trace_id = uuid.uuid4().hex
    parent = f"00-{trace_id}-{uuid.uuid4().hex[:16]}-01"
    with caplog.at_level(logging.INFO, logger="incidents_service.calls"):
        traced.client.incidents.ListIncidents(
            list_request(),
            metadata=(("authorization", f"Bearer {traced.client.api_key}"), ("traceparent", parent)),
        )
    assert [format(trace, "032x") for trace in traced.traces()] == [trace_id]
    formatter = logs.formatter()
    [line] = [json.loads(formatter.format(r)) for r in caplog.records if r.name == "incidents_service.calls"]
    assert line["trace_id"] == trace_id


def test_tracing_is_off_unless_an_otlp_endpoint_is_set(monkeypatch):
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", raising=False)
    assert tracing.from_environment() is None
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
    provider = tracing.from_environment()
    assert isinstance(provider, TracerProvider)
    assert provider.resource.attributes["service.name"] == "incidents-service"
    provider.shutdown()
