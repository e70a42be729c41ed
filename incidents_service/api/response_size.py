"""Responses bounded by their encoded size (SPEC 11): pages stop early, whole answers are refused.

A gRPC client refuses a message over 4 MiB unless told otherwise, so a page of incidents, groups or
events stops adding items once the response would pass limits.MAX_RESPONSE_BYTES and carries a page
token that resumes right after its last item. Sizes are protobuf's own: the `ByteSize()` of each
built item plus its field's tag and length, so the sum is the exact size of the encoded field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from google.protobuf.message import Message

from incidents_service.domain import limits

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
