"""Every chart's drill-down lands on a list that shows what the chart counted."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.compliance import catalog_loader
from riskhub.compliance.models import Framework, Requirement, RequirementStatus
from riskhub.dashboard import charts, selectors
from riskhub.dashboard.selectors import DashboardFilters
from riskhub.inventory.models import Asset
from riskhub.risk.models import RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset

pytestmark = pytest.mark.django_db


def test_the_unassessed_bar_opens_the_inventory_of_unassessed_assets(
    client_for: Any, matrix: RiskMatrix, officer: Any
) -> None:
    assessed = make_asset("model", name="Assessed model")
    make_assessment(assessed, author=officer, matrix=matrix)
    make_asset("model", name="Forgotten model")
    make_asset("dataset", name="Forgotten dataset")
    board = selectors.dashboard(DashboardFilters())
    url = charts.inventory_url(board, kind="model", assessment="missing")
    body = client_for(Role.EXECUTIVE).get(url).content.decode()
    assert "Forgotten model" in body
    assert "Assessed model" not in body and "Forgotten dataset" not in body
    everything = client_for(Role.EXECUTIVE).get(charts.inventory_url(board, kind="model"))
    assert "Assessed model" in everything.content.decode()


def test_drill_downs_keep_the_dashboards_filters_and_stop_where_the_inventory_cannot_follow(
    client_for: Any, matrix: RiskMatrix, officer: Any
) -> None:
    make_asset("model", name="Forgotten model", tier="minimal")
    make_asset("system", name="Forgotten system", tier="minimal")
    models = selectors.dashboard(DashboardFilters(kind="model"))
    url = charts.inventory_url(models, tier="minimal")
    assert url == "/inventory/?kind=model&tier=minimal"
    body = client_for(Role.EXECUTIVE).get(url).content.decode()
    assert "Forgotten model" in body and "Forgotten system" not in body
    assert (str(Asset.Tier.MINIMAL.label), 1, 0, url) in charts.tested_rows(models)
    # A past day and a business unit: the inventory lists today's assets and cannot
    # filter by the dashboard's unit, so no link rather than a list of other assets.
    past = selectors.dashboard(DashboardFilters(as_of=dt.date.today() - dt.timedelta(days=3)))
    unit = selectors.dashboard(DashboardFilters(business_unit=1))
    for board in (past, unit):
        assert charts.inventory_url(board, tier="minimal") == ""
        assert all(url == "" for *_, url in charts.tested_rows(board))
        figure = charts.unassessed_bars(board)
        assert not any(figure["data"][1]["customdata"])
    page = client_for(Role.EXECUTIVE).get(f"/dashboard/?as_of={past.day.isoformat()}")
    assert "Not assessed in the inventory:" not in page.content.decode()


def test_a_date_marker_opens_the_requirements_that_start_that_day(
    client_for: Any, matrices: list[RiskMatrix]
) -> None:
    catalog_loader.load(stdout=io.StringIO())  # after the threats the matrices fixture loads
    framework = Framework.objects.get(slug="eu-ai-act")
    first, second = Requirement.objects.filter(framework=framework).order_by("position")[:2]
    asset = make_asset("system")
    day = dt.date(2027, 8, 2)
    for requirement, starts in ((first, day), (second, dt.date(2026, 8, 2))):
        RequirementStatus.objects.create(
            asset=asset,
            requirement=requirement,
            framework=framework,
            status="gap",
            reason="test",
            applies_from=starts,
        )
    client = client_for(Role.AUDITOR)
    body = client.get(charts.starts_url("eu-ai-act", day)).content.decode()
    assert "1 requirement starts to apply to assets on 2 August 2027" in body
    assert first.title in body and second.title not in body
    # A malformed or impossible day shows every requirement rather than failing.
    url = reverse("compliance:framework", args=["eu-ai-act"])
    for bad in ("2027-02-30", "soon"):
        response = client.get(url, {"starts": bad})
        assert response.status_code == 200 and second.title in response.content.decode()
