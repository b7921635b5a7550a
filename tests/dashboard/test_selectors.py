"""The dashboard's aggregates equal a naive count of the same data."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.dashboard import selectors
from riskhub.dashboard.selectors import DashboardFilters
from riskhub.inventory.models import Asset
from riskhub.risk.models import Risk, RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk, make_unit
from tests.support import examples

KINDS = Asset.Kind.values
TIERS = ["", "high", "limited", "minimal"]


@st.composite
def risk_specs(draw: Any) -> dict[str, Any]:
    ii, il = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    return {
        "inherent": (ii, il),
        "residual": (draw(st.integers(1, ii)), draw(st.integers(1, il))),
        "status": draw(st.sampled_from(Risk.Status.values)),
        "treatment": draw(st.sampled_from(Risk.Treatment.values)),
        "due": draw(st.one_of(st.none(), st.integers(-20, 20))),
    }


asset_specs = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(KINDS),
        "tier": st.sampled_from(TIERS),
        "unit": st.sampled_from([None, 0, 1]),
        "archived": st.booleans(),
        "assessment": st.one_of(
            st.none(),
            st.fixed_dictionaries(
                {
                    "current": st.booleans(),
                    "matrix": st.integers(0, 2),
                    "review": st.one_of(st.none(), st.integers(-40, 60)),
                    "risks": st.lists(risk_specs(), max_size=4),
                }
            ),
        ),
    }
)

filter_specs = st.fixed_dictionaries(
    {
        "unit": st.sampled_from([None, 0, 1]),
        "kind": st.sampled_from(["", *KINDS]),
        "tier": st.sampled_from(["", *TIERS[1:]]),
    }
)


def build(specs: list[dict[str, Any]], matrices: list[RiskMatrix], author: Any) -> dict[str, Any]:
    today = timezone.localdate()
    units = [make_unit(), make_unit()]
    world: dict[str, Any] = {"units": units, "assets": [], "risks": [], "assessments": []}
    for spec in specs:
        asset = make_asset(
            spec["kind"],
            tier=spec["tier"],
            business_unit=units[spec["unit"]] if spec["unit"] is not None else None,
            archived_at=timezone.now() if spec["archived"] else None,
        )
        world["assets"].append(asset)
        a = spec["assessment"]
        if a is None:
            continue
        assessment = make_assessment(
            asset,
            author=author,
            matrix=matrices[a["matrix"]],
            current=a["current"],
            next_review_due=today + dt.timedelta(days=a["review"])
            if a["review"] is not None
            else None,
        )
        world["assessments"].append(assessment)
        for r in a["risks"]:
            risk = make_risk(
                assessment,
                r["inherent"],
                r["residual"],
                status=r["status"],
                treatment=r["treatment"],
                due_date=today + dt.timedelta(days=r["due"]) if r["due"] is not None else None,
            )
            world["risks"].append((risk, asset, assessment))
    return world


def in_slice(asset: Asset, f: DashboardFilters) -> bool:
    return (
        (not f.business_unit or asset.business_unit_id == f.business_unit)
        and (not f.kind or asset.kind == f.kind)
        and (not f.tier or asset.tier == f.tier)
    )


@pytest.mark.django_db
@settings(
    max_examples=examples(40),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(specs=st.lists(asset_specs, max_size=8), fspec=filter_specs)
def test_the_aggregates_equal_a_naive_count_of_the_data(
    specs: list[dict[str, Any]], fspec: dict[str, Any], matrices: list[RiskMatrix], officer: Any
) -> None:
    with transaction.atomic():
        world = build(specs, matrices, officer)
        unit = world["units"][fspec["unit"]].pk if fspec["unit"] is not None else None
        f = DashboardFilters(business_unit=unit, kind=fspec["kind"], tier=fspec["tier"])
        today = timezone.localdate()
        sc = selectors.scope(f, today=today)

        # assets
        current_assets = {a.asset_id for a in world["assessments"] if a.is_current}
        active = [a for a in world["assets"] if a.archived_at is None and in_slice(a, f)]
        counts = selectors.asset_counts(sc)
        assert counts.total == len(active)
        assert {k: v for k, v in counts.by_kind.items() if v} == dict(
            Counter(a.kind for a in active)
        )
        assert counts.by_tier == dict(Counter(a.tier for a in active if a.tier))
        untiered = [a for a in active if not a.tier]
        assert counts.not_yet_classified == sum(a.classifiable for a in untiered)
        assert counts.not_applicable == sum(not a.classifiable for a in untiered)
        assert counts.unassessed == sum(1 for a in active if a.pk not in current_assets)
        # The list of unassessed assets (an anti-join) follows the same rule as the count.
        listed = selectors.unassessed_assets(sc, limit=len(world["assets"]) + 1)
        assert sorted(row["uuid"] for row in listed) == sorted(
            a.uuid for a in active if a.pk not in current_assets
        )

        # risks of current assessments of the active assets in the slice (an archived
        # asset's risks leave the register, the dashboard and the reports together)
        register = [
            (r, asset, a)
            for r, asset, a in world["risks"]
            if a.is_current and asset.archived_at is None and in_slice(asset, f)
        ]
        open_risks = [(r, asset, a) for r, asset, a in register if r.status == "open"]
        figures = selectors.risk_counts(sc)
        assert figures.open_total == len(open_risks)
        assert figures.accepted == sum(1 for r, _, _ in register if r.status == "accepted")
        expected_bands = {b: 0 for b in selectors.BANDS}
        for r, _, a in open_risks:
            expected_bands[a.matrix.cell(r.residual_impact, r.residual_likelihood).band] += 1
        assert figures.open_by_band == expected_bands
        assert figures.overdue == sum(
            1
            for r, _, _ in register
            if r.status == "open" and r.due_date and r.due_date < today and r.treatment != "accept"
        )
        cells: dict[int, dict[str, Counter[tuple[int, int]]]] = defaultdict(
            lambda: {"inherent": Counter(), "residual": Counter()}
        )
        for r, _, a in open_risks:
            cells[a.matrix_id]["inherent"][(r.inherent_impact, r.inherent_likelihood)] += 1
            cells[a.matrix_id]["residual"][(r.residual_impact, r.residual_likelihood)] += 1
        assert {
            m: {basis: dict(c) for basis, c in per.items()} for m, per in figures.cells.items()
        } == {m: {basis: dict(c) for basis, c in per.items()} for m, per in cells.items()}

        # the top risks, ranked as DESIGN.md compares risks
        ranked = sorted(
            open_risks, key=lambda t: (-t[0].residual_rank, -t[0].residual_ratio, t[0].pk)
        )
        assert [row["uuid"] for row in selectors.top_risks(sc)] == [
            r.uuid for r, _, _ in ranked[:10]
        ]

        # reviews
        current = [
            a
            for a in world["assessments"]
            if a.is_current and a.asset.archived_at is None and in_slice(a.asset, f)
        ]
        reviews = selectors.deadlines(sc)
        assert reviews.reviews_overdue == sum(
            1 for a in current if a.next_review_due and a.next_review_due < today
        )
        assert reviews.reviews_due_soon == sum(
            1
            for a in current
            if a.next_review_due and today <= a.next_review_due <= today + dt.timedelta(days=30)
        )

        # the default matrix is always drawn first; the others only when in use
        in_use = selectors.matrices_in_use(figures)
        assert in_use[0].is_default
        assert {m.pk for m in in_use} == {m.pk for m in matrices if m.is_default} | set(cells)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_past_day_reads_the_history_tables(matrix: RiskMatrix, officer: Any) -> None:
    old = make_asset("system", tier="high")
    assessment = make_assessment(old, author=officer, matrix=matrix)
    make_risk(assessment, (5, 5), (5, 4))
    # Everything above existed ten days ago; the asset below was added today.
    ten_days_ago = timezone.now() - dt.timedelta(days=10)
    for model in (Asset, type(assessment), Risk):
        model.history.update(history_date=ten_days_ago)
    make_asset("dataset")
    today = timezone.localdate()
    past = selectors.dashboard(DashboardFilters(as_of=today - dt.timedelta(days=3)))
    now = selectors.dashboard(DashboardFilters())
    assert past.historical and not now.historical
    assert past.assets.total == 1 and now.assets.total == 2
    assert past.risks.open_by_band["critical"] == 1
    before = selectors.dashboard(DashboardFilters(as_of=today - dt.timedelta(days=20)))
    assert before.assets.total == 0 and before.risks.open_total == 0
