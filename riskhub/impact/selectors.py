"""Reads for the impact assessment pages, API and the gap list's recommendation.

Which laws ask for an assessment of an asset is not decided here: the stored coverage
(`compliance.RequirementStatus`, written by `compliance.coverage.assess_asset`) already
says which requirements apply to it; a law applies when its anchor requirement (Art 27,
Art 35, 11 CCR 7150 in the catalog) does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet

from riskhub.compliance.models import Control, Requirement, RequirementStatus
from riskhub.compliance.selectors import BundleSource
from riskhub.impact import catalog
from riskhub.impact.models import AssessmentTemplate, ImpactAssessment
from riskhub.inventory import selectors as inventory_selectors
from riskhub.inventory.models import Asset


def current_template() -> AssessmentTemplate | None:
    """The newest loaded catalog version (None before `load_catalogs` has run)."""
    return AssessmentTemplate.objects.order_by("-loaded_at", "-id").first()


def _anchor_requirements(template: catalog.Template) -> dict[int, str]:
    """Anchor requirement id -> its law."""
    wanted = set(template.anchors)
    return {
        pk: slug
        for pk, slug, ref in Requirement.objects.filter(
            framework__slug__in=[law for law, _ in wanted]
        ).values_list("pk", "framework__slug", "ref")
        if (slug, ref) in wanted
    }


def laws_by_asset(
    template: catalog.Template, asset_ids: list[int] | None = None
) -> dict[int, frozenset[str]]:
    """Per asset, the laws whose impact-assessment duty applies to it (stored coverage)."""
    anchors = _anchor_requirements(template)
    rows = RequirementStatus.objects.filter(requirement_id__in=anchors)
    if asset_ids is not None:
        rows = rows.filter(asset_id__in=asset_ids)
    found: dict[int, set[str]] = defaultdict(set)
    for asset_id, requirement_id in rows.values_list("asset_id", "requirement_id"):
        found[asset_id].add(anchors[requirement_id])
    return {asset_id: frozenset(laws) for asset_id, laws in found.items()}


def laws_for(asset: Asset, template: catalog.Template) -> list[str]:
    """The laws that apply to the asset, in catalog order."""
    applying = laws_by_asset(template, [asset.pk]).get(asset.pk, frozenset())
    return [law for law in catalog.LAWS if law in applying]


def recommended_assets(template: catalog.Template) -> QuerySet[Any]:
    """The assets the integrated assessment is recommended for: those to which at
    least `recommend_first_when_laws` of the laws' duties apply (their anchor
    requirement is in the asset's stored coverage), as a query of `asset_id` values."""
    anchors = _anchor_requirements(template)
    return (
        RequirementStatus.objects.filter(requirement_id__in=list(anchors))
        .order_by()
        .values("asset_id")
        .annotate(laws=Count("framework", distinct=True))
        .filter(laws__gte=template.recommend_first_when_laws)
        .values("asset_id")
    )


def gap_bundle() -> BundleSource | None:
    """The integrated assessment as the gap list sees it (registered in apps.py)."""
    row = current_template()
    if row is None:
        return None
    template = row.parsed
    control = Control.objects.filter(code=template.control, retired=False).first()
    if control is None:
        return None
    return BundleSource(control.pk, recommended_assets(template))


def _data_categories(asset: Asset) -> str:
    flags = [
        ("personal_data", "Personal data"),
        ("special_categories", "Special categories of personal data"),
        ("childrens_data", "Children's data"),
    ]
    return "; ".join(label for name, label in flags if getattr(asset, name, False))


def prefill(asset: Asset, template: catalog.Template) -> dict[str, str]:
    """Answers known from the register: the asset's own fields and the organisation's
    DPO. Only the fields the catalog marks with a `prefill` source, only when known."""
    organisation = inventory_selectors.organisation()
    known: dict[str, Any] = {
        "intended_purpose": asset.intended_purpose or asset.description,
        "deployment_context": asset.deployment_context,
        "affected_persons": asset.affected_persons,
        "collection_method": asset.collection_method,
        "special_categories": "yes" if asset.special_categories else "",
        "data_categories": _data_categories(asset),
        "dpo_name": (
            f"DPO: {organisation.dpo_name}" if getattr(organisation, "dpo_name", "") else ""
        ),
    }
    answers = {}
    for field in template.fields.values():
        value = known.get(field.prefill) if field.prefill else None
        if value:
            answers[field.key] = str(value)
    return answers


def assessments(*, status: str = "", q: str = "") -> QuerySet[ImpactAssessment]:
    qs = ImpactAssessment.objects.select_related(
        "asset", "template", "created_by", "reviewer", "evidence"
    )
    if status:
        qs = qs.filter(status=status)
    if q:
        qs = qs.filter(asset__name__icontains=q)
    return qs.order_by("-updated_at", "-id")


def for_asset(asset: Asset) -> list[ImpactAssessment]:
    return list(assessments().filter(asset=asset))


def open_for(asset: Asset) -> ImpactAssessment | None:
    return assessments().filter(asset=asset).exclude(status="approved").first()


def detail(uuid: Any) -> ImpactAssessment:
    return (
        ImpactAssessment.objects.select_related(
            "asset", "template", "created_by", "updated_by", "submitted_by", "reviewer", "evidence"
        )
        .prefetch_related("contributors")
        .get(uuid=uuid)
    )
