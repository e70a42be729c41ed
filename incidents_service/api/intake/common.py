"""What both alert intakes share: reading a sender's JSON and naming each field it got wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from com.coralogixapis.incidents.v1 import incident_pb2 as pb

from incidents_service.domain.errors import FieldViolation, InvalidArgument

SEVERITIES = {
    "critical": pb.INCIDENT_SEVERITY_CRITICAL,
    "error": pb.INCIDENT_SEVERITY_ERROR,
    "warning": pb.INCIDENT_SEVERITY_WARNING,
    "info": pb.INCIDENT_SEVERITY_INFO,
}


class PayloadError(InvalidArgument):
    """A payload the sender got wrong: every bad field, named as the sender spells it."""


@dataclass
class PayloadErrors:
    found: list[FieldViolation] = field(default_factory=list)

    def add(self, name: str, description: str) -> None:
        self.found.append(FieldViolation(name, description))

    def check(self) -> None:
        if self.found:
            raise PayloadError(self.found)


def string_map(payload: dict[str, Any], name: str, errors: PayloadErrors, prefix: str = "") -> dict[str, str]:
    """An optional object of string values (labels, annotations); {} when absent."""
    full = f"{prefix}.{name}" if prefix else name
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        errors.add(full, "must be an object of string values")
        return {}
    return value


def optional_string(payload: dict[str, Any], name: str, errors: PayloadErrors, prefix: str = "") -> str:
    value = payload.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.add(f"{prefix}.{name}" if prefix else name, "must be a string")
        return ""
    return value


def parse_time(value: Any, name: str, errors: PayloadErrors, required: bool = True) -> datetime | None:
    """An RFC 3339 time (UTC when it names no zone); None when absent or Go's zero time."""
    if value is None or value == "":
        if required:
            errors.add(name, "is required (an RFC 3339 time)")
        return None
    if not isinstance(value, str):
        errors.add(name, "must be an RFC 3339 time string")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add(name, f"is not an RFC 3339 time: {value[:64]!r}")
        return None
    if moment.year <= 1:  # Go's zero time: Alertmanager's endsAt of an alert still firing
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
