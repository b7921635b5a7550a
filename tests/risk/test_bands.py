"""One definition of the risk bands (riskhub/risk/bands.py): a band has the same name,
order and colour on every matrix, page, Plotly figure, PDF and stylesheet."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.template.loader import render_to_string
from rest_framework.test import APIClient

from riskhub.compliance import states
from riskhub.core import palette
from riskhub.dashboard import charts
from riskhub.dashboard.selectors import DashboardFilters, RiskCounts, TrendPoint
from riskhub.inventory import tiers
from riskhub.inventory.models import Asset
from riskhub.reports import charts as report_charts
from riskhub.reports import pdf
from riskhub.reports.rendering import BAND_COLOURS as REPORT_BAND_COLOURS
from riskhub.risk import bands
from riskhub.risk.forms import MatrixForm
from riskhub.risk.models import RiskMatrix
from riskhub.risk.templatetags.risk_tags import band_badge
from tests.colours import CVD, contrast, css_rules, too_close

CSS_DIR = Path(settings.BASE_DIR) / "static" / "css"
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")


def test_there_are_four_bands_low_to_critical_and_not_assessed_ranks_below_them() -> None:
    assert [(b.slug, b.label, b.rank) for b in bands.BANDS] == [
        ("low", "Low", 1),
        ("medium", "Medium", 2),
        ("high", "High", 3),
        ("critical", "Critical", 4),
    ]
    assert bands.band("").label == "Not assessed" and bands.band(None).rank == 0
    assert bands.band("no-such-band") is bands.NOT_ASSESSED


def test_the_inventory_risk_band_choices_are_the_bands_definition() -> None:
    # inventory is below risk and keeps its own TextChoices; they must not drift.
    expected = [(b.slug, b.label) for b in (bands.NOT_ASSESSED, *bands.BANDS)]
    assert list(Asset.RiskBand.choices) == expected


@pytest.mark.parametrize("band", [bands.NOT_ASSESSED, *bands.BANDS], ids=lambda b: b.slug)
def test_every_band_label_reads_on_its_colour_at_wcag_aa(band: bands.Band) -> None:
    assert contrast(band.colour, band.text_colour) >= 4.5


@pytest.mark.parametrize("vision", list(CVD))
def test_the_bands_stay_apart_for_colour_blind_readers(vision: str) -> None:
    """High and Medium were two similar oranges (CIE76 distance 4 for deuteranopia,
    below what people tell apart at a glance); every pair of bands, and "not
    assessed", must now differ by at least 20."""
    every = [bands.NOT_ASSESSED, *bands.BANDS]
    assert too_close([(b.slug, b.colour) for b in every], vision) == []


def test_an_empty_heatmap_cell_is_a_pale_tint_of_its_band() -> None:
    for band in bands.BANDS:
        pale = bands.tint(band.colour)
        assert contrast(pale, "#ffffff") < 1.4  # reads as empty on the white page
        assert contrast(pale, "#000000") >= 4.5  # the band's name stays readable
    assert bands.tint("#000000", 0.0) == "#ffffff" and bands.tint("#2166ac", 1.0) == "#2166ac"


def test_the_committed_palette_css_is_what_the_definitions_write() -> None:
    committed = (CSS_DIR / "palette.css").read_text(encoding="utf-8")
    assert committed == palette.css(), "run `python manage.py write_palette_css`"
    call_command("write_palette_css", "--check")
    for band in (bands.NOT_ASSESSED, *bands.BANDS):
        assert f".{band.css_class} {{ background: {band.colour}; " in committed
    for tier in tiers.PRECEDENCE:
        assert f".{tier.css_class} {{ background: {tier.colour}; " in committed
    for state in (*states.STATES, states.NOT_IN_SCOPE):
        assert f"--rh-state-{state.slug}: {state.colour};" in committed
        assert f"--rh-state-{state.slug}-text: {state.text_colour};" in committed
        assert f".{state.css_class} {{ background: {state.colour}; " in committed


def test_the_palette_check_fails_when_a_definition_changes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(bands, "HIGH", bands.Band("high", "High", 3, "#ff0000"))
    monkeypatch.setattr(bands, "BANDS", (bands.LOW, bands.MEDIUM, bands.HIGH, bands.CRITICAL))
    assert ".rh-band-high { background: #ff0000;" in palette.css()
    with pytest.raises(CommandError, match="out of date"):
        call_command("write_palette_css", "--check")


def test_no_other_stylesheet_defines_a_band_or_tier_colour() -> None:
    slugs = [b.slug for b in (bands.NOT_ASSESSED, *bands.BANDS)] + ["none"]
    tier_slugs = [t.slug for t in tiers.PRECEDENCE]
    named = re.compile(
        r"(band|cell)-(" + "|".join(map(re.escape, slugs)) + r")\b"
        r"|tier-(" + "|".join(map(re.escape, tier_slugs)) + r")\b"
    )
    offenders = []
    for path in sorted(CSS_DIR.glob("*.css")):
        if path.name == "palette.css":
            continue
        for selector, body in css_rules(path.read_text(encoding="utf-8")):
            if named.search(selector) and HEX.search(body):
                offenders.append(f"{path.name}: {selector}")
            if re.search(r"--rh-(band|tier)-", body) and HEX.search(body):
                offenders.append(f"{path.name}: defines a band/tier custom property")
    assert offenders == []


def test_every_page_and_report_loads_the_palette() -> None:
    templates = Path(settings.BASE_DIR) / "templates"
    for name in ("base.html", "500.html", "503.html"):
        assert "css/palette.css" in (templates / name).read_text(encoding="utf-8"), name
    # Last, so its colours win over the layout's.
    assert pdf.STYLESHEETS[-1] == "palette.css"
    assert len(pdf.stylesheets()) == len(pdf.STYLESHEETS)


@pytest.mark.django_db
def test_a_band_has_one_colour_on_every_surface(catalogs: None) -> None:
    """Critical was #8e0000 on the matrices, #b71c1c on the pages and the dashboard,
    #8e1b1b in the PDFs; medium was yellow on the dashboard and brown elsewhere."""
    matrix = RiskMatrix.objects.get(code="default-5x5")
    # A matrix stored before the definition (or through an old API client) still
    # carries its own colours: they are ignored.
    matrix.bands = [{**b, "colour": "#123456"} for b in matrix.bands]
    css = palette.css()
    for definition in bands.BANDS:
        cell = next(c for row in matrix.grid() for c in row if c.band == definition.slug)
        assert cell.colour == definition.colour
        style = next(s for s in matrix.band_styles() if s["slug"] == definition.slug)
        assert style["colour"] == definition.colour
        assert f'class="rh-band {definition.css_class}"' in band_badge(definition.slug)
        assert f".{definition.css_class} {{ background: {definition.colour};" in css
        assert REPORT_BAND_COLOURS[definition.slug] == definition.colour
        svg = report_charts.band_bars({definition.slug: 3}, REPORT_BAND_COLOURS)
        assert f"fill='{definition.colour}'" in svg and definition.label in svg

    counts = RiskCounts()
    heatmap = charts.heatmap(matrix, counts, "residual", DashboardFilters())["data"][0]
    scale = dict((round(stop, 3), colour) for stop, colour in heatmap["colorscale"])
    for row_z, row_cells in zip(heatmap["z"], matrix.grid(), strict=True):
        for z, cell in zip(row_z, row_cells, strict=True):
            # An empty cell's z is its band's rank (a pale tint of the band); a cell
            # holding risks is rank + 4 (the band's colour). Step z starts at (z - 1) / 8.
            colour = bands.band(cell.band).colour
            assert scale[round((z - 1) / 8, 3)] == bands.tint(colour)
            assert scale[round((z + 3) / 8, 3)] == colour

    point = TrendPoint(
        date=dt.date(2026, 1, 1), low=1, medium=2, high=3, critical=4, overdue=0, unassessed=0
    )
    traces = charts.trend_lines([point])["data"]
    lines = {t["name"]: t["line"]["color"] for t in traces if t["mode"] != "text"}
    assert lines == {b.label: b.colour for b in bands.BANDS}

    top = charts.top_risks_bars(
        [
            {
                "title": "t",
                "assessment__asset__name": "a",
                "residual_ratio": 0.5,
                "residual_band": b.slug,
                "residual_score": 5,
                "uuid": uuid.uuid4(),
                "assessment__uuid": uuid.uuid4(),
            }
            for b in bands.BANDS
        ]
    )["data"][0]
    assert top["marker"]["color"] == [b.colour for b in bands.BANDS]


def test_the_pdf_heatmap_writes_each_band_in_its_colour_and_name() -> None:
    cells = [
        {"likelihood": i, "score": i, "band": b.slug, "colour": b.colour, "count": i}
        for i, b in enumerate(bands.BANDS, start=1)
    ]
    html = render_to_string(
        "reports/pdf/_heatmap.html",
        {
            "data": {
                "heatmaps": [
                    {
                        "name": "M",
                        "total": 10,
                        "likelihood_labels": ["1", "2", "3", "4"],
                        "rows": [{"impact": 1, "impact_label": "I", "cells": cells}],
                    }
                ]
            }
        },
    )
    for b in bands.BANDS:
        assert f"background: {b.colour}; color: {b.text_colour}" in html
        assert f'<span class="b">{b.label}</span>' in html


def test_a_pdf_risk_row_names_each_band_in_words_with_its_class() -> None:
    risks = [{"inherent": {"band": "critical", "score": 20}, "residual": {"band": "", "score": 0}}]
    html = render_to_string("reports/pdf/_risks.html", {"rows": risks})
    # Before: "Critical" by capfirst of the slug, and an empty label for no band.
    assert '<span class="band rh-band-critical">Critical</span>' in html
    assert '<span class="band rh-band-not-assessed">Not assessed</span>' in html


def test_the_matrix_form_asks_for_no_colour_and_explains_an_old_line() -> None:
    base = {
        "code": "ops",
        "name": "Ops",
        "impact_labels": "Low\nHigh",
        "likelihood_labels": "Rare\nOften",
    }
    form = MatrixForm(data={**base, "bands": "Low 1 1\nMedium 2 2\nHigh 3 3\nCritical 4 4"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["bands"][0] == {"name": "Low", "min_score": 1, "max_score": 1}
    old = MatrixForm(data={**base, "bands": "Low 1 1 #1b5e20\nMedium 2 2\nHigh 3 3\nCritical 4 4"})
    assert not old.is_valid()
    assert "same colour on every matrix" in str(old.errors["bands"])


@pytest.mark.django_db
def test_the_api_reports_the_bands_colour_whatever_a_client_sends(
    catalogs: None, admin_user
) -> None:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(admin_user)
    body = {
        "code": "api-2x3",
        "name": "Tiny",
        "impact_levels": [{"value": 1, "label": "Low"}, {"value": 2, "label": "High"}],
        "likelihood_levels": [{"value": v, "label": f"L{v}"} for v in (1, 2, 3)],
        "bands": [
            {"name": "Low", "min_score": 1, "max_score": 1, "colour": "#000001"},
            {"name": "Medium", "min_score": 2, "max_score": 2},
            {"name": "High", "min_score": 3, "max_score": 4},
            {"name": "Critical", "min_score": 5, "max_score": 6},
        ],
    }
    response = client.post("/api/v1/risk-matrices/", body, format="json")
    assert response.status_code == 201, response.json()
    colours = {b["name"]: b["colour"] for b in response.json()["bands"]}
    assert colours == {b.label: b.colour for b in bands.BANDS}
    stored = RiskMatrix.objects.get(code="api-2x3")
    assert all("colour" not in b for b in stored.bands)
