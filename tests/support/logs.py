"""A server's log as the JSON lines it must be (SPEC 15)."""

from __future__ import annotations

import json
from typing import Any

import pytest


def log_lines(text: str) -> list[dict[str, Any]]:
    """Every complete line of a log, parsed; a line that is not a JSON object fails the test."""
    complete = text.splitlines() if text.endswith("\n") else text.splitlines()[:-1]
    parsed: list[dict[str, Any]] = []
    for line in complete:
        try:
            value = json.loads(line)
        except ValueError:
            pytest.fail(f"a log line that is not JSON: {line!r}\n{text}")
        if not isinstance(value, dict):
            pytest.fail(f"a log line that is not a JSON object: {line!r}")
        parsed.append(value)
    return parsed


def log_events(text: str) -> list[str]:
    """The `event` of every complete line, in order."""
    return [line["event"] for line in log_lines(text)]
