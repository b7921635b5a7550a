"""The assessment editor never loses work: leaving with unsaved changes asks first,
saving does not; a residual level above the inherent one is flagged while picking;
suggested risks are collapsed rows, one open at a time."""

from __future__ import annotations

import io
import re

import pytest
from playwright.sync_api import expect

from riskhub.accounts.policy import Role
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader, services
from tests.browser.conftest import axe_violations, login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_editor_warns_before_leaving_and_flags_residual_above_inherent(page, make_user) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    endpoint = Asset.objects.create(kind="endpoint", name="Support chat API", exposure="public")
    assessment = services.assessment_start(actor=officer, asset=endpoint)
    login(page, officer.email, PASSWORD)
    page.goto(f"/assessments/{assessment.uuid}/edit/")

    rows = page.locator("details[data-suggested]")
    assert rows.count() > 5
    expect(page.locator("details[data-suggested][open]")).to_have_count(0)
    first, second = rows.nth(0), rows.nth(1)
    first.locator("summary strong").click()
    expect(first).to_have_attribute("open", "")
    second.locator("summary").focus()
    page.keyboard.press("Enter")  # keyboard opens the next one and closes the first
    expect(second).to_have_attribute("open", "")
    expect(page.locator("details[data-suggested][open]")).to_have_count(1)

    # picking: residual impact 4 above inherent impact 2 is flagged at once
    second.get_by_role(
        "button", name=re.compile(r"^Inherent risk: impact 2 .*likelihood 3 ")
    ).click()
    warning = second.locator(".rh-residual-warning")
    expect(warning).to_be_hidden()
    second.get_by_role(
        "button", name=re.compile(r"^Residual risk: impact 4 .*likelihood 2 ")
    ).click()
    expect(warning).to_be_visible()
    expect(warning).to_have_text("The residual impact cannot be above the inherent impact.")
    screenshot(page, "risk-editor-residual-warning")
    second.get_by_role(
        "button", name=re.compile(r"^Residual risk: impact 2 .*likelihood 2 ")
    ).click()
    expect(warning).to_be_hidden()

    # leaving with the picked (unsaved) cells asks first; dismissing stays on the page
    dialogs: list[str] = []

    def dismiss(dialog) -> None:  # type: ignore[no-untyped-def]
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("link", name="View").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"]
    assert page.url.endswith("/edit/")

    # saving does not ask
    page.remove_listener("dialog", dismiss)
    page.on("dialog", lambda dialog: dialogs.append(dialog.type) or dialog.accept())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Saved.", exact=True)).to_be_visible()
    assert dialogs == ["beforeunload"]
    assert page.console_errors == [], page.console_errors


def test_the_collapsed_editor_passes_axe(browser, live_server, make_user) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    endpoint = Asset.objects.create(kind="endpoint", name="Support chat API", exposure="public")
    assessment = services.assessment_start(actor=officer, asset=endpoint)
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    login(page, officer.email, PASSWORD)
    page.goto(f"/assessments/{assessment.uuid}/edit/")
    page.locator("details[data-suggested] summary").first.click()
    assert axe_violations(page) == []
    context.close()
