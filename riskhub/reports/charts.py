"""Charts drawn on the server as SVG (bars, trend) for the PDF: no browser, no kaleido.

Every label is escaped; every bar carries its number as text, so colour is never the
only carrier of meaning.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from riskhub.compliance import states
from riskhub.risk.bands import band as band_definition

FONT = "font-family='DejaVu Sans, sans-serif'"
# A chart is drawn at most NARROWEST_PT wide on the page (half the text width, in the
# executive summary's two columns) and at most its own width in user units scaled to
# MAX_WIDTH_MM (report-pdf.css); every font size is chosen so text prints at 7 pt or
# more at the narrowest: size x NARROWEST_PT / width >= MIN_TEXT_PT.
MIN_TEXT_PT = 7.0
NARROWEST_PT = 243.0
BAR_WIDTH = 300
# The width of a "2026-11-30" label at font size 9, with a gap.
LABEL_UNITS = 58


def _svg(width: int, height: int, body: list[str], title: str, css: str = "") -> str:
    klass = f" class='{css}'" if css else ""
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg'{klass} width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' role='img' aria-label='{escape(title)}'>"
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def band_bars(counts: Mapping[str, int], colours: Mapping[str, str]) -> str:
    """Horizontal bars: risks per residual band, with the count beside each bar."""
    width, row, left = BAR_WIDTH, 26, 80
    top = max(counts.values(), default=0) or 1
    body = []
    for index, (band, count) in enumerate(counts.items()):
        y = 6 + index * row
        length = round((width - left - 44) * count / top)
        body.append(
            f"<text x='{left - 8}' y='{y + 15}' text-anchor='end' font-size='10' {FONT}>"
            f"{escape(band_definition(band).label)}</text>"
            f"<rect x='{left}' y='{y + 3}' width='{max(length, 1)}' height='16' "
            f"fill='{colours.get(band, band_definition(band).colour)}'/>"
            f"<text x='{left + length + 6}' y='{y + 15}' font-size='10' {FONT}>{count}</text>"
        )
    return _svg(width, 12 + row * len(counts), body, "Open risks by residual band", "bars")


def coverage_bars(coverage: Sequence[Mapping[str, Any]]) -> str:
    """One stacked bar per framework: met, partial, gap, with the met percentage."""
    width, row, left, right = BAR_WIDTH, 34, 62, 66
    span = width - left - right
    body = []
    for index, fw in enumerate(coverage):
        y = 8 + index * row
        total = fw["applicable"] or 1
        x = float(left)
        body.append(
            f"<text x='{left - 6}' y='{y + 16}' text-anchor='end' font-size='10' {FONT}>"
            f"{escape(str(fw['framework']))}</text>"
        )
        for state in states.STATES:
            part = span * fw[state.slug] / total if fw["applicable"] else 0
            if part:
                body.append(
                    f"<rect x='{x:.1f}' y='{y + 4}' width='{part:.1f}' height='18' "
                    f"fill='{state.colour}'/>"
                )
            x += part
        if not fw["applicable"]:
            body.append(f"<rect x='{left}' y='{y + 4}' width='{span}' height='18' fill='#e5e7eb'/>")
        label = f"{fw['met_pct']}% met" if fw["applicable"] else "n/a"
        body.append(
            f"<text x='{left + span + 5}' y='{y + 17}' font-size='10' {FONT}>{label}</text>"
        )
    legend_y = 12 + row * len(coverage)
    for offset, state in enumerate(states.STATES):
        x = left + offset * 70
        body.append(
            f"<rect x='{x}' y='{legend_y}' width='10' height='10' fill='{state.colour}'/>"
            f"<text x='{x + 14}' y='{legend_y + 9}' font-size='9.5' {FONT}>{state.label}</text>"
        )
    return _svg(width, legend_y + 18, body, "Requirement coverage by framework", "bars")


def trend_line(points: Sequence[Mapping[str, Any]]) -> str:
    """Open risks and high/critical risks at each month end, as two lines."""
    width, height, left, bottom, top_pad = 460, 200, 40, 50, 14
    plot_w, plot_h = width - left - 34, height - bottom - top_pad
    peak = max((max(p["open"], p["high_critical"]) for p in points), default=0) or 1
    body = [
        f"<line x1='{left}' y1='{top_pad + plot_h}' x2='{left + plot_w}' y2='{top_pad + plot_h}' "
        "stroke='#9ca3af'/>",
        f"<text x='{left - 6}' y='{top_pad + 4}' text-anchor='end' font-size='9' {FONT}>{peak}</text>",
        f"<text x='{left - 6}' y='{top_pad + plot_h}' text-anchor='end' font-size='9' {FONT}>0</text>",
    ]
    step = plot_w / max(len(points) - 1, 1)

    def xy(i: int, value: int) -> tuple[float, float]:
        return left + i * step, top_pad + plot_h - plot_h * value / peak

    for key, colour, dash in (("open", "#1d4ed8", ""), ("high_critical", "#b91c1c", "5,3")):
        coords = [xy(i, p[key]) for i, p in enumerate(points)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        dash_attr = f" stroke-dasharray='{dash}'" if dash else ""
        body.append(
            f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'{dash_attr}/>"
        )
        for x, y in coords:
            body.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='2.5' fill='{colour}'/>")
        # High and critical risks are a subset of the open ones, so their line never
        # rises above the open line: open values printed above their points and high
        # and critical values below theirs never overlap.
        dy = -6 if key == "open" else 13
        for (x, y), p in zip(coords, points, strict=True):
            body.append(
                f"<text x='{x:.1f}' y='{y + dy:.1f}' text-anchor='middle' font-size='9' "
                f"{FONT}>{p[key]}</text>"
            )
    # Month labels never overlap: every k-th one, k chosen from the space per point.
    every = max(1, math.ceil(LABEL_UNITS / step)) if len(points) > 1 else 1
    for i, p in enumerate(points):
        if (len(points) - 1 - i) % every:
            continue
        x, _ = xy(i, 0)
        body.append(
            f"<text x='{x:.1f}' y='{height - bottom + 28}' text-anchor='middle' font-size='9' "
            f"{FONT}>{escape(str(p['month']))}</text>"
        )
    legend_y = height - 8
    body.append(
        f"<line x1='{left}' y1='{legend_y - 3}' x2='{left + 18}' y2='{legend_y - 3}' "
        f"stroke='#1d4ed8' stroke-width='2'/>"
        f"<text x='{left + 22}' y='{legend_y}' font-size='10' {FONT}>Open risks</text>"
        f"<line x1='{left + 110}' y1='{legend_y - 3}' x2='{left + 128}' y2='{legend_y - 3}' "
        f"stroke='#b91c1c' stroke-width='2' stroke-dasharray='5,3'/>"
        f"<text x='{left + 132}' y='{legend_y}' font-size='10' {FONT}>High and critical</text>"
    )
    return _svg(width, height, body, "Risk trend at each month end")
