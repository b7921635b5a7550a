"""The dashboard in Chromium: figures render, a heatmap cell opens the register."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.compliance import catalog_loader as compliance_catalog
from riskhub.compliance import services as compliance_services
from riskhub.dashboard import demo
from riskhub.risk import catalog_loader
from riskhub.risk.models import RiskMatrix
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD
from tests.dashboard.conftest import Quiet
from tests.dashboard.factories import make_assessment, make_asset, make_risk, make_unit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _inventory(author: Any) -> None:
    catalog_loader.load(stdout=Quiet())
    matrix = RiskMatrix.objects.get(code="default-5x5")
    small = RiskMatrix.objects.get(code="simple-3x3")
    today = timezone.localdate()
    units = [make_unit("Retail Banking"), make_unit("People & HR")]
    for i in range(16):
        asset = make_asset(
            ["dataset", "model", "endpoint", "system"][i % 4],
            name=f"Demo asset {i:02d} with a fairly long descriptive name",
            tier=["high", "limited", "minimal", ""][i % 4],
            business_unit=units[i % 2],
        )
        if i % 4 == 3:
            continue
        assessment = make_assessment(
            asset,
            author=author,
            matrix=small if i == 5 else matrix,
            next_review_due=today + dt.timedelta(days=i * 4 - 10),
        )
        for j in range(4):
            residual = ((i + j) % 5 + 1, (i * j) % 5 + 1) if assessment.matrix == matrix else (1, 2)
            inherent = (5, 5) if assessment.matrix == matrix else (3, 3)
            make_risk(
                assessment,
                inherent,
                residual,
                due_date=today + dt.timedelta(days=(i + j) % 20 - 8),
                title=f"Prompt injection through retrieved documents {i}-{j}",
            )
    # Four risks in one known cell: residual impact 4, likelihood 5.
    target = make_assessment(
        make_asset("system", name="Credit scoring", tier="high", business_unit=units[0]),
        author=author,
        matrix=matrix,
    )
    for _ in range(4):
        make_risk(target, (5, 5), (4, 5), title="Biased credit decisions")
    compliance_catalog.load(stdout=Quiet())
    compliance_services.coverage_recompute(asset_ids=None)
    demo.seed(users={Role.RISK_OFFICER: author}, assets=None, seed=1, stdout=Quiet())


def test_the_heatmap_renders_and_a_cell_click_opens_the_filtered_register(
    page: Any, make_user: Any
) -> None:
    officer = make_user(Role.RISK_OFFICER)
    _inventory(officer)
    cto = make_user(Role.EXECUTIVE)
    login(page, cto.email, PASSWORD)
    page.goto("/dashboard/")
    heatmap = page.locator("[data-heatmap='0']")
    heatmap.locator("svg.main-svg").first.wait_for()
    for name in ("trend", "top_risks", "unassessed"):
        page.locator(f"[data-figure='{name}'] svg.main-svg").first.wait_for()
    assert heatmap.locator("text", has_text="4").count() > 0
    # Ninety days of trend (the demo's snapshots): every line's latest value is written
    # beside it, though a line shows a marker only every week or so.
    labels = page.locator("[data-figure='trend'] .textpoint text").all_text_contents()
    assert sorted(label.split()[0] for label in labels) == ["Critical", "High", "Low", "Medium"]
    screenshot(page, "dashboard-1366")
    page.set_viewport_size({"width": 768, "height": 1024})
    page.reload()
    page.locator("[data-figure='unassessed'] svg.main-svg").first.wait_for()
    page.wait_for_timeout(300)
    screenshot(page, "dashboard-768")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.reload()
    heatmap.locator("svg.main-svg").first.wait_for()

    # The inherent toggle redraws the same heatmap with the inherent scores.
    page.get_by_text("Inherent", exact=True).first.click()
    page.wait_for_timeout(300)
    assert heatmap.locator("text", has_text="Critical").count() > 0
    page.get_by_text("Residual", exact=True).first.click()
    page.wait_for_timeout(300)

    # Click the cell impact 4 (second row from the top) x likelihood 5 (last column).
    box = heatmap.locator(".nsewdrag").first.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.3)
    page.wait_for_url("**/register/?**")
    assert "matrix=default-5x5" in page.url
    assert "impact=4" in page.url and "likelihood=5" in page.url and "basis=residual" in page.url
    assert page.get_by_text("Biased credit decisions").count() == 4
    assert page.console_errors == [], page.console_errors


def test_the_heatmap_table_links_are_reachable_by_keyboard(page: Any, make_user: Any) -> None:
    officer = make_user(Role.RISK_OFFICER)
    _inventory(officer)
    login(page, make_user(Role.AUDITOR).email, PASSWORD)
    page.goto("/dashboard/")
    table = page.locator("[data-heatmap-card='0'] details[data-basis-table='residual']")
    table.locator("summary").focus()
    page.keyboard.press("Enter")
    link = table.get_by_role("link", name="4 open risks, impact Major, likelihood Almost certain")
    link.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/register/?**")
    assert page.get_by_text("Biased credit decisions").count() == 4


def test_on_a_phone_every_chart_fits_and_drills_down(page: Any, make_user: Any) -> None:
    """390 px wide: no sideways scroll, whole level names and risk names, and a tap on
    a top-10 bar opens that risk."""
    officer = make_user(Role.RISK_OFFICER)
    _inventory(officer)
    login(page, make_user(Role.EXECUTIVE).email, PASSWORD)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/dashboard/")
    top = page.locator("[data-figure='top_risks']")
    top.locator("svg.main-svg").first.wait_for()
    for name in ("trend", "unassessed"):
        page.locator(f"[data-figure='{name}'] svg.main-svg").first.wait_for()
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], widths
    heatmap = page.locator("[data-heatmap='0']")
    ticks = heatmap.locator(".xtick text").all_text_contents()
    assert ticks == ["1", "2", "3", "4", "5"]
    assert heatmap.locator("text", has_text="Critical").count() > 0  # never "Critica"
    # The risk names sit above the bars, across the width.
    names = top.locator(".annotation-text").all_text_contents()
    assert len(names) == 10, names
    assert names[0].startswith("1. ") and names[9].startswith("10. ")
    screenshot(page, "dashboard-390")
    top.scroll_into_view_if_needed()
    bar = top.locator(".bars .point path").first.bounding_box()
    assert bar is not None
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_url("**/assessments/**#risk-*")
    anchor = page.url.split("#", 1)[1]
    assert page.locator(f"tr[id='{anchor}']").count() == 1
    page.go_back()
    # The same drill-down for keyboards: the links under the chart.
    page.locator(".rh-drill a", has_text="AI system").first.click()
    page.wait_for_url("**/inventory/?**")
    assert "assessment=missing" in page.url and "kind=system" in page.url
    assert page.console_errors == [], page.console_errors
