"""The executive dashboard page (thin: reads in selectors, figures in charts)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires
from riskhub.dashboard import charts, selectors
from riskhub.dashboard.forms import FilterForm
from riskhub.inventory.models import Asset
from riskhub.risk.models import BAND_LABEL


def build(request: HttpRequest) -> tuple[FilterForm, selectors.Dashboard]:
    """Parse the filters and read the dashboard; shared with the JSON API."""
    units, fws = selectors.filter_options()
    form = FilterForm(request.GET or None, business_units=units, frameworks=fws)
    board = selectors.dashboard(form.filters(), options=(units, fws))
    return form, board


@requires("dashboard.view")
def index(request: HttpRequest) -> HttpResponse:
    form, board = build(request)
    figures = charts.figures(board)
    tiers = dict(Asset.Tier.choices)
    kinds = dict(Asset.Kind.choices)
    names = {f.slug: f.short_name for f in board.frameworks}
    context: dict[str, Any] = {
        "form": form,
        "board": board,
        "figures": figures,
        "heatmaps": [
            {
                "matrix": m,
                "inherent": charts.heatmap_cells(m, board.risks, "inherent", board.filters),
                "residual": charts.heatmap_cells(m, board.risks, "residual", board.filters),
            }
            for m in board.matrices
        ],
        "kinds": [
            (label, board.assets.by_kind.get(value, 0)) for value, label in Asset.Kind.choices
        ],
        "tiers": [
            (tiers.get(tier, "Not classified"), n)
            for tier, n in sorted(
                board.assets.by_tier.items(),
                key=lambda item: list(tiers).index(item[0]) if item[0] in tiers else 99,
            )
        ],
        "bands": [
            (band, BAND_LABEL[band], board.risks.open_by_band.get(band, 0))
            for band in reversed(selectors.BANDS)
        ],
        "timeline_groups": charts.timeline_groups(board.timeline),
        "timeline_rows": [
            {**asdict(r), "framework_name": names.get(r.framework_slug, r.framework_slug)}
            for r in board.timeline
        ],
        "top_risks": [
            {**r, "band_label": BAND_LABEL.get(r["residual_band"], r["residual_band"])}
            for r in board.top_risks
        ],
        "unassessed_assets": [
            {**a, "kind_label": kinds.get(a["kind"], a["kind"])} for a in board.unassessed
        ],
        "unassessed_rows": [
            (
                label,
                board.assets.by_kind.get(value, 0),
                board.assets.unassessed_by_kind.get(value, 0),
            )
            for value, label in Asset.Kind.choices
        ],
        "trend_rows": list(reversed(board.trend)),
        "coverage_recorded": any(f.applicable for f in board.coverage),
        "section": "dashboard",
    }
    return render(request, "dashboard/index.html", context)
