"""Pages of long, sorted lists."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property


def page_by_ids(queryset: QuerySet[Any], per_page: int, number: Any) -> Page:
    """One page of a sorted queryset: the sort runs over the ids alone, then the page's
    rows are loaded, with their joins and annotations, by id (one query more).

    Sorting the full rows (joined columns, long texts) spilled to disk at 250,000 rows;
    sorting ids and sort keys stays in memory, and the annotations run for the page's
    rows only."""
    page = Paginator(queryset.values_list("pk", flat=True), per_page).get_page(number)
    ids = list(page.object_list)
    found = queryset.order_by().in_bulk(ids)
    page.object_list = [found[pk] for pk in ids if pk in found]
    return page


class Window:
    """A list known only by its length and how to fetch a slice of it, for a Paginator
    over rows that are cheaper to fetch a page at a time than to sort whole."""

    def __init__(self, total: int, fetch: Callable[[int, int], list[Any]]) -> None:
        self.total = total
        self.fetch = fetch

    def count(self) -> int:
        return self.total

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: slice) -> list[Any]:
        start = index.start or 0
        stop = self.total if index.stop is None else min(index.stop, self.total)
        return self.fetch(start, stop) if stop > start else []


class CappedPaginator(Paginator):
    """A Paginator that counts a queryset only up to `cap` rows.

    Counting every row of a large joined list (600,000 risks of 100,000 assets) cost
    more than the page itself; the count here stops at ``cap + 1`` rows. Past the cap,
    ``capped`` is true, the count says ``cap`` and the pages end there: the page says
    "more than", and the filters (or the export, which streams every row) go further.
    """

    def __init__(self, object_list: QuerySet[Any], per_page: int, *, cap: int) -> None:
        super().__init__(object_list, per_page)
        self.cap = cap

    @cached_property
    def _seen(self) -> int:
        return int(self.object_list.order_by()[: self.cap + 1].count())

    @cached_property
    def count(self) -> int:  # type: ignore[override]
        return min(self._seen, self.cap)

    @property
    def capped(self) -> bool:
        return self._seen > self.cap
