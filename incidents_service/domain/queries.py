"""What a query asks for, independent of SQL and of the wire: filters, order, a page."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from incidents_service.domain import limits
from incidents_service.domain.model import IncidentState, IncidentStatus, Severity

T = TypeVar("T")


class SearchField(enum.StrEnum):
    """Where `search_query` looks: the name unless another field or a contextual label is chosen."""

    NAME = "name"
    ID = "id"
    APPLICATION_NAME = "application_name"
    SUBSYSTEM_NAME = "subsystem_name"
    CONTEXTUAL_LABEL = "contextual_label"


@dataclass(frozen=True)
class SearchQuery:
    text: str  # case-insensitive substring; %, _ and \ are plain characters
    field: SearchField = SearchField.NAME
    label_key: str | None = None  # for SearchField.CONTEXTUAL_LABEL


@dataclass(frozen=True)
class IncidentFilter:
    """Fields combine with AND; the values within one field combine with OR. Empty means any."""

    statuses: frozenset[IncidentStatus] = frozenset()
    states: frozenset[IncidentState] = frozenset()
    severities: frozenset[Severity] = frozenset()
    assignees: frozenset[str] = frozenset()
    application_names: frozenset[str] = frozenset()
    subsystem_names: frozenset[str] = frozenset()
    # For each key listed, the label must have one of the listed values.
    contextual_labels: tuple[tuple[str, frozenset[str]], ...] = ()
    display_labels: tuple[tuple[str, frozenset[str]], ...] = ()
    # (key, value) pairs; a None value matches any value of the key. Any of them, or all with meta_labels_all.
    meta_labels: tuple[tuple[str, str | None], ...] = ()
    meta_labels_all: bool = False
    is_muted: bool | None = None
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    # The incident was open at some moment of [open_from, open_to] (incident_duration_range).
    open_from: datetime | None = None
    open_to: datetime | None = None
    search: SearchQuery | None = None


class SortField(enum.StrEnum):
    ID = "id"
    SEVERITY = "severity"
    NAME = "name"
    CREATED_AT = "created_at"
    CLOSED_AT = "closed_at"
    STATE = "state"
    STATUS = "status"
    LAST_STATE_UPDATE_TIME = "last_state_update_time"
    APPLICATION_NAME = "application_name"
    SUBSYSTEM_NAME = "subsystem_name"
    DURATION = "duration"
    CONTEXTUAL_LABEL = "contextual_label"


@dataclass(frozen=True)
class SortKey:
    field: SortField
    descending: bool
    label_key: str | None = None  # for SortField.CONTEXTUAL_LABEL


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
    # The moment the first page was read: durations and mutes are computed as of it on every page,
    # so an order by duration stays the same order while a client pages through it.
    as_of: datetime | None = None
    # total_size counted when the walk started (first page), carried by the token: deep pages
    # then cost no count, and one walk reports one consistent total.
    known_total: int | None = None


@dataclass
class Page(Generic[T]):
    items: list[T]
    total_size: int
    # Keyset position of the last item when more items follow; None on the last page.
    next_after: tuple[Any, ...] | None = field(default=None)
    # Keyset position of each item, so a page cut short (by its encoded size) resumes after its last item.
    positions: list[tuple[Any, ...]] = field(default_factory=list)

    def position_after(self, count: int) -> tuple[Any, ...] | None:
        """Where the next page starts when only the first `count` items are answered."""
        if count >= len(self.items):
            return self.next_after
        return self.positions[count - 1]


# Fields an aggregation can group by (times and duration are continuous: group by a label instead).
GROUPABLE_FIELDS = frozenset(
    {
        SortField.ID,
        SortField.SEVERITY,
        SortField.NAME,
        SortField.STATE,
        SortField.STATUS,
        SortField.APPLICATION_NAME,
        SortField.SUBSYSTEM_NAME,
        SortField.CONTEXTUAL_LABEL,
    }
)
MAX_GROUP_BYS = limits.MAX_GROUP_BYS
INCIDENT_IDS_PER_GROUP = 100
VALUES_PER_KEY = 100


@dataclass
class IncidentGroup:
    """One group of ListIncidentAggregations: its group-by values and what its incidents add up to."""

    values: list[Any]  # one per group-by: Severity, IncidentState, IncidentStatus or str
    count: int
    first_created_at: datetime | None
    last_closed_at: datetime | None
    last_state_update_time: datetime | None
    state_counts: dict[IncidentState, int] = field(default_factory=dict)
    status_counts: dict[IncidentStatus, int] = field(default_factory=dict)
    severity_counts: dict[Severity, int] = field(default_factory=dict)
    assignee_counts: dict[str, int] = field(default_factory=dict)
    meta_label_counts: dict[tuple[str, str], int] = field(default_factory=dict)
    incident_ids: list[str] = field(default_factory=list)  # newest first, at most INCIDENT_IDS_PER_GROUP


@dataclass
class FilterValues:
    """Counts of each value among the matching incidents, most frequent first (a filter sidebar)."""

    assignees: list[tuple[str, int]]
    statuses: list[tuple[IncidentStatus, int]]
    states: list[tuple[IncidentState, int]]
    severities: list[tuple[Severity, int]]
    contextual_labels: dict[str, list[tuple[str, int]]]
    display_labels: dict[str, list[tuple[str, int]]]
    meta_labels: list[tuple[tuple[str, str], int]]


@dataclass(frozen=True)
class EventFilter:
    """ListIncidentEvents: the incident as it was when each event happened, and the event's time."""

    incident: IncidentFilter = field(default_factory=IncidentFilter)
    timestamp_from: datetime | None = None  # inclusive
    timestamp_to: datetime | None = None  # exclusive


# ListIncidentEventsTotalCount counts up to this many and then says it reached the limit.
EVENT_COUNT_LIMIT = 10_000
