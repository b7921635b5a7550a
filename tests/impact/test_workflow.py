"""The integrated impact assessment's life: start with known facts filled in, drafts
saved with optimistic locking, submit with the required questions of the applicable
laws, review with segregation of duties, approval filed as evidence that closes the
gaps of AI Act Art 27, GDPR Art 35 and 11 CCR 7150-7157 (coverage.py decides)."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from riskhub.audit.labels import action_label
from riskhub.audit.models import AuditEvent
from riskhub.common.updates import EditConflict
from riskhub.compliance.models import ControlImplementation, RequirementStatus
from riskhub.impact import services
from riskhub.impact.models import ImpactAssessment
from riskhub.reports.signing import check_signature
from tests.support import pdf_page_texts

from .conftest import CREDIT_SCORING, GDPR_ONLY

pytestmark = pytest.mark.django_db

ANSWERS = {
    "purpose": "Score consumer credit applications for personal loans.",
    "process": "Underwriters see the score beside the application and decide.",
    "provider_information": "yes",
    "period": "From January 2027 for at least three years",
    "frequency": "Every application, about 400 a day",
    "categories": "Identity, income, credit history",
    "sensitive": "no",
    "minimum_necessary": "Only the fields the scorecard uses are collected.",
    "collection": "From the applicant's form and the credit bureau",
    "retention": "Seven years after the loan ends",
    "recipients": "The credit bureau; the regulator on request",
    "legal_basis": "contract",
    "necessity": "Scoring is needed to lend responsibly; no less intrusive means.",
    "persons": "Loan applicants",
    "vulnerable": "Applicants in financial difficulty",
    "harms": "Unfair refusal; indirect discrimination by postcode",
    "inherent_level": "high",
    "benefits": "Faster decisions; consistent treatment",
    "oversight": "An underwriter reviews every refusal and can overturn it",
    "safeguards": "Bias testing each quarter; postcode removed as a feature",
    "governance": "Model risk committee signs off changes",
    "complaints": "Applicants can ask for a human review by email or phone",
    "contributors": "Credit risk lead; DPO; underwriting manager",
    "residual_level": "medium",
    "decision": "proceed with changes",
    "review_triggers": "New features, new data sources, a rise in complaints",
}


def required_keys(item: ImpactAssessment, laws: set[str]) -> set[str]:
    return {f.key for s in item.template.parsed.sections_for(laws) for f in s.fields if f.required}


def fill(officer: Any, item: ImpactAssessment, **override: str) -> ImpactAssessment:
    return services.assessment_save(
        actor=officer,
        assessment=item,
        expected_version=item.version,
        answers={**ANSWERS, **override},
    )


def test_start_fills_in_what_the_register_knows(system_with, officer) -> None:  # type: ignore[no-untyped-def]
    system = system_with(
        CREDIT_SCORING,
        intended_purpose="Credit scoring of loan applicants",
        deployment_context="Retail lending",
        affected_persons="Applicants for personal loans",
    )
    item = services.assessment_start(actor=officer, asset=system)
    assert item.answers["purpose"] == "Credit scoring of loan applicants"
    assert item.answers["process"] == "Retail lending"
    assert item.answers["persons"] == "Applicants for personal loans"
    assert item.status == "draft" and item.version == 1
    with pytest.raises(ValidationError, match="already has an impact assessment"):
        services.assessment_start(actor=officer, asset=system)


def test_a_stale_save_is_refused_and_writes_nothing(system_with, officer, make_user) -> None:  # type: ignore[no-untyped-def]
    system = system_with(CREDIT_SCORING)
    other = make_user(email="other-officer@example.com")
    item = services.assessment_start(actor=officer, asset=system)
    loaded_version = item.version
    services.assessment_save(
        actor=other, assessment=item, expected_version=loaded_version, answers={"period": "A"}
    )
    with pytest.raises(EditConflict) as conflict:
        services.assessment_save(
            actor=officer,
            assessment=item,
            expected_version=loaded_version,
            answers={"period": "B"},
        )
    assert "(now version 2) while you were editing version 1" in str(conflict.value)
    item.refresh_from_db()
    assert item.answers == {"period": "A"} and item.version == loaded_version + 1


def test_unknown_questions_and_bad_choices_are_refused_beside_the_field(
    system_with, officer
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(CREDIT_SCORING))
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            actor=officer,
            assessment=item,
            expected_version=item.version,
            answers={"nope": "x", "decision": "maybe", "msa_notified": "tomorrow"},
        )
    assert set(error.value.message_dict) == {"nope", "decision", "msa_notified"}
    item.refresh_from_db()
    assert item.version == 1


def test_submit_asks_for_every_required_question_of_the_applicable_laws(
    system_with, officer
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(GDPR_ONLY))
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=officer, assessment=item)
    missing = set(error.value.message_dict)
    assert missing == required_keys(item, {"gdpr"}) - set(item.answers)
    # The AI Act's own questions are not asked when only the GDPR applies ...
    assert not {"period", "oversight", "governance", "complaints"} & missing
    # ... nor the CPPA's benefits.
    assert "benefits" not in missing
    assert {"legal_basis", "necessity", "harms", "safeguards"} <= missing


def test_contributors_cannot_approve_or_return_only_another_reviewer_can(
    system_with, officer, executive, admin_user, make_user
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=admin_user, asset=system_with(CREDIT_SCORING))
    item = fill(officer, item)
    item = services.assessment_submit(actor=officer, assessment=item)
    # The admin started it, so may not review it (segregation of duties) ...
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_approve(actor=admin_user, assessment=item)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_return(actor=admin_user, assessment=item, comments="Fix it")
    # ... a risk officer's role may not review at all ...
    with pytest.raises(PermissionDenied):
        services.assessment_approve(actor=officer, assessment=item)
    # ... an executive who did not contribute may.
    services.assessment_return(actor=executive, assessment=item, comments="Name the MSA.")
    item.refresh_from_db()
    assert item.status == "returned" and item.is_editable
    # An executive who edits the returned draft (only officers and admins may) ...
    with pytest.raises(PermissionDenied):
        fill(executive, item)


def test_approval_files_the_pdf_as_evidence_and_closes_the_three_laws_gaps(
    system_with, officer, executive, media
) -> None:  # type: ignore[no-untyped-def]
    system = system_with(CREDIT_SCORING, name="Loan scorer")
    anchors = {("eu-ai-act", "Art. 27"), ("gdpr", "Art. 35"), ("ccpa", "11 CCR 7152")}

    def statuses() -> dict[tuple[str, str], str]:
        return {
            (s.framework.slug, s.requirement.ref): s.status
            for s in RequirementStatus.objects.filter(asset=system).select_related(
                "framework", "requirement"
            )
        }

    before = statuses()
    assert {before[key] for key in anchors} == {"gap"}
    item = services.assessment_start(actor=officer, asset=system)
    item = fill(officer, item)
    item = services.assessment_submit(actor=officer, assessment=item)
    assert item.laws == ["eu-ai-act", "gdpr", "ccpa"]
    today = dt.date(2027, 3, 1)
    item = services.assessment_approve(
        actor=executive, assessment=item, comments="Approved.", today=today
    )
    assert item.status == "approved"
    assert item.valid_until == dt.date(2030, 3, 1)  # three years (11 CCR 7155)
    evidence = item.evidence
    assert evidence is not None and evidence.valid_until == item.valid_until
    assert len(evidence.sha256) == 64 and evidence.content_type == "application/pdf"
    implementation = evidence.implementation
    assert implementation.control.code == "CTL-IMPACT-INTEGRATED"
    assert (implementation.scope, implementation.asset_id) == ("system", system.pk)
    assert implementation.status == ControlImplementation.Status.IMPLEMENTED
    # The document says what was approved, by whom, against which provisions.
    with evidence.file.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == evidence.sha256
    assert check_signature(data).valid
    text = "\n".join(pdf_page_texts(data))
    assert "Loan scorer" in text and "Art 27(1)(a)" in text and "11 CCR 7152" in text
    assert "Bias testing each quarter" in text and str(executive) in text
    after = statuses()
    for key in anchors | {("ccpa", "11 CCR 7150"), ("ccpa", "11 CCR 7155")}:
        assert after[key] == "met", key
    # Once approved it no longer changes.
    with pytest.raises(ValidationError, match="can no longer be edited"):
        fill(officer, item)


def test_every_step_is_in_the_audit_trail_with_a_label(
    system_with, officer, executive, media
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(CREDIT_SCORING))
    item = fill(officer, item)
    item = services.assessment_submit(actor=officer, assessment=item)
    item = services.assessment_return(actor=executive, assessment=item, comments="More detail")
    item = fill(officer, item, harms="Unfair refusal; postcode proxies")
    item = services.assessment_submit(actor=officer, assessment=item)
    services.assessment_approve(actor=executive, assessment=item)
    events = list(
        AuditEvent.objects.filter(object_id=str(item.uuid))
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert events == [
        "impact_assessment.start",
        "impact_assessment.update",
        "impact_assessment.submit",
        "impact_assessment.return",
        "impact_assessment.update",
        "impact_assessment.submit",
        "impact_assessment.approve",
    ]
    assert all(action_label(code) != code for code in events)
    edit = AuditEvent.objects.filter(object_id=str(item.uuid), action="impact_assessment.update")
    last = edit.order_by("-id").first()
    assert last is not None and set(last.after) == {"answers.harms"}
