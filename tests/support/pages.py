"""Walking every page of a paged rpc, following next_page_token."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass
class Walk(Generic[T]):
    pages: list[list[T]] = field(default_factory=list)
    totals: list[int] = field(default_factory=list)  # total_size as each page answered it

    @property
    def items(self) -> list[T]:
        return [item for page in self.pages for item in page]

    @property
    def page_lengths(self) -> list[int]:
        return [len(page) for page in self.pages]


def walk_pages(
    page: Callable[[str], Any],
    items: Callable[[Any], Sequence[T]],
    between_pages: Callable[[Any], None] | None = None,
    most: int = 1000,
) -> Walk[T]:
    """Every page `page(token)` answers, from the first, each page's items as `items(answer)` picks them."""
    found: Walk[T] = Walk()
    token = ""
    for _ in range(most):
        response = page(token)
        found.pages.append(list(items(response)))
        found.totals.append(response.pagination.total_size.value)
        token = response.pagination.next_page_token.value
        if not token:
            return found
        assert found.pages[-1], "an empty page with a next_page_token"
        if between_pages is not None:
            between_pages(response)
    raise AssertionError("pagination never ended")


def expected_page_lengths(total: int, page_size: int) -> list[int]:
    """The lengths of full pages of `page_size` (0: the default 50), then the rest, for `total` items."""
    size = page_size or 50
    lengths = [size] * (total // size)
    if total % size or not lengths:
        lengths.append(total % size)
    return lengths
