"""Traces (SPEC 15): OpenTelemetry spans for gRPC, HTTP and SQL, exported over OTLP when the standard
OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set.

Unset, nothing is installed: no interceptor, no middleware, no statement listener, so a call costs what
it did before. Set, each call is one trace: the gRPC server span (opentelemetry-instrumentation-grpc) or
the HTTP one (opentelemetry-instrumentation-asgi, for Connect and the alert intake), continuing the
caller's trace when it sends a `traceparent`, and beneath it a span per SQL statement. The statements run
on storage threads: Calls runs each call's work in a copy of its context, so they see the call's span.
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

# Where a statement's span waits for the statement to end: the connection's own info dict (one
# statement at a time runs on a connection).
_SPAN = "incidents_service.tracing.span"


def from_environment() -> TracerProvider | None:
    """A provider exporting over OTLP/HTTP when the standard variables ask for it; else None (no tracing)."""
    if not (os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, when set, override the default name.
    provider = TracerProvider(resource=Resource.create({"service.name": "incidents-service"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


def trace_statements(engine: Engine, provider: TracerProvider) -> None:
    """A CLIENT span for each statement `engine` runs within a traced call, as that call's child.

    Through SQLAlchemy's statement events, which the hot statements run on the driver's cursor
    (storage/driver_sql.py) dispatch too; statements outside any call (the health probe) make no trace."""
    tracer = provider.get_tracer("incidents_service.storage")
    system = engine.dialect.name

    def started(connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not trace.get_current_span().is_recording():
            return
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SQL"
        connection.info[_SPAN] = tracer.start_span(
            operation, kind=SpanKind.CLIENT, attributes={"db.system": system, "db.statement": statement}
        )

    def finished(connection: Any, *_rest: Any) -> None:
        span = connection.info.pop(_SPAN, None)
        if span is not None:
            span.end()

    def failed(context: ExceptionContext) -> None:
        span = context.connection.info.pop(_SPAN, None) if context.connection is not None else None
        if span is not None:
            span.record_exception(context.original_exception)
            span.set_status(Status(StatusCode.ERROR, type(context.original_exception).__name__))
            span.end()

    event.listen(engine, "before_cursor_execute", started)
    event.listen(engine, "after_cursor_execute", finished)
    event.listen(engine, "handle_error", failed)
