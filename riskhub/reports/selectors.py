"""Every read the reports app needs: the register's state as of a moment, and the
report rows for the pages and the API.

A report reads the history tables (django-simple-history): `Model.history.as_of(t)`
gives each row as it stood at `t`. Rows written without history (bulk imports, demo
data) have no historical record; they are read from the live table when they were
created before `t`, which is the best the database knows about them. Coverage and
applicability are recomputed in memory by the compliance app's coverage rule
(`compliance.coverage.assess_asset`, the same function that writes the stored
statuses), since the stored statuses only describe the present. Catalog rows
(frameworks, requirements, controls) are read as they are now: they are versioned by
the catalog itself. Requirements are identified by (framework, ref), never by ref
alone (`ComplianceState.requirement_key`).

Every function here issues a fixed number of queries, whatever the inventory size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Min, Model, Q, QuerySet
from django.utils import timezone

from riskhub.audit.models import AuditEvent
from riskhub.compliance.coverage import (
    AssetCoverage,
    AssetFacts,
    ImplementationFacts,
    Implementations,
    RequirementMapping,
    assess_asset,
)
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    Evidence,
    Framework,
    Requirement,
)
from riskhub.compliance.selectors import coverage_catalog
from riskhub.inventory.lineage import DOWN, UP, Edge, Graph
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset, AssetLink, BusinessUnit
from riskhub.reports.models import Report, ScheduledReport
from riskhub.risk import selectors as risk_figures
from riskhub.risk.effective import Candidate, compute
from riskhub.risk.models import Assessment, Risk, RiskAcceptance, RiskMatrix, Threat

ASSET_FIELDS = [
    "id",
    "uuid",
    "kind",
    "name",
    "description",
    "owner",
    "business_unit",
    "lifecycle",
    "source",
    "vendor",
    "data_origin",
    "collection_method",
    "record_count",
    "personal_data",
    "special_categories",
    "childrens_data",
    "licence",
    "provenance_verified",
    "model_type",
    "framework",
    "model_version",
    "training_flops",
    "general_purpose",
    "open_weights",
    "model_card",  # the Annex IV dossier's section 2(g), 3 and 4 material (issue 17)
    "url",
    "exposure",
    "authentication",
    "rate_limited",
    "intended_purpose",
    "deployment_context",
    "affected_persons",
    "placed_on_eu_market",
    "placed_on_market_date",
    "public_authority_use",
    *ANNEX_IV_FIELDS,
    "tier",
    "gdpr_applies",
    "ccpa_applies",
    "facts",
    "archived_at",
    "created_at",
]
LINK_FIELDS = ["id", "upstream", "downstream", "relation"]
IMPLEMENTATION_FIELDS = [
    "id",
    "uuid",
    "control",
    "scope",
    "asset",
    "status",
    "justification",
    "owner",
]
EVIDENCE_FIELDS = [
    "id",
    "uuid",
    "implementation",
    "kind",
    "original_name",
    "url",
    "description",
    "valid_until",
    "sha256",
    "uploaded_by",
    "uploaded_at",
]
ASSESSMENT_FIELDS = ["id", "uuid", "asset", "version", "status", "matrix", "approved_at"]
RISK_FIELDS = [
    "id",
    "uuid",
    "assessment",
    "position",
    "threat",
    "title",
    "existing_controls",
    "inherent_impact",
    "inherent_likelihood",
    "inherent_score",
    "inherent_band",
    "residual_impact",
    "residual_likelihood",
    "residual_score",
    "residual_band",
    "residual_rank",
    "residual_ratio",
    "treatment",
    "owner",
    "due_date",
    "status",
]
ACCEPTANCE_FIELDS = [
    "id",
    "risk",
    "approved_by",
    "rationale",
    "expires_on",
    "revoked",
    "expired_at",
]


def rows_as_of(
    model: type[Model], fields: list[str], as_of: dt.datetime | None, created: str
) -> list[dict[str, Any]]:
    """The rows of `model` as they stood at `as_of` (None: now), two queries."""
    if as_of is None:
        return list(model._default_manager.values(*fields))  # type: ignore[attr-defined]
    history = model.history  # type: ignore[attr-defined]
    rows = list(history.as_of(as_of).values(*fields))
    # Rows that never got a historical record (bulk_create) come from the live table.
    untracked = (
        model._default_manager.filter(**{f"{created}__lte": as_of})  # type: ignore[attr-defined]
        .exclude(pk__in=history.values("id"))
        .values(*fields)
    )
    rows.extend(untracked)
    return rows


@dataclass
class Scope:
    business_unit: str = ""  # uuid
    assets: list[str] = field(default_factory=list)  # uuids
    system: str = ""  # uuid of one AI system: it and everything upstream of it
    framework: str = ""  # slug

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> Scope:
        return cls(
            business_unit=str(parameters.get("business_unit") or ""),
            assets=[str(a) for a in parameters.get("assets") or []],
            system=str(parameters.get("system") or ""),
            framework=str(parameters.get("framework") or ""),
        )


@dataclass
class State:
    """The register as of a moment, as plain rows keyed by primary key."""

    as_of: dt.datetime
    today: dt.date
    assets: dict[int, dict[str, Any]]
    links: list[dict[str, Any]]
    business_units: dict[int, dict[str, Any]]
    users: dict[int, str]
    in_scope: list[int]
    graph: Graph[int] = field(default_factory=Graph)  # the lineage of that moment
    # The moment asked for; None reads the live tables (the present).
    requested: dt.datetime | None = None

    def active(self, pk: int) -> bool:
        asset = self.assets.get(pk)
        return asset is not None and asset["archived_at"] is None

    def upstream_of(self, pk: int) -> set[int]:
        return self.graph.reachable([pk], UP)

    def downstream_of(self, pk: int, *, relations: Collection[str] | None = None) -> set[int]:
        return self.graph.reachable([pk], DOWN, relations=relations)

    def bu_name(self, pk: int) -> str:
        bu = self.business_units.get(self.assets[pk]["business_unit"] or 0)
        return bu["name"] if bu else ""


def load_state(scope: Scope, as_of: dt.datetime | None) -> State:
    """Assets, lineage and business units as of `as_of`; the scope resolved to ids."""
    from riskhub.accounts.models import User

    moment = as_of or timezone.now()
    assets = {row["id"]: row for row in rows_as_of(Asset, ASSET_FIELDS, as_of, "created_at")}
    links = [
        link
        for link in rows_as_of(AssetLink, LINK_FIELDS, as_of, "created_at")
        if link["upstream"] in assets and link["downstream"] in assets
    ]
    units: dict[int, dict[str, Any]] = {
        bu["id"]: dict(bu) for bu in BusinessUnit.objects.values("id", "uuid", "name")
    }
    users = {
        pk: (name or email)
        for pk, name, email in User.objects.values_list("pk", "full_name", "email")
    }
    state = State(
        as_of=moment,
        today=timezone.localtime(moment).date(),
        assets=assets,
        links=links,
        business_units=units,
        users=users,
        in_scope=[],
        graph=Graph(
            Edge(link["upstream"], link["downstream"], link["relation"], link["id"])
            for link in links
        ),
        requested=as_of,
    )
    state.in_scope = _resolve_scope(state, scope)
    return state


def _resolve_scope(state: State, scope: Scope, *, archived: bool = False) -> list[int]:
    """The assets the scope selects: active ones only, or (`archived`) the archived ones
    it would select if they were active (the scope statement names what it excluded)."""
    ids = list(state.assets)
    if scope.system:
        system = next(
            (pk for pk, a in state.assets.items() if str(a["uuid"]) == scope.system), None
        )
        ids = [] if system is None else [system, *sorted(state.upstream_of(system))]
    ids = [pk for pk in ids if state.active(pk) != archived]
    if scope.assets:
        wanted = set(scope.assets)
        ids = [pk for pk in ids if str(state.assets[pk]["uuid"]) in wanted]
    if scope.business_unit:
        unit = next(
            (
                pk
                for pk, bu in state.business_units.items()
                if str(bu["uuid"]) == scope.business_unit
            ),
            -1,
        )
        ids = [pk for pk in ids if state.assets[pk]["business_unit"] == unit]
    return sorted(ids, key=lambda pk: (state.assets[pk]["name"].lower(), pk))


def archived_in_scope(state: State, scope: Scope) -> list[int]:
    """The archived assets the scope would select were they active: what a report
    excluded because they are archived (its scope statement names them)."""
    return _resolve_scope(state, scope, archived=True)


# --- compliance as of ---------------------------------------------------------------


@dataclass
class ComplianceState:
    frameworks: dict[int, Framework]
    requirements: dict[int, Requirement]
    controls: dict[int, Control]
    mappings: dict[int, RequirementMapping]
    implementations: dict[int, dict[str, Any]]
    evidence: list[dict[str, Any]]
    # asset pk -> [(requirement pk, status, reason, applies_from)]
    obligations: dict[int, list[tuple[int, str, str, dt.date | None]]]
    # asset pk -> control pks effective for it
    effective: dict[int, set[int]]
    # asset pk -> the coverage rule's full answer (which controls count, and why)
    coverage: dict[int, AssetCoverage] = field(default_factory=dict)

    def requirement_key(self, requirement_id: int) -> tuple[str, str]:
        """A requirement's identity for people and machines: (framework slug, ref).
        A ref alone is ambiguous: "Art. 14" is human oversight in the AI Act and the
        duty to inform in the GDPR."""
        requirement = self.requirements[requirement_id]
        return self.frameworks[requirement.framework_id].slug, requirement.ref


def load_compliance(state: State, *, assets: Iterable[int] | None = None) -> ComplianceState:
    """Applicable requirements and their coverage for the scoped assets as of the
    state's moment: the compliance app's coverage rule (`coverage.assess_asset`) run
    over the implementations and evidence as they stood then (a fixed number of
    queries)."""
    frameworks = {f.pk: f for f in Framework.objects.order_by("position")}
    requirements = {
        r.pk: r
        for r in Requirement.objects.filter(retired=False).order_by(
            "framework__position", "position"
        )
    }
    controls = {c.pk: c for c in Control.objects.filter(retired=False)}
    catalog, _ = coverage_catalog()
    as_of = state.requested
    implementations = {
        row["id"]: row
        for row in rows_as_of(ControlImplementation, IMPLEMENTATION_FIELDS, as_of, "created_at")
    }
    evidence = [
        e
        for e in rows_as_of(Evidence, EVIDENCE_FIELDS, as_of, "uploaded_at")
        if e["implementation"] in implementations
    ]
    valid_until: dict[int, list[dt.date | None]] = defaultdict(list)
    for e in evidence:
        valid_until[e["implementation"]].append(e["valid_until"])
    in_force = Implementations(
        ImplementationFacts(
            impl["control"],
            impl["scope"],
            impl["asset"],
            impl["status"],
            tuple(valid_until.get(impl["id"], ())),
        )
        for impl in implementations.values()
    )

    def facts_of(pk: int) -> AssetFacts:
        a = state.assets[pk]
        return AssetFacts(pk, a["kind"], a["name"], frozenset(a["facts"] or ()), state.active(pk))

    coverage: dict[int, AssetCoverage] = {}
    for pk in state.in_scope if assets is None else assets:
        coverage[pk] = assess_asset(
            facts_of(pk),
            feeds=[facts_of(d) for d in state.downstream_of(pk)],
            part_of=state.downstream_of(pk, relations=[AssetLink.Relation.PART_OF]),
            implementations=in_force,
            catalog=catalog,
            today=state.today,
        )
    return ComplianceState(
        frameworks,
        requirements,
        controls,
        dict(catalog.mappings),
        implementations,
        evidence,
        obligations={
            pk: [(o.requirement, o.status, o.reason, o.applies_from) for o in c.obligations]
            for pk, c in coverage.items()
        },
        effective={pk: c.effective for pk, c in coverage.items()},
        coverage=coverage,
    )


# --- risk as of -------------------------------------------------------------------


@dataclass
class RiskState:
    matrices: dict[int, RiskMatrix]
    threats: dict[int, Threat]
    # asset pk -> its latest approved assessment as of the moment
    assessments: dict[int, dict[str, Any]]
    risks: list[dict[str, Any]]  # risks of those assessments, each with "asset"
    acceptances: dict[int, dict[str, Any]]  # risk pk -> active acceptance
    own_rank: dict[int, int]  # asset pk -> highest residual rank among open/accepted risks
    # risk pk -> its latest expired acceptance, for risks without an active one
    expired_acceptances: dict[int, dict[str, Any]] = field(default_factory=dict)


def load_risks(state: State, *, as_of: dt.datetime | None = None, lean: bool = False) -> RiskState:
    """The risks of each asset's latest approved assessment as of the moment, with
    their active acceptances (a fixed number of queries)."""
    moment = as_of or state.requested
    approved: dict[int, dict[str, Any]] = {}
    for row in rows_as_of(Assessment, ASSESSMENT_FIELDS, moment, "created_at"):
        if row["status"] != Assessment.Status.APPROVED:
            continue
        best = approved.get(row["asset"])
        if best is None or row["version"] > best["version"]:
            approved[row["asset"]] = row
    by_assessment = {a["id"]: pk for pk, a in approved.items()}
    risks = []
    for row in rows_as_of(Risk, RISK_FIELDS, moment, "created_at"):
        asset = by_assessment.get(row["assessment"])
        if asset is not None:
            row["asset"] = asset
            risks.append(row)
    risk_ids = {r["id"] for r in risks}
    day = timezone.localtime(moment).date() if moment else state.today
    acceptances = {}
    expired: dict[int, dict[str, Any]] = {}
    if not lean:
        for row in rows_as_of(RiskAcceptance, ACCEPTANCE_FIELDS, moment, "created_at"):
            if row["risk"] not in risk_ids:
                continue
            if not row["revoked"] and row["expired_at"] is None and row["expires_on"] >= day:
                acceptances[row["risk"]] = row
            elif risk_figures.is_expired_acceptance(row, day):
                latest = expired.get(row["risk"])
                if latest is None or row["expires_on"] > latest["expires_on"]:
                    expired[row["risk"]] = row
    own_rank: dict[int, int] = {}
    for risk in risks:
        if risk["status"] == Risk.Status.CLOSED:
            continue
        own_rank[risk["asset"]] = max(own_rank.get(risk["asset"], 0), risk["residual_rank"])
    risks.sort(key=risk_figures.rank_key)
    return RiskState(
        matrices={} if lean else {m.pk: m for m in RiskMatrix.objects.all()},
        threats={} if lean else {t.pk: t for t in Threat.objects.all()},
        assessments=approved,
        risks=risks,
        acceptances=acceptances,
        own_rank=own_rank,
        expired_acceptances={k: v for k, v in expired.items() if k not in acceptances},
    )


def effective_rank(state: State, risks: RiskState, pk: int) -> int:
    """Risk flows downstream: an asset carries the highest rank of itself and what its
    lineage passes on, by the rule the asset pages use (riskhub.risk.effective: an
    archived asset passes nothing on); 0 when none of them carries a risk."""
    nodes = state.upstream_of(pk) | {pk}
    own = {
        node: Candidate(rank, 0.0, 0, (node,))
        for node in nodes
        if (rank := risks.own_rank.get(node, 0))
    }
    archived = {node for node in nodes if not state.active(node)}
    best = compute(graph=state.graph, nodes=nodes, own=own, archived=archived).get(pk)
    return best.rank if best is not None else 0


def asset_events(
    asset_ids: Collection[str], as_of: dt.datetime, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """The audit trail of some assets (their UUIDs as text) up to `as_of`, newest
    first, at most `limit` of them, and how many there are (Annex IV point 6; two
    queries)."""
    events = AuditEvent.objects.filter(
        object_type="asset", object_id__in=list(asset_ids), timestamp__lte=as_of
    )
    fields = ("timestamp", "actor_id", "action", "object_id", "object_repr", "before", "after")
    return list(events.order_by("-seq").values(*fields)[:limit]), events.count()


# --- report rows --------------------------------------------------------------------


@dataclass
class ReportFilters:
    kind: str = ""
    status: str = ""
    requester_id: int | None = None
    scheduled: bool = False  # only the reports that schedules requested
    since: dt.date | None = None  # requested on or after (current time zone)
    until: dt.date | None = None  # requested on or before


# Sort key (as in ?sort=) -> the column; "-key" sorts descending. The id breaks ties so
# pages never repeat or skip a report.
REPORT_SORTS: dict[str, str] = {
    "requested": "created_at",
    "title": "title",
    "kind": "kind",
    "status": "status",
    "requester": "requested_by__email",
}
DEFAULT_REPORT_SORT = "-requested"


def reports_list(filters: ReportFilters, sort: str = DEFAULT_REPORT_SORT) -> QuerySet[Report]:
    """The reports page's list, filtered and sorted (newest first by default), with
    the requester joined (one query per page)."""
    qs = Report.objects.select_related("requested_by")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.requester_id is not None:
        qs = qs.filter(requested_by_id=filters.requester_id)
    if filters.scheduled:
        qs = qs.filter(schedule__isnull=False)
    zone = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(created_at__gte=dt.datetime.combine(filters.since, dt.time.min, zone))
    if filters.until:
        next_day = filters.until + dt.timedelta(days=1)
        qs = qs.filter(created_at__lt=dt.datetime.combine(next_day, dt.time.min, zone))
    key = sort.lstrip("-")
    column = REPORT_SORTS.get(key)
    if column is None:
        return qs.order_by("-created_at", "-id")
    descending = sort.startswith("-")
    return qs.order_by(f"-{column}" if descending else column, "-id" if descending else "id")


def report_requesters() -> list[tuple[str, str]]:
    """(email, name) of everyone who requested a report, for the filter's suggestions
    (one query)."""
    return list(
        get_user_model()
        .objects.filter(reports__isnull=False)
        .distinct()
        .order_by("email")
        .values_list("email", "full_name")[:200]
    )


def report_by_uuid(uuid: Any) -> Report:
    return Report.objects.select_related("requested_by").get(uuid=uuid)


def report_by_sha256(digest: str) -> Report | None:
    """The report whose issued PDF has this checksum: the current (approved) issue, or
    the prepared issue an approval superseded (it stays a RiskHub document)."""
    digest = digest.lower()
    return (
        Report.objects.select_related("requested_by", "approved_by")
        .filter(Q(sha256=digest) | Q(prepared_sha256=digest))
        .order_by("-finished_at")
        .first()
    )


def first_record_date() -> dt.date | None:
    """The day of the register's first record (any asset, archived ones included): a
    report as of an earlier day has no data to show, and says so (one query)."""
    first = Asset.objects.aggregate(first=Min("created_at"))["first"]
    return timezone.localtime(first).date() if first else None


def earlier_reports(kind: str, before: dt.datetime, limit: int = 20) -> QuerySet[Report]:
    """Finished reports of a kind that still have their file, newest first: the
    candidates for "the previous report of the same kind and scope" (one query)."""
    return (
        Report.objects.filter(kind=kind, status=Report.Status.SUCCEEDED, created_at__lt=before)
        .exclude(file="")
        .order_by("-created_at", "-id")[:limit]
    )


def scheduled_reports() -> QuerySet[ScheduledReport]:
    return ScheduledReport.objects.select_related("created_by").order_by("name", "id")


def scope_choices() -> dict[str, Any]:
    """The options of the request form (3 queries)."""
    return {
        "business_units": list(BusinessUnit.objects.order_by("name")),
        "systems": list(
            Asset.objects.filter(kind=Asset.Kind.SYSTEM, archived_at__isnull=True)
            .order_by("name")
            .only("uuid", "name")
        ),
        "frameworks": list(Framework.objects.order_by("position")),
    }
