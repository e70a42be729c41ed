"""Domain errors. The API edge maps each to one gRPC status (api/errors.py)."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the service reports to a client on purpose."""


# Messages name this many items and count the rest: a status travels in gRPC trailers, which clients
# cap at 8 KiB, and a batch can hold 1000 ids of up to 1024 characters.
NAMED_IN_MESSAGE = 10


def name_some(items: list[str]) -> str:
    named = ", ".join(item[:128] for item in items[:NAMED_IN_MESSAGE])
    rest = len(items) - NAMED_IN_MESSAGE
    return f"{named} and {rest} more" if rest > 0 else named


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class InvalidArgument(DomainError):
    """Malformed input; names each bad field (google.rpc.BadRequest)."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = violations
        super().__init__(name_some([f"{v.field}: {v.description}" for v in violations]))

    @classmethod
    def single(cls, field: str, description: str) -> InvalidArgument:
        return cls([FieldViolation(field, description)])


class NotFound(DomainError):
    """Ids that do not exist in the caller's team (another team's ids look the same)."""

    def __init__(self, resource_type: str, ids: list[str]) -> None:
        self.resource_type = resource_type
        self.ids = ids
        super().__init__(f"{len(ids)} {resource_type} id(s) not found: {name_some(ids)}")


@dataclass(frozen=True)
class RefusedTransition:
    incident_id: str
    state: str
    reason: str


class FailedPrecondition(DomainError):
    """An action refused because of the incidents' current state; names each incident and its state."""

    def __init__(self, action: str, refused: list[RefusedTransition]) -> None:
        self.action = action
        self.refused = refused
        names = name_some([f"{r.incident_id} ({r.state})" for r in refused])
        super().__init__(f"cannot {action} {len(refused)} incident(s): {names}")


class PermissionDenied(DomainError):
    def __init__(self, permission: str) -> None:
        self.permission = permission
        super().__init__(f"this API key lacks the permission {permission}")


class Unauthenticated(DomainError):
    pass


class ResponseTooLarge(DomainError):
    """The answer would pass what one response may carry (SPEC 11): the caller must ask for less."""

    def __init__(self, message: str, limit_bytes: int) -> None:
        self.limit_bytes = limit_bytes
        super().__init__(message)


class StorageUnavailable(DomainError):
    """The database cannot be reached right now; the client may retry."""


class CallEnded(DomainError):
    """The call's deadline passed or its client went away: its work was stopped and rolled back."""

    def __init__(self) -> None:
        super().__init__("the call's deadline passed before it finished; nothing was changed")


class StatementTimeLimit(CallEnded):
    """The call's statements ran past the server's time limit while the client still waited."""

    def __init__(self, limit_seconds: float | None) -> None:
        self.limit_seconds = limit_seconds
        DomainError.__init__(
            self,
            "the query ran past the server's time limit"
            + (f" of {limit_seconds:g} s per call" if limit_seconds is not None else "")
            + "; narrow the filter or ask for a smaller page. Nothing was changed",
        )


class ConcurrentConflict(Exception):
    """Another transaction won a race (unique key or serialization); the operation is retried whole."""
