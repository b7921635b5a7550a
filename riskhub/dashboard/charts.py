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

from riskhub.compliance import states
from riskhub.dashboard.selectors import (
    BANDS,
    Dashboard,
    DashboardFilters,
    FrameworkFigures,
    RegulatoryDate,
    RiskCounts,
    TrendPoint,
)
from riskhub.inventory.models import Asset
from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.bands import BY_SLUG, tint
from riskhub.risk.bands import band as band_definition
from riskhub.risk.models import BAND_LABEL, RiskMatrix

Figure = dict[str, Any]

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}
# One colour per band, the same on every matrix, page and report (riskhub.risk.bands).
BAND_COLOURS = {b.slug: b.colour for b in BY_SLUG.values()}
# One colour per coverage state, the same on the compliance pages and in the reports
# (riskhub.compliance.states).
STATE_COLOURS = {s.slug: s.colour for s in states.STATES}
STATE_LABELS = states.LABELS
FRAMEWORK_SYMBOLS = {"eu-ai-act": "diamond", "gdpr": "circle", "ccpa": "square"}


def _layout(**extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "font": FONT,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "autosize": True,
        "hoverlabel": {"font": FONT},
        # Above the plot area, left aligned: never on an axis title or the tick labels.
        "legend": {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom"},
    }
    layout.update(extra)
    return layout


# Below this width (pixels of the chart's box; a 390 px phone gives about 330) the page
# draws a figure's narrow variant: layout keys and per-trace keys that replace the wide
# ones (static/js/dashboard.js). It rides in layout.meta, which Plotly keeps as is.
NARROW_BELOW = 576


def _narrow(
    figure: Figure, *, layout: dict[str, Any], data: list[dict[str, Any]] | None = None
) -> Figure:
    figure["layout"]["meta"] = {"narrow": {"layout": layout, "data": data or []}}
    return figure


# --- heatmap --------------------------------------------------------------------------


def register_url(
    filters: DashboardFilters,
    *,
    matrix: RiskMatrix,
    basis: str,
    impact: int,
    likelihood: int,
    path: str = "",
) -> str:
    """The risk register filtered to one cell (its own query parameter names); `path`,
    the register's own, when the caller already reversed it (a grid of 25 cells)."""
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
    return f"{path or reverse('risk:register')}?{urlencode(params)}"


def heatmap_cells(
    matrix: RiskMatrix, counts: RiskCounts, basis: str, filters: DashboardFilters
) -> list[list[dict[str, Any]]]:
    """Rows from the highest impact down; each cell with its band, count and link.
    The same structure feeds the figure and the data table."""
    per_cell = counts.cells.get(matrix.pk, {}).get(basis, {})
    path = reverse("risk:register")
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
                    path=path,
                ),
            }
            for cell in row
        ]
        for row in matrix.grid()
    ]


def _band_colourscale() -> list[list[Any]]:
    """A stepped scale over z = 1..8: an empty cell (z = the band's rank, 1..4) paints
    a pale tint of its band, a cell holding risks (rank + 4) the band's colour."""
    steps = [tint(b.colour) for b in RISK_BANDS] + [b.colour for b in RISK_BANDS]
    scale: list[list[Any]] = []
    for index, colour in enumerate(steps):
        scale += [[index / 8, colour], [(index + 1) / 8, colour]]
    return scale


def _cell_z(cell: dict[str, Any]) -> int:
    rank = band_definition(cell["band"]).rank
    return rank + 4 if cell["count"] else rank


def _cell_text(cell: dict[str, Any]) -> str:
    """The count and the band; an empty cell names only its band (it looks empty)."""
    label = _text(cell["band_label"])
    return f"<b>{cell['count']:,}</b><br>{label}" if cell["count"] else label


def heatmap(
    matrix: RiskMatrix, counts: RiskCounts, basis: str, filters: DashboardFilters
) -> Figure:
    """Impact (rows) x likelihood (columns); the colour is the cell's band, the text
    its number of open risks and the band's name. customdata carries the register URL
    that a click opens."""
    cells = heatmap_cells(matrix, counts, basis, filters)
    x = [f"{c['likelihood']}. {_text(c['likelihood_label'])}" for c in cells[0]]
    y = [f"{row[0]['impact']}. {_text(row[0]['impact_label'])}" for row in cells]
    figure: Figure = {
        "data": [
            {
                "type": "heatmap",
                "x": x,
                "y": y,
                "z": [[_cell_z(c) for c in row] for row in cells],
                "zmin": 0.5,
                "zmax": 8.5,
                "colorscale": _band_colourscale(),
                "showscale": False,
                "xgap": 3,
                "ygap": 3,
                "text": [[_cell_text(c) for c in row] for row in cells],
                "texttemplate": "%{text}",
                "textfont": {"size": 14},
                "customdata": [[c["url"] for c in row] for row in cells],
                "hovertext": [
                    [
                        f"{c['count']:,} open risk{'s' if c['count'] != 1 else ''}<br>"
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
    # On a phone the level names leave the axes (the key under the chart gives them)
    # so the cells keep the width to show "Critical" and "Medium" whole.
    return _narrow(
        figure,
        layout={
            "height": 90 + 52 * len(y),
            "xaxis": {
                "title": {"text": "Likelihood", "standoff": 4},
                "type": "category",
                "fixedrange": True,
                "automargin": True,
            },
            "yaxis": {
                "title": {"text": "Impact", "standoff": 4},
                "type": "category",
                "fixedrange": True,
                "automargin": True,
                "autorange": "reversed",
            },
        },
        data=[
            {
                "x": [str(c["likelihood"]) for c in cells[0]],
                "y": [str(row[0]["impact"]) for row in cells],
                "textfont": {"size": 11},
                "xgap": 2,
                "ygap": 2,
            }
        ],
    )


# --- coverage -------------------------------------------------------------------------


def gaps_url(slug: str) -> str:
    """The gap list of one framework (a coverage bar's drill-down)."""
    return f"{reverse('compliance:gaps')}?{urlencode({'framework': slug})}"


def coverage_bars(figures: list[FrameworkFigures]) -> Figure:
    """Met / partial / gap per framework, stacked horizontal bars with the counts; a
    click on a bar opens that framework's gap list."""
    names = [f.name for f in figures]
    urls = [gaps_url(f.slug) for f in figures]
    data = [
        {
            "type": "bar",
            "orientation": "h",
            "name": STATE_LABELS[state],
            "y": names,
            "x": [getattr(f, state) for f in figures],
            "text": [f"{STATE_LABELS[state]} {getattr(f, state):,}" for f in figures],
            "textposition": "inside",
            "insidetextanchor": "middle",
            "textangle": 0,
            "customdata": urls,
            "textfont": {"color": states.BY_SLUG[state].text_colour},
            "marker": {"color": STATE_COLOURS[state], "line": {"color": "#ffffff", "width": 1}},
            "hovertemplate": "%{y}: %{x} " + STATE_LABELS[state].lower() + "<extra></extra>",
        }
        for state in ("met", "partial", "gap")
    ]
    figure: Figure = {
        "data": data,
        "layout": _layout(
            barmode="stack",
            height=130 + 52 * max(1, len(names)),
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            xaxis={
                "title": {"text": "Asset x requirement pairs"},
                "fixedrange": True,
                "automargin": True,
                "rangemode": "tozero",
            },
            yaxis={"autorange": "reversed", "fixedrange": True, "automargin": True},
            uniformtext={"minsize": 10, "mode": "hide"},
            legend={**_layout()["legend"], "traceorder": "normal"},
        ),
    }
    # On a phone the bars carry only their numbers; the legend names the states.
    return _narrow(
        figure,
        layout={"xaxis": {"title": {"text": "Pairs"}, "fixedrange": True, "automargin": True}},
        data=[
            {"text": [f"{getattr(f, state):,}" for f in figures]}
            for state in ("met", "partial", "gap")
        ],
    )


# --- trend ----------------------------------------------------------------------------


def band_register_url(band: str, filters: DashboardFilters | None = None) -> str:
    """The register's open risks of one band (a trend line's drill-down)."""
    params: dict[str, Any] = {"band": band, "status": "open"}
    if filters is not None:
        for name in ("business_unit", "kind", "tier"):
            if getattr(filters, name):
                params[name] = getattr(filters, name)
    return f"{reverse('risk:register')}?{urlencode(params)}"


def trend_lines(points: list[TrendPoint], filters: DashboardFilters | None = None) -> Figure:
    """Open risks by band per day; the last value of each line is written beside it.
    A click on a line or its label opens the band's open risks in the register."""
    dates = [p.date.isoformat() for p in points]
    data = []
    for band in reversed(BANDS):
        values = [getattr(p, band) for p in points]
        url = band_register_url(band, filters)
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": BAND_LABEL[band],
                "legendgroup": band,
                "x": dates,
                "y": values,
                "customdata": [url] * len(values),
                "line": {"color": BAND_COLOURS[band], "width": 2, "dash": _DASH[band]},
                # A dark rim: the pale bands' markers still show on the white page.
                "marker": {
                    "size": 7,
                    "symbol": _SYMBOL[band],
                    "line": {"color": "#343a40", "width": 1},
                    # A marker every week or so, not ninety beads on a line.
                    "maxdisplayed": 14,
                },
                "hovertemplate": "%{x}: %{y} " + BAND_LABEL[band].lower() + "<extra></extra>",
            }
        )
        # The end label is a trace of its own: Plotly writes a line's text only on the
        # markers it shows, and with maxdisplayed the last point is often not one.
        data.append(
            {
                "type": "scatter",
                "mode": "text",
                "name": f"{BAND_LABEL[band]} (latest)",
                "legendgroup": band,
                "showlegend": False,
                "x": dates[-1:],
                "y": values[-1:],
                "text": [f"{BAND_LABEL[band]} {v:,}" for v in values[-1:]],
                "textposition": "middle right",
                "cliponaxis": False,
                "customdata": [url] * len(values[-1:]),
                "hoverinfo": "skip",
            }
        )
    xaxis: dict[str, Any] = {"type": "date", "automargin": True}
    if points and (points[-1].date - points[0].date).days < 7:
        # A history of a few days: a week of days on the axis, not fractions of a second.
        end = points[-1].date
        xaxis["range"] = [(end - dt.timedelta(days=7)).isoformat(), end.isoformat()]
        xaxis["dtick"] = 86_400_000
    figure: Figure = {
        "data": data,
        "layout": _layout(
            height=360,
            margin={"l": 10, "r": 110, "t": 30, "b": 10},
            xaxis=xaxis,
            yaxis={"title": {"text": "Open risks"}, "rangemode": "tozero", "automargin": True},
            hovermode="x unified",
        ),
    }
    # On a phone the legend above names the lines; the end labels would take a third
    # of the width.
    return _narrow(
        figure,
        layout={"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "height": 320},
        data=[{"visible": trace["mode"] != "text"} for trace in data],
    )


# Line styles and marker shapes differ per band so the lines read without colour.
_DASH = {"critical": "solid", "high": "dash", "medium": "dot", "low": "dashdot"}
_SYMBOL = {"critical": "diamond", "high": "square", "medium": "circle", "low": "triangle-up"}


# --- top risks ------------------------------------------------------------------------


def risk_url(row: dict[str, Any]) -> str:
    """The risk in its assessment (a top-10 bar's drill-down)."""
    return f"{reverse('risk:assessment', args=[row['assessment__uuid']])}#risk-{row['uuid']}"


def score_text(score: Any) -> str:
    """A score as people write it: 8, never 8.00."""
    try:
        number = float(score)
    except (TypeError, ValueError):
        return str(score)
    return f"{number:.0f}" if number.is_integer() else f"{number:.1f}"


def top_risks_bars(rows: list[dict[str, Any]]) -> Figure:
    """The ten highest open risks: residual score as a share of the matrix maximum; a
    click on a bar opens the risk in its assessment."""
    labels = [
        f"{i}. {_text(_short(r['title'], 38))}<br>"
        f"<sup>{_text(_short(r['assessment__asset__name'], 40))}</sup>"
        for i, r in enumerate(rows, start=1)
    ]
    bar_text = [
        f"{BAND_LABEL.get(r['residual_band'], r['residual_band'])} · "
        f"score {score_text(r['residual_score'])}"
        for r in rows
    ]
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "y": labels,
                "x": [round(100 * (r["residual_ratio"] or 0)) for r in rows],
                "text": bar_text,
                "textposition": "auto",
                "customdata": [risk_url(r) for r in rows],
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
    # On a phone each risk's name goes above its bar, across the whole width, instead
    # of taking 70% of it beside the bar; the band and score stay inside the bar.
    return _narrow(
        figure,
        layout={
            "height": 80 + 58 * max(1, len(rows)),
            "bargap": 0.55,
            "margin": {"l": 4, "r": 4, "t": 10, "b": 10},
            "xaxis": {
                "title": {"text": "Residual score, % of maximum"},
                "range": [0, 100],
                "fixedrange": True,
                "automargin": True,
            },
            "yaxis": {
                "autorange": "reversed",
                "fixedrange": True,
                "showticklabels": False,
            },
            "annotations": [
                {
                    "x": 0,
                    "y": label,
                    "xref": "x",
                    "yref": "y",
                    "xanchor": "left",
                    "yanchor": "bottom",
                    "yshift": 8,
                    "showarrow": False,
                    "align": "left",
                    "text": _above_bar(i, r),
                    "font": {"size": 12},
                }
                for i, (label, r) in enumerate(zip(labels, rows, strict=True), start=1)
            ],
        },
        data=[{"textposition": "inside", "insidetextanchor": "start", "textfont": {"size": 11}}],
    )


def _above_bar(rank: int, row: dict[str, Any]) -> str:
    """A risk's name over its bar on a phone: about 44 characters fit in 330 px, the
    title first, the asset in what is left."""
    title = _short(row["title"], 32)
    room = 42 - len(title)
    asset = _short(row["assessment__asset__name"], room) if room >= 8 else ""
    tail = f" <span style='color:#6c757d'>· {_text(asset)}</span>" if asset else ""
    return f"{rank}. {_text(title)}{tail}"


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    """User text inside a Plotly label, which renders <a href>, <b>, <br> and friends:
    escaped so it shows as typed and cannot add links or markup (Plotly decodes
    &lt; &gt; &amp;, not &quot;, hence quote=False)."""
    return escape(str(value), quote=False)


# --- regulatory timeline --------------------------------------------------------------


def starts_url(slug: str, day: dt.date) -> str:
    """The framework's requirements that start to apply on a day (a marker's drill-down)."""
    base = reverse("compliance:framework", args=[slug])
    return f"{base}?{urlencode({'starts': day.isoformat()})}"


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
            "url": starts_url(slug, day),
        }
        for (day, slug), items in sorted(groups.items())
    ]


def timeline(rows: list[RegulatoryDate], names: dict[str, str]) -> Figure:
    """A marker per (date, framework) with its number of requirements; a click opens
    the requirements that start that day."""
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
                "cliponaxis": False,
                "customdata": [g["url"] for g in mine],
                "marker": {"size": 14, "symbol": FRAMEWORK_SYMBOLS.get(slug, "circle")},
                "hovertext": [
                    f"{g['date'].isoformat()}: {', '.join(g['refs'][:6])}"
                    f"{' …' if len(g['refs']) > 6 else ''} (up to {g['assets']} assets)"
                    for g in mine
                ],
                "hoverinfo": "text",
            }
        )
    figure: Figure = {
        "data": data,
        "layout": _layout(
            height=120 + 60 * max(1, len(data)),
            showlegend=False,
            margin={"l": 10, "r": 16, "t": 24, "b": 10},
            xaxis={"type": "date", "automargin": True},
            yaxis={"type": "category", "automargin": True, "fixedrange": True},
        ),
    }
    return _narrow(
        figure,
        layout={
            "xaxis": {"type": "date", "automargin": True, "nticks": 4},
            "yaxis": {"type": "category", "automargin": True, "fixedrange": True},
        },
    )


# --- assessment coverage --------------------------------------------------------------


def unassessed_bars(board: Dashboard) -> Figure:
    """Assets with and without a current approved assessment, by kind; a click on a
    bar opens those assets in the inventory (today, without a business unit)."""
    assets = board.assets
    kinds = list(Asset.Kind)
    assessed = [
        assets.by_kind.get(k.value, 0) - assets.unassessed_by_kind.get(k.value, 0) for k in kinds
    ]
    missing = [assets.unassessed_by_kind.get(k.value, 0) for k in kinds]
    labels = [str(k.label) for k in kinds]
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "name": "Not assessed",
                "x": labels,
                "y": missing,
                "text": [f"{n:,} not assessed" for n in missing],
                "textposition": "auto",
                "customdata": [
                    inventory_url(board, kind=k.value, assessment="missing") for k in kinds
                ],
                # Light hatching: the count written on it stays readable.
                "marker": {
                    "color": "#dee2e6",
                    "pattern": {"shape": "/", "fgcolor": "#6c757d", "fgopacity": 0.6},
                },
                "textfont": {"color": "#212529"},
                "hovertemplate": "%{x}: %{y} not assessed<extra></extra>",
            },
            {
                "type": "bar",
                "name": "Assessed",
                "x": labels,
                "y": assessed,
                "text": [f"{n:,} assessed" for n in assessed],
                "textposition": "auto",
                "customdata": [inventory_url(board, kind=k.value) for k in kinds],
                "marker": {"color": "#0d6efd"},
                "hovertemplate": "%{x}: %{y} assessed<extra></extra>",
            },
        ],
        "layout": _layout(
            barmode="stack",
            height=330,
            margin={"l": 10, "r": 10, "t": 30, "b": 10},
            yaxis={
                "title": {"text": "Assets"},
                "rangemode": "tozero",
                "fixedrange": True,
                "automargin": True,
            },
            xaxis={"fixedrange": True, "automargin": True},
            uniformtext={"minsize": 10, "mode": "hide"},
        ),
    }
    # On a phone four bars share 300 px: the numbers alone, the legend says which.
    return _narrow(
        figure,
        layout={},
        data=[{"text": [f"{n:,}" for n in missing]}, {"text": [f"{n:,}" for n in assessed]}],
    )


# --- everything the page draws --------------------------------------------------------


def links_to_inventory(board: Dashboard) -> bool:
    """Whether the figures can open the inventory list of what they count: not for a
    past day or a business unit (the inventory lists today's assets, and filters
    business units by UUID, which the dashboard's options do not carry)."""
    return not board.historical and not board.filters.business_unit


def inventory_url(board: Dashboard, **params: str) -> str:
    """The inventory list showing the assets a dashboard figure counts: the figure's own
    filter (`params`) on top of the dashboard's kind and tier; "" where
    `links_to_inventory` says no."""
    if not links_to_inventory(board):
        return ""
    query = {name: value for name in ("kind", "tier") if (value := getattr(board.filters, name))}
    query.update(params)
    return f"{reverse('inventory:list')}?{urlencode(query)}"


def tested_rows(board: Dashboard) -> list[tuple[str, int, int, str]]:
    """(tier label, assets, security-tested recently, the inventory of that tier) per
    tier, highest tier first, then the assets without a tier (no link: they are of two
    kinds of "no tier"); tiers without assets are left out."""
    assets = board.assets
    rows = []
    for value, label in Asset.Tier.choices:
        url = inventory_url(board, tier=value)
        total = assets.total_by_tier.get(value, 0)
        rows.append((str(label), total, assets.tested_by_tier.get(value, 0), url))
    rows.append(("No tier", assets.total_by_tier.get("", 0), assets.tested_by_tier.get("", 0), ""))
    return [row for row in rows if row[1]]


def tested_bars(board: Dashboard) -> Figure:
    """Assets security-tested (a scan imported) in the last SCAN_TESTED_WINDOW_DAYS, by
    tier; a click on a bar opens the tier's assets in the inventory."""
    rows = tested_rows(board)
    labels = [r[0] for r in rows]
    tested = [r[2] for r in rows]
    untested = [r[1] - r[2] for r in rows]
    urls = [r[3] or None for r in rows]
    figure: Figure = {
        "data": [
            {
                "type": "bar",
                "name": "Tested",
                "x": labels,
                "y": tested,
                "text": [f"{n:,} tested" for n in tested],
                "customdata": urls,
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
                "text": [f"{n:,} not tested" for n in untested],
                "customdata": urls,
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
            # A label that does not fit its bar is left out (the data table has it),
            # not shrunk to an unreadable size.
            uniformtext={"minsize": 10, "mode": "hide"},
        ),
    }
    # On a phone the tiers share 300 px: the numbers alone, the legend says which.
    return _narrow(
        figure,
        layout={},
        data=[{"text": [f"{n:,}" for n in tested]}, {"text": [f"{n:,}" for n in untested]}],
    )


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
        "trend": trend_lines(board.trend, board.filters),
        "top_risks": top_risks_bars(board.top_risks),
        "timeline": timeline(board.timeline, names),
        "unassessed": unassessed_bars(board),
        "tested": tested_bars(board),
    }
