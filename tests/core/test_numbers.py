"""Counts are grouped by thousands the same way everywhere (rh_numbers.thousands)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from riskhub.core.templatetags.rh_numbers import thousands


@pytest.mark.parametrize(
    ("value", "written"),
    [
        (0, "0"),
        (999, "999"),
        (1000, "1,000"),
        (599871, "599,871"),
        (-12345, "-12,345"),
        (25_000_000.6, "25,000,001"),
        (Decimal("1234567.4"), "1,234,567"),
        ("42000", "42,000"),
        (None, ""),
        ("", ""),
        ("n/a", "n/a"),
    ],
)
def test_a_count_is_rounded_and_grouped_by_thousands(value: object, written: str) -> None:
    assert thousands(value) == written


def test_the_filter_writes_what_floatformat_0g_wrote() -> None:
    for n in (0, 7, 1000, 54_527, 1_874_500, 25_000_000.5):
        ours = Template("{% load rh_numbers %}{{ n|thousands }}").render(Context({"n": n}))
        theirs = Template('{{ n|floatformat:"0g" }}').render(Context({"n": n}))
        assert ours == theirs, n
