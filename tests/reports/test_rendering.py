"""Every report kind renders to a signed PDF/A-3b that carries its data as JSON."""

from __future__ import annotations

import io
import json
import re
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from pypdf import PdfReader

from riskhub.compliance.models import RequirementStatus
from riskhub.inventory import services as inventory
from riskhub.reports import pdf, signing
from riskhub.reports.kinds import LISTINGS
from riskhub.reports.models import Report
from riskhub.risk.models import Risk
from tests.support import pdf_page_texts, pdf_text

KINDS = ["framework-compliance", "system-dossier", "risk-register", "executive-summary"]


def _params(kind: str, world: Any) -> dict[str, Any]:
    if kind == "framework-compliance":
        return {"framework": "eu-ai-act"}
    if kind == "system-dossier":
        return {"system": str(world.system.uuid)}
    return {}


def _open(report: Report) -> tuple[bytes, PdfReader]:
    with default_storage.open(report.file.name, "rb") as handle:
        data = handle.read()
    return data, PdfReader(io.BytesIO(data))


def _text(reader: PdfReader) -> str:
    return pdf_text(reader)


def _data(reader: PdfReader) -> dict[str, Any]:
    attachments = reader.attachments
    listing = LISTINGS.get(json.loads(attachments[pdf.DATA_ATTACHMENT][0])["kind"])
    assert sorted(attachments) == sorted(
        [pdf.DATA_ATTACHMENT, *([listing.csv_name] if listing else [])]
    )
    return json.loads(attachments[pdf.DATA_ATTACHMENT][0])


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_signed_pdfa_with_its_data_embedded(
    kind: str, world: Any, render: Any
) -> None:
    report = render(kind, **_params(kind, world))

    assert report.status == Report.Status.SUCCEEDED, report.error
    assert report.progress == 100 and report.pages and report.pages >= 3
    raw, reader = _open(report)
    assert len(raw) == report.size
    import hashlib

    assert hashlib.sha256(raw).hexdigest() == report.sha256
    text = _text(reader)
    assert (
        "CV Ranker" if kind in ("risk-register", "executive-summary") else "Hiring Screener"
    ) in text
    assert f"Page 1 of {report.pages}" in text
    assert str(report.uuid) in text
    # PDF/A-3b declared in the XMP metadata.
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(=\"|>)3", xmp), xmp[:500]
    assert re.search(r"pdfaid:conformance(=\"|>)B", xmp), xmp[:500]
    meta = reader.metadata
    assert meta.title == _data(reader)["title"]
    assert "RiskHub" in (meta.author or "")
    assert "as of" in (meta.subject or "")
    assert meta.creation_date is not None
    # The embedded JSON is the report's data; its checksum is on record.
    payload = reader.attachments[pdf.DATA_ATTACHMENT][0]
    assert hashlib.sha256(payload).hexdigest() == report.data_sha256
    assert _data(reader)["kind"] == kind
    # The PAdES signature validates with pyHanko under this deployment's certificate.
    check = signing.check_signature(raw)
    assert check.valid, check.message


def test_the_executive_summary_stays_within_four_pages(world: Any, render: Any) -> None:
    """The summary itself fits in four pages; the parts every report carries (scope,
    the complete exceptions register, evidence, sign-off) follow it as appendices."""
    report = render("executive-summary")
    _, reader = _open(report)
    pages = pdf_page_texts(reader)
    appendix = next(i for i, text in enumerate(pages) if "A. Scope and period\n" in text)
    assert 2 <= appendix + 1 <= 4
    assert any("Top" in text and "risks" in text for text in pages[: appendix + 1])


def test_the_compliance_report_cites_articles_and_its_json_equals_the_stored_coverage(
    world: Any, render: Any
) -> None:
    report = render("framework-compliance", framework="eu-ai-act")
    _, reader = _open(report)
    text = _text(reader)
    assert "Art. 9" in text and "Annex IV" in text, text[text.find("2. Applicable") :][:1500]
    assert "CTL-RISK-MGMT" in text  # the evidence list
    data = _data(reader)
    names = {a["name"] for a in data["assets"]}
    assert names == {"Hiring Screener", "CV Ranker", "Applicant CVs", "Weather Forecaster"}
    # Recomputed for the report, the obligations equal what the compliance app stored.
    stored = {
        (str(s.asset.uuid), s.requirement.ref, s.status)
        for s in RequirementStatus.objects.filter(framework__slug="eu-ai-act").select_related(
            "asset", "requirement"
        )
    }
    embedded = {
        (row["asset"], o["ref"], o["status"]) for row in data["detail"] for o in row["obligations"]
    }
    assert embedded == stored
    art9 = next(
        o
        for row in data["detail"]
        if row["asset"] == str(world.system.uuid)
        for o in row["obligations"]
        if o["ref"] == "Art. 9"
    )
    assert art9["status"] == "met"
    assert data["totals"]["applicable"] == len(stored)


def test_the_risk_register_json_equals_the_current_assessments(world: Any, render: Any) -> None:
    report = render("risk-register")
    _, reader = _open(report)
    data = _data(reader)
    current = Risk.objects.filter(assessment__is_current=True)
    assert {(r["title"], r["residual"]["band"], r["status"]) for r in data["risks"]} == {
        (r.title, r.residual_band, r.status) for r in current
    }
    accepted = next(r for r in data["risks"] if r["title"] == "Training data poisoning")
    assert accepted["acceptance"]["rationale"] == "Low residual; monitored monthly."
    # The heatmaps count open risks, as the dashboard's do; accepted ones are apart.
    assert sum(m["total"] for m in data["heatmaps"]) == current.filter(status="open").count()
    assert data["totals"]["accepted"] == current.filter(status="accepted").count() == 1
    assert "Biased ranking of candidates" in _text(reader)


def test_the_dossier_follows_annex_iv_and_holds_the_lineage(world: Any, render: Any) -> None:
    report = render("system-dossier", system=str(world.system.uuid))
    _, reader = _open(report)
    text = _text(reader)
    for heading in ("General description", "Risk management system (Art. 9)", "Post-market"):
        assert heading in text
    assert "CV Ranker" in text and "Applicant CVs" in text
    assert "Weather Forecaster" not in text  # outside the system's lineage
    data = _data(reader)
    assert {c["name"] for c in data["components"]} == {"CV Ranker", "Applicant CVs"}


def test_a_report_as_of_a_past_moment_shows_that_moments_state(world: Any, render: Any) -> None:
    before = timezone.now()
    inventory.asset_update(
        actor=world.officer,
        asset=world.system,
        expected_version=world.system.version,
        name="Talent Screener",
    )
    inventory.asset_create(actor=world.officer, kind="dataset", name="Added Later")

    past = render("framework-compliance", framework="eu-ai-act", as_of=before.isoformat())
    now = render("framework-compliance", framework="eu-ai-act")

    _, old_reader = _open(past)
    old = _data(old_reader)
    assert old["historical"] is True
    names = {a["name"] for a in old["assets"]}
    assert "Hiring Screener" in names and "Talent Screener" not in names
    assert "Added Later" not in names
    assert "Hiring Screener" in _text(old_reader)
    current = {a["name"] for a in _data(_open(now)[1])["assets"]}
    assert {"Talent Screener", "Added Later"} <= current and "Hiring Screener" not in current


def test_a_report_as_of_a_date_before_the_assessment_has_no_risks(world: Any, render: Any) -> None:
    report = render("risk-register", as_of="2020-01-01")
    _, reader = _open(report)
    data = _data(reader)
    assert data["risks"] == [] and data["scope"]["assets"] == 0


def test_a_broken_template_fails_the_report_with_a_readable_message(
    world: Any, render: Any, settings: Any, tmp_path: Any
) -> None:
    folder = tmp_path / "templates" / "reports" / "pdf"
    folder.mkdir(parents=True)
    (folder / "risk-register.html").write_text("{% extends 'reports/pdf/base.html' %}{% if %}")
    settings.TEMPLATES = [
        {
            **settings.TEMPLATES[0],
            "DIRS": [str(tmp_path / "templates"), *settings.TEMPLATES[0]["DIRS"]],
        }
    ]

    report = render("risk-register")

    assert report.status == Report.Status.FAILED
    assert "template is broken" in report.error
    assert not report.file
    assert not list((tmp_path / "media").rglob("*.pdf"))


@pytest.mark.parametrize(
    "url",
    ["http://example.com/x.css", "https://169.254.169.254/latest/meta-data", "ftp://example.com/a"],
)
def test_the_url_fetcher_refuses_network_urls(url: str) -> None:
    with pytest.raises(pdf.RefusedURL):
        pdf.LocalStaticFetcher().fetch(url)


def test_the_url_fetcher_serves_static_files_only(settings: Any) -> None:
    fetcher = pdf.LocalStaticFetcher()
    css = fetcher.fetch(pdf.static_base_url() + "css/report-pdf.css")
    assert b"@page" in css.read()
    with pytest.raises(pdf.RefusedURL):
        fetcher.fetch("file:///etc/passwd")


def test_a_network_image_in_the_html_is_not_fetched() -> None:
    from riskhub.reports.pdf import render_pdf

    calls: list[str] = []

    class Spy(pdf.LocalStaticFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            calls.append(url)
            return super().fetch(url, headers)

    original = pdf.LocalStaticFetcher
    pdf.LocalStaticFetcher = Spy  # type: ignore[misc]
    try:
        data, pages = render_pdf(
            "<html><head><title>x</title></head><body><img src='http://127.0.0.1:9/x.png'>x</body></html>",
            data_json=b"{}",
        )
    finally:
        pdf.LocalStaticFetcher = original  # type: ignore[misc]
    assert pages == 1 and data.startswith(b"%PDF")
    assert "http://127.0.0.1:9/x.png" in calls  # asked, and refused (the PDF still renders)


def test_a_tampered_pdf_fails_signature_validation(world: Any, render: Any) -> None:
    report = render("executive-summary")
    raw, _ = _open(report)
    index = raw.index(b"Executive summary")
    tampered = raw[:index] + b"Executive summarx" + raw[index + 17 :]
    check = signing.check_signature(tampered)
    assert not check.valid and not check.intact
