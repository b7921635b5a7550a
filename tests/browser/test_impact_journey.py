"""The officer fills the integrated impact assessment of a credit-scoring system in the
browser (sections shown for the AI Act, the GDPR and the CCPA), saves a draft and
submits; the CTO signs it off; the document is filed as evidence and the three laws'
impact-assessment requirements are met. Screenshots at 1440 and 390 px."""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import expect

from riskhub.accounts.policy import Role
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import RequirementStatus
from riskhub.impact import catalog_loader as impact_catalogs
from riskhub.impact.models import ImpactAssessment
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader as risk_catalogs
from tests.browser.conftest import axe_violations, login, screenshot
from tests.compliance.conftest import facts_for
from tests.conftest import PASSWORD
from tests.impact.conftest import CREDIT_SCORING
from tests.impact.test_workflow import ANSWERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_officer_fills_the_assessment_and_the_cto_signs_it_off(
    page, make_user, settings, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path)
    for loader in (risk_catalogs, compliance_catalogs, impact_catalogs):
        loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    make_user(Role.EXECUTIVE, email="cto@example.com")
    system = Asset.objects.create(
        kind="system",
        name="Loan scorer",
        intended_purpose="Score applications for personal loans",
        deployment_context="Retail lending: underwriters decide with the score",
        affected_persons="Applicants for personal loans",
        facts=facts_for(CREDIT_SCORING),
    )
    compliance_services.coverage_recompute(asset_ids=[system.pk])

    login(page, officer.email, PASSWORD)
    page.goto(f"/impact/asset/{system.uuid}/")
    expect(page.locator("#impact-laws")).to_contain_text("EU AI Act")
    expect(page.locator("#impact-laws")).to_contain_text("CCPA/CPRA")
    page.get_by_role("button", name="Start the integrated impact assessment").click()
    page.wait_for_url("**/edit/")
    # Known facts are filled in; every law's own sections are there.
    expect(page.locator("#id_purpose")).to_have_value("Score applications for personal loans")
    for key in ("use_period", "necessity", "benefits", "oversight", "governance"):
        expect(page.locator(f"[data-section='{key}']")).to_have_count(1)
    expect(page.locator("[data-section='system']")).to_contain_text("Art 27(1)(a)")

    # A half-done draft saves.
    page.locator("#id_period").fill(ANSWERS["period"])
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    # Submitting too early marks the missing questions beside them.
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.locator("#id_oversight_error")).to_contain_text("EU AI Act asks for it")
    # That answer is a deliberate 400 (the form with its errors), which Chromium logs.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_errors.clear()
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"impact-form-{width}")
    page.set_viewport_size({"width": 1366, "height": 900})

    for key, value in ANSWERS.items():
        field = page.locator(f"#id_{key}")
        if field.evaluate("e => e.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    expect(page.locator(".rh-impact-status").first).to_have_text("In review")
    sign_out(page)

    login(page, "cto@example.com", PASSWORD)
    item = ImpactAssessment.objects.get(asset=system)
    page.goto(f"/impact/{item.uuid}/")
    expect(page.locator("[data-section='oversight']")).to_contain_text(ANSWERS["oversight"])
    page.get_by_label("Comments").fill("Signed off for the 2027 launch.")
    page.get_by_role("button", name="Approve and sign off").click()
    expect(page.get_by_text("filed as evidence")).to_be_visible()
    expect(page.locator("#impact-evidence")).to_contain_text(".pdf")
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        screenshot(page, f"impact-approved-{width}")
    assert page.console_errors == []

    statuses = dict(
        RequirementStatus.objects.filter(asset=system).values_list("requirement__ref", "status")
    )
    assert statuses["Art. 27"] == statuses["Art. 35"] == statuses["11 CCR 7152"] == "met"


def test_the_form_and_the_list_have_no_serious_accessibility_violations(
    browser, live_server, make_user
) -> None:  # type: ignore[no-untyped-def]
    for loader in (risk_catalogs, compliance_catalogs, impact_catalogs):
        loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="officer-a11y@example.com")
    system = Asset.objects.create(
        kind="system", name="Loan scorer", intended_purpose="x", facts=facts_for(CREDIT_SCORING)
    )
    compliance_services.coverage_recompute(asset_ids=[system.pk])
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    page = context.new_page()
    try:
        login(page, officer.email, PASSWORD)
        page.goto(f"/impact/asset/{system.uuid}/")
        page.get_by_role("button", name="Start the integrated impact assessment").click()
        page.wait_for_url("**/edit/")
        page.get_by_role("button", name="Save and submit for review").click()
        expect(page.locator("#id_oversight_error")).to_be_visible()
        problems = {"form with errors": axe_violations(page)}
        for url in ("/impact/", f"/impact/asset/{system.uuid}/"):
            page.goto(url)
            problems[url] = axe_violations(page)
        assert {k: v for k, v in problems.items() if v} == {}
    finally:
        context.close()
