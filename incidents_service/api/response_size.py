"""Responses bounded by their encoded size (SPEC 11): pages stop early, whole answers are refused.

A gRPC client refuses a message over 4 MiB unless told otherwise, so a page of incidents, groups or
events stops adding items once the response would pass limits.MAX_RESPONSE_BYTES and carries a page
token that resumes right after its last item. Sizes are protobuf's own: the `ByteSize()` of each
built item plus its field's tag and length, so the sum is the exact size of the encoded field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from typing import TypeVar

from google.protobuf.message import Message

from incidents_service.domain import limits
from incidents_service.domain.queries import FilterValues

T = TypeVar("T")
M = TypeVar("M", bound=Message)
P = TypeVar("P", bound=Message)


def varint_bytes(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def field_bytes(payload: int, field_number: int = 1) -> int:
    """Encoded size of one length-delimited field (a message, string or map entry) of `payload` bytes."""
    return varint_bytes(field_number << 3) + varint_bytes(payload) + payload


def map_entry_bytes(key: str, value: Message, field_number: int) -> int:
    """Encoded size of one entry of a map<string, Message> field."""
    entry = field_bytes(len(key.encode("utf-8"))) + field_bytes(value.ByteSize(), 2)
    return field_bytes(entry, field_number)


def sized(items: Iterable[T], build: Callable[[T], M], field_number: int) -> Iterator[tuple[M, int]]:
    """Each item built into its wire message, with the bytes it adds to its repeated field."""
    for item in items:
        message = build(item)
        yield message, field_bytes(message.ByteSize(), field_number)


def leading_that_fit(
    items: Iterable[T], build: Callable[[T], M], field_number: int, budget: int
) -> tuple[list[M], list[int]]:
    """The leading items, built, whose encoded sizes fit `budget`, and their sizes.

    At least one item is kept whatever its size: a page must move the walk forward, so an item that
    alone passes the budget comes alone on its page (only a client with a raised limit can read it).
    Items after the cut are never built.
    """
    kept: list[M] = []
    sizes: list[int] = []
    used = 0
    for message, size in sized(items, build, field_number):
        if kept and used + size > budget:
            break
        kept.append(message)
        sizes.append(size)
        used += size
    return kept, sizes


def fit_page(
    items: Iterable[T],
    build: Callable[[T], M],
    field_number: int,
    pagination_for: Callable[[int], P],
    pagination_field_number: int,
    budget: int = limits.MAX_RESPONSE_BYTES,
) -> tuple[list[M], P]:
    """A page's wire items and pagination such that the whole response fits `budget`.

    `pagination_for(count)` builds the pagination of a page cut after `count` items (its token
    resumes after the last of them). The pagination's own size depends on the cut (the token holds
    the last item's sort values), so items are dropped from the end until both fit.
    """
    kept, sizes = leading_that_fit(items, build, field_number, budget)
    used = sum(sizes)
    pagination = pagination_for(len(kept))
    while len(kept) > 1 and used + field_bytes(pagination.ByteSize(), pagination_field_number) > budget:
        kept.pop()
        used -= sizes.pop()
        pagination = pagination_for(len(kept))
    return kept, pagination


# What one counted value adds to a filter-values answer beyond its text, at most: its wrapper messages'
# tags and lengths and a count of up to 10 varint bytes (meta labels carry two texts).
_COUNTED_VALUE_OVERHEAD = 32
_LABEL_KEY_OVERHEAD = 16
_FIXED_PART = 1024  # statuses, states, severities (a few entries each) and the operator


def fit_filter_values(values: FilterValues, budget: int = limits.MAX_RESPONSE_BYTES) -> FilterValues:
    """The most common filter values that fit one response (SPEC 11).

    GetFilterValues is not paged on the wire. Assignees, contextual labels, display labels and meta
    labels each get an equal share of the budget, a share one leaves unused passes to those after it;
    within a share values are kept most common first (the order storage returns them in), and once one
    does not fit the rest of that kind is left out. Sizes are upper bounds of the encoding, so the
    answer never passes the budget.
    """
    remaining = budget - _FIXED_PART

    def share(kinds_left: int) -> int:
        return remaining // kinds_left

    def counted(texts: Sequence[str]) -> int:
        return sum(len(text.encode("utf-8")) for text in texts) + _COUNTED_VALUE_OVERHEAD

    def leading(items: Sequence[T], size: Callable[[T], int], allowed: int) -> tuple[list[T], int]:
        kept: list[T] = []
        used = 0
        for item in items:
            if used + size(item) > allowed:
                break
            kept.append(item)
            used += size(item)
        return kept, used

    assignees, used = leading(values.assignees, lambda item: counted([item[0]]), share(4))
    remaining -= used
    labels: list[dict[str, list[tuple[str, int]]]] = []
    for kinds_left, kind in ((3, values.contextual_labels), (2, values.display_labels)):
        allowed, used, kept = share(kinds_left), 0, {}
        for key, key_values in kind.items():
            key_size = len(key.encode("utf-8")) + _LABEL_KEY_OVERHEAD
            kept_values, values_size = leading(key_values, lambda item: counted([item[0]]), allowed - used - key_size)
            if not kept_values:
                break
            kept[key] = kept_values
            used += key_size + values_size
            if len(kept_values) < len(key_values):
                break
        labels.append(kept)
        remaining -= used
    meta_labels, _ = leading(values.meta_labels, lambda item: counted(item[0]), share(1))
    return replace(
        values,
        assignees=assignees,
        contextual_labels=labels[0],
        display_labels=labels[1],
        meta_labels=meta_labels,
    )
