"""Each role's daily work in Chromium, where the other journeys do not already walk it:
the auditor filters the audit trail by a person and a readable action, reads a change
field by field, and verifies the chain (the CTO's queue, the officer's incident edit,
editor and questionnaire have their own journeys in this folder)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from riskhub.accounts.policy import Role
from riskhub.inventory import services as inventory
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_auditor_filters_the_trail_reads_a_change_and_verifies_the_chain(
    page: Any, make_user: Any, eager_celery: None
) -> None:
    officer = make_user(Role.RISK_OFFICER, email="olivia.officer@example.com")
    asset = inventory.asset_create(actor=officer, kind="dataset", name="Claims history")
    inventory.asset_update(
        actor=officer, asset=asset, expected_version=asset.version, description="Scores claims."
    )
    auditor = make_user(Role.AUDITOR)
    login(page, auditor.email, PASSWORD)
    page.goto("/audit/")
    page.get_by_label("Who (email)").fill("olivia.officer@example.com")
    page.get_by_label("Action").select_option(label="Asset edited")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit/?**")
    screenshot(page, "audit-trail-filtered")
    events = page.locator("main table").first
    rows = events.locator("tbody tr")
    expect(events.get_by_text("Asset edited").first).to_be_visible()
    assert events.get_by_text("Asset registered").count() == 0
    # The change reads field by field, in words.
    events.get_by_text("1 field").click()
    expect(events.get_by_text("Scores claims.").first).to_be_visible()
    assert rows.count() >= 1
    # The CSV export keeps the filters.
    export = page.get_by_role("link", name="Export CSV")
    assert "action=asset.update" in (export.get_attribute("href") or "")

    page.get_by_role("button", name="Verify the chain").click()
    page.wait_for_url("**/audit/verify/**")
    expect(page.get_by_text("Intact").first).to_be_visible(timeout=20_000)
    assert page.console_errors == [], page.console_errors


def test_the_admin_changes_a_role_after_confirming_and_finds_it_in_the_trail(
    page: Any, make_user: Any, eager_celery: None
) -> None:
    from riskhub.accounts.models import User

    officer = make_user(Role.RISK_OFFICER, email="omar.officer@example.com")
    admin = make_user(Role.ADMIN)
    login(page, admin.email, PASSWORD)
    page.goto("/people/")
    page.get_by_role("link", name="omar.officer@example.com").first.click()
    page.get_by_label("Role").select_option(label="Auditor")
    # A role change asks first; dismissing it changes nothing.
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Change role").click()
    assert User.objects.get(pk=officer.pk).role == Role.RISK_OFFICER
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Change role").click()
    page.wait_for_load_state()
    expect(page.get_by_label("Role")).to_have_value(Role.AUDITOR.value)
    assert User.objects.get(pk=officer.pk).role == Role.AUDITOR
    screenshot(page, "people-role-changed")

    page.goto("/audit/")
    page.get_by_label("Action").select_option(label="Role changed")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/audit/?**")
    events = page.locator("main table").first
    expect(events.get_by_text("omar.officer@example.com").first).to_be_visible()
    page.get_by_role("button", name="Verify the chain").click()
    page.wait_for_url("**/audit/verify/**")
    expect(page.get_by_text("Intact").first).to_be_visible(timeout=20_000)
    assert page.console_errors == [], page.console_errors
