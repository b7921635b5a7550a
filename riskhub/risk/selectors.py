"""Every read of the risk app, each with a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.inventory.models import Asset, BusinessUnit
from riskhub.risk.models import (
    BAND_LABEL,
    Assessment,
    AssessmentContribution,
    Risk,
    RiskAcceptance,
    RiskMatrix,
    Threat,
)


def matrices() -> QuerySet[RiskMatrix]:
    return RiskMatrix.objects.order_by("-is_default", "name")


def default_matrix() -> RiskMatrix | None:
    return RiskMatrix.objects.filter(is_default=True).first() or RiskMatrix.objects.first()


def threats(*, active_only: bool = True) -> QuerySet[Threat]:
    qs = Threat.objects.order_by("code")
    return qs.filter(active=True) if active_only else qs


def open_risks_owned_by(user: User) -> QuerySet[Risk]:
    """The risks a person still follows up: theirs and open or accepted (an accepted
    risk is watched until its acceptance expires). Closed ones keep their owner."""
    return Risk.objects.filter(owner=user, status__in=[Risk.Status.OPEN, Risk.Status.ACCEPTED])


# --- assessments ---------------------------------------------------------------------


def assessments(
    *, status: str = "", asset: Asset | None = None, q: str = ""
) -> QuerySet[Assessment]:
    qs = Assessment.objects.select_related(
        "asset", "author", "reviewer", "matrix", "asset__business_unit"
    ).annotate(
        risk_count=Count("risks"),
        max_rank=Max("risks__residual_rank"),
    )
    if status:
        qs = qs.filter(status=status)
    if asset is not None:
        qs = qs.filter(asset=asset)
    if q:
        qs = qs.filter(asset__name__icontains=q)
    return qs.order_by("-updated_at", "-id")


def review_queue(*, viewer: Any = None) -> QuerySet[Assessment]:
    """Assessments in review, oldest first. With a viewer, each carries
    `viewer_contributions`: what the viewer contributed to it (one query per page)."""
    qs = assessments(status=Assessment.Status.IN_REVIEW).order_by("submitted_at", "id")
    if viewer is not None:
        qs = qs.prefetch_related(
            Prefetch(
                "contributions",
                queryset=AssessmentContribution.objects.filter(user_id=viewer.pk),
                to_attr="viewer_contributions",
            )
        )
    return qs


def assessment_detail(uuid: Any) -> Assessment:
    """One assessment with its risks, their threats, owners and active acceptances, and
    who contributed what to it."""
    active = RiskAcceptance.objects.filter(revoked=False, expired_at__isnull=True).select_related(
        "approved_by"
    )
    return (
        Assessment.objects.select_related(
            "asset", "asset__business_unit", "author", "reviewer", "matrix", "based_on"
        )
        .prefetch_related(
            Prefetch(
                "risks",
                queryset=Risk.objects.select_related("threat", "owner").prefetch_related(
                    Prefetch("acceptances", queryset=active, to_attr="active_acceptances")
                ),
            ),
            Prefetch(
                "contributions",
                queryset=AssessmentContribution.objects.select_related("user"),
            ),
        )
        .get(uuid=uuid)
    )


@dataclass
class Contributor:
    user: User
    what: list[str]  # labels, in workflow order


def contributors(assessment: Assessment) -> list[Contributor]:
    """Who contributed what to this version, in order of first contribution (from the
    prefetched contributions of `assessment_detail`: no query)."""
    by_user: dict[int, tuple[User, set[str]]] = {}
    for c in assessment.contributions.all():
        by_user.setdefault(c.user_id, (c.user, set()))[1].add(c.what)
    order = AssessmentContribution.What.choices
    return [
        Contributor(user, [label for value, label in order if value in kinds])
        for user, kinds in by_user.values()
    ]


def status_counts() -> dict[str, int]:
    counts = dict(
        Assessment.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return {s: counts.get(s, 0) for s in Assessment.Status.values}


# --- asset tab -------------------------------------------------------------------------


@dataclass
class AssetRisk:
    asset: Asset
    own_band: str
    effective_band: str
    effective_score: float | None
    source: str
    path: list[dict[str, Any]]
    history: list[Assessment]
    open_assessment: Assessment | None
    current: Assessment | None
    counts: dict[str, int] = field(default_factory=dict)


def asset_risk(asset: Asset) -> AssetRisk:
    """Own and effective risk with the path by name, and every version (3 queries)."""
    path_uuids = list(asset.effective_risk_path or [])
    names = {
        str(a.uuid): a
        for a in Asset.objects.filter(uuid__in=path_uuids).only("uuid", "name", "kind")
    }
    path = [
        {
            "uuid": u,
            "name": names[u].name if u in names else "(removed asset)",
            "kind": names[u].get_kind_display() if u in names else "",
        }
        for u in path_uuids
    ]
    history = list(assessments(asset=asset).order_by("-version"))
    open_one = next((a for a in history if a.status in Assessment.OPEN), None)
    current = next((a for a in history if a.is_current), None)
    counts: dict[str, int] = {}
    if current is not None:
        counts = dict(
            Risk.objects.filter(assessment=current)
            .values_list("residual_band")
            .annotate(n=Count("id"))
            .values_list("residual_band", "n")
        )
    return AssetRisk(
        asset=asset,
        own_band=asset.own_risk_band,
        effective_band=asset.effective_risk_band,
        effective_score=asset.effective_risk_score,
        source=asset.effective_risk_source,
        path=path,
        history=history,
        open_assessment=open_one,
        current=current,
        counts=counts,
    )


# --- register --------------------------------------------------------------------------

REGISTER_SORTS = {
    # Same direction on every column, so an index (rank, ratio, id) serves the sort.
    "risk": ("-residual_rank", "-residual_ratio", "-id"),
    "-risk": ("residual_rank", "residual_ratio", "id"),
    "inherent": ("-inherent_score", "id"),
    "due": (F("due_date").asc(nulls_last=True), "id"),
    "-due": (F("due_date").desc(nulls_last=True), "id"),
    "asset": ("assessment__asset__name", "position", "id"),
    "title": ("title", "id"),
    "owner": ("owner__email", "id"),
    "status": ("status", "id"),
}


@dataclass
class RegisterFilters:
    band: str = ""
    treatment: str = ""
    status: str = ""
    owner: int | None = None
    overdue: bool = False
    business_unit: int | None = None
    matrix: str = ""  # matrix code
    impact: int | None = None
    likelihood: int | None = None
    basis: str = "residual"  # which scores impact/likelihood/band refer to
    kind: str = ""
    tier: str = ""  # EU AI Act tier of the asset
    asset: Any = None  # asset uuid
    q: str = ""
    sort: str = "risk"
    today: date | None = None


def register(filters: RegisterFilters) -> QuerySet[Risk]:
    """Risks of every asset's current (latest approved) assessment."""
    qs = Risk.objects.filter(assessment__is_current=True).select_related(
        "assessment__asset__business_unit", "assessment__matrix", "owner", "threat"
    )
    prefix = "inherent" if filters.basis == "inherent" else "residual"
    if filters.band:
        qs = qs.filter(**{f"{prefix}_band": filters.band})
    if filters.impact:
        qs = qs.filter(**{f"{prefix}_impact": filters.impact})
    if filters.likelihood:
        qs = qs.filter(**{f"{prefix}_likelihood": filters.likelihood})
    if filters.treatment:
        qs = qs.filter(treatment=filters.treatment)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.owner:
        qs = qs.filter(owner_id=filters.owner)
    if filters.overdue:
        today = filters.today or timezone.localdate()
        qs = qs.filter(status=Risk.Status.OPEN, due_date__lt=today).exclude(
            treatment=Risk.Treatment.ACCEPT
        )
    if filters.business_unit:
        qs = qs.filter(assessment__asset__business_unit_id=filters.business_unit)
    if filters.matrix:
        qs = qs.filter(assessment__matrix__code=filters.matrix)
    if filters.kind:
        qs = qs.filter(assessment__asset__kind=filters.kind)
    if filters.tier:
        qs = qs.filter(assessment__asset__tier=filters.tier)
    if filters.asset:
        qs = qs.filter(assessment__asset__uuid=filters.asset)
    if filters.q:
        qs = qs.filter(
            Q(title__icontains=filters.q)
            | Q(assessment__asset__name__icontains=filters.q)
            | Q(threat__code__icontains=filters.q)
        )
    return qs.order_by(*REGISTER_SORTS.get(filters.sort, REGISTER_SORTS["risk"]))


def register_choices() -> dict[str, Any]:
    """Options for the register's filter form (3 queries)."""
    return {
        "business_units": list(BusinessUnit.objects.order_by("name")),
        # Everyone active (a small table); joining 60,000 risks to find owners is not.
        "owners": list(User.objects.filter(is_active=True).order_by("full_name", "email")),
        "matrices": list(RiskMatrix.objects.order_by("-is_default", "name")),
    }


def band_label(slug: str) -> str:
    return BAND_LABEL.get(slug, slug)
