"""The reports pages and API, for every role."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.reports import services
from riskhub.reports.models import Report

ROLES = list(Role)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_requests_a_report_from_the_page(
    world: Any,
    client_for: Any,
    role: Role,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(role)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reports:request"), {"kind": "framework-compliance", "framework": "gdpr"}
        )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.parameters == {"framework": "gdpr"} and report.status == "queued"
    assert enqueued == [report.pk]  # queued, not rendered in the request


def test_anonymous_users_get_nothing(world: Any, client_for: Any, render: Any) -> None:
    report = render("risk-register")
    client = client_for(None)
    for url in (
        reverse("reports:index"),
        reverse("reports:detail", args=[report.uuid]),
        reverse("reports:download", args=[report.uuid]),
        reverse("reports:verify"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client.post(reverse("reports:request"), {"kind": "risk-register"}).status_code == 302
    assert client.get(reverse("api:report-list")).status_code in (401, 403)
    assert client.post(reverse("api:report-list"), {"kind": "risk-register"}).status_code in (
        401,
        403,
    )
    assert Report.objects.count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_every_role_downloads_with_an_audit_event(
    world: Any, client_for: Any, render: Any, role: Role
) -> None:
    report = render("risk-register")
    response = client_for(role).get(reverse("reports:download", args=[report.uuid]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == report.sha256
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert (
        AuditEvent.objects.filter(action="report.downloaded", object_id=str(report.uuid)).count()
        == 1
    )


def test_a_running_report_polls_its_status_every_two_seconds(world: Any, client_for: Any) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    services.claim(report.pk)
    services.beat(services.Claim(report.pk, 1), 40, "Reading assessments")
    client = client_for(Role.AUDITOR)
    page = client.get(reverse("reports:index")).content.decode()
    assert 'hx-trigger="every 2s"' in page and "40%" in page
    partial = client.get(reverse("reports:status", args=[report.uuid])).content.decode()
    assert "Reading assessments" in partial and 'hx-trigger="every 2s"' in partial
    services.run(report.pk)  # claim is fresh: skipped; let the beat expire first
    Report.objects.filter(pk=report.pk).update(heartbeat_at=None)
    services.run(report.pk)
    done = client.get(reverse("reports:status", args=[report.uuid])).content.decode()
    assert "hx-trigger" not in done and "Download PDF" in done


def test_the_reports_page_has_a_fixed_number_of_queries(
    world: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(Role.AUDITOR)
    for _ in range(3):
        services.report_request(actor=world.officer, kind="risk-register", parameters={})
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reports:index")).status_code == 200
    for _ in range(20):
        services.report_request(actor=world.officer, kind="risk-register", parameters={})
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reports:index")).status_code == 200


def test_rerun_creates_a_new_report_with_the_same_parameters(
    world: Any, client_for: Any, render: Any
) -> None:
    report = render("framework-compliance", framework="ccpa")
    response = client_for(Role.AUDITOR).post(reverse("reports:rerun", args=[report.uuid]))
    assert response.status_code == 302
    newest = Report.objects.exclude(pk=report.pk).get()
    assert newest.parameters == report.parameters and newest.status == "queued"


def test_the_verify_page_recognises_an_uploaded_report_and_a_stranger(
    world: Any, client_for: Any, render: Any
) -> None:
    report = render("executive-summary")
    with report.file.open("rb") as handle:
        data = handle.read()
    client = client_for(Role.AUDITOR)
    page = client.post(
        reverse("reports:verify"), {"file": SimpleUploadedFile("r.pdf", data)}
    ).content.decode()
    assert "RiskHub produced this report and its signature is intact." in page
    assert world.officer.email in page and report.title in page
    by_hash = client.post(
        reverse("reports:verify"), {"sha256": report.sha256.upper()}
    ).content.decode()
    assert "signature is intact" in by_hash
    stranger = client.post(
        reverse("reports:verify"), {"file": SimpleUploadedFile("x.pdf", data + b"\n")}
    ).content.decode()
    assert "no record" in stranger and "appended" in stranger


# --- API ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_201_with_the_queued_report(
    world: Any,
    client_for: Any,
    role: Role,
    enqueued: list[int],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = client_for(role)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("api:report-list"),
            {"kind": "framework-compliance", "framework": "eu-ai-act", "as_of": "2026-01-31"},
            content_type="application/json",
        )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0 and body["download_url"] is None
    assert body["parameters"] == {"framework": "eu-ai-act", "as_of": "2026-01-31"}
    assert enqueued == [Report.objects.get(uuid=body["id"]).pk]


def test_the_api_reports_status_checksum_pages_and_a_download_url(
    world: Any, client_for: Any, render: Any
) -> None:
    report = render("risk-register")
    client = client_for(Role.AUDITOR)
    body = client.get(reverse("api:report-detail", args=[report.uuid])).json()
    assert body["status"] == "succeeded" and body["progress"] == 100
    assert body["sha256"] == report.sha256 and body["pages"] == report.pages
    download = client.get(body["download_url"])
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == report.sha256


def test_the_api_refuses_a_bad_request_in_the_one_error_shape(world: Any, client_for: Any) -> None:
    client = client_for(Role.AUDITOR)
    response = client.post(
        reverse("api:report-list"), {"kind": "system-dossier"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "system" in response.content.decode()


def test_the_api_verifies_by_hash_and_by_upload(world: Any, client_for: Any, render: Any) -> None:
    report = render("risk-register")
    client = client_for(Role.EXECUTIVE)
    body = client.post(
        reverse("api:report-verify"), {"sha256": report.sha256}, content_type="application/json"
    ).json()
    assert body["produced_by_riskhub"] is True
    assert (
        body["report"]["id"] == str(report.uuid)
        and body["report"]["requested_by"] == world.officer.email
    )
    assert body["signature"]["valid"] is True
    with report.file.open("rb") as handle:
        upload = SimpleUploadedFile("r.pdf", handle.read(), content_type="application/pdf")
    body = client.post(reverse("api:report-verify"), {"file": upload}).json()
    assert body["produced_by_riskhub"] and body["signature"]["intact"]
    unknown = client.post(
        reverse("api:report-verify"), {"sha256": "0" * 64}, content_type="application/json"
    ).json()
    assert unknown["produced_by_riskhub"] is False
    bad = client.post(
        reverse("api:report-verify"), {"sha256": "xyz"}, content_type="application/json"
    )
    assert bad.status_code == 400
