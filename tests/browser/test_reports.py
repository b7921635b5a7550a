"""An auditor requests a report, watches its progress and downloads the signed PDF."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from riskhub.accounts.policy import Role
from riskhub.inventory import services as inventory
from riskhub.reports import services
from riskhub.reports.models import Report
from tests.browser.conftest import login, screenshot
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_auditor_requests_sees_progress_and_downloads_a_report(
    page: Any,
    make_user: Any,
    monkeypatch: Any,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,  # the test plays the worker: a report's chunks run in-process
) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    enqueued: list[int] = []
    # No broker in this test: the request records the enqueue; the test plays the worker.
    monkeypatch.setattr(services, "_enqueue", enqueued.append)
    officer = make_user(Role.RISK_OFFICER)
    inventory.asset_create(
        actor=officer, kind="model", name="Claims Triage Model", model_type="classifier"
    )
    auditor = make_user(Role.AUDITOR)

    login(page, auditor.email, PASSWORD)
    page.wait_for_url("**/dashboard/")
    page.goto("/reports/")
    form = page.locator("#report-request-form")
    form.get_by_label("Report").select_option("risk-register")
    assert form.get_by_label("Framework").is_hidden()
    page.get_by_role("button", name="Request report").click()
    page.wait_for_url("**/reports/")
    row = page.locator("#reports-table tbody tr").first
    assert "Queued" in row.inner_text()
    report = Report.objects.get()
    assert enqueued == [report.pk] and report.requested_by == auditor

    claimed = services.claim(report.pk)
    assert claimed is not None
    services.beat(claimed, 45, "Building the register")
    page.locator("#reports-table [data-progress]").get_by_text("45%").wait_for(timeout=10_000)
    assert "Building the register" in page.locator("#reports-table").inner_text()
    screenshot(page, "reports-progress")

    Report.objects.filter(pk=report.pk).update(heartbeat_at=None)  # let the "worker" retake it
    assert services.run(report.pk) == "succeeded"
    link = page.get_by_role("link", name="Download PDF")
    link.wait_for(timeout=10_000)
    screenshot(page, "reports-done")
    with page.expect_download() as info:
        link.click()
    download = info.value
    body = Path(download.path()).read_bytes()
    report.refresh_from_db()
    assert hashlib.sha256(body).hexdigest() == report.sha256
    assert download.suggested_filename.endswith(".pdf")
    assert page.console_errors == []
