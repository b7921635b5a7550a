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
    assert sum(t.startswith("<b>0</b>") for r in trace["text"] for t in r) == 24
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
