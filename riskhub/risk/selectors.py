"""Every read of the risk app, each with a fixed number of queries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Max, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.inventory import selectors as inventory_figures
from riskhub.inventory.models import Asset, BusinessUnit
from riskhub.risk.bands import BANDS as RISK_BANDS
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

# How risks rank (DESIGN.md): band, then score over the matrix maximum, then the older
# first. The register, the API, the dashboard's top risks and the reports order by it;
# the index risk_register_order is declared in this order, so either direction of it
# is one index walk.
RANK_ORDER = ("-residual_rank", "-residual_ratio", "id")


def rank_key(risk: Mapping[str, Any]) -> tuple[int, float, int]:
    """RANK_ORDER over a plain row (a report's state as of a moment)."""
    return (-risk["residual_rank"], -risk["residual_ratio"], risk["id"])


REGISTER_SORTS = {
    "risk": RANK_ORDER,
    "-risk": ("residual_rank", "residual_ratio", "-id"),
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


def register_q() -> Q:
    """A risk of the register: in the current (latest approved) assessment of an asset
    that is not archived. The register, the dashboard, the snapshots, the emails and
    every report count these and no others: archiving an asset takes its risks out of
    all of them at once (DESIGN.md "One truth")."""
    return Q(assessment__is_current=True) & inventory_figures.active_q("assessment__asset__")


def register(filters: RegisterFilters) -> QuerySet[Risk]:
    """The register's risks (``register_q``), filtered and sorted."""
    qs = Risk.objects.filter(register_q()).select_related(
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
        qs = qs.filter(overdue_q(filters.today or timezone.localdate()))
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


# --- the figures (DESIGN.md "One truth") -----------------------------------------------
#
# Each figure is defined here once, as a Q object for the querysets (live or history
# tables, which share the field names) and, beside it, as the same rule over a plain
# row (the reports' in-memory state as of a moment). tests/risk/test_figures.py proves
# the two spellings agree on every combination of status, treatment and due date.
#
# "Open" is a risk of a current assessment with status open. An accepted risk is
# counted as accepted, never as open (it still counts for effective risk, which is the
# highest band among open and accepted risks). "Overdue" is an open risk whose
# treatment was due before the day (a date, in the organisation's time zone) and whose
# treatment is not to accept it: such a risk waits for a decision, not a fix.


def open_q() -> Q:
    return Q(status=Risk.Status.OPEN)


def accepted_q() -> Q:
    return Q(status=Risk.Status.ACCEPTED)


def overdue_q(day: date) -> Q:
    return open_q() & Q(due_date__lt=day) & ~Q(treatment=Risk.Treatment.ACCEPT)


def awaiting_acceptance_q() -> Q:
    """A risk of a current assessment whose chosen treatment is to accept it and that
    no executive has accepted yet: it waits for a decision."""
    return open_q() & Q(treatment=Risk.Treatment.ACCEPT, assessment__is_current=True)


def treatment_due_window() -> int:
    return int(settings.TREATMENT_DUE_WINDOW_DAYS)


def treatment_due_q(day: date, *, days: int | None = None) -> Q:
    """An open risk of a current assessment whose treatment is overdue or due within
    the window starting on `day` (a risk to accept waits for a decision instead)."""
    end = day + timedelta(days=treatment_due_window() if days is None else days)
    return (
        open_q()
        & Q(assessment__is_current=True, due_date__lte=end)
        & ~Q(treatment=Risk.Treatment.ACCEPT)
    )


def is_open(risk: Mapping[str, Any]) -> bool:
    return bool(risk["status"] == Risk.Status.OPEN)


def is_accepted(risk: Mapping[str, Any]) -> bool:
    return bool(risk["status"] == Risk.Status.ACCEPTED)


def is_overdue(risk: Mapping[str, Any], day: date) -> bool:
    due = risk["due_date"]
    if isinstance(due, str):  # a report row carries ISO dates
        due = date.fromisoformat(due) if due else None
    return (
        is_open(risk)
        and due is not None
        and due < day
        and risk["treatment"] != Risk.Treatment.ACCEPT
    )


def assessed_asset_ids(assessments: QuerySet[Any]) -> QuerySet[Any]:
    """The assets with a current (latest approved) assessment, as a subquery over the
    live or history assessments; every other active asset is unassessed."""
    return assessments.filter(is_current=True).values("asset_id")


def acceptance_expiry_window() -> int:
    return int(settings.ACCEPTANCE_EXPIRY_WINDOW_DAYS)


def expiring_acceptances_q(day: date, *, days: int | None = None) -> Q:
    """Active acceptances that end within the window starting on `day`."""
    end = day + timedelta(days=acceptance_expiry_window() if days is None else days)
    return Q(revoked=False, expired_at__isnull=True, expires_on__gte=day, expires_on__lte=end)


def is_expired_acceptance(acceptance: Mapping[str, Any], day: date) -> bool:
    """An acceptance that ran out (marked expired, or past its date and not yet marked):
    its risk is no longer accepted, an exception until someone decides again."""
    if acceptance.get("revoked", False):
        return False
    expires_on = acceptance["expires_on"]
    if isinstance(expires_on, str):
        expires_on = date.fromisoformat(expires_on)
    return acceptance.get("expired_at") is not None or expires_on < day


def risk_ref(assessment_id: int, position: int) -> str:
    """A risk's short human identifier: its assessment and its place in it ("A12-R03").
    An approved assessment never changes (DESIGN.md "Immutability"), so the identifier
    of each of its risks never does either."""
    return f"A{assessment_id}-R{position + 1:02d}"


def is_expiring_acceptance(
    acceptance: Mapping[str, Any], day: date, *, days: int | None = None
) -> bool:
    expires_on = acceptance["expires_on"]
    if isinstance(expires_on, str):
        expires_on = date.fromisoformat(expires_on)
    end = day + timedelta(days=acceptance_expiry_window() if days is None else days)
    return (
        not acceptance.get("revoked", False)
        and acceptance.get("expired_at") is None
        and day <= expires_on <= end
    )


BANDS = [b.slug for b in RISK_BANDS]  # lowest first: the one band definition


@dataclass
class RiskFigures:
    """Open risks by residual band, accepted and overdue risks."""

    open_by_band: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BANDS, 0))
    accepted: int = 0
    overdue: int = 0

    @property
    def open(self) -> int:
        return sum(self.open_by_band.values())

    @property
    def high_critical(self) -> int:
        return self.open_by_band["high"] + self.open_by_band["critical"]

    def add(self, row: Mapping[str, Any]) -> None:
        """Add one row of ``figure_counts`` (grouped by residual band at least)."""
        if row["open"]:
            band = row["residual_band"]
            self.open_by_band[band] = self.open_by_band.get(band, 0) + row["open"]
        self.accepted += row["accepted"]
        self.overdue += row["overdue"]


def figure_counts(day: date, *, tally: str = "") -> dict[str, Any]:
    """The aggregations of every risk figure, to annotate a ``values()`` grouping that
    includes ``residual_band`` (the dashboard groups by cell, the snapshot by slice).
    Over risks each row counts one; over the register's totals (``tally="n"``, which
    carry the same field names) each row counts its tally."""

    def count(q: Q) -> Any:
        return Coalesce(Sum(tally, filter=q), 0) if tally else Count("id", filter=q)

    return {
        "open": count(open_q()),
        "accepted": count(accepted_q()),
        "overdue": count(overdue_q(day)),
    }


def risk_figures(risks: QuerySet[Any], day: date) -> RiskFigures:
    """The figures of a set of risks (live or history rows) on a day: one GROUP BY."""
    result = RiskFigures()
    for row in risks.values("residual_band").annotate(**figure_counts(day)).order_by():
        result.add(row)
    return result


def risk_figures_of_rows(risks: Iterable[Mapping[str, Any]], day: date) -> RiskFigures:
    """The same figures over plain rows (a report's state as of a moment)."""
    result = RiskFigures()
    for risk in risks:
        result.add(
            {
                "residual_band": risk["residual_band"]
                if "residual_band" in risk
                else risk["residual"]["band"],
                "open": int(is_open(risk)),
                "accepted": int(is_accepted(risk)),
                "overdue": int(is_overdue(risk, day)),
            }
        )
    return result
