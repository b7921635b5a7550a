"""An outsider, not signed in, checks report PDFs on the public page in Chromium."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from riskhub.accounts.policy import Role
from riskhub.inventory import services as inventory
from riskhub.reports import pdf, services
from riskhub.reports.models import Report
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_outsider_sees_intact_altered_or_unknown_and_the_certificate(
    page: Any,
    make_user: Any,
    monkeypatch: Any,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,  # the test plays the worker: a report's chunks run in-process
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    cache.clear()
    monkeypatch.setattr(services, "_enqueue", lambda pk: None)
    officer = make_user(Role.RISK_OFFICER)
    inventory.asset_create(
        actor=officer, kind="model", name="Claims Triage Model", model_type="classifier"
    )
    report = services.report_request(actor=officer, kind="risk-register", parameters={})
    assert services.run(report.pk) == "succeeded"
    report = Report.objects.get(pk=report.pk)
    with report.file.open("rb") as handle:
        data = handle.read()
    index = data.index(b"stream") + 40
    files = {
        "intact": data,
        "altered": data[:index] + bytes([data[index] ^ 1]) + data[index + 1 :],
        "unknown": pdf.render_pdf(
            "<html><head><title>x</title></head><body>x</body></html>", data_json=b"{}"
        )[0],
    }
    expected = {"intact": "Intact", "altered": "Altered after signing", "unknown": "Unknown"}
    for outcome, content in files.items():
        path = tmp_path / f"{outcome}.pdf"
        path.write_bytes(content)
        page.goto("/reports/check/")
        page.get_by_label("Report (PDF)").set_input_files(str(path))
        page.get_by_role("button", name="Check").click()
        headline = page.locator("#verdict-headline")
        headline.wait_for(timeout=20_000)
        assert headline.inner_text() == expected[outcome]
        box = page.locator(".alert:has(#verdict-headline)")
        if outcome == "altered":
            assert "alert-danger" in box.get_attribute("class")
        if outcome == "intact":
            assert "alert-success" in box.get_attribute("class")
            assert report.title in page.content() and "whole organisation" in page.content()
        else:
            assert "alert-success" not in box.get_attribute("class")
        screenshot(page, f"public-check-{outcome}")
    assert page.console_errors == []

    page.goto("/reports/signing-certificate/")
    fingerprint = page.locator("#fingerprint").inner_text()
    assert fingerprint.replace(" ", "").lower() == report.signer_fingerprint
    screenshot(page, "public-signing-certificate")

    # The signed-in page gives the same headline, then the detail an employee may see.
    auditor = make_user(Role.AUDITOR)
    login(page, auditor.email, PASSWORD)
    page.wait_for_url("**/dashboard/")
    for outcome in ("intact", "altered"):
        page.goto("/reports/verify/")
        page.get_by_label("PDF file").set_input_files(str(tmp_path / f"{outcome}.pdf"))
        page.get_by_role("button", name="Verify").click()
        page.locator("#verdict-headline").wait_for(timeout=20_000)
        assert page.locator("#verdict-headline").inner_text() == expected[outcome]
        screenshot(page, f"signed-in-verify-{outcome}")
    assert "The signature is broken" in page.content()
