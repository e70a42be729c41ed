"""Logs: JSON lines on stderr (SPEC 15), ours through structlog and every library's (uvicorn, grpc, alembic,
asyncio) through the same formatter, so every line a `serve` process writes parses as JSON.

A line carries `timestamp` (UTC, ISO 8601), `level`, `logger`, `event` and the event's fields; a call's
line (api/calls.py) adds method, code, duration, team, principal and key id, never the key itself.
A traceback is the field `exception`, not loose lines. With tracing on, `trace_id` ties a line to its trace.

structlog is configured on import, so a server built in code (tests, embedding) logs through the
standard library like any library; `configure` is what `serve` calls to write the lines to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import orjson
import structlog
from opentelemetry import trace

EventDict = MutableMapping[str, Any]

# Set by tracing.configure when traces are exported: only then does a line carry its trace id.
_with_trace_ids = False


def include_trace_ids(enabled: bool) -> None:
    global _with_trace_ids
    _with_trace_ids = enabled


def _add_trace_id(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    if _with_trace_ids:
        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            event_dict["trace_id"] = format(context.trace_id, "032x")
    return event_dict


_LEADING = ("timestamp", "level", "event")


def _add_pid(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    event_dict["pid"] = _PID  # `serve --processes N`: which process wrote the line
    return event_dict


_PID = os.getpid()  # processes are started fresh, never forked, so this is each one's own


def _json(event_dict: EventDict, **_options: Any) -> str:
    # timestamp, level and event lead each line, where a reader looks first.
    line = {key: event_dict.pop(key) for key in _LEADING if key in event_dict}
    line.update(event_dict)
    return orjson.dumps(line, default=str).decode()


# Run for every line, ours at the call and the libraries' when formatted (the same thread and context).
_SHARED: list[Any] = [
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    _add_pid,
    _add_trace_id,
]

_RENDER: list[Any] = [structlog.processors.format_exc_info, structlog.processors.JSONRenderer(serializer=_json)]
_RENDERED = "incidents_service_line"  # marks a record whose message is already the finished line


def _to_stdlib(logger: Any, method: str, event_dict: EventDict) -> tuple[tuple[str], dict[str, Any]]:
    """Our events are rendered here, once, and handed to the standard library as finished lines: a call's
    line then costs one log record, not the two a formatter that re-renders it would make."""
    line = event_dict
    for render in _RENDER:
        line = render(logger, method, line)
    return (str(line),), {"extra": {_RENDERED: True}}


structlog.configure(
    processors=[
        structlog.stdlib.filter_by_level,  # a level below the logger's costs nothing more
        *_SHARED,
        _to_stdlib,
    ],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


class _JsonLines(structlog.stdlib.ProcessorFormatter):
    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, _RENDERED, False):
            return record.getMessage()
        return super().format(record)


def formatter() -> logging.Formatter:
    """The one formatter of every line: ours pass as they were rendered; the libraries' are rendered alike,
    a JSON object with the traceback as its `exception` field."""
    return _JsonLines(
        foreign_pre_chain=_SHARED,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *_RENDER],
    )


def configure(level: str) -> None:
    """Every log line of this process to stderr as JSON, from `level` up."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)  # warnings.warn lines too, as JSON
    # Migrations and uvicorn's start and stop say at INFO what the serving and stopped lines already say.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.error").setLevel(logging.WARNING)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
