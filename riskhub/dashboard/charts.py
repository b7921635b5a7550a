"""Plotly figures of the dashboard, built in Python as plain figure JSON.

The figures are dicts in Plotly's figure schema rather than ``plotly.graph_objects``
instances: validating every property on each page view costs more than the database
work behind the page. ``tests/dashboard/test_charts.py`` feeds each one to
``plotly.graph_objects.Figure`` so the schema is still checked. Every trace writes its
numbers on the chart (colour is never the only signal), and the page puts a data table
under each figure.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from html import escape
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from riskhub.dashboard.selectors import (
    BANDS,
    AssetCounts,
    DashboardFilters,
    FrameworkFigures,
    RegulatoryDate,
    RiskCounts,
    TrendPoint,
)
from riskhub.inventory.models import Asset
from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.bands import BY_SLUG
from riskhub.risk.bands import band as band_definition
from riskhub.risk.models import BAND_LABEL, RiskMatrix

Figure = dict[str, Any]

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
# One colour per band, the same on every matrix, page and report (riskhub.risk.bands).
BAND_COLOURS = {b.slug: b.colour for b in BY_SLUG.values()}
STATE_COLOURS = {"met": "#2e7d32", "partial": "#f9a825", "gap": "#b71c1c"}
STATE_LABELS = {"met": "Met", "partial": "Partial", "gap": "Gap"}
FRAMEWORK_SYMBOLS = {"eu-ai-act": "diamond", "gdpr": "circle", "ccpa": "square"}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "autosize": True,
        "hoverlabel": {"font": FONT},
        "legend": {"orientation": "h", "y": -0.15},
    }
    layout.update(extra)
    return layout


# --- heatmap --------------------------------------------------------------------------


def register_url(
    filters: DashboardFilters, *, matrix: RiskMatrix, basis: str, impact: int, likelihood: int
) -> str:
    """The risk register filtered to one cell (its own query parameter names)."""
    params: dict[str, Any] = {
        "matrix": matrix.code,
        "basis": basis,
        "impact": impact,
        "likelihood": likelihood,
        "status": "open",
    }
    if filters.business_unit:
        params["business_unit"] = filters.business_unit
    if filters.kind:
        params["kind"] = filters.kind
    if filters.tier:
        params["tier"] = filters.tier
    return f"{reverse('risk:register')}?{urlencode(params)}"


def heatmap_cells(
    matrix: RiskMatrix, counts: RiskCounts, basis: str, filters: DashboardFilters
) -> list[list[dict[str, Any]]]:
    """Rows from the highest impact down; each cell with its band, count and link.
    The same structure feeds the figure and the data table."""
    per_cell = counts.cells.get(matrix.pk, {}).get(basis, {})
    return [
        [
            {
                "impact": cell.impact,
                "likelihood": cell.likelihood,
                "impact_label": cell.impact_label,
                "likelihood_label": cell.likelihood_label,
                "band": cell.band,
                "band_label": cell.band_label,
                "colour": cell.colour,
                "count": per_cell.get((cell.impact, cell.likelihood), 0),
                "url": register_url(
                    filters,
                    matrix=matrix,
                    basis=basis,
                    impact=cell.impact,
                    likelihood=cell.likelihood,
                ),
            }
            for cell in row
        ]
        for row in matrix.grid()
    ]


def _band_colourscale() -> list[list[Any]]:
    """A stepped scale: z = the band's rank (1..4) paints the band's colour."""
    scale: list[list[Any]] = []
    for index, band in enumerate(RISK_BANDS):
        scale += [[index / 4, band.colour], [(index + 1) / 4, band.colour]]
    return scale


def heatmap(
    matrix: RiskMatrix, counts: RiskCounts, basis: str, filters: DashboardFilters
) -> Figure:
    """Impact (rows) x likelihood (columns); the colour is the cell's band, the text
    its number of open risks and the band's name. customdata carries the register URL
    that a click opens."""
    cells = heatmap_cells(matrix, counts, basis, filters)
    x = [f"{c['likelihood']}. {_text(c['likelihood_label'])}" for c in cells[0]]
    y = [f"{row[0]['impact']}. {_text(row[0]['impact_label'])}" for row in cells]
    return {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": [[band_definition(c["band"]).rank for c in row] for row in cells],
                "zmin": 0.5,
                "zmax": 4.5,
                "colorscale": _band_colourscale(),
                "showscale": False,
                "xgap": 3,
                "ygap": 3,
                "text": [
                    [f"<b>{c['count']}</b><br>{_text(c['band_label'])}" for c in row]
                    for row in cells
                ],
                "texttemplate": "%{text}",
                "textfont": {"size": 14},
                "customdata": [[c["url"] for c in row] for row in cells],
                "hovertext": [
                    [
                        f"{c['count']} open risk{'s' if c['count'] != 1 else ''}<br>"
                        f"Impact {c['impact']} ({_text(c['impact_label'])}), likelihood "
                        f"{c['likelihood']} ({_text(c['likelihood_label'])})<br>"
                        f"{_text(c['band_label'])}"
                        for c in row
                    ]
                    for row in cells
                ],
                "hoverinfo": "text",
                "name": f"{basis.capitalize()} risk",
            }
        ],
        "layout": _layout(
            margin={"l": 10, "r": 10, "t": 10, "b": 10},
            xaxis={
                "title": {"text": "Likelihood"},
                "side": "bottom",
                "type": "category",
                "fixedrange": True,
                "automargin": True,
            },
            yaxis={
                "title": {"text": "Impact"},
                "type": "category",
                "fixedrange": True,
                "automargin": True,
                "autorange": "reversed",
            },
            height=120 + 62 * len(y),
        ),
    }


# --- coverage -------------------------------------------------------------------------


def coverage_bars(figures: list[FrameworkFigures]) -> Figure:
    """Met / partial / gap per framework, stacked horizontal bars with the counts."""
    names = [f.name for f in figures]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": STATE_LABELS[state],
            "y": names,
            "x": [getattr(f, state) for f in figures],
            "text": [f"{STATE_LABELS[state]} {getattr(f, state)}" for f in figures],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "marker": {"color": STATE_COLOURS[state], "line": {"color": "#ffffff", "width": 1}},
            "hovertemplate": "%{y}: %{x} " + STATE_LABELS[state].lower() + "<extra></extra>",
        }
        for state in ("met", "partial", "gap")
    ]
    return {
        "data": data,
        "layout": _layout(
            barmode="stack",
            height=110 + 52 * max(1, len(names)),
            xaxis={
                "title": {"text": "Asset x requirement pairs"},
                "fixedrange": True,
                "automargin": True,
                "rangemode": "tozero",
            },
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
            uniformtext={"minsize": 10, "mode": "hide"},
        ),
    }


# --- trend ----------------------------------------------------------------------------


def trend_lines(points: list[TrendPoint]) -> Figure:
    """Open risks by band per day; the last value of each line is written beside it."""
    dates = [p.date.isoformat() for p in points]
    data = []
    for band in reversed(BANDS):
        values = [getattr(p, band) for p in points]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": BAND_LABEL[band],
                "x": dates,
                "y": values,
                "text": [""] * (len(values) - 1) + [f"{BAND_LABEL[band]} {values[-1]}"]
                if values
                else [],
                "textposition": "middle right",
                "cliponaxis": False,
                "line": {"color": BAND_COLOURS[band], "width": 2, "dash": _DASH[band]},
                "marker": {"size": 4, "symbol": _SYMBOL[band]},
                "hovertemplate": "%{x}: %{y} " + BAND_LABEL[band].lower() + "<extra></extra>",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=340,
            margin={"l": 10, "r": 110, "t": 10, "b": 10},
            xaxis={"type": "date", "automargin": True},
            yaxis={"title": {"text": "Open risks"}, "rangemode": "tozero", "automargin": True},
            hovermode="x unified",
        ),
    }


# Line styles and marker shapes differ per band so the lines read without colour.
_DASH = {"critical": "solid", "high": "dash", "medium": "dot", "low": "dashdot"}
_SYMBOL = {"critical": "diamond", "high": "square", "medium": "circle", "low": "triangle-up"}


# --- top risks ------------------------------------------------------------------------


def top_risks_bars(rows: list[dict[str, Any]]) -> Figure:
    """The ten highest open risks: residual score as a share of the matrix maximum."""
    labels = [
        f"{i}. {_text(_short(r['title'], 38))}<br>"
        f"<sup>{_text(_short(r['assessment__asset__name'], 40))}</sup>"
        for i, r in enumerate(rows, start=1)
    ]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": [round(100 * (r["residual_ratio"] or 0)) for r in rows],
                "text": [
                    f"{BAND_LABEL.get(r['residual_band'], r['residual_band'])} · "
                    f"score {r['residual_score']}"
                    for r in rows
                ],
                "textposition": "auto",
                "marker": {"color": [band_definition(r["residual_band"]).colour for r in rows]},
                "hovertemplate": "%{y}: %{x}% of the matrix maximum<extra></extra>",
                "name": "Residual score",
            }
        ],
        "layout": _layout(
            height=120 + 44 * max(1, len(rows)),
            showlegend=False,
            xaxis={
                "title": {"text": "Residual score, % of the matrix maximum"},
                "range": [0, 100],
                "fixedrange": True,
                "automargin": True,
            },
            yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
        ),
    }


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    """User text inside a Plotly label, which renders <a href>, <b>, <br> and friends:
    escaped so it shows as typed and cannot add links or markup (Plotly decodes
    &lt; &gt; &amp;, not &quot;, hence quote=False)."""
    return escape(str(value), quote=False)


# --- regulatory timeline --------------------------------------------------------------


def timeline_groups(rows: list[RegulatoryDate]) -> list[dict[str, Any]]:
    """Requirements grouped by (date, framework), for the figure and its table."""
    groups: dict[tuple[dt.date, str], list[RegulatoryDate]] = defaultdict(list)
    for row in rows:
        groups[(row.date, row.framework_slug)].append(row)
    return [
        {
            "date": day,
            "framework": slug,
            "refs": [r.ref for r in items],
            "assets": max(r.assets for r in items),
        }
        for (day, slug), items in sorted(groups.items())
    ]


def timeline(rows: list[RegulatoryDate], names: dict[str, str]) -> Figure:
    groups = timeline_groups(rows)
    data = []
    for slug in dict.fromkeys(g["framework"] for g in groups):
        mine = [g for g in groups if g["framework"] == slug]
        data.append(
            {
                "type": "scatter",
                "mode": "markers+text",
                "name": names.get(slug, slug),
                "x": [g["date"].isoformat() for g in mine],
                "y": [names.get(slug, slug)] * len(mine),
                "text": [f"{len(g['refs'])}" for g in mine],
                "textposition": "top center",
                "marker": {"size": 14, "symbol": FRAMEWORK_SYMBOLS.get(slug, "circle")},
                "hovertext": [
                    f"{g['date'].isoformat()}: {', '.join(g['refs'][:6])}"
                    f"{' …' if len(g['refs']) > 6 else ''} (up to {g['assets']} assets)"
                    for g in mine
                ],
                "hoverinfo": "text",
            }
        )
    return {
        "data": data,
        "layout": _layout(
            height=120 + 60 * max(1, len(data)),
            showlegend=False,
            xaxis={"type": "date", "automargin": True},
            yaxis={"type": "category", "automargin": True, "fixedrange": True},
        ),
    }


# --- assessment coverage --------------------------------------------------------------


def unassessed_bars(assets: AssetCounts) -> Figure:
    """Assets with and without a current approved assessment, by kind."""
    kinds = list(Asset.Kind)
    assessed = [
        assets.by_kind.get(k.value, 0) - assets.unassessed_by_kind.get(k.value, 0) for k in kinds
    ]
    missing = [assets.unassessed_by_kind.get(k.value, 0) for k in kinds]
    labels = [str(k.label) for k in kinds]
    return {
        "data": [
            {
                "type": "bar",
                "name": "Not assessed",
                "x": labels,
                "y": missing,
                "text": [f"{n} not assessed" for n in missing],
                "textposition": "auto",
                "marker": {"color": "#6c757d", "pattern": {"shape": "/"}},
                "hovertemplate": "%{x}: %{y} not assessed<extra></extra>",
            },
            {
                "type": "bar",
                "name": "Assessed",
                "x": labels,
                "y": assessed,
                "text": [f"{n} assessed" for n in assessed],
                "textposition": "auto",
                "marker": {"color": "#0d6efd"},
                "hovertemplate": "%{x}: %{y} assessed<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="stack",
            height=320,
            yaxis={
                "title": {"text": "Assets"},
                "rangemode": "tozero",
                "fixedrange": True,
                "automargin": True,
            },
            xaxis={"fixedrange": True, "automargin": True},
        ),
    }


# --- everything the page draws --------------------------------------------------------


def tested_rows(assets: AssetCounts) -> list[tuple[str, int, int]]:
    """(tier label, assets, security-tested recently) per tier, highest tier first, then
    the assets without a tier; tiers without assets are left out."""
    rows = [
        (str(label), assets.total_by_tier.get(value, 0), assets.tested_by_tier.get(value, 0))
        for value, label in Asset.Tier.choices
    ]
    rows.append(("No tier", assets.total_by_tier.get("", 0), assets.tested_by_tier.get("", 0)))
    return [row for row in rows if row[1]]


def tested_bars(assets: AssetCounts) -> Figure:
    """Assets security-tested (a scan imported) in the last SCAN_TESTED_WINDOW_DAYS, by
    tier."""
    rows = tested_rows(assets)
    labels = [r[0] for r in rows]
    tested = [r[2] for r in rows]
    untested = [r[1] - r[2] for r in rows]
    return {
        "data": [
            {
                "type": "bar",
                "name": "Tested",
                "x": labels,
                "y": tested,
                "text": [f"{n} tested" for n in tested],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"color": "#ffffff"},
                "marker": {"color": "#2e7d32"},
                "hovertemplate": "%{x}: %{y} tested<extra></extra>",
            },
            {
                "type": "bar",
                "name": "Not tested",
                "x": labels,
                "y": untested,
                "text": [f"{n} not tested" for n in untested],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"color": "#212529"},
                "marker": {"color": "#dee2e6", "line": {"color": "#6c757d", "width": 1}},
                "hovertemplate": "%{x}: %{y} not tested<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="stack",
            height=320,
            yaxis={
                "title": {"text": "Assets"},
                "rangemode": "tozero",
                "fixedrange": True,
                "automargin": True,
            },
            xaxis={"fixedrange": True, "automargin": True},
        ),
    }


def figures(board: Any) -> dict[str, Any]:
    """All figures of a dashboard (a selectors.Dashboard), keyed as the page uses them."""
    names = {f.slug: f.short_name for f in board.frameworks}
    return {
        "heatmaps": [
            {
                "matrix": m.code,
                "name": m.name,
                "inherent": heatmap(m, board.risks, "inherent", board.filters),
                "residual": heatmap(m, board.risks, "residual", board.filters),
            }
            for m in board.matrices
        ],
        "coverage": coverage_bars(board.coverage),
        "trend": trend_lines(board.trend),
        "top_risks": top_risks_bars(board.top_risks),
        "timeline": timeline(board.timeline, names),
        "unassessed": unassessed_bars(board.assets),
        "tested": tested_bars(board.assets),
    }
