"""Every read of the executive dashboard, aggregated in the database.

The page runs a fixed number of queries whatever the size of the inventory: each
figure is one GROUP BY (or one conditional aggregation) over the tables of the lower
apps. For a past "as of" date the same aggregations run over the django-simple-history
tables (``Model.history.as_of``), which carry the same field names; the trend and the
coverage of a past day come from the daily snapshots.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    Count,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from riskhub.compliance import selectors as compliance_figures
from riskhub.compliance.models import Evidence, Framework, RequirementStatus
from riskhub.dashboard.models import COVERAGE_COLUMNS, DailySnapshot
from riskhub.inventory import selectors as inventory_figures
from riskhub.inventory.models import CLASSIFIABLE_KINDS, Asset, BusinessUnit
from riskhub.risk import selectors as risk_figures
from riskhub.risk import totals as risk_totals
from riskhub.risk.models import Assessment, Risk, RiskAcceptance, RiskMatrix
from riskhub.scans import selectors as scan_figures

BANDS = risk_figures.BANDS  # lowest first
COVERAGE_STATES = ("met", "partial", "gap")
REVIEW_WINDOW_DAYS = 30
TREND_DAYS = 90
TIMELINE_LIMIT = 40
TOP_RISKS = 10
UNASSESSED_LIST = 10


@dataclass(frozen=True)
class DashboardFilters:
    business_unit: int | None = None
    kind: str = ""
    tier: str = ""
    framework: str = ""  # framework slug
    as_of: dt.date | None = None  # None: today, from the live tables

    @property
    def asset_filtered(self) -> bool:
        return bool(self.business_unit or self.kind or self.tier)

    def asset_q(self, prefix: str = "") -> Q:
        q = Q()
        if self.business_unit:
            q &= Q(**{f"{prefix}business_unit_id": self.business_unit})
        if self.kind:
            q &= Q(**{f"{prefix}kind": self.kind})
        if self.tier:
            q &= Q(**{f"{prefix}tier": self.tier})
        return q


def end_of_day(day: dt.date) -> dt.datetime:
    """The last instant of a day in the current (organisation) time zone."""
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min)
    return timezone.make_aware(start) - dt.timedelta(microseconds=1)


@dataclass
class Sources:
    """The querysets the aggregations read: the live tables, or the history tables as
    they stood at the end of a past day. Both expose the same field names."""

    day: dt.date
    historical: bool
    assets: QuerySet[Any]
    assessments: QuerySet[Any]
    risks: QuerySet[Any]
    acceptances: QuerySet[Any]
    evidence: QuerySet[Any]


def sources(day: dt.date, *, today: dt.date | None = None) -> Sources:
    today = today or timezone.localdate()
    if day >= today:
        return Sources(
            day=day,
            historical=False,
            assets=Asset.objects.all(),
            assessments=Assessment.objects.all(),
            risks=Risk.objects.all(),
            acceptances=RiskAcceptance.objects.all(),
            evidence=Evidence.objects.all(),
        )
    moment = end_of_day(day)
    return Sources(
        day=day,
        historical=True,
        assets=Asset.history.as_of(moment),
        assessments=Assessment.history.as_of(moment),
        risks=Risk.history.as_of(moment),
        acceptances=RiskAcceptance.history.as_of(moment),
        evidence=Evidence.history.as_of(moment),
    )


@dataclass
class Scope:
    """The filtered querysets every figure starts from."""

    filters: DashboardFilters
    src: Sources

    @property
    def day(self) -> dt.date:
        return self.src.day

    def assets(self) -> QuerySet[Any]:
        """Active (not archived) assets in the filtered slice."""
        return self.src.assets.filter(self.filters.asset_q(), inventory_figures.active_q())

    def current_assessments(self) -> QuerySet[Any]:
        """Current (latest approved) assessments of the active assets in the slice."""
        return self.src.assessments.filter(is_current=True, asset_id__in=self.assets().values("id"))

    def current_risks(self) -> QuerySet[Any]:
        """The risk register's risks (``risk.selectors.register_q``) in the slice, so a
        heatmap count equals what the register shows when the cell is clicked. The
        history tables cannot join, so a past day goes through the assets of that day."""
        if not self.src.historical and not self.filters.asset_filtered:
            return self.src.risks.filter(risk_figures.register_q())
        return self.src.risks.filter(assessment_id__in=self.current_assessments().values("id"))


def scope(filters: DashboardFilters, *, today: dt.date | None = None) -> Scope:
    today = today or timezone.localdate()
    day = min(filters.as_of or today, today)
    return Scope(filters=filters, src=sources(day, today=today))


# --- assets ---------------------------------------------------------------------------


@dataclass
class AssetCounts:
    total: int = 0
    unassessed: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    by_tier: dict[str, int] = field(default_factory=dict)  # classified assets only
    unassessed_by_kind: dict[str, int] = field(default_factory=dict)
    # Without a tier, told apart as the inventory list does (Asset.tier_label):
    # systems and models still to answer the questionnaire, and the kinds that never
    # carry one (datasets, endpoints show the tiers of the systems they feed).
    not_yet_classified: int = 0
    not_applicable: int = 0
    # Security-scanned within SCAN_TESTED_WINDOW_DAYS up to the day (riskhub.scans),
    # by tier ("" for the assets without one) and in total.
    tested: int = 0
    tested_by_tier: dict[str, int] = field(default_factory=dict)
    total_by_tier: dict[str, int] = field(default_factory=dict)


def asset_counts(sc: Scope) -> AssetCounts:
    """Active assets by kind and tier (or why they have none), those without a
    current approved assessment, and those security-tested recently (one query)."""
    assessed = risk_figures.assessed_asset_ids(sc.src.assessments)
    rows = (
        sc.assets()
        .values("kind", "tier")
        .annotate(
            n=Count("id"),
            unassessed=Count("id", filter=inventory_figures.unassessed_q(assessed)),
            tested=Count("id", filter=scan_figures.tested_q(end_of_day(sc.day))),
        )
        .order_by()
    )
    result = AssetCounts(
        by_kind={k: 0 for k in Asset.Kind.values},
        unassessed_by_kind={k: 0 for k in Asset.Kind.values},
    )
    for row in rows:
        result.total += row["n"]
        result.unassessed += row["unassessed"]
        result.by_kind[row["kind"]] = result.by_kind.get(row["kind"], 0) + row["n"]
        result.unassessed_by_kind[row["kind"]] = (
            result.unassessed_by_kind.get(row["kind"], 0) + row["unassessed"]
        )
        tier = row["tier"] or ""
        result.tested += row["tested"]
        result.tested_by_tier[tier] = result.tested_by_tier.get(tier, 0) + row["tested"]
        result.total_by_tier[tier] = result.total_by_tier.get(tier, 0) + row["n"]
        if tier:
            result.by_tier[tier] = result.by_tier.get(tier, 0) + row["n"]
        elif row["kind"] in CLASSIFIABLE_KINDS:
            result.not_yet_classified += row["n"]
        else:
            result.not_applicable += row["n"]
    return result


def unassessed_assets(sc: Scope, *, limit: int = UNASSESSED_LIST) -> list[dict[str, Any]]:
    """The first assets (by name) without a current approved assessment (one query).

    The unassessed ids are found first, by an anti-join, and only those are sorted by
    name (87 ms against 20 at 100,000 assets)."""
    assessed = risk_figures.assessed_asset_ids(sc.src.assessments)
    unassessed = sc.assets().filter(inventory_figures.unassessed_anti_join_q(assessed))
    return list(
        sc.assets()
        .filter(id__in=unassessed.values("id"))
        .order_by("name", "id")
        .values("uuid", "name", "kind", "tier", "business_unit__name")[:limit]
    )


# --- risks ----------------------------------------------------------------------------


@dataclass
class RiskCounts(risk_figures.RiskFigures):
    """The risk app's figures (open by residual band, accepted, overdue) and, for each
    matrix, the open risks per cell on both bases:
    cells[matrix_id][basis][(impact, likelihood)]."""

    cells: dict[int, dict[str, dict[tuple[int, int], int]]] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return self.open


_CELL = (
    "residual_band",
    "inherent_impact",
    "inherent_likelihood",
    "residual_impact",
    "residual_likelihood",
)


def risk_counts(sc: Scope) -> RiskCounts:
    """Every risk figure in one GROUP BY: over the register's totals that PostgreSQL
    keeps (risk.totals) for the whole organisation today, over the risks themselves
    for a slice, a past day, or on SQLite."""
    if risk_totals.kept() and not sc.src.historical and not sc.filters.asset_filtered:
        rows = (
            risk_totals.rows()
            .values("matrix_id", *_CELL)
            .annotate(**risk_figures.figure_counts(sc.day, tally="n"))
        )
    else:
        rows = (
            sc.current_risks()
            .values(*_CELL, matrix_id=F("assessment__matrix_id"))
            .annotate(**risk_figures.figure_counts(sc.day))
            .order_by()
        )
    result = RiskCounts()
    for row in rows:
        result.add(row)
        if not row["open"]:
            continue
        cells = result.cells.setdefault(
            row["matrix_id"],
            {"inherent": defaultdict(int), "residual": defaultdict(int)},
        )
        cells["inherent"][(row["inherent_impact"], row["inherent_likelihood"])] += row["open"]
        cells["residual"][(row["residual_impact"], row["residual_likelihood"])] += row["open"]
    return result


def matrices_in_use(counts: RiskCounts) -> list[RiskMatrix]:
    """The default matrix first, then every other matrix that holds an open risk
    (one query)."""
    return [
        m
        for m in RiskMatrix.objects.order_by("-is_default", "name")
        if m.is_default or m.pk in counts.cells
    ]


def top_risks(sc: Scope, *, limit: int = TOP_RISKS) -> list[dict[str, Any]]:
    """The open risks ranked as DESIGN.md compares them: band, then score over the
    matrix maximum (one query)."""
    return list(
        sc.current_risks()
        .filter(risk_figures.open_q())
        .order_by(*risk_figures.RANK_ORDER)
        .values(
            "uuid",
            "title",
            "residual_band",
            "residual_score",
            "residual_ratio",
            "treatment",
            "due_date",
            "assessment__uuid",
            "assessment__asset__uuid",
            "assessment__asset__name",
            "assessment__asset__kind",
            "assessment__matrix__name",
        )[:limit]
    )


# --- deadlines ------------------------------------------------------------------------


@dataclass
class Deadlines:
    acceptances_expiring: int = 0
    evidence_expiring: int = 0
    reviews_overdue: int = 0
    reviews_due_soon: int = 0
    # The windows the counts were taken over (settings, one each).
    acceptance_window_days: int = 0
    evidence_window_days: int = 0
    review_window_days: int = REVIEW_WINDOW_DAYS


def _count(qs: QuerySet[Any], label: str) -> QuerySet[Any]:
    """One labelled COUNT(*) row, to be UNIONed with others."""
    return (
        qs.order_by()
        .annotate(label=Value(label, output_field=CharField()))
        .values("label")
        .annotate(n=Count("pk"))
        .values_list("label", "n")
    )


def deadlines(sc: Scope) -> Deadlines:
    """Acceptances and evidence expiring within their windows (the risk and compliance
    apps' figures), assessment reviews overdue and due within the review window: four
    counts in one UNION ALL query.

    Filtered by asset, organisation-wide evidence drops out: it belongs to no business
    unit."""
    result = Deadlines(
        acceptance_window_days=risk_figures.acceptance_expiry_window(),
        evidence_window_days=compliance_figures.evidence_expiry_window(),
    )
    window_end = sc.day + dt.timedelta(days=result.review_window_days)
    # Acceptances of the register's risks only: not of a superseded assessment, not of
    # an archived asset.
    acceptances = sc.src.acceptances.filter(
        risk_figures.expiring_acceptances_q(sc.day), risk_id__in=sc.current_risks().values("id")
    )
    evidence = sc.src.evidence.filter(compliance_figures.expiring_evidence_q(sc.day))
    if sc.filters.asset_filtered:
        evidence = evidence.filter(implementation__asset_id__in=sc.assets().values("id"))
    current = sc.current_assessments()
    parts = [
        _count(acceptances, "acceptances_expiring"),
        _count(evidence, "evidence_expiring"),
        _count(current.filter(next_review_due__lt=sc.day), "reviews_overdue"),
        _count(
            current.filter(next_review_due__gte=sc.day, next_review_due__lte=window_end),
            "reviews_due_soon",
        ),
    ]
    for label, n in parts[0].union(*parts[1:], all=True):
        setattr(result, label, n)
    return result


# --- obligations: coverage and the regulatory timeline --------------------------------


@dataclass
class RegulatoryDate:
    date: dt.date
    framework_slug: str
    ref: str
    title: str
    assets: int


@dataclass
class FrameworkFigures:
    slug: str
    name: str
    met: int = 0
    partial: int = 0
    gap: int = 0
    recorded: bool = True

    @property
    def applicable(self) -> int:
        return self.met + self.partial + self.gap

    @property
    def met_pct(self) -> int:
        return round(100 * self.met / self.applicable) if self.applicable else 0


@dataclass
class Obligations:
    coverage: list[FrameworkFigures]
    timeline: list[RegulatoryDate]


def obligations(sc: Scope, fws: list[Framework], *, limit: int = TIMELINE_LIMIT) -> Obligations:
    """Coverage per framework (met / partial / gap over asset x applicable requirement
    pairs) and the upcoming dates from which obligations apply to the assets in scope,
    from one GROUP BY over the compliance app's stored per-asset statuses. The groups
    are bounded by the catalog (requirement x date x state), not by the inventory.

    The statuses have no history: for a past day the coverage comes from that day's
    snapshots (see ``trend``) and the timeline from today's applicability."""
    if sc.filters.framework:
        fws = [f for f in fws if f.slug == sc.filters.framework]
    by_id = {f.pk: f for f in fws}
    figures = {f.pk: FrameworkFigures(f.slug, f.short_name) for f in fws}
    stored: list[tuple[int, int, int] | None] = [getattr(f, "stored", None) for f in fws]
    use_stored = not sc.filters.asset_filtered and all(t is not None for t in stored)
    rows: Iterable[Any]
    if use_stored:
        # The organisation-wide totals are stored by the compliance app, and so are the
        # assets per requirement and start date: the statuses are not read at all.
        for f, totals in zip(fws, stored, strict=True):
            assert totals is not None
            figures[f.pk].met, figures[f.pk].partial, figures[f.pk].gap = totals
        rows = compliance_figures.requirement_dates(list(by_id), since=sc.day)
    else:
        # Unfiltered, no join to the assets: the compliance app stores no status for an
        # archived asset.
        qs = RequirementStatus.objects.filter(framework_id__in=list(by_id))
        if sc.filters.asset_filtered:
            qs = qs.filter(asset_id__in=sc.assets().values("id"))
        # Grouped by ids only; the requirement's words ride along as aggregates.
        # Grouping by them too sorted every status row by its title.
        rows = (
            qs.values("framework_id", "requirement_id", "applies_from", "status")
            .annotate(
                n=Count("id"),
                ref=Min("requirement__ref"),
                title=Min("requirement__title"),
                position=Min("requirement__position"),
            )
            .order_by()
        )
    upcoming: dict[tuple[dt.date, int, int], RegulatoryDate] = {}
    for row in rows:
        figure = figures[row["framework_id"]]
        if not use_stored and row.get("status") in COVERAGE_STATES:
            setattr(figure, row["status"], getattr(figure, row["status"]) + row["n"])
        day = row["applies_from"]
        if day is not None and day >= sc.day:
            framework = by_id[row["framework_id"]]
            key = (day, framework.position, row["position"])
            entry = upcoming.get(key)
            if entry is None:
                entry = upcoming[key] = RegulatoryDate(
                    date=day,
                    framework_slug=framework.slug,
                    ref=row["ref"],
                    title=row["title"],
                    assets=0,
                )
            entry.assets += row["n"]
    timeline = [upcoming[key] for key in sorted(upcoming)][:limit]
    return Obligations(coverage=list(figures.values()), timeline=timeline)


def coverage_of_day(
    fws: list[Framework], filters: DashboardFilters, point: TrendPoint | None
) -> list[FrameworkFigures]:
    """Coverage as the snapshot of a past day recorded it."""
    if filters.framework:
        fws = [f for f in fws if f.slug == filters.framework]
    result = []
    for f in fws:
        figure = FrameworkFigures(f.slug, f.short_name)
        counts = point.coverage.get(f.slug) if point is not None else None
        if counts is None:
            figure.recorded = False
        else:
            figure.met, figure.partial, figure.gap = (counts[s] for s in COVERAGE_STATES)
        result.append(figure)
    return result


# --- catalog lists --------------------------------------------------------------------


def filter_options() -> tuple[list[BusinessUnit], list[Framework]]:
    """The business units and frameworks the filters offer, in one UNION ALL query.
    Each framework carries the compliance app's stored totals as ``stored`` (met,
    partial, gap) or None when they have not been computed yet."""
    zero = Value(0, output_field=IntegerField())
    blank = Value("", output_field=CharField())
    units_part = (
        BusinessUnit.objects.order_by()
        .annotate(t=Value("bu", output_field=CharField()), i=F("pk"), a=F("name"), b=blank)
        .annotate(o=zero, m=zero, p=zero, g=zero, has=zero)
        .values_list("t", "i", "a", "b", "o", "m", "p", "g", "has")
    )
    frameworks_part = (
        Framework.objects.order_by()
        .annotate(t=Value("fw", output_field=CharField()), i=F("pk"), a=F("slug"), b=F("name"))
        .annotate(
            o=F("position"),
            m=Coalesce(F("coverage__met"), zero),
            p=Coalesce(F("coverage__partial"), zero),
            g=Coalesce(F("coverage__gap"), zero),
            has=Count("coverage__id"),
        )
        .values_list("t", "i", "a", "b", "o", "m", "p", "g", "has")
    )
    units: list[BusinessUnit] = []
    fws: list[Framework] = []
    for kind, pk, a, b, position, met, partial, gap, has in units_part.union(
        frameworks_part, all=True
    ):
        if kind == "bu":
            units.append(BusinessUnit(pk=pk, name=a))
        else:
            framework = Framework(pk=pk, slug=a, name=b, position=position)
            framework.stored = (met, partial, gap) if has else None  # type: ignore[attr-defined]
            fws.append(framework)
    units.sort(key=lambda u: u.name)
    fws.sort(key=lambda f: (f.position, f.slug))
    return units, fws


# --- snapshots ------------------------------------------------------------------------


def snapshot_q(filters: DashboardFilters) -> Q:
    q = Q()
    if filters.business_unit:
        q &= Q(business_unit_id=filters.business_unit)
    if filters.kind:
        q &= Q(kind=filters.kind)
    if filters.tier:
        q &= Q(tier=filters.tier)
    return q


@dataclass
class TrendPoint:
    date: dt.date
    low: int
    medium: int
    high: int
    critical: int
    overdue: int
    unassessed: int
    # {framework slug: {"met", "partial", "gap"}}, for the frameworks recorded that day
    coverage: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.low + self.medium + self.high + self.critical


def trend(sc: Scope, *, days: int = TREND_DAYS) -> list[TrendPoint]:
    """Open risks by band (and coverage) per day over the window ending on the
    dashboard's day, summed over the snapshot slices in scope (one query).

    These are the recorded days; ``dashboard`` replaces today's with the live figures
    (``live_point``), since today's snapshot is at best last night's."""
    start = sc.day - dt.timedelta(days=days - 1)
    coverage_sums = {
        f"{prefix}_{state}": Sum(f"{prefix}_{state}")
        for prefix in COVERAGE_COLUMNS.values()
        for state in COVERAGE_STATES
    }
    rows = (
        DailySnapshot.objects.filter(snapshot_q(sc.filters), date__gte=start, date__lte=sc.day)
        .values("date")
        .annotate(
            low=Sum("risks_low"),
            medium=Sum("risks_medium"),
            high=Sum("risks_high"),
            critical=Sum("risks_critical"),
            overdue=Sum("overdue"),
            unassessed=Sum("unassessed"),
            **coverage_sums,
        )
        .order_by("date")
    )
    points = []
    for typed in rows:
        r: dict[str, Any] = dict(typed)  # the coverage keys are built, not literal
        coverage = {
            slug: {state: r[f"{prefix}_{state}"] for state in COVERAGE_STATES}
            for slug, prefix in COVERAGE_COLUMNS.items()
            if r[f"{prefix}_met"] is not None
        }
        points.append(
            TrendPoint(
                date=r["date"],
                low=r["low"] or 0,
                medium=r["medium"] or 0,
                high=r["high"] or 0,
                critical=r["critical"] or 0,
                overdue=r["overdue"] or 0,
                unassessed=r["unassessed"] or 0,
                coverage=coverage,
            )
        )
    return points


def live_point(
    day: dt.date, risks: RiskCounts, assets: AssetCounts, coverage: list[FrameworkFigures]
) -> TrendPoint:
    """Today's point of the trend: the headline's own figures, computed live."""
    return TrendPoint(
        date=day,
        low=risks.open_by_band["low"],
        medium=risks.open_by_band["medium"],
        high=risks.open_by_band["high"],
        critical=risks.open_by_band["critical"],
        overdue=risks.overdue,
        unassessed=assets.unassessed,
        coverage={
            f.slug: {"met": f.met, "partial": f.partial, "gap": f.gap}
            for f in coverage
            if f.recorded
        },
    )


# --- the page -------------------------------------------------------------------------


@dataclass
class Dashboard:
    filters: DashboardFilters
    day: dt.date
    historical: bool
    assets: AssetCounts
    risks: RiskCounts
    matrices: list[RiskMatrix]
    top_risks: list[dict[str, Any]]
    deadlines: Deadlines
    frameworks: list[Framework]
    coverage: list[FrameworkFigures]
    trend: list[TrendPoint]
    timeline: list[RegulatoryDate]
    unassessed: list[dict[str, Any]]
    business_units: list[BusinessUnit]


def dashboard(
    filters: DashboardFilters,
    *,
    today: dt.date | None = None,
    options: tuple[list[BusinessUnit], list[Framework]] | None = None,
) -> Dashboard:
    """Everything the page shows in nine queries whatever the data (eight when the
    caller passes the filter options it already read for the form)."""
    sc = scope(filters, today=today)
    units, fws = options if options is not None else filter_options()
    risks = risk_counts(sc)
    assets = asset_counts(sc)
    points = trend(sc)
    duties = obligations(sc, fws)
    if sc.src.historical:
        last = points[-1] if points and points[-1].date == sc.day else None
        duties.coverage = coverage_of_day(fws, filters, last)
    else:
        # Today's point is the headline itself, not last night's snapshot.
        points = [p for p in points if p.date != sc.day]
        points.append(live_point(sc.day, risks, assets, duties.coverage))
    return Dashboard(
        filters=filters,
        day=sc.day,
        historical=sc.src.historical,
        assets=assets,
        risks=risks,
        matrices=matrices_in_use(risks),
        top_risks=top_risks(sc),
        deadlines=deadlines(sc),
        frameworks=fws,
        coverage=duties.coverage,
        trend=points,
        timeline=duties.timeline,
        unassessed=unassessed_assets(sc),
        business_units=units,
    )
