"""Every read the compliance pages, API, tasks and the dashboard need, with a bounded
number of queries. Coverage figures come from the stored summaries, never recomputed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.common.pagination import Window
from riskhub.compliance import applicability, states
from riskhub.compliance.coverage import (
    Bundle,
    Catalog,
    GapCloser,
    ImplementationFacts,
    OpenCount,
    RequirementMapping,
    order_closers,
    rank_closers,
)
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    ControlRequirement,
    ControlThreat,
    Evidence,
    Framework,
    FrameworkCoverage,
    Requirement,
    RequirementCoverage,
    RequirementDate,
    RequirementStatus,
    SufficientSet,
)
from riskhub.inventory import lineage
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import selectors as risk_selectors
from riskhub.risk.models import Threat


def local_today() -> dt.date:
    return timezone.localdate()


# --- the "evidence expiring" figure (DESIGN.md "One truth") ----------------------------
# One window, one rule: the dashboard, every report and the expiry email read these.


def evidence_expiry_window() -> int:
    return int(settings.EVIDENCE_EXPIRY_WINDOW_DAYS)


def expiring_evidence_q(day: dt.date, *, days: int | None = None) -> Q:
    """Evidence still valid on `day` whose validity ends within the window."""
    end = day + dt.timedelta(days=evidence_expiry_window() if days is None else days)
    return Q(valid_until__gte=day, valid_until__lte=end)


def is_expiring_evidence(
    valid_until: dt.date | None, day: dt.date, *, days: int | None = None
) -> bool:
    """The same rule over one evidence row's `valid_until` (a report's state)."""
    if valid_until is None:
        return False
    end = day + dt.timedelta(days=evidence_expiry_window() if days is None else days)
    return day <= valid_until <= end


def evidence_status(valid_until: dt.date | None, day: dt.date) -> str:
    """ "expired" (valid until before `day`), "expiring" (within the window) or "valid":
    the status every report prints beside a piece of evidence."""
    if valid_until is not None and valid_until < day:
        return "expired"
    return "expiring" if is_expiring_evidence(valid_until, day) else "valid"


# --- lineage --------------------------------------------------------------------------


def upstream_ids(start: Iterable[int]) -> set[int]:
    """Everything upstream of `start`: the assets that inherit obligations from it."""
    return lineage.upstream(start)


def components_of(system_id: int) -> set[int]:
    """The components of a system: upstream through part_of links, transitively."""
    return lineage.upstream([system_id], relations=[AssetLink.Relation.PART_OF])


def systems_containing(asset_ids: Iterable[int]) -> set[int]:
    """The systems the assets are part of, transitively (system-level controls reach
    them)."""
    return lineage.downstream(asset_ids, relations=[AssetLink.Relation.PART_OF])


# --- catalog --------------------------------------------------------------------------


def frameworks() -> list[Framework]:
    return list(Framework.objects.select_related("coverage").order_by("position"))


def requirement_mappings() -> dict[int, RequirementMapping]:
    """requirement id -> its full/partial controls and sufficient sets (3 queries)."""
    full: dict[int, set[int]] = defaultdict(set)
    partial: dict[int, set[int]] = defaultdict(set)
    for requirement_id, control_id, coverage in ControlRequirement.objects.filter(
        control__retired=False
    ).values_list("requirement_id", "control_id", "coverage"):
        (full if coverage == "full" else partial)[requirement_id].add(control_id)
    sets: dict[int, list[frozenset[int]]] = defaultdict(list)
    members: dict[int, set[int]] = defaultdict(set)
    owner = dict(SufficientSet.objects.values_list("pk", "requirement_id"))
    through = SufficientSet.controls.through
    for set_id, control_id in through.objects.values_list("sufficientset_id", "control_id"):
        members[set_id].add(control_id)
    for set_id, controls in members.items():
        sets[owner[set_id]].append(frozenset(controls))
    ids = set(full) | set(partial) | set(sets)
    return {
        rid: RequirementMapping(
            frozenset(full.get(rid, ())), frozenset(partial.get(rid, ())), tuple(sets.get(rid, ()))
        )
        for rid in ids
    }


def coverage_catalog() -> tuple[Catalog, dict[int, int]]:
    """What the coverage rule needs of the catalog: the requirements in force in the
    catalog (catalog order) with their applicability rules and dates, their control
    mappings; and each requirement's framework id (4 queries)."""
    specs = []
    framework_of = {}
    for pk, framework_id, rule, dates in (
        Requirement.objects.filter(retired=False)
        .order_by("framework__position", "position")
        .values_list("pk", "framework_id", "rule", "applies_from")
    ):
        specs.append(
            applicability.RequirementSpec(
                pk, applicability.Rule.from_json(rule), applicability.parse_dates(dates)
            )
        )
        framework_of[pk] = framework_id
    return Catalog(specs, requirement_mappings()), framework_of


def implementation_facts(asset_ids: Iterable[int] | None = None) -> list[ImplementationFacts]:
    """Every control implementation as it stands, with the validity dates of its
    evidence, as the coverage rule's plain input (2 queries). With `asset_ids`, only the
    organisation-wide ones and those on these assets (what a scoped recompute reads)."""
    implementations = ControlImplementation.objects.all()
    if asset_ids is not None:
        implementations = implementations.filter(
            Q(scope=Control.Scope.ORGANISATION) | Q(asset_id__in=sorted(set(asset_ids)))
        )
    rows = list(
        implementations.values_list("pk", "control_id", "scope", "asset_id", "status").iterator(
            chunk_size=5000
        )
    )
    evidence: dict[int, list[dt.date | None]] = defaultdict(list)
    found = Evidence.objects.all()
    if asset_ids is not None:
        found = found.filter(implementation__in=implementations)
    for implementation_id, valid_until in found.values_list(
        "implementation_id", "valid_until"
    ).iterator(chunk_size=5000):
        evidence[implementation_id].append(valid_until)
    return [
        ImplementationFacts(control, scope, asset, status, tuple(evidence.get(pk, ())))
        for pk, control, scope, asset, status in rows
    ]


def control_list(*, theme: str = "", query: str = "") -> QuerySet[Control]:
    controls = Control.objects.filter(retired=False)
    if theme:
        controls = controls.filter(theme=theme)
    if query:
        controls = controls.filter(Q(code__icontains=query) | Q(name__icontains=query))
    return (
        controls.prefetch_related(
            Prefetch(
                "mappings",
                queryset=ControlRequirement.objects.select_related(
                    "requirement__framework"
                ).order_by("requirement__framework__position", "requirement__position"),
            ),
            Prefetch(
                "threat_links",
                queryset=ControlThreat.objects.select_related("threat").order_by("position"),
            ),
        )
        .annotate(
            implemented=Count(
                "implementations",
                filter=Q(implementations__status=ControlImplementation.Status.IMPLEMENTED),
            )
        )
        .order_by("position", "code")
    )


def control_themes() -> list[str]:
    return list(
        Control.objects.filter(retired=False)
        .order_by("theme")
        .values_list("theme", flat=True)
        .distinct()
    )


def threat(code: str) -> Threat | None:
    """A threat of the catalog (retired ones too: risks still name them), or None."""
    return risk_selectors.threats(active_only=False).filter(code=code).first()


def controls_for_threat(threat: Threat) -> QuerySet[Control]:
    """The threat's suggested controls: the controls that name it in the library."""
    linked = ControlThreat.objects.filter(threat=threat).values("control_id")
    return control_list().filter(pk__in=linked)


def crosswalk() -> tuple[list[Framework], list[dict[str, Any]]]:
    """Controls x frameworks: for each control, its full and partial refs per framework."""
    fws = list(Framework.objects.order_by("position"))
    rows = []
    for control in control_list():
        cells: dict[int, dict[str, list[str]]] = {f.pk: {"full": [], "partial": []} for f in fws}
        for mapping in control.mappings.all():
            cells[mapping.requirement.framework_id][mapping.coverage].append(
                mapping.requirement.ref
            )
        rows.append({"control": control, "cells": [cells[f.pk] for f in fws]})
    return fws, rows


# --- coverage reads -------------------------------------------------------------------


def overall_coverage() -> list[FrameworkCoverage]:
    """The stored per-framework totals (one query), for the dashboard and the index."""
    return list(
        FrameworkCoverage.objects.select_related("framework").order_by("framework__position")
    )


def requirement_dates(framework_ids: list[int], *, since: dt.date) -> QuerySet[Any]:
    """The stored assets per requirement and start date on or after `since` (kept by
    the coverage recompute with the totals), as rows shaped like a GROUP BY of the
    statuses: framework_id, requirement_id, applies_from, n, ref, title, position."""
    return (
        RequirementDate.objects.filter(
            requirement__framework_id__in=framework_ids, applies_from__gte=since
        )
        .order_by()
        .values(
            "requirement_id",
            "applies_from",
            framework_id=F("requirement__framework_id"),
            n=F("assets"),
            ref=F("requirement__ref"),
            title=F("requirement__title"),
            position=F("requirement__position"),
        )
    )


def overall_coverage_live() -> dict[str, dict[str, int]]:
    """The same figures aggregated from the stored per-asset statuses (two queries);
    the benchmark compares both and the recompute uses it to store the totals."""
    slugs = dict(Framework.objects.values_list("pk", "slug"))
    result = {
        slug: {"met": 0, "partial": 0, "gap": 0, "applicable": 0, "assets": 0}
        for slug in slugs.values()
    }
    for framework_id, status, count in (
        RequirementStatus.objects.values("framework_id", "status")
        .annotate(n=Count("id"))
        .values_list("framework_id", "status", "n")
    ):
        result[slugs[framework_id]][status] = count
        result[slugs[framework_id]]["applicable"] += count
    for framework_id, assets in (
        RequirementStatus.objects.values("framework_id")
        .annotate(n=Count("asset_id", distinct=True))
        .values_list("framework_id", "n")
    ):
        result[slugs[framework_id]]["assets"] = assets
    return result


@dataclass
class RequirementRow:
    requirement: Requirement
    met: int = 0
    partial: int = 0
    gap: int = 0
    earliest: dt.date | None = None

    @property
    def applicable(self) -> int:
        return self.met + self.partial + self.gap


def framework_requirements(
    framework: Framework, starts: dt.date | None = None
) -> list[RequirementRow]:
    """Each requirement with its status counts across assets (two queries); with
    `starts`, only those that start to apply to some asset on that day (the
    dashboard's regulatory-date markers link here; one more query)."""
    rows = {
        r.pk: RequirementRow(r)
        for r in Requirement.objects.filter(framework=framework, retired=False).order_by("position")
    }
    from django.db.models import Min

    for requirement_id, status, count, earliest in (
        RequirementStatus.objects.filter(framework=framework)
        .values("requirement_id", "status")
        .annotate(n=Count("id"), first=Min("applies_from"))
        .values_list("requirement_id", "status", "n", "first")
    ):
        row = rows.get(requirement_id)
        if row is None:
            continue
        setattr(row, status, count)
        if earliest and (row.earliest is None or earliest < row.earliest):
            row.earliest = earliest
    if starts is not None:
        starting = set(
            RequirementStatus.objects.filter(framework=framework, applies_from=starts)
            .values_list("requirement_id", flat=True)
            .distinct()
        )
        return [row for pk, row in rows.items() if pk in starting]
    return list(rows.values())


def asset_obligations(asset: Asset) -> list[RequirementStatus]:
    return list(
        RequirementStatus.objects.filter(asset=asset)
        .select_related("requirement", "framework")
        .order_by("framework__position", "requirement__position")
    )


def valid_evidence_exists(today: dt.date) -> Exists:
    return Exists(
        Evidence.objects.filter(implementation=OuterRef("pk")).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=today)
        )
    )


def implementations_in_scope(
    asset: Asset, today: dt.date | None = None
) -> list[ControlImplementation]:
    """The implementations that count for an asset: organisation-wide, on the systems it
    is part of, and on the asset itself."""
    today = today or local_today()
    systems = systems_containing([asset.pk])
    return list(
        ControlImplementation.objects.filter(
            Q(scope="organisation") | Q(asset=asset) | Q(scope="system", asset_id__in=systems)
        )
        .select_related("control", "asset", "owner")
        .prefetch_related("evidence")
        .annotate(has_valid_evidence=valid_evidence_exists(today))
        .order_by("control__position", "scope")
    )


def open_implementations_owned_by(user: User) -> QuerySet[ControlImplementation]:
    """The control implementations a person still has to deliver: theirs and neither
    implemented nor ruled not applicable."""
    done = [ControlImplementation.Status.IMPLEMENTED, ControlImplementation.Status.NOT_APPLICABLE]
    return ControlImplementation.objects.filter(owner=user).exclude(status__in=done)


def implementation_list(
    *, status: str = "", scope: str = "", needs_review: bool = False
) -> QuerySet[ControlImplementation]:
    today = local_today()
    # The evidence is counted per row shown (a subquery), not by grouping every
    # implementation: at 250,000 implementations the GROUP BY took seconds, and the
    # paginator's count now reads the table alone.
    evidence = (
        Evidence.objects.filter(implementation=OuterRef("pk"))
        .order_by()
        .values("implementation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = ControlImplementation.objects.select_related("control", "asset", "owner").annotate(
        evidence_count=Coalesce(Subquery(evidence), 0),
        has_valid_evidence=valid_evidence_exists(today),
    )
    if status:
        qs = qs.filter(status=status)
    if scope:
        qs = qs.filter(scope=scope)
    if needs_review:
        qs = qs.filter(needs_review=True)
    return qs.order_by("control__position", "scope", "id")


@dataclass
class GapRow:
    asset_id: int
    asset_name: str
    asset_uuid: Any
    requirement: Requirement
    status: str
    applies_from: dt.date | None
    closers: list[Control] = field(default_factory=list)


@dataclass
class GapReport:
    framework: Framework
    rows: list[GapRow]  # the page's
    total: int
    ranked: list[tuple[Control, int, list[str]]]
    page: Page


@dataclass(frozen=True)
class BundleSource:
    """A control that integrates several laws' duties (coverage.Bundle), as its owning
    app provides it: `recommended` is a query of the `asset_id` values of the assets it
    is recommended for, so the gap list counts and orders in the database."""

    control: int
    recommended: QuerySet[Any]

    def bundle(self, asset_ids: Iterable[int]) -> Bundle:
        """The bundle as the rows of these assets see it (one query)."""
        ids = list(asset_ids)
        found = self.recommended.filter(asset_id__in=ids).values_list("asset_id", flat=True)
        return Bundle(self.control, frozenset(found) if ids else frozenset())


# Providers of the controls that integrate several laws' duties; an app that owns such
# a control registers one in its AppConfig.ready (riskhub.impact).
_BUNDLE_PROVIDERS: list[Callable[[], BundleSource | None]] = []


def register_bundles(provider: Callable[[], BundleSource | None]) -> None:
    if provider not in _BUNDLE_PROVIDERS:
        _BUNDLE_PROVIDERS.append(provider)


def gap_bundles() -> list[BundleSource]:
    return [source for provider in _BUNDLE_PROVIDERS if (source := provider()) is not None]


def _open_counts(statuses: QuerySet[RequirementStatus]) -> list[OpenCount]:
    """Open pairs counted per requirement (one aggregate query)."""
    rows = (
        statuses.order_by()
        .values_list("requirement_id", "framework__slug")
        .annotate(pairs=Count("*"))
    )
    return [OpenCount(requirement, framework, pairs) for requirement, framework, pairs in rows]


def gap_list(framework: Framework, *, number: Any = 1, per_page: int = 50) -> GapReport:
    """Open requirements by asset for one framework, each with the controls that would
    close it, and the controls ranked by how many open requirements they close across
    the three laws. The ranking reads the stored totals per requirement (kept by the
    coverage recompute) and counts only the integrated controls' pairs in the database,
    so the page costs a fixed number of queries and holds no row per open pair,
    whatever the inventory size."""
    mappings = requirement_mappings()
    controls = {c.pk: c for c in Control.objects.filter(retired=False)}
    open_statuses = RequirementStatus.objects.filter(status__in=states.OPEN)
    sources = gap_bundles()
    recommended_counts = {
        source.control: _open_counts(
            open_statuses.filter(
                requirement_id__in=[r for r, m in mappings.items() if source.control in m.full],
                asset_id__in=source.recommended,
            )
        )
        for source in sources
    }
    # The stored totals' open pairs: their states.OPEN columns.
    stored = RequirementCoverage.objects.values_list(
        "requirement_id", "requirement__framework__slug", F("partial") + F("gap")
    )
    open_counts = [OpenCount(requirement, slug, pairs) for requirement, slug, pairs in stored]
    ranked = rank_closers(open_counts, mappings, recommended_counts)
    framework_rows = open_statuses.filter(framework=framework)

    def fetch(start: int, stop: int) -> list[RequirementStatus]:
        # Rows start..stop in order (asset name, then catalog order) lie within the
        # first `stop` assets by name that have anything open: the name index is
        # walked that far, not every open row of the framework sorted.
        first_assets = (
            Asset.objects.filter(Exists(framework_rows.filter(asset_id=OuterRef("pk"))))
            .order_by("name", "pk")
            .values("pk")[:stop]
        )
        return list(
            framework_rows.filter(asset_id__in=first_assets)
            .select_related("asset", "requirement")
            .order_by("asset__name", "asset_id", "requirement__position", "pk")[start:stop]
        )

    # A Window is sliced, never iterated whole: what Paginator does with a list.
    window = cast(Any, Window(framework_rows.count(), fetch))
    page: Page[Any] = Paginator(window, per_page).get_page(number)
    shown: list[RequirementStatus] = list(page.object_list)
    bundles = [source.bundle({status.asset_id for status in shown}) for source in sources]
    rank_of = {closer.control: index for index, closer in enumerate(ranked)}
    rows = []
    for status in shown:
        mapping = mappings.get(status.requirement_id, RequirementMapping())
        closers = [
            controls[c]
            for c in order_closers(status.asset_id, mapping.full, rank_of, bundles)
            if c in controls
        ]
        rows.append(
            GapRow(
                status.asset_id,
                status.asset.name,
                status.asset.uuid,
                status.requirement,
                status.status,
                status.applies_from,
                closers,
            )
        )
    page.object_list = rows
    return GapReport(
        framework, rows, page.paginator.count, _ranked_rows(ranked[:15], controls), page
    )


def _ranked_rows(
    ranked: list[GapCloser], controls: dict[int, Control]
) -> list[tuple[Control, int, list[str]]]:
    return [
        (controls[c.control], c.closes, sorted(c.frameworks))
        for c in ranked
        if c.control in controls
    ]


def evidence_for_download(evidence_uuid: Any) -> Evidence:
    return Evidence.objects.select_related("implementation").get(uuid=evidence_uuid, kind="file")
