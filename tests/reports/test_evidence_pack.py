"""What every report kind carries as evidence (issue 14): the scope statement, the
period and the changes since the previous report, the full exceptions register, the
evidence references, the risk register rows and the sign-off, read from the real PDF;
every request parameter checked when the report is requested."""

from __future__ import annotations

import datetime as dt
import io
import os
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from riskhub.accounts.policy import OBJECT_RULES, Role
from riskhub.audit.labels import action_label
from riskhub.audit.models import AuditEvent
from riskhub.compliance.models import ControlImplementation, Evidence
from riskhub.inventory import services as inventory
from riskhub.reports import services, signing, verification
from riskhub.reports.kinds.common import read_embedded
from riskhub.reports.models import Report
from riskhub.risk.models import Risk, RiskAcceptance, Threat
from tests.reports.test_rendering import KINDS, _data, _open, _params, _text

FULL_SHA = "ab" * 32


def _as(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _keep(report: Report, name: str) -> None:
    """RISKHUB_KEEP_PDFS=<folder> keeps the rendered PDFs to look at (pdftoppm)."""
    folder = os.environ.get("RISKHUB_KEEP_PDFS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        with default_storage.open(report.file.name, "rb") as src:
            (Path(folder) / f"{name}.pdf").write_bytes(src.read())


@pytest.fixture
def pack(world: Any) -> dict[str, Any]:
    """The world plus one exception of each kind: an overdue treatment, an expired
    acceptance, expired and expiring evidence (one a file with its checksum), a threat
    with its ATLAS and OWASP ids on the accepted risk, and an archived system."""
    today = timezone.localdate()
    threat = Threat.objects.exclude(atlas=[]).exclude(owasp_llm=[]).order_by("code").first()
    assert threat is not None
    accepted = world.assessment.risks.get(title="Training data poisoning")
    Risk.objects.filter(pk=accepted.pk).update(threat=threat, existing_controls="Data signing")
    biased = world.assessment.risks.get(title="Biased ranking of candidates")
    Risk.objects.filter(pk=biased.pk).update(due_date=today - dt.timedelta(days=3))
    lapsed = Risk.objects.create(
        assessment=world.assessment,
        position=2,
        title="Model drift unnoticed",
        inherent_impact=3,
        inherent_likelihood=3,
        residual_impact=2,
        residual_likelihood=2,
        inherent_score=9,
        inherent_band="medium",
        residual_score=4,
        residual_band="low",
        residual_rank=1,
        residual_ratio=0.16,
        treatment="accept",
        owner=world.officer,
        due_date=today + dt.timedelta(days=60),
    )
    RiskAcceptance.objects.create(
        risk=lapsed,
        approved_by=world.executive,
        rationale="Drift reviewed quarterly.",
        expires_on=today - dt.timedelta(days=2),
        expired_at=timezone.now(),
    )
    implementation = ControlImplementation.objects.get(control__code="CTL-RISK-MGMT")
    Evidence.objects.create(
        implementation=implementation,
        kind="file",
        file="evidence/risk-policy.pdf",
        original_name="risk-policy.pdf",
        description="Signed risk policy",
        sha256=FULL_SHA,
        uploaded_by=world.officer,
        valid_until=today - dt.timedelta(days=1),
    )
    Evidence.objects.create(
        implementation=implementation,
        kind="url",
        url="https://wiki.example.com/monitoring",
        description="Monitoring runbook",
        uploaded_by=world.officer,
        valid_until=today + dt.timedelta(days=10),
    )
    retired = inventory.asset_create(
        actor=world.officer,
        kind="system",
        name="Retired Chatbot",
        intended_purpose="Answer HR questions.",
        business_unit=world.system.business_unit,
    )
    inventory.asset_archive(actor=world.officer, asset=retired)
    return {"threat": threat, "lapsed": lapsed, "accepted": accepted}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_carries_scope_exceptions_evidence_and_sign_off(
    kind: str, world: Any, pack: dict[str, Any], render: Any
) -> None:
    report = render(kind, **_params(kind, world))
    assert report.status == Report.Status.SUCCEEDED, report.error
    _keep(report, kind)
    _, reader = _open(report)
    text = _text(reader)
    data = _data(reader)

    # Scope statement: what is in, what is excluded and why.
    assert "A. Scope and period" in text and "Scope requested" in text
    assert "Period covered" in text
    if kind != "system-dossier":  # the dossier's scope is the system's lineage
        assert "Retired Chatbot" in text and "archived assets are retired" in text
        (archived,) = [x for x in data["scope_statement"]["excluded"] if x["reason"] == "archived"]
        assert archived["names"] == ["Retired Chatbot"]

    # The exceptions register, complete: every open obligation of the system named,
    # far beyond the four the framework report used to print before "+29".
    assert "B. Exceptions register" in text
    gaps = [x for x in data["exceptions"] if x["type"] == "gap" and x["asset"] == "Hiring Screener"]
    assert gaps
    refs = [r for x in gaps for r in x["subject"].split(": ", 1)[1].split(", ")]
    assert len(refs) > 5
    for ref in refs:
        assert ref in text, ref
    assert "+29" not in text and "...+" not in text
    types = {x["type"] for x in data["exceptions"]}
    assert {"evidence_expired", "evidence_expiring", "treatment_overdue"} <= types
    assert "acceptance_expired" in types
    for label in ("Evidence expired", "Evidence expiring", "Treatment overdue"):
        assert label in text
    assert "Risk acceptance expired" in text
    overdue = next(x for x in data["exceptions"] if x["type"] == "treatment_overdue")
    assert overdue["subject"] == "Biased ranking of candidates"
    assert (
        overdue["owner"]
        and overdue["due"] == (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    )
    if kind == "framework-compliance":
        assert {x["ref"] for x in data["exceptions"] if x["type"] in ("gap", "partial")} == {
            "eu-ai-act"
        }

    # Evidence references: the same columns and statuses in every kind.
    assert "C. Evidence references" in text
    assert "risk-policy.pdf" in text and FULL_SHA[:12] in text and FULL_SHA not in text
    policy = next(e for e in data["evidence"] if e["file_name"] == "risk-policy.pdf")
    assert policy["sha256"] == FULL_SHA and policy["status"] == "expired"
    assert policy["uploaded_by"] == (world.officer.full_name or world.officer.email)
    assert {e["status"] for e in data["evidence"]} == {"valid", "expiring", "expired"}
    for status in ("Valid", "Expiring", "Expired"):
        assert status in text

    # Sign-off: prepared, not yet approved; the method explains approval.
    assert "Prepared by" in text and "Reviewed and approved by" in text
    assert "Not yet approved" in text
    assert "Approval: a report is generated as the prepared issue" in text


@pytest.mark.parametrize("kind", ["risk-register", "system-dossier"])
def test_register_rows_carry_ids_scores_threat_ids_and_the_acceptance(
    kind: str, world: Any, pack: dict[str, Any], render: Any
) -> None:
    report = render(kind, **_params(kind, world))
    _, reader = _open(report)
    text = _text(reader)
    data = _data(reader)
    accepted = next(r for r in data["risks"] if r["title"] == "Training data poisoning")
    assert accepted["ref"] == f"A{world.assessment.pk}-R02"
    assert accepted["decision"] == "Accepted"
    assert accepted["ref"] in text
    assert "Low residual; monitored monthly." in text
    assert world.executive.full_name or world.executive.email in text
    threat = pack["threat"]
    assert accepted["atlas"] == threat.atlas and accepted["owasp_llm"] == threat.owasp_llm
    assert threat.atlas[0] in text and threat.owasp_llm[0] in text
    # Inherent likelihood x impact and band: 3 x 4 = 12 for the accepted risk.
    assert "3 × 4 = 12" in text
    assert accepted["controls"] == "Data signing" and "Data signing" in text
    # The formally accepted risk does not read "Mitigate" as its treatment.
    row = text[text.index(accepted["ref"]) :][:400]
    assert "Accepted" in row and "Mitigate" not in row
    lapsed = next(r for r in data["risks"] if r["title"] == "Model drift unnoticed")
    assert lapsed["acceptance"] is None and lapsed["expired_acceptance"]["rationale"]


def test_the_changes_since_the_previous_report_of_the_same_kind_and_scope(
    world: Any, pack: dict[str, Any], render: Any
) -> None:
    first = render("risk-register")
    assert _data(_open(first)[1])["period"]["previous"] is None
    Risk.objects.filter(title="Biased ranking of candidates").update(
        due_date=timezone.localdate() + dt.timedelta(days=10)
    )
    second = render("risk-register")
    _, reader = _open(second)
    previous = _data(reader)["period"]["previous"]
    assert previous["report"] == str(first.uuid) and previous["comparable"]
    assert [x["subject"] for x in previous["resolved_exceptions"]] == [
        "Biased ranking of candidates"
    ]
    assert previous["new_exceptions"] == []
    text = _text(reader)
    assert "Changes since the previous report" in text and "Resolved" in text
    # Another scope is not "the previous report".
    other = render("risk-register", business_unit=str(world.system.business_unit.uuid))
    assert _data(_open(other)[1])["period"]["previous"] is None


def test_two_reports_of_the_same_moment_compare_with_each_other(
    world: Any, pack: dict[str, Any], render: Any
) -> None:
    # The as-of stamp is kept to the second: a report requested again for the same
    # moment (or within the same second) still finds the first one as its previous.
    day = timezone.localdate().isoformat()
    first = render("risk-register", as_of=day)
    second = render("risk-register", as_of=day)
    previous = _data(_open(second)[1])["period"]["previous"]
    assert previous["report"] == str(first.uuid)
    assert previous["new_exceptions"] == [] and previous["resolved_exceptions"] == []


def test_a_report_before_the_first_record_says_there_is_no_data_before_it(
    world: Any, render: Any
) -> None:
    report = render("risk-register", as_of="2020-01-01")
    _, reader = _open(report)
    first = timezone.localtime(world.system.created_at).date().isoformat()
    assert _data(reader)["period"]["no_data_before"] == first
    assert f"No data before {first}" in _text(reader)


# --- sign-off ---------------------------------------------------------------------------


def test_an_executive_approves_a_report_and_it_is_re_issued_with_the_sign_off(
    world: Any, render: Any, client_for: Any
) -> None:
    report = render("risk-register")
    prepared = report.sha256
    prepared_data = read_embedded(report.file.name)

    response = _as(world.executive).post(
        f"/api/v1/reports/{report.uuid}/approve/", content_type="application/json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["approved_by"] == world.executive.email and body["prepared_sha256"] == prepared
    report.refresh_from_db()
    assert report.sha256 != prepared and report.prepared_sha256 == prepared
    assert report.approved_by == world.executive and report.approved_at
    _keep(report, "risk-register-approved")
    raw, reader = _open(report)
    text = _text(reader)
    approver = world.executive.full_name or world.executive.email
    assert f"Reviewed and approved by {approver}" in text
    assert "Approved issue" in text
    assert prepared in text.replace(" ", "")  # a long checksum wraps over lines
    # The same data, embedded again; the signature of the new issue validates.
    assert _data(reader) == prepared_data
    assert signing.check_signature(raw).valid
    # The prepared issue stays on record and is still recognised.
    with default_storage.open(report.prepared_file.name, "rb") as handle:
        assert "Not yet approved" in _text(PdfReader(io.BytesIO(handle.read())))
    assert verification.verify_digest(prepared).known
    # Audited, with a readable label.
    event = AuditEvent.objects.get(action="report.approved", object_id=str(report.uuid))
    assert event.actor_id == world.executive.pk
    assert event.after["prepared_sha256"] == prepared and event.after["sha256"] == report.sha256
    assert action_label("report.approved") != "report.approved"
    # Once approved, it stays approved by the first approver.
    again = client_for(Role.ADMIN).post(
        f"/api/v1/reports/{report.uuid}/approve/", content_type="application/json"
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid"


def test_nobody_approves_a_report_they_requested_not_even_an_admin(
    world: Any, make_user: Any, client_for: Any
) -> None:
    admin = make_user(Role.ADMIN)
    report = services.report_request(actor=admin, kind="risk-register", parameters={})
    services.run(report.pk)
    report.refresh_from_db()

    response = _as(admin).post(
        f"/api/v1/reports/{report.uuid}/approve/", content_type="application/json"
    )

    assert response.status_code == 403
    assert "segregation of duties" in response.json()["error"]["message"]
    report.refresh_from_db()
    assert report.approved_at is None and not report.prepared_sha256
    assert not AuditEvent.objects.filter(action="report.approved").exists()
    # The page offers the button to another approver only.
    page = _as(admin).get(reverse("reports:detail", args=[report.uuid]))
    assert reverse("reports:approve", args=[report.uuid]) not in page.content.decode()
    page = _as(world.executive).get(reverse("reports:detail", args=[report.uuid]))
    assert reverse("reports:approve", args=[report.uuid]) in page.content.decode()


def test_approval_through_the_page_and_a_refusal_for_an_officer(
    world: Any, render: Any, client_for: Any, make_user: Any
) -> None:
    report = render("executive-summary")
    officer = make_user(Role.RISK_OFFICER)
    url = reverse("reports:approve", args=[report.uuid])
    assert _as(officer).post(url).status_code == 403
    response = _as(world.executive).post(url)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.approved_by == world.executive
    page = _as(world.officer).get(reverse("reports:detail", args=[report.uuid]))
    assert report.prepared_sha256 in page.content.decode()


def test_a_report_not_yet_generated_cannot_be_approved(world: Any, client_for: Any) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    response = _as(world.executive).post(
        f"/api/v1/reports/{report.uuid}/approve/", content_type="application/json"
    )
    assert response.status_code == 400
    report.refresh_from_db()
    assert report.approved_at is None


def test_retention_deletes_the_prepared_issue_too(
    world: Any, render: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = render("risk-register")
    services.report_approve(actor=world.executive, report=report)
    report.refresh_from_db()
    names = [report.file.name, report.prepared_file.name]
    assert all(default_storage.exists(n) for n in names)
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_expired(now=timezone.now() + dt.timedelta(days=10_000))
    report.refresh_from_db()
    assert not report.file and not report.prepared_file
    assert not any(default_storage.exists(n) for n in names)


# --- parameters checked when the report is requested ------------------------------------


def _bad_parameters(world: Any) -> list[tuple[dict[str, Any], str]]:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    missing = "00000000-0000-0000-0000-000000000001"
    return [
        ({"kind": "risk-register", "business_unit": missing}, "business_unit"),
        ({"kind": "executive-summary", "framework": "gdpr"}, "framework"),
        ({"kind": "system-dossier", "system": str(world.model.uuid)}, "system"),
        ({"kind": "system-dossier", "system": missing}, "system"),
        ({"kind": "system-dossier"}, "system"),
        ({"kind": "framework-compliance"}, "framework"),
        ({"kind": "risk-register", "as_of": tomorrow}, "as_of"),
        ({"kind": "risk-register", "as_of": "1999-12-31"}, "as_of"),
        ({"kind": "risk-register", "assets": [missing]}, "assets"),
        ({"kind": "risk-register", "system": str(world.dataset.uuid)}, "system"),
    ]


BAD_CASES = 10


@pytest.mark.parametrize("case", range(BAD_CASES))
def test_each_bad_parameter_is_a_400_in_the_error_shape_and_nothing_is_queued(
    case: int, world: Any, client_for: Any, enqueued: list[int]
) -> None:
    cases = _bad_parameters(world)
    assert len(cases) == BAD_CASES
    body, field = cases[case]
    before = Report.objects.count()

    response = _as(world.officer).post("/api/v1/reports/", body, content_type="application/json")

    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid" and field in error["fields"], error
    assert Report.objects.count() == before and enqueued == []


def test_an_archived_system_is_refused_for_the_present_and_its_dossier_is_exact(
    world: Any, client_for: Any
) -> None:
    inventory.asset_archive(actor=world.officer, asset=world.system)
    response = _as(world.officer).post(
        "/api/v1/reports/",
        {"kind": "system-dossier", "system": str(world.system.uuid)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "archived" in response.json()["error"]["fields"]["system"][0]


def test_the_scope_is_printed_exactly_as_requested(world: Any, render: Any) -> None:
    unit = world.system.business_unit
    report = render("executive-summary", business_unit=str(unit.uuid))
    _, reader = _open(report)
    data = _data(reader)
    assert data["scope"]["description"] == f"business unit {unit.name}"
    assert data["scope"]["assets"] == 3
    assert f"Business unit {unit.name}" in _text(reader)
    assert "framework" not in data["parameters"]


def test_the_request_form_shows_the_error_next_to_the_field(
    world: Any, client_for: Any, enqueued: list[int]
) -> None:
    response = _as(world.officer).post(
        reverse("reports:request"), {"kind": "risk-register", "framework": "gdpr"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="id_framework_error"' in page and "leave the framework empty" in page
    response = _as(world.officer).post(
        reverse("reports:request"),
        {"kind": "system-dossier", "system": str(world.system.uuid), "as_of": "2999-01-01"},
    )
    assert response.status_code == 400 and 'id="id_as_of_error"' in response.content.decode()
    assert enqueued == []


# rule -> whether the actor requested the report (tests/test_object_rules.py reads this)
APPROVAL_RULES: dict[str, bool] = {"report.approve_own": True, "report.approve_others": False}


@pytest.mark.parametrize("rule", sorted(APPROVAL_RULES))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_report_approval_follows_the_object_rules(rule: str, role: Role, make_user: Any) -> None:
    actor = make_user(role)
    requester = actor if APPROVAL_RULES[rule] else make_user(Role.RISK_OFFICER)
    report = services.report_request(actor=requester, kind="risk-register", parameters={})
    services.run(report.pk)
    report.refresh_from_db()
    prepared = report.sha256

    response = _as(actor).post(
        f"/api/v1/reports/{report.uuid}/approve/", content_type="application/json"
    )

    report.refresh_from_db()
    events = AuditEvent.objects.filter(action="report.approved", object_id=str(report.uuid))
    if role in OBJECT_RULES[rule]:
        assert response.status_code == 200, f"{rule} as {role}: {response.content!r}"
        assert report.approved_by == actor and report.prepared_sha256 == prepared
        assert [e.actor_id for e in events] == [actor.pk]
    else:
        assert response.status_code == 403, f"{rule} as {role}"
        assert report.approved_at is None and report.sha256 == prepared
        assert not events.exists()


def test_two_approvers_at_once_one_issue_wins_and_the_other_file_is_removed(
    world: Any, render: Any, make_user: Any
) -> None:
    report = render("risk-register")
    stale = Report.objects.get(pk=report.pk)  # the second approver's page, read before
    services.report_approve(actor=world.executive, report=report)
    files_before = sorted(p.name for p in Path(default_storage.location).rglob("*.pdf"))

    with pytest.raises(ValidationError, match="meanwhile"):
        services.report_approve(actor=make_user(Role.ADMIN), report=stale)

    report.refresh_from_db()
    assert report.approved_by == world.executive
    assert sorted(p.name for p in Path(default_storage.location).rglob("*.pdf")) == files_before
    assert AuditEvent.objects.filter(action="report.approved").count() == 1


def test_the_owner_of_a_schedule_does_not_approve_its_reports(world: Any, make_user: Any) -> None:
    owner = make_user(Role.EXECUTIVE)
    schedule = services.schedule_create(
        actor=owner,
        name="Board register",
        kind="risk-register",
        parameters={},
        cadence="monthly",
        recipient_roles=[Role.EXECUTIVE],
    )
    report = services.report_request(
        actor=None, kind="risk-register", parameters={}, schedule=schedule
    )
    services.run(report.pk)
    report.refresh_from_db()

    with pytest.raises(PermissionDenied):
        services.report_approve(actor=owner, report=report)
    approved = services.report_approve(actor=world.executive, report=report)
    assert approved.approved_by == world.executive
