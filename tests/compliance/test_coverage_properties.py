"""Property-based: the coverage rule is one pure function, and the surfaces that read
the database agree with it.

On generated catalogs (rules, full and partial mappings, sufficient sets), inventories
(kinds, facts, lineage, archived assets) and implementations (scopes, statuses,
evidence valid until yesterday, today, tomorrow or for ever), the statuses the
compliance app stores and the ones the reports compute as of now equal what
`coverage.assess_asset` says on the same inputs written as plain data. The plain
inputs are derived here from the generated description, with this test's own lineage
walk, so a loader that misreads scope, lineage, archiving or evidence validity fails.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.compliance import applicability, coverage, services
from riskhub.compliance.coverage import (
    GAP,
    MET,
    PARTIAL,
    AssetFacts,
    Catalog,
    ImplementationFacts,
    Implementations,
    RequirementMapping,
    assess_asset,
    cover,
)
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    ControlRequirement,
    Evidence,
    Framework,
    Requirement,
    RequirementStatus,
    SufficientSet,
)
from riskhub.compliance.selectors import local_today
from riskhub.inventory.models import Asset, AssetLink
from riskhub.reports import selectors as report_selectors
from tests.support import examples

TOKENS = ["t:a", "t:b", "t:c"]
RELATIONS = [r.value for r in AssetLink.Relation]
STATUSES = [s.value for s in ControlImplementation.Status]
# Evidence validity, in days from today (None: does not expire).
VALIDITY = [None, -1, 0, 1]
FRAMEWORKS = ["fw-one", "fw-two"]
REFS = ["Art. 1", "Art. 2", "Art. 3"]

PROPERTY_SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class World:
    requirements: list[dict[str, Any]]  # framework, ref, rule, dates
    controls: int
    mappings: dict[tuple[int, int], str]  # (control, requirement) -> full | partial
    sets: list[tuple[int, frozenset[int]]]  # (requirement, controls)
    assets: list[dict[str, Any]]  # kind, facts, archived
    links: list[tuple[int, int, str]]  # (upstream, downstream, relation), upstream < downstream
    implementations: list[dict[str, Any]]  # control, scope, asset, status, evidence


token_sets = st.lists(st.sampled_from(TOKENS), unique=True, max_size=2)
# Rules that often hold, so that coverage (not applicability) is what varies.
rule_tokens = st.sampled_from([[], [], ["t:a"], ["t:b"]])
rule_exclusions = st.sampled_from([[], [], [], ["t:c"]])
# Weighted towards the cases where scope and lineage matter.
kinds = st.sampled_from(["system", "system", "model", "dataset", "endpoint"])
relations = st.sampled_from([None, None, "part_of", "part_of", *RELATIONS])
statuses = st.sampled_from(["implemented", "implemented", "implemented", *STATUSES])
validity = st.sampled_from([None, 1, 0, -1, None, 5])


@st.composite
def worlds(draw: st.DrawFn) -> World:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(FRAMEWORKS), st.sampled_from(REFS)),
            min_size=1,
            max_size=5,
            unique=True,
        )
    )
    requirements = [
        {
            "framework": framework,
            "ref": ref,
            "rule": {
                "all": draw(rule_tokens),
                "any": draw(rule_tokens),
                "none": draw(rule_exclusions),
            },
            "dates": draw(
                st.lists(
                    st.fixed_dictionaries(
                        {
                            "date": st.sampled_from(["2026-08-02", "2027-12-02"]),
                            "condition": st.just("from then"),
                            "when": token_sets,
                        }
                    ),
                    max_size=2,
                )
            ),
        }
        for framework, ref in keys
    ]
    controls = draw(st.integers(min_value=1, max_value=5))
    mappings = {}
    for control in range(controls):
        for requirement in range(len(requirements)):
            coverage_kind = draw(st.sampled_from([None, None, "full", "partial", "partial"]))
            if coverage_kind:
                mappings[(control, requirement)] = coverage_kind
    sets = []
    for requirement in range(len(requirements)):
        partials = sorted(
            c for (c, r), kind in mappings.items() if r == requirement and kind == "partial"
        )
        if len(partials) >= 2 and draw(st.booleans()):
            chosen = draw(st.lists(st.sampled_from(partials), min_size=2, unique=True))
            sets.append((requirement, frozenset(chosen)))
    count = draw(st.integers(min_value=2, max_value=5))
    assets = [
        {
            "kind": draw(kinds),
            "facts": draw(st.sampled_from([[], ["t:a"], ["t:a", "t:b"], ["t:b", "t:c"]])),
            "archived": draw(st.booleans()) and draw(st.booleans()),
        }
        for _ in range(count)
    ]
    # Acyclic, as the services guarantee: links only go from a lower to a higher index.
    links = [
        (up, down, relation)
        for up in range(count)
        for down in range(up + 1, count)
        if (relation := draw(relations))
    ]
    implementations = []
    taken: set[tuple[int, int | None]] = set()
    for _ in range(draw(st.integers(min_value=0, max_value=8))):
        control = draw(st.integers(0, controls - 1))
        scope = draw(st.sampled_from(["organisation", "system", "system", "asset"]))
        asset = None
        if scope != "organisation":
            candidates = [
                i for i, a in enumerate(assets) if scope == "asset" or a["kind"] == "system"
            ]
            if not candidates:
                continue
            asset = draw(st.sampled_from(candidates))
        if (control, asset) in taken:
            continue
        taken.add((control, asset))
        implementations.append(
            {
                "control": control,
                "scope": scope,
                "asset": asset,
                "status": draw(statuses),
                "evidence": draw(st.lists(validity, max_size=2)),
            }
        )
    return World(requirements, controls, mappings, sets, assets, links, implementations)


def _valid_until(offset: int | None, today: dt.date) -> dt.date | None:
    return None if offset is None else today + dt.timedelta(days=offset)


def _write(world: World, today: dt.date) -> dict[str, list[Any]]:
    """The generated world as database rows (bypassing the services: no audit, no
    recompute on commit)."""
    frameworks = {
        slug: Framework.objects.create(slug=slug, name=slug, version="1", position=i)
        for i, slug in enumerate(FRAMEWORKS)
    }
    requirements = [
        Requirement.objects.create(
            framework=frameworks[r["framework"]],
            ref=r["ref"],
            title=f"{r['framework']} {r['ref']}",
            rule=r["rule"],
            applies_from=r["dates"],
            catalog_version="1",
            position=i,
        )
        for i, r in enumerate(world.requirements)
    ]
    controls = [
        Control.objects.create(
            code=f"CTL-{i}", name=f"Control {i}", default_scope="asset", catalog_version="1"
        )
        for i in range(world.controls)
    ]
    for (control, requirement), kind in world.mappings.items():
        ControlRequirement.objects.create(
            control=controls[control], requirement=requirements[requirement], coverage=kind
        )
    for requirement, members in world.sets:
        group = SufficientSet.objects.create(
            requirement=requirements[requirement], key="+".join(str(m) for m in sorted(members))
        )
        group.controls.set([controls[m] for m in members])
    assets = []
    for i, a in enumerate(world.assets):
        extra: dict[str, Any] = {
            "system": {"intended_purpose": "demo"},
            "model": {"model_type": "classifier"},
            "endpoint": {"exposure": "internal"},
        }.get(a["kind"], {})
        assets.append(
            Asset.objects.create(
                kind=a["kind"],
                name=f"asset {i}",
                facts=a["facts"],
                archived_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC) if a["archived"] else None,
                **extra,
            )
        )
    for up, down, relation in world.links:
        AssetLink.objects.create(upstream=assets[up], downstream=assets[down], relation=relation)
    for impl in world.implementations:
        row = ControlImplementation.objects.create(
            control=controls[impl["control"]],
            scope=impl["scope"],
            asset=None if impl["asset"] is None else assets[impl["asset"]],
            status=impl["status"],
            justification="n/a" if impl["status"] == "not-applicable" else "",
        )
        for n, offset in enumerate(impl["evidence"]):
            Evidence.objects.create(
                implementation=row,
                kind="url",
                url=f"https://example.com/{row.pk}/{n}",
                description="proof",
                valid_until=_valid_until(offset, today),
            )
    return {"requirements": requirements, "controls": controls, "assets": assets}


def _walk(edges: list[tuple[int, int]], start: int) -> set[int]:
    seen: set[int] = set()
    frontier = [start]
    while frontier:
        node = frontier.pop()
        for up, down in edges:
            if up == node and down not in seen:
                seen.add(down)
                frontier.append(down)
    return seen


def _expected(world: World, rows: dict[str, list[Any]], today: dt.date) -> dict[Any, Any]:
    """What the pure rule says, from the generated description as plain data."""
    pk = {
        "requirement": [r.pk for r in rows["requirements"]],
        "control": [c.pk for c in rows["controls"]],
        "asset": [a.pk for a in rows["assets"]],
    }
    full: dict[int, set[int]] = {}
    partial: dict[int, set[int]] = {}
    for (control, requirement), kind in world.mappings.items():
        (full if kind == "full" else partial).setdefault(requirement, set()).add(
            pk["control"][control]
        )
    mappings = {
        pk["requirement"][i]: RequirementMapping(
            frozenset(full.get(i, ())),
            frozenset(partial.get(i, ())),
            tuple(frozenset(pk["control"][m] for m in s) for r, s in world.sets if r == i),
        )
        for i in range(len(world.requirements))
        if i in full or i in partial or any(r == i for r, _ in world.sets)
    }
    specs = [
        applicability.RequirementSpec(
            pk["requirement"][i],
            applicability.Rule.from_json(r["rule"]),
            applicability.parse_dates(r["dates"]),
        )
        for i, r in enumerate(world.requirements)
    ]
    catalog = Catalog(specs, mappings)
    index = Implementations(
        ImplementationFacts(
            pk["control"][i["control"]],
            i["scope"],
            None if i["asset"] is None else pk["asset"][i["asset"]],
            i["status"],
            tuple(_valid_until(offset, today) for offset in i["evidence"]),
        )
        for i in world.implementations
    )
    plain = [
        AssetFacts(
            pk["asset"][i], a["kind"], f"asset {i}", frozenset(a["facts"]), not a["archived"]
        )
        for i, a in enumerate(world.assets)
    ]
    edges = [(up, down) for up, down, _ in world.links]
    part_of = [(up, down) for up, down, relation in world.links if relation == "part_of"]
    result = {}
    for i, asset in enumerate(plain):
        answer = assess_asset(
            asset,
            feeds=[plain[d] for d in _walk(edges, i)],
            part_of=[pk["asset"][s] for s in _walk(part_of, i)],
            implementations=index,
            catalog=catalog,
            today=today,
        )
        for o in answer.obligations:
            result[(asset.id, o.requirement)] = (o.status, o.reason, o.applies_from)
    return result


@pytest.mark.django_db
@PROPERTY_SETTINGS
@given(world=worlds())
def test_stored_coverage_and_reports_agree_with_the_pure_rule(world: World) -> None:
    today = local_today()
    with transaction.atomic():
        rows = _write(world, today)
        expected = _expected(world, rows, today)

        services.coverage_recompute(today=today)
        stored = {
            (s.asset_id, s.requirement_id): (s.status, s.reason, s.applies_from)
            for s in RequirementStatus.objects.all()
        }
        assert stored == expected

        state = report_selectors.load_state(report_selectors.Scope(), None)
        comp = report_selectors.load_compliance(state)
        reported = {
            (asset, requirement): (status, reason, applies)
            for asset, obligations in comp.obligations.items()
            for requirement, status, reason, applies in obligations
        }
        assert reported == expected
        transaction.set_rollback(True)


# --- the rule on its own ---------------------------------------------------------------

control_ids = st.frozensets(st.integers(1, 6), max_size=6)


@st.composite
def mappings(draw: st.DrawFn) -> RequirementMapping:
    full = draw(st.frozensets(st.integers(1, 6), max_size=2))
    partial = draw(st.frozensets(st.integers(1, 6), max_size=4)) - full
    sets = []
    for _ in range(draw(st.integers(0, 2))):
        members = frozenset(c for c in sorted(partial) if draw(st.booleans()))
        if len(members) >= 2:
            sets.append(members)
    return RequirementMapping(full, partial, tuple(sets))


# Pure and fast, but on a shared machine generation can be slow to start.
RULE_SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@RULE_SETTINGS
@given(mapping=mappings(), effective=control_ids)
def test_the_status_follows_the_design_rule(
    mapping: RequirementMapping, effective: frozenset[int]
) -> None:
    """DESIGN.md: met when a full control counts or a sufficient set does; partial
    when some mapped control counts; a gap when none does. The controls that count
    are exactly the mapped ones in effect."""
    result = cover(7, mapping, effective)
    if mapping.full & effective or any(s <= effective for s in mapping.sufficient_sets):
        assert result.status == MET
    elif mapping.all_controls & effective:
        assert result.status == PARTIAL
    else:
        assert result.status == GAP
    assert set(result.counting) == mapping.all_controls & effective
    assert coverage.requirement_status(mapping, effective) == result.status


RANK = {GAP: 0, PARTIAL: 1, MET: 2}


@RULE_SETTINGS
@given(mapping=mappings(), effective=control_ids, more=st.integers(1, 6))
def test_one_more_control_in_effect_never_lowers_a_status(
    mapping: RequirementMapping, effective: frozenset[int], more: int
) -> None:
    before = cover(1, mapping, effective).status
    after = cover(1, mapping, effective | {more}).status
    assert RANK[after] >= RANK[before]


@RULE_SETTINGS
@given(
    status=st.sampled_from(STATUSES),
    evidence=st.lists(st.sampled_from(VALIDITY), max_size=3),
)
def test_an_implementation_counts_only_when_implemented_with_evidence_valid_today(
    status: str, evidence: list[int | None]
) -> None:
    today = dt.date(2027, 3, 1)
    facts = ImplementationFacts(
        1, "organisation", None, status, tuple(_valid_until(o, today) for o in evidence)
    )
    counts, why = facts.judge(today)
    valid = any(o is None or o >= 0 for o in evidence)
    assert counts == (status == "implemented" and valid)
    assert why
