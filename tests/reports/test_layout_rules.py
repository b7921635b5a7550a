"""The layout rules the reference images cannot state as numbers: chart text size, the
one date format, identifiers that break at their separators only."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone

from riskhub.common.dates import report_date
from riskhub.reports import charts
from riskhub.reports.templatetags.report_tags import breakable, short_hash

# The text width of an A4 page with the reports' margins (210 - 2 x 16 mm), in points.
TEXT_WIDTH_PT = (210 - 32) / 25.4 * 72


def _smallest_printed_pt(svg: str, drawn_pt: float) -> float:
    width = float(re.search(r"viewBox='0 0 ([\d.]+) ", svg).group(1))  # type: ignore[union-attr]
    sizes = [float(s) for s in re.findall(r"font-size='([\d.]+)'", svg)]
    return min(sizes) * drawn_pt / width


def test_chart_text_prints_at_seven_points_or_more() -> None:
    colours = {"low": "#0a0", "medium": "#aa0", "high": "#a50", "critical": "#a00"}
    bands = charts.band_bars({"critical": 3, "high": 12, "low": 40, "medium": 7}, colours)
    coverage = charts.coverage_bars(
        [
            {
                "framework": "EU AI Act",
                "met": 3,
                "partial": 2,
                "gap": 9,
                "applicable": 14,
                "met_pct": 21,
            },
            {
                "framework": "CCPA/CPRA",
                "met": 0,
                "partial": 0,
                "gap": 0,
                "applicable": 0,
                "met_pct": 0,
            },
        ]
    )
    trend = charts.trend_line(
        [{"month": f"2026-{m:02d}", "open": 40 + m, "high_critical": 10 + m} for m in range(5, 12)]
        + [{"month": "2026-11-20", "open": 52, "high_critical": 22}]
    )
    # Bar charts sit in half the text width (executive summary) at the narrowest.
    half = (TEXT_WIDTH_PT - 6 / 25.4 * 72) / 2
    assert half >= charts.NARROWEST_PT
    for svg in (bands, coverage):
        assert _smallest_printed_pt(svg, charts.NARROWEST_PT) >= charts.MIN_TEXT_PT
    assert _smallest_printed_pt(trend, TEXT_WIDTH_PT) >= charts.MIN_TEXT_PT


def test_trend_month_labels_never_overlap() -> None:
    points = [{"month": f"2025-{m:02d}", "open": m, "high_critical": 1} for m in range(1, 13)] * 2
    svg = charts.trend_line(points)
    xs = sorted(
        float(x)
        for x, label in re.findall(
            r"<text x='([\d.]+)' y='[\d.]+' text-anchor='middle' font-size='9' [^>]*>(20\d\d-\d\d)</text>",
            svg,
        )
    )
    assert xs and all(b - a >= charts.LABEL_UNITS for a, b in zip(xs, xs[1:], strict=False))


def test_one_date_format_for_days_and_moments() -> None:
    assert report_date(dt.date(2026, 12, 5)) == "2026-12-05"
    assert report_date("2026-11-30") == "2026-11-30"
    moment = dt.datetime(2026, 12, 5, 14, 7, tzinfo=dt.UTC)
    with timezone.override("UTC"):
        assert report_date(moment) == "2026-12-05 14:07 UTC"
        assert report_date(moment.isoformat()) == "2026-12-05 14:07 UTC"
    assert report_date(None) == "" and report_date("") == ""


def test_identifiers_break_at_separators_only() -> None:
    assert str(breakable("risk-officer@example.com")) == "risk-<wbr>officer@<wbr>example.<wbr>com"
    assert "<script>" not in str(breakable("<script>x</script>"))
    uuid = "7b7ccfb0-250c-48fe-a437-84126f8f9bea"
    assert str(breakable(uuid)).replace("<wbr>", "") == uuid
    assert short_hash("a" * 64) == "a" * 12 + "\u2026" and short_hash("") == ""
