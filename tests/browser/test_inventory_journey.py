"""A risk officer registers a dataset, a model trained on it, an endpoint serving it and
the AI system they belong to, answers the questionnaire and sees the tier."""

from __future__ import annotations

import pytest

from riskhub.accounts.policy import Role
from riskhub.inventory.models import Asset, AssetLink
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _register(page, kind: str, name: str, fields: dict[str, str | bool]) -> None:  # type: ignore[no-untyped-def]
    page.goto("/inventory/")
    page.get_by_role("button", name="Register an asset").click()
    page.get_by_role("link", name=kind, exact=True).click()
    page.get_by_label("Name").fill(name)
    for label, value in fields.items():
        control = page.get_by_label(label)
        if isinstance(value, bool):
            control.set_checked(value)
        elif control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(value)
        else:
            control.fill(value)
    page.get_by_role("button", name="Register").click()
    page.get_by_role("heading", name=name, level=1).wait_for()


def _link(page, relation: str, other: str) -> None:  # type: ignore[no-untyped-def]
    form = page.get_by_role("form", name="Add a lineage link")
    form.get_by_label("Relation").select_option(label=relation)
    form.get_by_label("Other asset", exact=True).fill(other)
    form.get_by_role("button", name="Add link").click()
    page.get_by_text("The link was added.").wait_for()


def test_an_officer_registers_a_lineage_and_classifies_the_system(page, make_user) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    login(page, officer.email, PASSWORD)

    page.goto("/inventory/")
    assert page.get_by_text("No AI assets are registered yet").is_visible()

    _register(page, "Dataset", "Job applications 2025", {"Record count": "48000"})
    page.goto("/inventory/new/?kind=model")
    page.get_by_role("button", name="Register model").click()  # empty: errors beside fields
    assert page.locator("#id_name_error").is_visible()
    assert page.locator("#id_model_type_error").is_visible()
    screenshot(page, "inventory-form-errors")
    # The invalid form is answered with 400 on purpose; Chromium logs that status.
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.console_errors.clear()
    _register(page, "Model", "Applicant ranker", {"Model type": "ranking", "Framework": "PyTorch"})
    _link(page, "trained on", "Job applications 2025 [Dataset]")

    _register(page, "Endpoint", "Ranking API", {"Exposure": "internal"})
    _link(page, "serves", "Applicant ranker [Model]")
    assert AssetLink.objects.get(relation="serves").downstream.name == "Ranking API"

    page.goto("/inventory/new/?kind=system")
    screenshot(page, "inventory-form-system")
    _register(
        page,
        "AI system",
        "Hiring assistant",
        {
            "Intended purpose": "Shortlist job applicants for recruiters.",
            "Affects California consumers": True,
        },
    )
    form = page.get_by_role("form", name="Add a lineage link")
    form.get_by_label("Relation").select_option(label="part of")
    form.get_by_label("Other asset", exact=True).fill("Ranking API [Endpoint]")
    assert "Ranking API [Endpoint] is part of Hiring assistant" in form.inner_text()
    form.get_by_role("button", name="Add link").click()
    page.get_by_text("The link was added.").wait_for()

    page.get_by_role("link", name="Answer the questionnaire").click()
    # What the registration said is already answered, and the page says where from.
    california = page.locator('input[name="ccpa_california_consumers"]')
    assert california.is_checked()
    assert page.get_by_text(
        "From the asset's registration: “Affects California consumers”."
    ).is_visible()
    page.get_by_label("Yes", exact=True).check()
    page.get_by_label("Point 4(a): employment: recruitment and selection").check()
    page.get_by_label("It profiles natural persons (Art. 4(4) GDPR)").check()
    page.get_by_label("Deployer: uses the system", exact=False).check()
    page.get_by_label("It processes personal data", exact=True).check()
    screenshot(page, "inventory-questionnaire")
    page.get_by_role("button", name="Save answers and classify").click()

    assert page.get_by_text("EU AI Act tier: High-risk").first.is_visible()
    assert page.get_by_test_id("tier").inner_text() == "High-risk"
    assert page.get_by_text("Annex III point 4(a)").first.is_visible()
    assert page.locator("svg.rh-graph").is_visible()
    # the risk and compliance tabs are loaded by htmx from their own apps
    page.locator("#pane-risk").get_by_text("Loading…").wait_for(state="detached")
    page.locator("#pane-compliance").get_by_text("Loading…").wait_for(state="detached")
    screenshot(page, "inventory-asset-system")

    # the dataset shows the tier of the system it feeds, with the system named
    page.goto("/inventory/")
    page.get_by_role("link", name="Job applications 2025").click()
    fed = page.get_by_role("table").filter(has_text="AI system fed")
    assert "Hiring assistant" in fed.inner_text() and "High-risk" in fed.inner_text()
    assert page.get_by_role("list", name="Downstream").get_by_text("Applicant ranker").is_visible()
    screenshot(page, "inventory-asset-dataset")

    page.goto("/inventory/?sort=kind")
    assert page.locator("table.rh-inventory tbody tr").count() == 4
    screenshot(page, "inventory-list")
    assert Asset.objects.get(name="Hiring assistant").tier == "high"
    assert page.console_errors == [], page.console_errors


def test_a_bad_spreadsheet_lists_its_problems_and_imports_nothing(
    page, make_user, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.RISK_OFFICER)
    login(page, officer.email, PASSWORD)
    bad = tmp_path / "inventory.csv"
    bad.write_text("kind,name,lifecycle\ndataset,Claims,live\nrobot,R2,design\n", encoding="utf-8")
    page.goto("/inventory/import/")
    page.get_by_label("Inventory file").set_input_files(str(bad))
    page.get_by_role("button", name="Check and import").click()
    assert page.get_by_role("alert").filter(has_text="Nothing was imported").is_visible()
    rows = page.locator("table.rh-import-errors tbody tr")
    assert rows.count() == 2
    assert "unknown value “live”" in rows.nth(0).inner_text()
    screenshot(page, "inventory-import-errors")
    assert not Asset.objects.exists()


def test_an_admin_edits_the_organisation_profile(page, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    login(page, admin.email, PASSWORD)
    page.goto("/inventory/organisation/")
    assert page.get_by_test_id("ccpa-business").inner_text() == "No"
    page.get_by_role("link", name="Edit the profile").click()
    page.get_by_label("Legal name").fill("Example Bank SE")
    page.get_by_label("Annual gross revenue (USD)").fill("30000000")
    page.get_by_label("Consumers whose personal information is processed").fill("300000")
    screenshot(page, "inventory-organisation-form")
    page.get_by_role("button", name="Save profile").click()
    assert page.get_by_test_id("ccpa-business").inner_text() == "Yes"
    assert page.get_by_test_id("ccpa-audit").inner_text() == "Required"
    screenshot(page, "inventory-organisation")
    assert page.console_errors == [], page.console_errors


def test_an_officer_records_the_technical_documentation_of_a_system(page, make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.audit.models import AuditEvent
    from riskhub.inventory import services

    officer = make_user(Role.RISK_OFFICER)
    system = services.asset_create(
        actor=officer, kind="system", name="Claims triage", intended_purpose="Route claims."
    )
    login(page, officer.email, PASSWORD)
    page.goto(f"/inventory/{system.uuid}/edit/")
    assert page.get_by_text("Technical documentation (EU AI Act Annex IV)").is_visible()
    section = page.locator("form.rh-asset-form")
    section.get_by_label("Post-market monitoring plan").fill("Monthly accuracy review.")
    section.get_by_label("EU declaration of conformity reference").fill("DoC-CT-1")
    section.get_by_label("EU declaration of conformity signed on").fill("2026-11-02")
    page.get_by_label("Version", exact=True).fill("1.4")
    screenshot(page, "inventory-form-annex-iv")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("heading", name="Claims triage", level=1).wait_for()

    assert page.get_by_role("definition").filter(has_text="Monthly accuracy review.").is_visible()
    assert page.get_by_role("definition").filter(has_text="DoC-CT-1").is_visible()
    system.refresh_from_db()
    assert system.model_version == "1.4"
    assert str(system.eu_declaration_date) == "2026-11-02"
    event = AuditEvent.objects.filter(action="asset.update", object_id=str(system.uuid)).get()
    assert event.after["post_market_monitoring_plan"] == "Monthly accuracy review."
    assert page.console_errors == [], page.console_errors
