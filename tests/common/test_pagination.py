"""The capped paginator: counts up to its cap with one query, then pages end there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from riskhub.common.pagination import CappedPaginator
from riskhub.inventory.models import Asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def seven() -> list[int]:
    return [Asset.objects.create(kind="dataset", name=f"set {i}").pk for i in range(7)]


def test_under_the_cap_it_counts_exactly(seven: list[int]) -> None:
    paginator = CappedPaginator(Asset.objects.order_by("pk"), 2, cap=10)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (7, False, 4)
    assert [a.pk for a in paginator.get_page(4)] == seven[6:]


def test_at_the_cap_exactly_it_is_not_capped(seven: list[int]) -> None:
    paginator = CappedPaginator(Asset.objects.order_by("pk"), 2, cap=7)
    assert (paginator.count, paginator.capped) == (7, False)


def test_past_the_cap_the_count_and_the_pages_stop_there(seven: list[int]) -> None:
    paginator = CappedPaginator(Asset.objects.order_by("pk"), 2, cap=5)
    with CaptureQueriesContext(connection) as captured:
        assert (paginator.count, paginator.capped, paginator.num_pages) == (5, True, 3)
    assert len(captured) == 1 and "LIMIT 6" in captured[0]["sql"]
    last = paginator.get_page(99)  # past the end: the last page, as Paginator does
    assert last.number == 3 and [a.pk for a in last] == [seven[4]]
    assert not last.has_next()
