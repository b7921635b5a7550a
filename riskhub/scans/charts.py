"""The asset page's test history: pass rate per threat over time, as Plotly figure JSON
(plain dicts, drawn in the browser by the vendored plotly.js strict bundle)."""

from __future__ import annotations

from typing import Any

from riskhub.scans.selectors import ThreatHistory

FONT = {"family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif", "size": 13}


def pass_rate_history(histories: list[ThreatHistory]) -> dict[str, Any]:
    """One line per threat: the pass rate (%) of each run that tested it. Every point
    writes its value, so colour is never the only carrier of meaning."""
    data = []
    for history in histories:
        xs = [ran_at.isoformat() for ran_at, _, _ in history.points]
        ys = [round(100 * (1 - f / a), 1) if a else None for _, a, f in history.points]
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers+text",
                "name": history.threat.code,
                "x": xs,
                "y": ys,
                "text": [f"{y:g}%" if y is not None else "" for y in ys],
                "textposition": "top center",
                "customdata": [[a, f] for _, a, f in history.points],
                "hovertemplate": (
                    f"{history.threat.name}<br>%{{x|%Y-%m-%d %H:%M}}: %{{y}}% passed "
                    "(%{customdata[1]} of %{customdata[0]} attempts failed)<extra></extra>"
                ),
            }
        )
    return {
        "data": data,
        "layout": {
            "font": FONT,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
            "autosize": True,
            "height": 320,
            "yaxis": {"title": {"text": "Pass rate (%)"}, "range": [-5, 110]},
            "xaxis": {"type": "date"},
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        },
    }
