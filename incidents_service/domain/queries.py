"""What a query asks for, independent of SQL and of the wire: filters, order, a page."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from incidents_service.domain.model import IncidentState, IncidentStatus, Severity

T = TypeVar("T")


@dataclass(frozen=True)
class IncidentFilter:
    """Fields combine with AND; the values within one field combine with OR. Empty means any."""

    statuses: frozenset[IncidentStatus] = frozenset()
    states: frozenset[IncidentState] = frozenset()
    severities: frozenset[Severity] = frozenset()
    assignees: frozenset[str] = frozenset()
    application_names: frozenset[str] = frozenset()
    subsystem_names: frozenset[str] = frozenset()
    is_muted: bool | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive


class SortField(enum.StrEnum):
    CREATED_AT = "created_at"
    ID = "id"


@dataclass(frozen=True)
class SortKey:
    field: SortField
    descending: bool


# Default order (SPEC 6): newest first, id breaking ties so the order is total.
DEFAULT_ORDER: tuple[SortKey, ...] = (
    SortKey(SortField.CREATED_AT, descending=True),
    SortKey(SortField.ID, descending=True),
)


@dataclass(frozen=True)
class PageRequest:
    size: int
    # Sort-key values of the last item of the previous page (keyset position); None for the first page.
    after: tuple[Any, ...] | None = None


@dataclass
class Page(Generic[T]):
    items: list[T]
    total_size: int
    # Keyset position of the last item when more items follow; None on the last page.
    next_after: tuple[Any, ...] | None = field(default=None)
