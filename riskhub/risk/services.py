"""Every write of the risk app: validated, transactional, audited.

Object-level rules live here so the UI and the API behave the same: only drafts (and
returned assessments) are editable, and only from the revision the editor loaded; the
reviewer holds risk.review and contributed nothing to the version under review; an
approved assessment never changes; nobody accepts a risk they wrote or last changed, or a
risk of a version they contributed to (segregation of duties, OBJECT_RULES in policy.py).

Every service that writes an assessment's content records who contributed what to that
version (AssessmentContribution) and, on each risk, who wrote it and who last changed it,
in the same transaction as the change and its audit event.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import EventSpec, record_event, record_events
from riskhub.common.ownership import reassign_owner
from riskhub.common.updates import guarded_update, lock_for_edit
from riskhub.inventory.models import Asset
from riskhub.risk import effective, notifications, selectors
from riskhub.risk.models import (
    Assessment,
    AssessmentContribution,
    Risk,
    RiskAcceptance,
    RiskMatrix,
    Threat,
    validate_matrix_definition,
)

RISK_FIELDS = [
    "threat",
    "title",
    "description",
    "inherent_impact",
    "inherent_likelihood",
    "existing_controls",
    "residual_impact",
    "residual_likelihood",
    "treatment",
    "owner",
    "due_date",
    "status",
]


# --- helpers -------------------------------------------------------------------------


def _on_commit(func: Callable[..., Any], *args: Any) -> None:
    transaction.on_commit(lambda: func(*args))


def enqueue_recompute(asset_ids: Iterable[int]) -> None:
    """Recompute the effective risk of these assets on a worker once the transaction
    commits (nothing to do for no assets)."""
    from riskhub.risk.tasks import recompute_effective_risk

    ids = sorted(set(asset_ids))
    if not ids or not getattr(settings, "RISK_RECOMPUTE_ON_COMMIT", True):
        return  # a bulk job (the demo seeder) recomputes once at the end
    transaction.on_commit(lambda: recompute_effective_risk.delay(ids))


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def review_interval_months(asset: Asset) -> int:
    """High-risk (and prohibited) AI: every 6 months; everything else yearly."""
    if asset.tier in (Asset.Tier.HIGH, Asset.Tier.PROHIBITED):
        return int(getattr(settings, "RISK_REVIEW_MONTHS_HIGH", 6))
    return int(getattr(settings, "RISK_REVIEW_MONTHS_DEFAULT", 12))


def _risk_snapshot(risk: Risk) -> dict[str, Any]:
    return {
        "id": str(risk.uuid),
        "title": risk.title,
        "threat": risk.threat.code if risk.threat_id and risk.threat else None,
        "description": risk.description,
        "inherent": [risk.inherent_impact, risk.inherent_likelihood, risk.inherent_band],
        "existing_controls": risk.existing_controls,
        "residual": [risk.residual_impact, risk.residual_likelihood, risk.residual_band],
        "treatment": risk.treatment,
        "owner": risk.owner_id,
        "due_date": risk.due_date,
        "status": risk.status,
    }


def _risk_content(risk: Risk) -> tuple[Any, ...]:
    """What a person writes in a risk (not its position, scores derived from it, or the
    status an acceptance sets): a change here makes them its last changer."""
    return tuple(
        getattr(risk, f"{name}_id") if name in ("threat", "owner") else getattr(risk, name)
        for name in RISK_FIELDS
    )


# --- segregation of duties -----------------------------------------------------------

What = AssessmentContribution.What


def _contribute(actor: User, assessment: Assessment, what: str) -> None:
    """Record that the actor contributed to this version (first and last time). Called
    under the assessment's row lock, so one person's two saves cannot race."""
    now = timezone.now()
    refreshed = AssessmentContribution.objects.filter(
        assessment=assessment, user=actor, what=what
    ).update(last_at=now)
    if not refreshed:
        AssessmentContribution.objects.create(
            assessment=assessment, user=actor, what=what, first_at=now, last_at=now
        )


def contributions_by(
    user: Any,
    assessment: Assessment,
    contributions: Iterable[AssessmentContribution] | None = None,
) -> list[str]:
    """What the user contributed to this version, as labels in workflow order. The
    author always counts as having started it. Pass `contributions` when they are
    already loaded (a page), or they are read now (a service, under its lock)."""
    if contributions is None:
        contributions = assessment.contributions.filter(user_id=user.pk)
    kinds = {c.what for c in contributions if c.user_id == user.pk}
    if assessment.author_id == user.pk:
        kinds.add(What.STARTED)
    return [label for value, label in What.choices if value in kinds]


def review_refusal(
    actor: Any,
    assessment: Assessment,
    contributions: Iterable[AssessmentContribution] | None = None,
) -> str | None:
    """Why segregation of duties bars the actor from approving or returning this
    version (OBJECT_RULES "assessment.approve_own", "assessment.approve_contributed"),
    or None. Role checks are not this function's business."""
    mine = contributions_by(actor, assessment, contributions)
    if not mine:
        return None
    return (
        f"You contributed to this version ({', '.join(mine)}): another executive or an "
        "admin must review it (segregation of duties)."
    )


def acceptance_refusal(
    actor: Any,
    risk: Risk,
    contributions: Iterable[AssessmentContribution] | None = None,
) -> str | None:
    """Why segregation of duties bars the actor from accepting this risk (OBJECT_RULES
    "risk.accept_*"), or None: they wrote it, last changed it (in this version or the
    one it was carried over from), or contributed to its assessment's version."""
    if risk.created_by_id == actor.pk:
        return (
            "You wrote this risk: another executive or an admin must accept it "
            "(segregation of duties)."
        )
    if risk.updated_by_id == actor.pk:
        return (
            "You last changed this risk: another executive or an admin must accept it "
            "(segregation of duties)."
        )
    mine = contributions_by(actor, risk.assessment, contributions)
    if mine:
        return (
            f"You contributed to this assessment ({', '.join(mine)}): another executive "
            "or an admin must accept its risks (segregation of duties)."
        )
    return None


# --- matrices ------------------------------------------------------------------------


@transaction.atomic
def matrix_create(
    *,
    actor: User,
    code: str,
    name: str,
    impact_levels: list[dict[str, Any]],
    likelihood_levels: list[dict[str, Any]],
    bands: list[dict[str, Any]],
    description: str = "",
    is_default: bool = False,
) -> RiskMatrix:
    """An admin's own matrix. The catalog loader never touches it."""
    require(actor, "catalog.manage")
    validate_matrix_definition(impact_levels, likelihood_levels, bands)
    if RiskMatrix.objects.filter(code=code).exists():
        raise ValidationError({"code": f"A matrix with the code “{code}” already exists."})
    matrix = RiskMatrix(
        code=code,
        name=name.strip(),
        description=description,
        impact_levels=impact_levels,
        likelihood_levels=likelihood_levels,
        bands=bands,
        shipped=False,
    )
    matrix.full_clean()
    if is_default:
        RiskMatrix.objects.filter(is_default=True).update(is_default=False)
        matrix.is_default = True
    matrix.save()
    record_event(
        actor=actor,
        action="risk_matrix.create",
        object_type="risk_matrix",
        object_id=matrix.uuid,
        object_repr=str(matrix),
        after={"code": code, "size": matrix.size_label, "bands": bands, "default": is_default},
    )
    return matrix


@transaction.atomic
def matrix_set_default(*, actor: User, matrix: RiskMatrix) -> RiskMatrix:
    require(actor, "catalog.manage")
    previous = RiskMatrix.objects.filter(is_default=True).exclude(pk=matrix.pk).first()
    RiskMatrix.objects.filter(is_default=True).update(is_default=False)
    RiskMatrix.objects.filter(pk=matrix.pk).update(is_default=True)
    matrix.is_default = True
    record_event(
        actor=actor,
        action="risk_matrix.set_default",
        object_type="risk_matrix",
        object_id=matrix.uuid,
        object_repr=str(matrix),
        before={"default": previous.code if previous else None},
        after={"default": matrix.code},
    )
    return matrix


# --- threat suggestions ----------------------------------------------------------------


def suggest_threats(asset: Asset) -> list[tuple[Threat, list[str]]]:
    """Threats of the catalog that fit the asset, most relevant first, with reasons.

    Kind comes from the asset; model types and exposures from the asset and its direct
    lineage neighbours (an endpoint serves a model; a model is reached via endpoints);
    classification facts rank the threats that the catalog marks as more relevant."""
    from riskhub.inventory.models import AssetLink

    model_types = {asset.model_type} if asset.model_type else set()
    exposures = {asset.exposure} if asset.exposure else set()
    neighbours = (
        AssetLink.objects.filter(upstream=asset)
        .values_list("downstream__kind", "downstream__model_type", "downstream__exposure")
        .union(
            AssetLink.objects.filter(downstream=asset).values_list(
                "upstream__kind", "upstream__model_type", "upstream__exposure"
            )
        )
    )
    for kind, model_type, exposure in neighbours:
        if kind == Asset.Kind.MODEL and model_type:
            model_types.add(model_type)
        if kind == Asset.Kind.ENDPOINT and exposure:
            exposures.add(exposure)
    facts = set(asset.facts or [])
    if asset.personal_data:
        facts.add("personal_data")
    if asset.gdpr_applies:
        facts.add("gdpr:applies")
    if asset.ccpa_applies:
        facts.add("ccpa:applies")
    if asset.tier:
        facts.add(f"tier:{asset.tier}")
    kind_label = asset.get_kind_display().lower()
    ranked: list[tuple[int, str, Threat, list[str]]] = []
    for threat in Threat.objects.filter(active=True):
        if asset.kind not in threat.asset_kinds:
            continue
        reasons = [f"applies to {kind_label}s"]
        if threat.model_types:
            matched = sorted(model_types & set(threat.model_types))
            if not matched:
                continue
            reasons.append("model type " + ", ".join(matched))
        if threat.exposures:
            matched = sorted(exposures & set(threat.exposures))
            if not matched:
                continue
            reasons.append(", ".join(matched) + " exposure")
        emphasis = sorted(facts & set(threat.classification))
        if emphasis:
            reasons.append("classification: " + ", ".join(emphasis))
        ranked.append((0 if emphasis else 1, threat.code, threat, reasons))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [(threat, reasons) for _, _, threat, reasons in ranked]


# --- assessments -----------------------------------------------------------------------


def _copy_risks(source: Assessment, target: Assessment) -> list[Risk]:
    copies = []
    for position, risk in enumerate(source.risks.all()):
        copy = Risk(assessment=target, position=position)
        for name in RISK_FIELDS:
            setattr(copy, name, getattr(risk, name))
        # Copying is not writing: the words stay the writer's, so whoever wrote or last
        # changed the risk in the old version still may not accept its copy.
        copy.created_by_id = risk.created_by_id or source.author_id
        copy.updated_by_id = risk.updated_by_id or copy.created_by_id
        # The new version starts open: acceptances belong to the old version's risks.
        copy.status = Risk.Status.CLOSED if risk.status == Risk.Status.CLOSED else Risk.Status.OPEN
        _derive(copy, target.matrix)
        copies.append(copy)
    return copies


@transaction.atomic
def assessment_start(*, actor: User, asset: Asset, matrix: RiskMatrix | None = None) -> Assessment:
    """Start a new version; a reassessment is pre-filled from the last approved one.

    Copying counts as contributing: whoever starts a version, pre-filled or not, is
    recorded as its contributor ("started it") and may not review it, because they chose
    what it carries forward and own the draft. The contributors of the old version are
    not recorded on the new one (their work was reviewed by someone else when the old
    version was approved; the new reviewer judges the new version), and the copier is
    not recorded on the old one (an approved version never changes). Each copied risk
    keeps its writer and last changer, so neither may ever accept it."""
    require(actor, "risk.edit")
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    if locked.is_archived:
        raise ValidationError("This asset is archived; restore it before assessing it.")
    open_one = Assessment.objects.filter(asset=locked, status__in=Assessment.OPEN).first()
    if open_one is not None:
        raise ValidationError(
            f"{locked.name} already has an assessment in progress "
            f"(version {open_one.version}, {open_one.get_status_display().lower()})."
        )
    last = Assessment.objects.filter(asset=locked).aggregate(v=Max("version"))["v"] or 0
    previous = Assessment.objects.filter(asset=locked, is_current=True).first()
    if matrix is None:
        matrix = previous.matrix if previous else RiskMatrix.objects.filter(is_default=True).first()
    if matrix is None:
        raise ValidationError("No risk matrix is available; run load_catalogs first.")
    assessment = Assessment(
        asset=locked,
        version=last + 1,
        matrix=matrix,
        matrix_version=matrix.version,
        author=actor,
        based_on=previous,
        summary=previous.summary if previous else "",
    )
    assessment.full_clean()
    assessment.save()
    copied = []
    if previous is not None and previous.matrix_id == matrix.pk:
        copied = Risk.objects.bulk_create(_copy_risks(previous, assessment))
    _contribute(actor, assessment, What.STARTED)
    record_event(
        actor=actor,
        action="assessment.start",
        object_type="assessment",
        object_id=assessment.uuid,
        object_repr=str(assessment),
        after={
            "asset": locked.uuid,
            "version": assessment.version,
            "matrix": matrix.code,
            "matrix_version": matrix.version,
            "based_on": previous.uuid if previous else None,
            "risks_copied": len(copied),
        },
    )
    return assessment


def _lock_editable(actor: User, assessment: Assessment, expected_revision: int) -> Assessment:
    require(actor, "risk.edit")
    return lock_for_edit(
        Assessment.objects.select_related("matrix").filter(pk=assessment.pk),
        expected_version=expected_revision,
        version_field="revision",
        check=_refuse_unless_editable,
    )


def _refuse_unless_editable(current: Assessment) -> None:
    if not current.is_editable:
        raise ValidationError(
            f"This assessment is {current.get_status_display().lower()}; only drafts and "
            "returned assessments can be edited. Start a reassessment to change an approved one."
        )


def _bump(assessment: Assessment) -> None:
    assessment.revision += 1
    assessment.save(update_fields=["revision", "summary", "updated_at"])


def residual_above_inherent(axis: str) -> str:
    """The one message for a residual level above the inherent one (axis: impact or
    likelihood): the form, this service and the editor's live warning all show it."""
    return f"The residual {axis} cannot be above the inherent {axis}."


def _derive(risk: Risk, matrix: RiskMatrix) -> None:
    """Validate the levels against the matrix and store the derived scores and bands."""
    errors: dict[str, str] = {}
    for name, top in (
        ("inherent_impact", matrix.impact_count),
        ("inherent_likelihood", matrix.likelihood_count),
        ("residual_impact", matrix.impact_count),
        ("residual_likelihood", matrix.likelihood_count),
    ):
        value = getattr(risk, name)
        if not isinstance(value, int) or not 1 <= value <= top:
            errors[name] = f"Choose a level from 1 to {top}."
    if errors:
        raise ValidationError(errors)
    for axis in ("impact", "likelihood"):
        if getattr(risk, f"residual_{axis}") > getattr(risk, f"inherent_{axis}"):
            errors[f"residual_{axis}"] = residual_above_inherent(axis)
    if errors:
        raise ValidationError(errors)
    inherent = matrix.cell(risk.inherent_impact, risk.inherent_likelihood)
    residual = matrix.cell(risk.residual_impact, risk.residual_likelihood)
    risk.inherent_score, risk.inherent_band = inherent.score, inherent.band
    risk.residual_score, risk.residual_band = residual.score, residual.band
    risk.residual_rank = residual.rank
    risk.residual_ratio = residual.score / matrix.max_score


def _apply(risk: Risk, matrix: RiskMatrix, fields: Mapping[str, Any]) -> None:
    for name, value in fields.items():
        if name in RISK_FIELDS:
            setattr(risk, name, value)
    _normalise(risk, matrix, fields)
    risk.full_clean(exclude=["assessment"])


def _normalise(risk: Risk, matrix: RiskMatrix, fields: Mapping[str, Any]) -> None:
    """After the fields are set: the title, the refusal of a hand-set acceptance, and the
    derived scores and bands."""
    if isinstance(risk.title, str):
        risk.title = risk.title.strip()
    if not risk.title and risk.threat_id and risk.threat:
        risk.title = risk.threat.name
    if risk.status == Risk.Status.ACCEPTED and "status" in fields:
        raise ValidationError(
            {"status": "A risk becomes accepted only through a formal acceptance."}
        )
    _derive(risk, matrix)


@transaction.atomic
def assessment_save(
    *,
    actor: User,
    assessment: Assessment,
    expected_revision: int,
    summary: str | None = None,
    risks: list[dict[str, Any]] | None = None,
) -> Assessment:
    """Save the whole draft from the editor: the summary and the full list of risks
    (rows with an existing `uuid` are updated, others created, missing ones deleted).
    The editor becomes a contributor of what they changed; a risk they add or change
    names them as its writer or last changer."""
    current = _lock_editable(actor, assessment, expected_revision)
    before = {"summary": current.summary, "risks": [_risk_snapshot(r) for r in current.risks.all()]}
    if summary is not None:
        current.summary = summary
    if risks is not None:
        existing = {str(r.uuid): r for r in current.risks.select_related("threat")}
        keep: set[str] = set()
        errors: dict[str, list[str]] = {}
        to_save = []
        for position, data in enumerate(risks):
            key = str(data.get("uuid") or "")
            risk = existing.get(key) or Risk(assessment=current, created_by=actor)
            if key in existing:
                keep.add(key)
            risk.position = position
            content = _risk_content(risk) if key in existing else None
            try:
                _apply(risk, current.matrix, data)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors[f"risk {position + 1}: {field}"] = messages
            if _risk_content(risk) != content:
                risk.updated_by = actor
            to_save.append(risk)
        if errors:
            raise ValidationError(errors)
        Risk.objects.filter(assessment=current).exclude(uuid__in=keep).delete()
        for risk in to_save:
            risk.save()
    _bump(current)
    after = {"summary": current.summary, "risks": [_risk_snapshot(r) for r in current.risks.all()]}
    if before["summary"] != after["summary"]:
        _contribute(actor, current, What.SUMMARY)
    if before["risks"] != after["risks"]:
        _contribute(actor, current, What.RISKS)
    if before != after:
        record_event(
            actor=actor,
            action="assessment.update",
            object_type="assessment",
            object_id=current.uuid,
            object_repr=str(current),
            before=before,
            after=after,
        )
    return current


@transaction.atomic
def risk_create(
    *, actor: User, assessment: Assessment, expected_revision: int, **fields: Any
) -> Risk:
    current = _lock_editable(actor, assessment, expected_revision)
    position = (current.risks.aggregate(p=Max("position"))["p"] or 0) + 1
    risk = Risk(assessment=current, position=position, created_by=actor, updated_by=actor)
    _apply(risk, current.matrix, fields)
    risk.save()
    _bump(current)
    _contribute(actor, current, What.RISKS)
    record_event(
        actor=actor,
        action="risk.create",
        object_type="risk",
        object_id=risk.uuid,
        object_repr=risk.title,
        after=_risk_snapshot(risk),
    )
    return risk


@transaction.atomic
def risk_update(*, actor: User, risk: Risk, expected_revision: int, **fields: Any) -> Risk:
    """Change one risk of an editable assessment, guarded by the assessment's revision.
    A change to what the risk says makes the actor its last changer and a contributor."""
    current = _lock_editable(actor, risk.assessment, expected_revision)
    changes = {k: v for k, v in fields.items() if k in RISK_FIELDS}
    edit = guarded_update(
        Risk.objects.select_related("threat").filter(pk=risk.pk, assessment=current),
        actor=actor,
        changes=changes,
        allowed=RISK_FIELDS,
        action="risk.update",
        version_field=None,  # the assessment's revision guards its risks
        snapshot=_risk_snapshot,
        prepare=lambda r: _normalise(r, current.matrix, changes),
        changed_by="updated_by",
        describe=lambda r: r.title,
    )
    if edit.changed:
        _contribute(actor, current, What.RISKS)
    _bump(current)
    return edit.instance


@transaction.atomic
def risk_reassign_owner(*, actor: User, from_user: User, to_user: User) -> int:
    """Make `to_user` the owner of every open or accepted risk `from_user` owns
    (offboarding); one `risk.reassign` event each. Returns how many moved.

    The owner follows a risk up in the register: who does it is not what the
    assessment says about the risk. So this also reaches risks of approved
    assessments, whose content (title, scores, treatment, due date) stays as approved,
    and it is not a change of content for segregation of duties: it leaves
    `updated_by`, the contributions and the revision alone, so neither the successor
    nor the admin who hands the work over becomes unable to accept the risk.
    """
    require(actor, "users.manage")
    moved = reassign_owner(
        actor=actor,
        rows=selectors.open_risks_owned_by(from_user),
        from_user=from_user,
        to_user=to_user,
        object_type="risk",
    )
    return len(moved)


@transaction.atomic
def risk_delete(*, actor: User, risk: Risk, expected_revision: int) -> None:
    current = _lock_editable(actor, risk.assessment, expected_revision)
    record_event(
        actor=actor,
        action="risk.delete",
        object_type="risk",
        object_id=risk.uuid,
        object_repr=risk.title,
        before=_risk_snapshot(risk),
    )
    risk.delete()
    _bump(current)
    _contribute(actor, current, What.RISKS)


@transaction.atomic
def assessment_delete(*, actor: User, assessment: Assessment) -> None:
    """Discard a draft that was never submitted."""
    require(actor, "risk.edit")
    current = Assessment.objects.select_for_update().get(pk=assessment.pk)
    if current.status != Assessment.Status.DRAFT or current.submitted_at is not None:
        raise ValidationError("Only a draft that was never submitted can be discarded.")
    record_event(
        actor=actor,
        action="assessment.discard",
        object_type="assessment",
        object_id=current.uuid,
        object_repr=str(current),
    )
    current.risks.all().delete()
    current.delete()


@transaction.atomic
def assessment_submit(
    *, actor: User, assessment: Assessment, expected_revision: int | None = None
) -> Assessment:
    require(actor, "risk.edit")
    current = lock_for_edit(
        assessment, expected_version=expected_revision, version_field="revision"
    )
    if not current.is_editable:
        raise ValidationError("Only a draft or a returned assessment can be submitted.")
    risks = list(current.risks.all())
    problems = []
    if not risks and not current.summary.strip():
        problems.append(
            "Add at least one risk, or explain in the summary why the asset carries none."
        )
    for index, risk in enumerate(risks, start=1):
        if risk.status == Risk.Status.OPEN and risk.owner_id is None:
            problems.append(f"Risk {index} (“{risk.title}”) needs an owner.")
        if (
            risk.status == Risk.Status.OPEN
            and risk.treatment == Risk.Treatment.MITIGATE
            and risk.due_date is None
        ):
            problems.append(f"Risk {index} (“{risk.title}”) is to be mitigated: give a due date.")
    if problems:
        raise ValidationError(problems)
    current.status = Assessment.Status.IN_REVIEW
    current.submitted_at = timezone.now()
    current.revision += 1
    current.save(update_fields=["status", "submitted_at", "revision", "updated_at"])
    # Submitting vouches for the content: the submitter may not then decide on it.
    _contribute(actor, current, What.SUBMITTED)
    record_event(
        actor=actor,
        action="assessment.submit",
        object_type="assessment",
        object_id=current.uuid,
        object_repr=str(current),
        after={"status": current.status, "risks": len(risks)},
    )
    _on_commit(notifications.assessment_submitted, current.pk)
    return current


def _lock_for_review(actor: User, assessment: Assessment) -> Assessment:
    require(actor, "risk.review")
    current = Assessment.objects.select_for_update().select_related("asset").get(pk=assessment.pk)
    if current.status != Assessment.Status.IN_REVIEW:
        raise ValidationError(
            f"This assessment is {current.get_status_display().lower()}, not in review."
        )
    refusal = review_refusal(actor, current)
    if refusal is not None:
        raise PermissionDenied(refusal)
    return current


@transaction.atomic
def assessment_approve(
    *, actor: User, assessment: Assessment, comments: str = "", today: date | None = None
) -> Assessment:
    current = _lock_for_review(actor, assessment)
    now = timezone.now()
    today = today or timezone.localdate()
    previous = Assessment.objects.filter(asset=current.asset, is_current=True).first()
    if previous is not None:
        Assessment.objects.filter(pk=previous.pk).update(is_current=False)
    current.status = Assessment.Status.APPROVED
    current.reviewer = actor
    current.review_comments = comments.strip()
    current.approved_at = now
    current.next_review_due = add_months(today, review_interval_months(current.asset))
    current.is_current = True
    current.revision += 1
    current.save()
    record_event(
        actor=actor,
        action="assessment.approve",
        object_type="assessment",
        object_id=current.uuid,
        object_repr=str(current),
        before={"status": Assessment.Status.IN_REVIEW},
        after={
            "status": current.status,
            "next_review_due": current.next_review_due,
            "supersedes": previous.uuid if previous else None,
            "comments": current.review_comments,
        },
    )
    _on_commit(notifications.assessment_decided, current.pk)
    enqueue_recompute([current.asset_id])
    return current


@transaction.atomic
def assessment_return(*, actor: User, assessment: Assessment, comments: str) -> Assessment:
    if not comments.strip():
        # Checked before the lock so the reviewer learns it without a round trip.
        raise ValidationError({"comments": "Say what needs to change before returning it."})
    current = _lock_for_review(actor, assessment)
    current.status = Assessment.Status.RETURNED
    current.reviewer = actor
    current.review_comments = comments.strip()
    current.returned_at = timezone.now()
    current.revision += 1
    current.save()
    record_event(
        actor=actor,
        action="assessment.return",
        object_type="assessment",
        object_id=current.uuid,
        object_repr=str(current),
        before={"status": Assessment.Status.IN_REVIEW},
        after={"status": current.status, "comments": current.review_comments},
    )
    _on_commit(notifications.assessment_decided, current.pk)
    return current


# --- acceptance ------------------------------------------------------------------------


@transaction.atomic
def acceptance_create(
    *,
    actor: User,
    risk: Risk,
    rationale: str,
    expires_on: date,
    today: date | None = None,
) -> RiskAcceptance:
    """Formally accept a residual risk of an approved assessment until a date."""
    require(actor, "risk.accept")
    today = today or timezone.localdate()
    locked = Risk.objects.select_for_update().select_related("assessment").get(pk=risk.pk)
    assessment = locked.assessment
    if not assessment.is_current:
        raise ValidationError(
            "Only risks of an asset's current approved assessment can be accepted."
        )
    if locked.status != Risk.Status.OPEN:
        raise ValidationError(f"This risk is {locked.get_status_display().lower()}, not open.")
    refusal = acceptance_refusal(actor, locked)
    if refusal is not None:
        raise PermissionDenied(refusal)
    errors = {}
    if not rationale.strip():
        errors["rationale"] = "Explain why the residual risk is acceptable."
    max_days = int(getattr(settings, "RISK_ACCEPTANCE_MAX_DAYS", 3 * 365))
    if expires_on <= today:
        errors["expires_on"] = "The acceptance must expire after today."
    elif expires_on > today + timedelta(days=max_days):
        errors["expires_on"] = f"Accept a risk for at most {max_days} days, then review it."
    if errors:
        raise ValidationError(errors)
    acceptance = RiskAcceptance(
        risk=locked, approved_by=actor, rationale=rationale.strip(), expires_on=expires_on
    )
    acceptance.full_clean()
    acceptance.save()
    locked.status = Risk.Status.ACCEPTED
    locked.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action="risk.accept",
        object_type="risk",
        object_id=locked.uuid,
        object_repr=locked.title,
        before={"status": Risk.Status.OPEN},
        after={
            "status": locked.status,
            "acceptance": acceptance.uuid,
            "expires_on": expires_on,
            "rationale": acceptance.rationale,
        },
    )
    return acceptance


@transaction.atomic
def acceptance_revoke(*, actor: User, acceptance: RiskAcceptance) -> RiskAcceptance:
    require(actor, "risk.accept")
    current = RiskAcceptance.objects.select_for_update().get(pk=acceptance.pk)
    if not current.is_active:
        raise ValidationError("This acceptance is no longer in force.")
    current.revoked = True
    current.revoked_at = timezone.now()
    current.revoked_by = actor
    current.save()
    risk = current.risk
    if risk.status == Risk.Status.ACCEPTED:
        risk.status = Risk.Status.OPEN
        risk.save(update_fields=["status", "updated_at"])
    record_event(
        actor=actor,
        action="risk.acceptance_revoke",
        object_type="risk",
        object_id=risk.uuid,
        object_repr=risk.title,
        before={"status": Risk.Status.ACCEPTED},
        after={"status": risk.status, "acceptance": current.uuid},
    )
    return current


@transaction.atomic
def acceptances_expire(*, today: date | None = None) -> int:
    """Reopen every risk whose acceptance ran out (valid through `expires_on`)."""
    today = today or timezone.localdate()
    due = list(
        RiskAcceptance.objects.select_for_update()
        .filter(revoked=False, expired_at__isnull=True, expires_on__lt=today)
        .select_related("risk__assessment")
    )
    if not due:
        return 0
    now = timezone.now()
    events = []
    reopened: list[Risk] = []
    for acceptance in due:
        acceptance.expired_at = now
        acceptance.save(update_fields=["expired_at"])
        risk = acceptance.risk
        if risk.status == Risk.Status.ACCEPTED:
            risk.status = Risk.Status.OPEN
            risk.save(update_fields=["status", "updated_at"])
            reopened.append(risk)
        events.append(
            EventSpec(
                "risk.acceptance_expire",
                "risk",
                str(risk.uuid),
                risk.title,
                {"status": Risk.Status.ACCEPTED, "expires_on": acceptance.expires_on},
                {"status": risk.status, "acceptance": acceptance.uuid},
            )
        )
    record_events(None, events)
    enqueue_recompute([r.assessment.asset_id for r in reopened])
    return len(due)


# --- effective risk --------------------------------------------------------------------


def effective_risk_recompute(*, asset_ids: Iterable[int] | None = None) -> int:
    """Recompute and store effective risk for all assets, or for `asset_ids` and
    everything downstream of them. Derived values: no audit event."""
    return effective.recompute(asset_ids=asset_ids)
