"""Every write of the impact assessment: validated, transactional, audited.

Drafts are saved with optimistic locking (riskhub.common.updates): a save names the
version it started from, and a stale one raises EditConflict with nothing written.
Review follows the risk assessments' segregation of duties: nobody who started, wrote
or submitted an assessment may approve or return it, whatever their role. Approval
renders the assessment as a PDF (the reports' WeasyPrint path, local files only) and
files it as evidence of the integrated-assessment control at the asset's scope, valid
for the catalog's period, so the coverage of the three laws counts it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import record_event
from riskhub.common.updates import guarded_update, lock_for_edit
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control, ControlImplementation, Evidence
from riskhub.impact import catalog, documents, selectors
from riskhub.impact.models import ImpactAssessment
from riskhub.inventory.models import Asset
from riskhub.risk.services import add_months

NOUN = "impact assessment"


def _subject(assessment: ImpactAssessment) -> dict[str, Any]:
    """What an audit event about the assessment names."""
    return {
        "object_type": "impact_assessment",
        "object_id": assessment.uuid,
        "object_repr": str(assessment),
    }


def clean_answers(template: catalog.Template, answers: Mapping[str, Any]) -> dict[str, str]:
    """The answers as stored, or ValidationError keyed by field (unknown fields too)."""
    fields = template.fields
    errors: dict[str, str] = {}
    cleaned: dict[str, str] = {}
    for key, value in answers.items():
        field = fields.get(key)
        if field is None:
            errors[key] = "There is no such question in this assessment."
            continue
        try:
            text = field.clean(value)
        except ValueError as exc:
            errors[key] = str(exc)
            continue
        if text:
            cleaned[key] = text
    if errors:
        raise ValidationError(errors)
    return cleaned


def missing_answers(
    template: catalog.Template, answers: Mapping[str, Any], laws: list[str]
) -> dict[str, str]:
    """Required questions left empty in the sections the applicable laws ask for."""
    return {
        field.key: "Answer this before submitting: "
        + ", ".join(section.law_names)
        + " asks for it."
        for section in template.sections_for(set(laws))
        for field in section.fields
        if field.required and not str(answers.get(field.key, "")).strip()
    }


def _answers_snapshot(assessment: ImpactAssessment) -> dict[str, Any]:
    """The audit trail's view: one entry per question, so a save records what changed."""
    return {f"answers.{key}": value for key, value in sorted((assessment.answers or {}).items())}


@transaction.atomic
def assessment_start(*, actor: User, asset: Asset) -> ImpactAssessment:
    require(actor, "compliance.edit")
    row = selectors.current_template()
    if row is None:
        raise ValidationError("The impact assessment catalog is not loaded: run load_catalogs.")
    if asset.is_archived:
        raise ValidationError("The asset is archived.")
    Asset.objects.select_for_update().filter(pk=asset.pk).first()  # one start at a time
    if selectors.open_for(asset) is not None:
        raise ValidationError(
            "This asset already has an impact assessment in progress: continue that one."
        )
    assessment = ImpactAssessment.objects.create(
        asset=asset,
        template=row,
        answers=selectors.prefill(asset, row.parsed),
        created_by=actor,
        updated_by=actor,
    )
    assessment.contributors.add(actor)
    record_event(
        actor=actor,
        action="impact_assessment.start",
        **_subject(assessment),
        after={
            "status": assessment.status,
            "catalog": row.version,
            **_answers_snapshot(assessment),
        },
    )
    return assessment


def _refuse_unless_editable(current: ImpactAssessment) -> None:
    if not current.is_editable:
        raise ValidationError(
            f"This impact assessment is {current.get_status_display().lower()}: "
            "it can no longer be edited."
        )


def assessment_save(
    *,
    actor: User,
    assessment: ImpactAssessment,
    expected_version: int,
    answers: Mapping[str, Any],
) -> ImpactAssessment:
    """Save a draft's answers (all of them: a question left out is cleared)."""
    require(actor, "compliance.edit")
    cleaned = clean_answers(assessment.template.parsed, answers)
    edit = guarded_update(
        ImpactAssessment.objects.select_related("asset", "template").filter(pk=assessment.pk),
        actor=actor,
        changes={"answers": cleaned},
        allowed=["answers"],
        action="impact_assessment.update",
        expected_version=expected_version,
        snapshot=_answers_snapshot,
        noun=NOUN,
        check=_refuse_unless_editable,
        changed_by="updated_by",
        after_save=lambda current: current.contributors.add(actor),
    )
    return edit.instance


@transaction.atomic
def assessment_submit(
    *, actor: User, assessment: ImpactAssessment, expected_version: int | None = None
) -> ImpactAssessment:
    require(actor, "compliance.edit")
    current = lock_for_edit(
        ImpactAssessment.objects.select_related("asset", "template").filter(pk=assessment.pk),
        expected_version=expected_version,
        noun=NOUN,
        check=_refuse_unless_editable,
    )
    template = current.template.parsed
    laws = selectors.laws_for(current.asset, template)
    missing = missing_answers(template, current.answers, laws)
    if missing:
        raise ValidationError(missing)
    before = current.status
    current.status = ImpactAssessment.Status.IN_REVIEW
    current.laws = laws
    current.submitted_by = actor
    current.submitted_at = timezone.now()
    current.version += 1
    current.save()
    # Submitting vouches for the content: the submitter may not then decide on it.
    current.contributors.add(actor)
    record_event(
        actor=actor,
        action="impact_assessment.submit",
        **_subject(current),
        before={"status": before},
        after={"status": current.status, "laws": laws},
    )
    return current


def review_refusal(actor: Any, assessment: ImpactAssessment) -> str | None:
    """Why segregation of duties bars the actor from approving or returning it."""
    contributed = (
        assessment.created_by_id == actor.pk
        or assessment.submitted_by_id == actor.pk
        or assessment.contributors.filter(pk=actor.pk).exists()
    )
    if not contributed:
        return None
    return (
        "You contributed to this impact assessment: another executive or an admin must "
        "review it (segregation of duties)."
    )


def _lock_for_review(actor: User, assessment: ImpactAssessment) -> ImpactAssessment:
    require(actor, "impact.review")
    current = (
        ImpactAssessment.objects.select_for_update(of=("self",))
        .select_related("asset", "template")
        .get(pk=assessment.pk)
    )
    if current.status != ImpactAssessment.Status.IN_REVIEW:
        raise ValidationError(
            f"This impact assessment is {current.get_status_display().lower()}, not in review."
        )
    refusal = review_refusal(actor, current)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return current


@transaction.atomic
def assessment_return(
    *, actor: User, assessment: ImpactAssessment, comments: str
) -> ImpactAssessment:
    if not comments.strip():
        raise ValidationError({"comments": "Say what needs to change before returning it."})
    current = _lock_for_review(actor, assessment)
    current.status = ImpactAssessment.Status.RETURNED
    current.reviewer = actor
    current.reviewed_at = timezone.now()
    current.review_comments = comments.strip()
    current.version += 1
    current.save()
    record_event(
        actor=actor,
        action="impact_assessment.return",
        **_subject(current),
        before={"status": ImpactAssessment.Status.IN_REVIEW},
        after={"status": current.status, "comments": current.review_comments},
    )
    return current


@transaction.atomic
def assessment_approve(
    *, actor: User, assessment: ImpactAssessment, comments: str = "", today: dt.date | None = None
) -> ImpactAssessment:
    current = _lock_for_review(actor, assessment)
    today = today or timezone.localdate()
    template = current.template.parsed
    current.status = ImpactAssessment.Status.APPROVED
    current.reviewer = actor
    current.reviewed_at = timezone.now()
    current.review_comments = comments.strip()
    current.approved_on = today
    current.valid_until = add_months(today, template.validity_months)
    current.version += 1
    current.save()
    current.evidence = _file_evidence(actor, current, template)
    current.save(update_fields=["evidence"])
    record_event(
        actor=actor,
        action="impact_assessment.approve",
        **_subject(current),
        before={"status": ImpactAssessment.Status.IN_REVIEW},
        after={
            "status": current.status,
            "valid_until": current.valid_until,
            "evidence": str(current.evidence.uuid),
            "sha256": current.evidence.sha256,
            "comments": current.review_comments,
        },
    )
    return current


def _implementation(actor: User, assessment: ImpactAssessment, code: str) -> ControlImplementation:
    """The integrated-assessment control's implementation at the asset's scope, made
    implemented (created when there is none yet)."""
    control = Control.objects.get(code=code)
    asset = assessment.asset
    scope = Control.Scope.SYSTEM if asset.kind == Asset.Kind.SYSTEM else Control.Scope.ASSET
    existing = ControlImplementation.objects.filter(control=control, asset=asset).first()
    implemented = ControlImplementation.Status.IMPLEMENTED
    if existing is None:
        return compliance_services.implementation_create(
            actor=actor,
            control=control,
            scope=scope,
            asset=asset,
            status=implemented,
            owner=assessment.created_by,
            last_verified=assessment.approved_on,
            next_verification=assessment.valid_until,
            permission="impact.review",
        )
    return compliance_services.implementation_update(
        actor=actor,
        implementation=existing,
        status=implemented,
        last_verified=assessment.approved_on,
        next_verification=assessment.valid_until,
        permission="impact.review",
    )


def _file_evidence(
    actor: User, assessment: ImpactAssessment, template: catalog.Template
) -> Evidence:
    implementation = _implementation(actor, assessment, template.control)
    pdf = documents.render(assessment)
    name = f"impact-assessment-{slugify(assessment.asset.name)[:60] or 'asset'}.pdf"
    return compliance_services.evidence_add_file(
        actor=actor,
        implementation=implementation,
        file=io.BytesIO(pdf),
        name=name,
        size=len(pdf),
        description=(
            f"Integrated AI impact assessment (AI Act Art 27, GDPR Art 35, 11 CCR 7152) of "
            f"{assessment.asset.name}, approved {assessment.approved_on:%Y-%m-%d}"
        )[:500],
        valid_until=assessment.valid_until,
        permission="impact.review",
    )
