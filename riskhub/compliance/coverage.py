"""The coverage rule, pure: which requirements apply to an asset, whether each is met,
partial or a gap, which controls count and why. No database access.

DESIGN.md "Coverage": a control is implemented at a scope (the organisation, a system,
an asset) and counts for everything in its scope. It counts when it is implemented and
has evidence valid on the day. A requirement is met for an asset when a control mapped
to it as `full` counts, or a set of `partial` ones the catalog marks as sufficient
together does; partial when some mapped control counts; a gap when none does.

`assess_asset` is the one place this is decided. The stored coverage
(`services.coverage_recompute`), the reports and their as-of views
(`reports.selectors.load_compliance`) call it; the selectors only gather its inputs
as plain data (`AssetFacts`, `Catalog`, `Implementations`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from riskhub.compliance import applicability, states
from riskhub.compliance.models import Control, ControlImplementation
from riskhub.inventory.models import Asset

MET, PARTIAL, GAP = states.MET.slug, states.PARTIAL.slug, states.GAP.slug

# Why a requirement has its status (RequirementCoverage.why).
WHY_FULL = "a control mapped in full is implemented with valid evidence"
WHY_SUFFICIENT_SET = (
    "a set of partial controls that the catalog marks as sufficient together is "
    "implemented with valid evidence"
)
WHY_SOME = "some mapped controls are implemented with valid evidence, not enough to meet it"
WHY_NONE = "no mapped control is implemented with valid evidence"
WHY_UNMAPPED = "no control in the catalog maps to it"


@dataclass(frozen=True)
class RequirementMapping:
    full: frozenset[int] = frozenset()
    partial: frozenset[int] = frozenset()
    sufficient_sets: tuple[frozenset[int], ...] = ()

    @property
    def all_controls(self) -> frozenset[int]:
        return self.full | self.partial


def requirement_status(mapping: RequirementMapping, effective: Collection[int]) -> str:
    return cover(0, mapping, effective).status


def evidence_valid(valid_until: dt.date | None, today: dt.date) -> bool:
    """Evidence counts through its last valid day; no date means it does not expire."""
    return valid_until is None or valid_until >= today


# --- inputs, as plain data ------------------------------------------------------------


@dataclass(frozen=True)
class ImplementationFacts:
    """A control implementation as the rule sees it."""

    control: int
    scope: str  # Control.Scope
    asset: int | None  # the system (system scope) or the asset (asset scope)
    status: str  # ControlImplementation.Status
    # The valid_until of each evidence item on file (None: does not expire).
    evidence: tuple[dt.date | None, ...] = ()

    def judge(self, today: dt.date) -> tuple[bool, str]:
        """Whether it counts on `today`, and why (or why not)."""
        if self.status != ControlImplementation.Status.IMPLEMENTED:
            label = ControlImplementation.Status(self.status).label.lower()
            return False, f"not implemented (status: {label})"
        if not self.evidence:
            return False, "implemented, but no evidence on file"
        if not any(evidence_valid(until, today) for until in self.evidence):
            last = max(until for until in self.evidence if until is not None)
            return False, f"implemented, but its evidence was valid until {last.isoformat()}"
        return True, "implemented with valid evidence"


class Implementations:
    """Every implementation, indexed by where it counts. Built once per computation."""

    def __init__(self, rows: Iterable[ImplementationFacts]) -> None:
        self.organisation: list[ImplementationFacts] = []
        self.on_system: dict[int, list[ImplementationFacts]] = defaultdict(list)
        self.on_asset: dict[int, list[ImplementationFacts]] = defaultdict(list)
        self._organisation_judged: dict[dt.date, dict[int, ControlJudgement]] = {}
        for row in rows:
            if row.scope == Control.Scope.ORGANISATION:
                self.organisation.append(row)
            elif row.asset is None:
                continue  # the database forbids it; a stray row counts for nothing
            elif row.scope == Control.Scope.SYSTEM:
                self.on_system[row.asset].append(row)
            else:
                self.on_asset[row.asset].append(row)

    def in_scope(self, asset: int, part_of: Iterable[int]) -> list[ImplementationFacts]:
        """Those that count for `asset`: organisation-wide ones, those on the asset
        itself (at system or asset scope), and the system-scope ones of every system
        it is part of."""
        return [*self.organisation, *self._local(asset, part_of)]

    def _local(self, asset: int, part_of: Iterable[int]) -> list[ImplementationFacts]:
        found = [*self.on_system.get(asset, ()), *self.on_asset.get(asset, ())]
        for system in sorted(set(part_of) - {asset}):
            found.extend(self.on_system.get(system, ()))
        return found

    def judged(
        self, asset: int, part_of: Iterable[int], today: dt.date
    ) -> dict[int, ControlJudgement]:
        """`judge_controls` over `in_scope(asset, part_of)`. The organisation-wide
        implementations are judged once per day, not once per asset."""
        shared = self._organisation_judged.get(today)
        if shared is None:
            shared = self._organisation_judged[today] = judge_controls(self.organisation, today)
        return judge_controls(self._local(asset, part_of), today, start=shared)


@dataclass(frozen=True)
class Catalog:
    """The requirements (in catalog order, for applicability) and their mappings."""

    requirements: Sequence[applicability.RequirementSpec]
    mappings: Mapping[int, RequirementMapping]


@dataclass(frozen=True)
class AssetFacts:
    """What the rule needs of an asset: its kind, name, questionnaire facts, and
    whether it is active (not archived)."""

    id: int
    kind: str
    name: str
    facts: frozenset[str] = frozenset()
    active: bool = True


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class ControlJudgement:
    """Whether a control counts for an asset, and why: decided by the best of its
    implementations in the asset's scope."""

    control: int
    counts: bool
    why: str
    scope: str
    asset: int | None


@dataclass(frozen=True)
class RequirementCoverage:
    requirement: int
    status: str
    counting: tuple[int, ...]  # the mapped controls that count, sorted
    why: str


@dataclass(frozen=True)
class ObligationCoverage:
    """An applicable requirement: why and from when it applies, and its coverage."""

    requirement: int
    status: str
    reason: str
    applies_from: dt.date | None
    condition: str
    counting: tuple[int, ...]
    why: str


@dataclass
class AssetCoverage:
    asset: int
    obligations: list[ObligationCoverage] = field(default_factory=list)
    # Every control implemented in the asset's scope, counting or not.
    controls: dict[int, ControlJudgement] = field(default_factory=dict)

    @property
    def effective(self) -> set[int]:
        """The controls that count for the asset."""
        return {c for c, judgement in self.controls.items() if judgement.counts}


# --- the rule -----------------------------------------------------------------------


def judge_controls(
    implementations: Iterable[ImplementationFacts],
    today: dt.date,
    *,
    start: Mapping[int, ControlJudgement] | None = None,
) -> dict[int, ControlJudgement]:
    """Per control, whether it counts: it does when any of its implementations in
    scope is implemented with valid evidence. `start` holds judgements already made
    for other implementations in the same scope."""
    result: dict[int, ControlJudgement] = dict(start or {})
    for implementation in implementations:
        counts, why = implementation.judge(today)
        current = result.get(implementation.control)
        if current is None or (counts and not current.counts):
            result[implementation.control] = ControlJudgement(
                implementation.control, counts, why, implementation.scope, implementation.asset
            )
    return result


def cover(
    requirement: int, mapping: RequirementMapping | None, effective: Collection[int]
) -> RequirementCoverage:
    """A requirement's status given the controls that count for the asset."""
    if mapping is None or not (mapping.all_controls or mapping.sufficient_sets):
        return RequirementCoverage(requirement, GAP, (), WHY_UNMAPPED)
    counting = tuple(sorted(c for c in mapping.all_controls if c in effective))
    if any(c in effective for c in mapping.full):
        return RequirementCoverage(requirement, MET, counting, WHY_FULL)
    if any(group and all(c in effective for c in group) for group in mapping.sufficient_sets):
        return RequirementCoverage(requirement, MET, counting, WHY_SUFFICIENT_SET)
    if counting:
        return RequirementCoverage(requirement, PARTIAL, counting, WHY_SOME)
    return RequirementCoverage(requirement, GAP, (), WHY_NONE)


def fact_sources(asset: AssetFacts, feeds: Iterable[AssetFacts]) -> list[applicability.FactSource]:
    """Where an asset's obligations come from: its own facts, and those of every
    active AI system it feeds through lineage (named, so the reason says via which)."""
    sources = []
    if asset.facts:
        sources.append(applicability.FactSource(asset.facts))
    for system in sorted(feeds, key=lambda s: s.id):
        if system.kind == Asset.Kind.SYSTEM and system.facts and system.active:
            sources.append(applicability.FactSource(system.facts, via=system.name))
    return sources


def assess_asset(
    asset: AssetFacts,
    *,
    feeds: Iterable[AssetFacts],
    part_of: Iterable[int],
    implementations: Implementations,
    catalog: Catalog,
    today: dt.date,
    memo: dict[Any, Any] | None = None,
) -> AssetCoverage:
    """The obligations of one asset on `today` with their coverage.

    `feeds` are the assets downstream of it in lineage (the AI systems among them
    pass their obligations on); `part_of` the systems it is part of (their
    system-scope implementations count for it). An archived asset has no
    obligations. `memo`, shared by one computation over many assets, keeps what
    repeats: the catalog's rules evaluated once per distinct list of fact sources
    (assets with the same facts feeding the same systems), the obligations once per
    (fact sources, controls in effect) and a requirement's coverage once per set of
    controls in effect (ObligationCoverage and RequirementCoverage are immutable)."""
    result = AssetCoverage(asset.id)
    if not asset.active:
        return result
    result.controls = implementations.judged(asset.id, part_of, today)
    effective = result.effective
    sources = tuple(fact_sources(asset, feeds))
    if memo is None:
        result.obligations = _obligations(catalog, evaluate(catalog, sources), effective, {})
        return result
    # The same facts give the same applicable requirements; with the same controls in
    # effect too, the same obligations.
    rules = memo.get(sources)
    if rules is None:
        rules = memo[sources] = evaluate(catalog, sources)
    key = (sources, frozenset(effective))
    found = memo.get(key)
    if found is None:
        covers = memo.setdefault("cover", {})
        found = memo[key] = _obligations(catalog, rules, effective, covers)
    result.obligations = list(found)
    return result


def evaluate(
    catalog: Catalog, sources: Sequence[applicability.FactSource]
) -> list[applicability.Obligation]:
    return applicability.evaluate(catalog.requirements, sources)


def _obligations(
    catalog: Catalog,
    rules: list[applicability.Obligation],
    effective: Collection[int],
    covers: dict[Any, RequirementCoverage],
) -> list[ObligationCoverage]:
    """The obligations with their coverage; `covers` keeps each requirement's coverage
    per set of controls in effect."""
    found = []
    in_effect = effective if isinstance(effective, frozenset) else frozenset(effective)
    for obligation in rules:
        covered = covers.get((obligation.key, in_effect))
        if covered is None:
            covered = covers[(obligation.key, in_effect)] = cover(
                obligation.key, catalog.mappings.get(obligation.key), in_effect
            )
        found.append(
            ObligationCoverage(
                requirement=obligation.key,
                status=covered.status,
                reason=obligation.reason,
                applies_from=obligation.applies_from,
                condition=obligation.condition,
                counting=covered.counting,
                why=covered.why,
            )
        )
    return found


# --- totals and gap closers -----------------------------------------------------------


@dataclass
class Totals:
    met: int = 0
    partial: int = 0
    gap: int = 0

    @property
    def applicable(self) -> int:
        return self.met + self.partial + self.gap

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def as_dict(self) -> dict[str, int]:
        return {
            "met": self.met,
            "partial": self.partial,
            "gap": self.gap,
            "applicable": self.applicable,
        }


@dataclass
class GapCloser:
    """A control and how many open (asset, requirement) pairs it would close."""

    control: int
    closes: int = 0
    frameworks: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class OpenCount:
    """How many assets have a requirement open (gap or partial)."""

    requirement: int
    framework: str
    pairs: int


@dataclass(frozen=True)
class Bundle:
    """A control whose one record meets several laws' duties at once (the integrated
    impact assessment: AI Act Art 27, GDPR Art 35, 11 CCR 7150-7157). Its owner decides
    where it is recommended (where at least two of those laws' duties apply); there it
    comes first, elsewhere the single-law control is the proportionate one.
    `recommended` holds the assets asked about for which it is recommended."""

    control: int
    recommended: frozenset[int] = frozenset()

    def recommended_for(self, asset: int) -> bool:
        return asset in self.recommended


def rank_closers(
    open_counts: Iterable[OpenCount],
    mappings: dict[int, RequirementMapping],
    recommended_counts: Mapping[int, Iterable[OpenCount]] | None = None,
) -> list[GapCloser]:
    """Controls ranked by how many open (asset, requirement) pairs they would close in
    full, across all frameworks. A bundle (a control in `recommended_counts`) counts only
    the pairs on the assets it is recommended for, given there, and ranks first when it
    has any."""
    bundles = dict(recommended_counts or {})
    closers: dict[int, GapCloser] = {}

    def add(control: int, count: OpenCount) -> None:
        if count.pairs:
            closer = closers.setdefault(control, GapCloser(control))
            closer.closes += count.pairs
            closer.frameworks.add(count.framework)

    for count in open_counts:
        mapping = mappings.get(count.requirement)
        for control in mapping.full if mapping else ():
            if control not in bundles:
                add(control, count)
    for control, counts in bundles.items():
        for count in counts:
            mapping = mappings.get(count.requirement)
            if mapping is not None and control in mapping.full:
                add(control, count)
    return sorted(closers.values(), key=lambda c: (c.control not in bundles, -c.closes, c.control))


def order_closers(
    asset: int,
    controls: Iterable[int],
    rank_of: Mapping[int, int],
    bundles: Iterable[Bundle] = (),
) -> list[int]:
    """The controls that would close one open requirement of one asset, best first: a
    bundle recommended for the asset leads, one not recommended for it comes last, the
    rest follow their overall rank."""
    by_control = {bundle.control: bundle for bundle in bundles}
    last = len(rank_of) + 1

    def key(control: int) -> tuple[int, int, int]:
        bundle = by_control.get(control)
        if bundle is None:
            return (1, rank_of.get(control, last), control)
        return (0 if bundle.recommended_for(asset) else 2, 0, control)

    return sorted(controls, key=key)
