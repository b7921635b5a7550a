"""An officer corrects an incident: ticking the breach flag starts the GDPR clock and the
timeline says why; a colleague saving first gets the officer a conflict, not a loss."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.incidents import services as incidents
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_corrects_an_incident_and_the_clock_appears(page, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    incident = incidents.incident_create(
        actor=officer,
        title="Support bot quoted another customer's order",
        aware_at=timezone.now() - timedelta(hours=3),
    )
    login(page, officer.email, PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.goto(f"/incidents/{incident.uuid}/")
    assert page.locator("[data-clock='gdpr:33']").count() == 0
    page.get_by_role("link", name="Edit details").click()
    page.wait_for_url(f"**/incidents/{incident.uuid}/edit/")

    # A colleague opens the same incident and saves first.
    other = page.context.new_page()
    other.goto(f"/incidents/{incident.uuid}/edit/")
    other.get_by_label("Severity").select_option("high")
    other.get_by_role("button", name="Save changes").click()
    other.wait_for_url(f"**/incidents/{incident.uuid}/")
    other.close()

    page.get_by_label("Personal data was breached").check()
    screenshot(page, "incident-edit-1440")
    page.get_by_role("button", name="Save changes").click()
    conflict = page.locator("#edit-conflict")
    assert "officer@example.com saved this incident" in conflict.inner_text()
    assert page.get_by_label("Personal data was breached").is_checked()
    screenshot(page, "incident-edit-conflict")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "incident-edit-390")
    page.set_viewport_size({"width": 1366, "height": 900})

    # Saving again is a deliberate decision; the colleague's severity is shown as saved now.
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/incidents/{incident.uuid}/")
    clock = page.locator("[data-clock='gdpr:33']")
    assert clock.locator(".rh-clock").inner_text() == "Running"
    timeline = page.locator(".rh-timeline").inner_text()
    assert "GDPR Art. 33(1) 72-hour clock started" in timeline
    assert "personal data breach: no → yes" in timeline
    screenshot(page, "incident-edited")
    # The conflict page answers 409 on purpose; Chromium logs any 4xx page load.
    errors = [e for e in page.console_errors if "409 (Conflict)" not in e]
    assert errors == [], errors
