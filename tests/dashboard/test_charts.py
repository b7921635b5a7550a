"""Every figure is valid Plotly figure JSON and writes its numbers on the chart."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import plotly.graph_objects as go
import pytest
from django.urls import resolve, reverse

from riskhub.dashboard import charts, selectors
from riskhub.risk.models import RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk, make_unit

pytestmark = pytest.mark.django_db


def test_every_figure_is_valid_plotly(matrix: RiskMatrix, officer: Any) -> None:
    make_risk(make_assessment(make_asset("system"), author=officer, matrix=matrix), (3, 3), (2, 3))
    board = selectors.dashboard(selectors.DashboardFilters())
    figures = charts.figures(board)
    for name, figure in figures.items():
        if name == "heatmaps":
            for entry in figure:
                go.Figure(entry["inherent"])
                go.Figure(entry["residual"])
        else:
            go.Figure(figure)


def test_the_heatmap_writes_each_count_and_links_to_the_filtered_register(
    matrix: RiskMatrix, officer: Any
) -> None:
    unit = make_unit()
    a = make_assessment(make_asset("system", business_unit=unit), author=officer, matrix=matrix)
    for _ in range(3):
        make_risk(a, (4, 4), (2, 3))
    filters = selectors.DashboardFilters(business_unit=unit.pk, kind="system")
    counts = selectors.risk_counts(selectors.scope(filters))
    figure = charts.heatmap(matrix, counts, "residual", filters)
    trace = figure["data"][0]
    # rows from the highest impact down: impact 2 is the second row from the bottom
    row = matrix.impact_count - 2
    col = 3 - 1
    assert trace["text"][row][col].startswith("<b>3</b>")
    # An empty cell shows only its band, on a pale tint (z = rank; a full cell rank + 4).
    assert sum(not t.startswith("<b>") for r in trace["text"] for t in r) == 24
    assert trace["z"][row][col] > 4 and trace["z"][0][0] <= 4
    url = urlsplit(trace["customdata"][row][col])
    assert resolve(url.path).view_name == "risk:register"
    assert url.path == reverse("risk:register")
    assert parse_qs(url.query) == {
        "matrix": ["default-5x5"],
        "basis": ["residual"],
        "impact": ["2"],
        "likelihood": ["3"],
        "status": ["open"],
        "business_unit": [str(unit.pk)],
        "kind": ["system"],
    }
    inherent = charts.heatmap(matrix, counts, "inherent", filters)["data"][0]
    assert inherent["text"][matrix.impact_count - 4][3].startswith("<b>3</b>")


def test_every_chart_drills_down_to_the_list_behind_it(matrix: RiskMatrix, officer: Any) -> None:
    """A click on any bar, line or marker opens a page: customdata holds its URL."""
    a = make_assessment(make_asset("system"), author=officer, matrix=matrix)
    make_risk(a, (4, 4), (3, 3))
    board = selectors.dashboard(selectors.DashboardFilters())
    figures = charts.figures(board)
    expected = {
        "coverage": "compliance:gaps",
        "trend": "risk:register",
        "top_risks": "risk:assessment",
        "timeline": "compliance:framework",
        "unassessed": "inventory:list",
    }
    for name, view in expected.items():
        for trace in figures[name]["data"]:
            assert len(trace["customdata"]) == len(trace.get("x") or trace["y"]), name
            for url in trace["customdata"]:
                assert resolve(urlsplit(url).path).view_name == view, (name, url)
    top = figures["top_risks"]["data"][0]["customdata"][0]
    assert urlsplit(top).fragment == f"risk-{board.top_risks[0]['uuid']}"
    unassessed = figures["unassessed"]["data"][0]["customdata"][0]
    assert parse_qs(urlsplit(unassessed).query)["assessment"] == ["missing"]


def test_every_chart_has_a_narrow_variant_that_keeps_labels_whole(
    matrix: RiskMatrix, officer: Any
) -> None:
    a = make_assessment(make_asset("system"), author=officer, matrix=matrix)
    make_risk(a, (4, 4), (3, 3))
    board = selectors.dashboard(selectors.DashboardFilters())
    figures = charts.figures(board)
    flat = [figures[k] for k in ("coverage", "trend", "top_risks", "timeline", "unassessed")]
    flat += [h[basis] for h in figures["heatmaps"] for basis in ("inherent", "residual")]
    for figure in flat:
        narrow = figure["layout"]["meta"]["narrow"]
        go.Figure({"data": figure["data"], "layout": {**figure["layout"], **narrow["layout"]}})
        # The legend sits above the plot, never on an axis title.
        assert figure["layout"]["legend"]["yanchor"] == "bottom"
    heat = figures["heatmaps"][0]["residual"]["layout"]["meta"]["narrow"]["data"][0]
    assert heat["x"] == ["1", "2", "3", "4", "5"]
    top = figures["top_risks"]["layout"]["meta"]["narrow"]["layout"]
    assert top["yaxis"]["showticklabels"] is False
    assert [n["text"].split(".")[0] for n in top["annotations"]] == ["1"]
    assert figures["top_risks"]["data"][0]["text"][0] == "Medium · score 9"  # never 9.00
