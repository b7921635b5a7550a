"""The CTO signs in, is told by the navigation that an assessment waits for review,
opens it from the dashboard's queue, approves it, and the queue empties; the same queue
reads on a phone."""

from __future__ import annotations

import io

import pytest
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.inventory import services as inventory
from riskhub.risk import catalog_loader
from riskhub.risk import services as risk
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_cto_decides_what_waits_from_the_dashboard(page, make_user) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    cto = make_user(Role.EXECUTIVE, email="cto@example.com")
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    asset = inventory.asset_create(
        actor=officer, kind="system", name="Credit decision engine", intended_purpose="Loans"
    )
    draft = risk.assessment_start(actor=officer, asset=asset)
    draft = risk.assessment_save(
        actor=officer,
        assessment=draft,
        expected_revision=draft.revision,
        summary="Quarterly review of the credit engine.",
        risks=[
            {
                "title": "Unfair refusals",
                "inherent_impact": 4,
                "inherent_likelihood": 4,
                "residual_impact": 2,
                "residual_likelihood": 2,
                "treatment": "mitigate",
                "owner": officer,
                "due_date": timezone.localdate(),
            }
        ],
    )
    risk.assessment_submit(actor=officer, assessment=draft)

    login(page, cto.email, PASSWORD)
    page.wait_for_url("**/dashboard/")
    badge = page.locator("nav .rh-queue-count")
    assert badge.inner_text().startswith("1")
    queue = page.locator("#queue [data-queue='reviews']")
    assert "Credit decision engine, version 1" in queue.inner_text()
    screenshot(page, "queue-cto-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.locator("#queue").bounding_box()["width"] <= 390
    # The collapsed navigation still shows the count.
    assert page.locator(".rh-queue-count-small").is_visible()
    screenshot(page, "queue-cto-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    queue.get_by_role("link", name="Credit decision engine, version 1").click()
    page.wait_for_url(f"**/assessments/{draft.uuid}/")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_load_state()

    page.goto("/dashboard/")
    assert page.locator("nav .rh-queue-count").count() == 0
    assert page.locator("#queue [data-queue-empty]").is_visible()
    assert page.console_errors == [], page.console_errors
