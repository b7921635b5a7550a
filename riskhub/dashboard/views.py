"""The executive dashboard page (thin: reads in selectors, figures in charts)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.dashboard import charts, queue, selectors
from riskhub.dashboard.forms import FilterForm
from riskhub.inventory.models import Asset
from riskhub.inventory.tiers import NOT_APPLICABLE, NOT_YET_CLASSIFIED
from riskhub.risk.models import BAND_LABEL


def build(request: HttpRequest) -> tuple[FilterForm, selectors.Dashboard]:
    """Parse the filters and read the dashboard; shared with the JSON API."""
    units, fws = selectors.filter_options()
    form = FilterForm(request.GET or None, business_units=units, frameworks=fws)
    board = selectors.dashboard(form.filters(), options=(units, fws))
    return form, board


@requires("dashboard.view")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, board = build(request)
    figures = charts.figures(board)
    kinds = dict(Asset.Kind.choices)
    names = {f.slug: f.short_name for f in board.frameworks}
    tested_rows = charts.tested_rows(board)
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
        # Highest precedence first, then the assets without a tier, told apart.
        "tiers": [
            (label, board.assets.by_tier[value])
            for value, label in Asset.Tier.choices
            if board.assets.by_tier.get(value)
        ],
        "unclassified": [
            (
                NOT_YET_CLASSIFIED,
                board.assets.not_yet_classified,
                charts.inventory_url(board, tier="none"),
                "AI systems and models whose classification questionnaire is not answered "
                "(a model's general-purpose tier is its own)",
            ),
            (
                NOT_APPLICABLE,
                board.assets.not_applicable,
                charts.inventory_url(board, tier="not-applicable"),
                "Datasets and endpoints: they show the tiers of the systems they feed",
            ),
        ],
        "bands": [
            (band, BAND_LABEL[band], board.risks.open_by_band.get(band, 0))
            for band in reversed(selectors.BANDS)
        ],
        "timeline_groups": [
            {**g, "framework_name": names.get(g["framework"], g["framework"])}
            for g in charts.timeline_groups(board.timeline)
        ],
        "timeline_rows": [
            {**asdict(r), "framework_name": names.get(r.framework_slug, r.framework_slug)}
            for r in board.timeline
        ],
        "top_risks": [
            {
                **r,
                "band_label": BAND_LABEL.get(r["residual_band"], r["residual_band"]),
                "url": charts.risk_url(r),
                "score": charts.score_text(r["residual_score"]),
            }
            for r in board.top_risks
        ],
        "coverage_links": [(f.name, charts.gaps_url(f.slug), f.gap) for f in board.coverage],
        "band_links": [
            (BAND_LABEL[band], charts.band_register_url(band, board.filters))
            for band in reversed(selectors.BANDS)
        ],
        "unassessed_assets": [
            {**a, "kind_label": kinds.get(a["kind"], a["kind"])} for a in board.unassessed
        ],
        "unassessed_rows": [
            (
                label,
                board.assets.by_kind.get(value, 0),
                board.assets.unassessed_by_kind.get(value, 0),
                charts.inventory_url(board, kind=value, assessment="missing"),
            )
            for value, label in Asset.Kind.choices
        ],
        "tested_rows": tested_rows,
        "links_to_inventory": charts.links_to_inventory(board),
        "tested_links": [(label, total, url) for label, total, _, url in tested_rows if url],
        "tested_window": settings.SCAN_TESTED_WINDOW_DAYS,
        "trend_rows": list(reversed(board.trend)),
        "coverage_recorded": any(f.applicable for f in board.coverage),
        "section": "dashboard",
    }
    context["queue"] = queue.queue(request.user)
    # The navigation's count, from the same figures (no second query), read as on
    # every other page ("99+" past 99).
    context["queue_count"] = queue.badge_label(sum(s.count for s in context["queue"]))
    return render(request, "dashboard/index.html", context)
