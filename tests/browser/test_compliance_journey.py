"""An officer uploads evidence for a control and the coverage of all three laws changes."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from riskhub.accounts.policy import Role
from riskhub.compliance import catalog_loader, services
from riskhub.compliance.models import Control, FrameworkCoverage
from riskhub.inventory import classification
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader as risk_catalog_loader
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ANSWERS = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": "deployer",
    "performs_profiling": True,
    "gdpr": {"personal_data": True, "automated_decisions": True},
    "ccpa": {
        "california_consumers": True,
        "business_thresholds_met": True,
        "admt_significant_decisions": True,
    },
}
ORG = {
    "eu_established": True,
    "gdpr_role": "controller",
    "ccpa_business": True,
    "ca_conducts_business": True,
    "ca_breach_role": "owner",
}


def _coverage() -> dict[str, tuple[int, int, int]]:
    return {
        c.framework.slug: (c.met, c.partial, c.gap)
        for c in FrameworkCoverage.objects.select_related("framework")
    }


def test_officer_uploads_evidence_and_three_frameworks_move(
    page, make_user, tmp_path: Path, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    risk_catalog_loader.load(stdout=io.StringIO())  # the threats controls link to
    catalog_loader.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    system = Asset.objects.create(
        kind="system",
        name="CV screening assistant",
        intended_purpose="Ranks job applications",
        facts=classification.facts(ANSWERS, ORG),
    )
    implementation = services.implementation_create(
        actor=officer,
        control=Control.objects.get(code="CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
        owner=officer,
    )
    before = _coverage()

    login(page, officer.email, PASSWORD)
    page.goto("/compliance/")
    page.get_by_role("heading", name="Compliance").wait_for()
    shown_before = {
        slug: page.get_by_test_id(f"met-pct-{slug}").inner_text()
        for slug in ("eu-ai-act", "gdpr", "ccpa")
    }
    screenshot(page, "compliance-index-before")

    page.goto(f"/compliance/asset/{system.uuid}/tab/")
    assert page.get_by_text("Annex III point 4(a); role: deployer").first.is_visible()
    screenshot(page, "compliance-asset-tab")

    page.goto(f"/compliance/implementations/{implementation.uuid}/")
    evidence = tmp_path / "incident-response-plan.txt"
    evidence.write_text("Incident response plan: 72 h GDPR, 15 days AI Act, 30 days CA.\n")
    page.get_by_label("File").set_input_files(str(evidence))
    page.get_by_label("Description").fill("Incident response plan, approved")
    page.get_by_role("button", name="Upload evidence").click()
    page.get_by_text("Evidence added; coverage updated.").wait_for()
    assert page.get_by_role("link", name="incident-response-plan.txt").is_visible()
    screenshot(page, "compliance-evidence-uploaded")

    after = _coverage()
    for slug in ("eu-ai-act", "gdpr", "ccpa"):
        assert after[slug] != before[slug], (slug, before, after)
    system.refresh_from_db()
    summary = system.coverage_summary
    assert summary["gdpr"]["met"] >= 1 and summary["ccpa"]["met"] >= 1
    assert summary["eu-ai-act"]["partial"] >= 1

    page.goto("/compliance/")
    shown_after = {
        slug: page.get_by_test_id(f"met-pct-{slug}").inner_text() for slug in ("gdpr", "ccpa")
    }
    assert shown_after["gdpr"] != shown_before["gdpr"]
    assert shown_after["ccpa"] != shown_before["ccpa"]
    screenshot(page, "compliance-index-after")

    page.goto("/compliance/gaps/?framework=eu-ai-act")
    page.get_by_role("heading", name="Controls that close the most").wait_for()
    screenshot(page, "compliance-gaps")
    page.goto("/compliance/crosswalk/")
    screenshot(page, "compliance-crosswalk")
    page.goto("/compliance/frameworks/eu-ai-act/")
    screenshot(page, "compliance-framework")
    assert page.console_errors == [], page.console_errors
