"""An officer opens a personal data breach on an endpoint, sees the GDPR 72-hour clock,
records the notification to the supervisory authority, and the clock shows met."""

from __future__ import annotations

import pytest

from riskhub.accounts.policy import Role
from riskhub.inventory import services as inventory
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_officer_records_a_breach_and_meets_the_72_hour_clock(page, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    inventory.asset_create(
        actor=officer, kind="endpoint", name="Support chat API", exposure="public"
    )
    login(page, officer.email, PASSWORD)
    page.wait_for_url("**/dashboard/")

    page.goto("/incidents/")
    assert page.get_by_text("No incidents have been recorded").is_visible()
    screenshot(page, "incidents-empty")
    page.get_by_role("link", name="Open an incident").first.click()

    page.get_by_label("Title").fill("Chat transcripts readable without authentication")
    # The picker: type part of the name, move to the match with the arrow key, tick it.
    page.get_by_label("Affected assets").fill("chat")
    match = page.locator(".rh-picker-results").get_by_label("Support chat API (Endpoint)")
    match.wait_for()
    page.get_by_label("Affected assets").press("ArrowDown")
    page.keyboard.press("Space")
    page.get_by_label("Affected assets").fill("nothing like it")
    page.wait_for_selector("text=No active asset matches")
    chosen = page.locator(".rh-picker-chosen").get_by_label("Support chat API (Endpoint)")
    assert chosen.is_checked()
    page.get_by_label("Personal data was breached").check()
    page.get_by_label("Severity").select_option("high")
    screenshot(page, "incident-form")
    page.get_by_role("button", name="Open incident").click()

    page.wait_for_url("**/incidents/*/")
    clock = page.locator("[data-clock='gdpr:33']")
    assert "GDPR Art. 33(1)" in clock.inner_text()
    assert clock.locator(".rh-clock").inner_text() == "Running"
    countdown = clock.locator(".rh-countdown").inner_text()
    assert countdown.startswith(("71 hours", "72 hours", "2 days")) and countdown.endswith("left")
    screenshot(page, "incident-running")

    page.get_by_label("Duty this notification satisfies").select_option("gdpr:33")
    page.get_by_label("Notified (whom)").fill("Belgian Data Protection Authority")
    page.get_by_label("Reference number").fill("APD-2026-1187")
    page.get_by_role("button", name="Record notification").click()

    page.wait_for_selector("text=Notification recorded.")
    clock = page.locator("[data-clock='gdpr:33']")
    assert clock.locator(".rh-clock").inner_text() == "Met"
    assert "APD-2026-1187" in page.locator(".rh-timeline").inner_text()
    screenshot(page, "incident-met")

    page.goto("/incidents/?status=all")
    row = page.get_by_role("row", name="Chat transcripts")
    assert "Met" in row.inner_text()
    screenshot(page, "incident-register")
    assert page.console_errors == [], page.console_errors
