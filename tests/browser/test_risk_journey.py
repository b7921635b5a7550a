"""The officer assesses an endpoint with the matrix picker and submits; the CTO approves;
the endpoint's effective risk, a downstream system's inherited risk and the register
update."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from riskhub.accounts.policy import Role
from riskhub.celery import app as celery_app
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import catalog_loader
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def sign_out(page) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/accounts/login/**")


def test_officer_assesses_an_endpoint_and_the_cto_approves(page, make_user) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="officer@example.com")
    make_user(Role.EXECUTIVE, email="cto@example.com")
    llm = Asset.objects.create(kind="model", name="Support LLM", model_type="generative-llm")
    endpoint = Asset.objects.create(kind="endpoint", name="Support chat API", exposure="public")
    system = Asset.objects.create(kind="system", name="Customer assistant", intended_purpose="Help")
    AssetLink.objects.create(upstream=llm, downstream=endpoint, relation="serves")
    AssetLink.objects.create(upstream=endpoint, downstream=system, relation="part_of")

    login(page, officer.email, PASSWORD)
    page.goto(f"/assessments/asset/{endpoint.uuid}/")
    expect(page.get_by_test_id("effective-risk")).to_have_text("Not assessed")
    page.get_by_role("link", name="Start assessment").click()
    page.get_by_role("button", name="Start assessment").click()
    page.wait_for_url("**/edit/")
    row = page.locator("[data-risk-row]").filter(
        has=page.locator("option[value='THR-PROMPT-INJECTION']:checked")
    )
    expect(row).to_have_count(1)
    row.locator("summary strong").click()  # suggested risks are collapsed rows
    expect(row.get_by_text("Suggested", exact=True)).to_be_visible()
    screenshot(page, "risk-editor-start")

    # inherent: click a cell
    row.get_by_role("button", name=re.compile(r"^Inherent risk: impact 5 .*likelihood 4 ")).click()
    inherent_output = row.locator("fieldset[data-kind='inherent'] output")
    expect(inherent_output).to_contain_text("Score 20")
    expect(inherent_output).to_contain_text("Critical")

    # residual: keyboard only, from the bottom-left cell: up 3 (impact 4), right 2 (likelihood 3)
    start = row.get_by_role("button", name=re.compile(r"^Residual risk: impact 1 .*likelihood 1 "))
    start.focus()
    for key in ["ArrowUp", "ArrowUp", "ArrowUp", "ArrowRight", "ArrowRight", "Enter"]:
        page.keyboard.press(key)
    residual_output = row.locator("fieldset[data-kind='residual'] output")
    expect(residual_output).to_contain_text("Score 12")
    expect(residual_output).to_contain_text("High")
    expect(
        row.get_by_role("button", name=re.compile(r"^Residual risk: impact 4 .*likelihood 3 "))
    ).to_have_attribute("aria-pressed", "true")

    row.get_by_label("Existing controls").fill("Input filtering; output moderation.")
    row.get_by_label("Owner").select_option(label=str(officer))
    row.get_by_label("Due date").fill((date.today() + timedelta(days=60)).isoformat())
    screenshot(page, "risk-editor")
    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Submitted for review")).to_be_visible()
    expect(page.locator(".rh-status-in_review").first).to_be_visible()
    screenshot(page, "risk-submitted")
    sign_out(page)

    login(page, "cto@example.com", PASSWORD)
    page.goto("/assessments/review/")
    expect(page.get_by_text("1 assessment waiting")).to_be_visible()
    screenshot(page, "risk-review-queue")
    page.get_by_role("link", name=re.compile("Review Support chat API")).click()
    page.get_by_label("Comments").fill("Agreed; re-test after the moderation release.")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved. The asset's effective risk")).to_be_visible()

    page.goto(f"/assessments/asset/{endpoint.uuid}/")
    expect(page.get_by_test_id("own-risk")).to_have_text("High")
    expect(page.get_by_test_id("effective-risk")).to_contain_text("High")
    page.goto(f"/assessments/asset/{system.uuid}/")
    expect(page.get_by_test_id("effective-risk")).to_contain_text("High")
    expect(page.get_by_role("list", name="Path the risk came by")).to_contain_text(
        "Support chat API"
    )
    screenshot(page, "risk-asset-inherited")

    page.goto("/assessments/register/?band=high")
    expect(page.get_by_role("link", name="Prompt injection and jailbreak")).to_be_visible()
    expect(page.locator("table.rh-register")).to_contain_text("High 12")
    screenshot(page, "risk-register")
    assert page.console_errors == [], page.console_errors
