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
    # This journey is about the leave warning: no autosave while it runs.
    page.evaluate("document.getElementById('assessment-form').dataset.autosaveDelay = '600000'")

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


def test_drafts_are_saved_while_editing_and_a_conflict_is_never_overwritten(
    page, make_user
) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER)
    colleague = make_user(Role.RISK_OFFICER)
    dataset = Asset.objects.create(kind="dataset", name="Claims history")
    assessment = services.assessment_start(actor=officer, asset=dataset)
    login(page, officer.email, PASSWORD)
    page.goto(f"/assessments/{assessment.uuid}/edit/")
    page.evaluate("document.getElementById('assessment-form').dataset.autosaveDelay = '300'")
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_attribute("aria-live", "polite")

    page.get_by_label("Summary").fill("Claims data from 2019 on; no special categories.")
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    assessment.refresh_from_db()
    assert assessment.summary.startswith("Claims data from 2019")
    assert assessment.status == "draft"
    # Saved: leaving asks nothing.
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.type) or dialog.dismiss())

    # A colleague saves in between: the next autosave is refused, nothing is
    # overwritten, the page says why and the leave warning is armed again.
    services.assessment_save(
        actor=colleague,
        assessment=assessment,
        expected_revision=assessment.revision,
        summary="The colleague's summary",
    )
    page.get_by_label("Summary").fill("My longer summary, typed after theirs.")
    expect(status).to_contain_text("Not saved:")
    expect(status).to_contain_text("while you were editing")
    assessment.refresh_from_db()
    assert assessment.summary == "The colleague's summary"
    page.get_by_role("link", name="View").click()
    page.wait_for_timeout(500)
    assert dialogs == ["beforeunload"] and page.url.endswith("/edit/")
    screenshot(page, "risk-editor-autosave-conflict")
    # The refused autosave's 409 is the browser's only complaint.
    unexpected = [e for e in page.console_errors if "status of 409" not in e]
    assert unexpected == [], unexpected
