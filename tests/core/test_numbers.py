"""Counts are grouped by thousands the same way everywhere (rh_numbers.thousands)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string

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


def test_the_reports_write_their_counts_grouped_as_the_pages_do() -> None:
    # The register of 60,000 risks read "the 59871 open risks" and "rows 1001 to 1500 of
    # 59873" while the dashboard wrote 59,871.
    heatmap = render_to_string(
        "reports/pdf/_heatmap.html",
        {
            "data": {
                "heatmaps": [
                    {
                        "name": "Default 5x5",
                        "total": 59871,
                        "rows": [
                            {
                                "impact": 5,
                                "impact_label": "Severe",
                                "cells": [
                                    {"colour": "#b91c1c", "band": "critical", "count": 12345}
                                ],
                            }
                        ],
                        "likelihood_labels": ["Rare"],
                    }
                ]
            }
        },
    )
    assert "the 59,871 open risks" in heatmap and "12,345" in heatmap
    chunk = render_to_string(
        "reports/pdf/chunk.html",
        {
            "data": {"title": "AI risk register"},
            "listing": {"section": "Risk register", "partial": "reports/pdf/_evidence.html"},
            "rows": [],
            "first_row": 1000,
            "last_row": 1500,
            "total_rows": 59873,
        },
    )
    assert "rows 1,001 to 1,500 of 59,873" in chunk
