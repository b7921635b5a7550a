"""Incremental recompute: a change of an implementation, evidence, classification or
lineage recomputes only the affected assets' coverage and effective risk, in a number of
queries that does not grow with the register, and ends where a full recompute ends."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.celery import app as celery_app
from riskhub.compliance import services
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    FrameworkCoverage,
    RequirementCoverage,
    RequirementDate,
    RequirementStatus,
)
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import effective
from tests.compliance.conftest import HR_SCREENER
from tests.risk.conftest import assess  # noqa: F401 - the fixture
from tests.support import examples

HIGH = (4, 4, 3, 4)
MEDIUM = (3, 3, 2, 3)
NOT_HIGH_RISK = {"is_ai_system": True, "annex_iii_points": [], "role": "deployer"}


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """The effective-risk task runs in-process on commit."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.RISK_OFFICER)


def _chain(officer: User, n: int, prefix: str = "") -> list[tuple[Asset, ...]]:
    """n chains dataset -> model -> endpoint -> system (classified high-risk)."""
    chains = []
    for i in range(n):
        dataset = inventory.asset_create(
            actor=officer, kind="dataset", name=f"{prefix}data {i}", personal_data=True
        )
        model = inventory.asset_create(
            actor=officer, kind="model", name=f"{prefix}model {i}", model_type="classifier"
        )
        endpoint = inventory.asset_create(
            actor=officer, kind="endpoint", name=f"{prefix}api {i}", exposure="internal"
        )
        system = inventory.asset_create(
            actor=officer, kind="system", name=f"{prefix}system {i}", intended_purpose="hire"
        )
        inventory.link_create(
            actor=officer, upstream=dataset, downstream=model, relation="trained_on"
        )
        inventory.link_create(actor=officer, upstream=model, downstream=endpoint, relation="serves")
        inventory.link_create(
            actor=officer, upstream=endpoint, downstream=system, relation="part_of"
        )
        inventory.classification_answer(actor=officer, asset=system, answers=HR_SCREENER)
        chains.append((dataset, model, endpoint, system))
    return chains


def _statuses() -> dict[tuple[int, int], tuple[str, str, Any, str]]:
    return {
        (r.asset_id, r.requirement_id): (r.status, r.reason, r.applies_from, r.condition)
        for r in RequirementStatus.objects.all()
    }


def _state() -> dict[str, Any]:
    """Everything a recompute stores."""
    return {
        "statuses": _statuses(),
        "summaries": dict(Asset.objects.values_list("pk", "coverage_summary")),
        "totals": {
            c.framework_id: (c.met, c.partial, c.gap, c.applicable, c.assets)
            for c in FrameworkCoverage.objects.all()
        },
        # Zeros and a missing row are the same totals.
        "requirement_totals": {
            t.requirement_id: (t.met, t.partial, t.gap)
            for t in RequirementCoverage.objects.all()
            if t.met or t.partial or t.gap
        },
        "requirement_dates": {
            (d.requirement_id, d.applies_from): d.assets for d in RequirementDate.objects.all()
        },
        "risk": {
            pk: rest
            for pk, *rest in Asset.objects.values_list(
                "pk",
                "own_risk_band",
                "effective_risk_band",
                "effective_risk_score",
                "effective_risk_source",
                "effective_risk_path",
            )
        },
    }


def _full_recompute() -> None:
    services.coverage_recompute(asset_ids=None)
    effective.recompute(asset_ids=None)


@pytest.mark.django_db
def test_changing_one_assets_implementation_recomputes_only_that_asset(
    catalogs: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 3)
    _full_recompute()
    system = chains[1][3]
    control = Control.objects.get(code="CTL-RISK-MGMT")
    before = _statuses()
    totals_before = _state()["totals"]
    with django_capture_on_commit_callbacks(execute=True):
        implementation = services.implementation_create(
            actor=officer, control=control, scope="asset", asset=system, status="implemented"
        )
        services.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url="https://wiki.example.com/risk",
            description="Procedure",
        )
    after = _statuses()
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed, "the evidence should have changed the system's coverage"
    assert {asset for asset, _ in changed} == {system.pk}
    # The stored totals moved by exactly the change, as a full count says.
    state = _state()
    assert state["totals"] != totals_before
    _full_recompute()
    assert _state() == state


@pytest.mark.django_db
def test_a_system_scope_change_reaches_the_systems_components_and_no_other_chain(
    catalogs: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 2)
    _full_recompute()
    dataset, model, endpoint, system = chains[0]
    before = _statuses()
    with django_capture_on_commit_callbacks(execute=True):
        implementation = services.implementation_create(
            actor=officer,
            control=Control.objects.get(code="CTL-RISK-MGMT"),
            scope="system",
            asset=system,
            status="implemented",
        )
        services.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url="https://wiki.example.com/risk",
            description="Procedure",
        )
    after = _statuses()
    touched = {
        a for a, _ in before.keys() | after.keys() if before.get((a, _)) != after.get((a, _))
    }
    assert system.pk in touched
    assert touched <= {system.pk, endpoint.pk}  # the system and what is part of it
    assert not touched & {a.pk for a in chains[1]}


def _queries_of_one_change(officer: User, chains: list[tuple[Asset, ...]], capture: Any) -> int:
    system = chains[0][3]
    implementation = ControlImplementation.objects.get(asset=system)
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        services.implementation_update(
            actor=officer,
            implementation=implementation,
            status="implemented"
            if implementation.status != "implemented"
            else ControlImplementation.Status.IN_PROGRESS,
        )
    return len(queries)


@pytest.mark.django_db
def test_one_change_costs_the_same_number_of_queries_however_large_the_register(
    catalogs: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    control = Control.objects.get(code="CTL-RISK-MGMT")
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 2)
        services.implementation_create(
            actor=officer, control=control, scope="asset", asset=chains[0][3]
        )
    _full_recompute()
    small = _queries_of_one_change(officer, chains, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        _chain(officer, 6, prefix="more ")
    _full_recompute()
    large = _queries_of_one_change(officer, chains, django_capture_on_commit_callbacks)
    assert large == small
    assert small <= 50


@pytest.mark.django_db
def test_a_lineage_change_recomputes_effective_risk_downstream_only(
    catalogs: Any,
    officer: User,
    make_user: Callable[..., User],
    assess: Callable[..., Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> None:
    reviewer = make_user(Role.EXECUTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 2)
    risky = inventory.asset_create(actor=officer, kind="dataset", name="Scraped CVs")
    assess(risky, [HIGH], author=officer, reviewer=reviewer)
    _full_recompute()
    before = _state()["risk"]
    model = chains[0][1]
    with django_capture_on_commit_callbacks(execute=True):
        inventory.link_create(
            actor=officer, upstream=risky, downstream=model, relation="trained_on"
        )
    after = _state()["risk"]
    changed = {pk for pk in after if after[pk] != before[pk]}
    assert changed == {a.pk for a in chains[0][1:]}  # the model, its endpoint and system
    assert after[chains[0][3].pk][1] == "high"


ACTIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("implement"),
            st.integers(0, 3),
            st.sampled_from(["asset", "system", "organisation"]),
            st.integers(0, 11),
            st.sampled_from([s.value for s in ControlImplementation.Status]),
            st.sampled_from([None, -1, 30]),
        ),
        st.tuples(st.just("status"), st.integers(0, 20), st.sampled_from(["implemented", "n/a"])),
        st.tuples(st.just("classify"), st.integers(0, 2), st.booleans()),
        st.tuples(st.just("link"), st.integers(0, 11), st.integers(0, 11)),
        st.tuples(st.just("unlink"), st.integers(0, 20)),
        st.tuples(st.just("archive"), st.integers(0, 11), st.booleans()),
    ),
    min_size=1,
    max_size=6,
)
CONTROLS = ["CTL-RISK-MGMT", "CTL-DATA-QUALITY", "CTL-HUMAN-OVERSIGHT", "CTL-EVENT-LOGGING"]


@pytest.fixture
def world(
    catalogs: Any,
    officer: User,
    make_user: Callable[..., User],
    assess: Callable[..., Any],  # noqa: F811
    django_capture_on_commit_callbacks: Any,
) -> list[Asset]:
    reviewer = make_user(Role.EXECUTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 3)
    assess(chains[0][0], [HIGH], author=officer, reviewer=reviewer)
    assess(chains[1][1], [MEDIUM], author=officer, reviewer=reviewer)
    _full_recompute()
    return [asset for chain in chains for asset in chain]


def _apply(action: tuple[Any, ...], officer: User, assets: list[Asset]) -> None:
    kind = action[0]
    today = dt.date.today()
    if kind == "implement":
        _, control, scope, index, status, days = action
        asset = assets[index]
        if scope == "system" and asset.kind != "system":
            scope = "asset"
        implementation = services.implementation_create(
            actor=officer,
            control=Control.objects.get(code=CONTROLS[control]),
            scope=scope,
            asset=None if scope == "organisation" else asset,
            status=status,
            justification="Not relevant here." if status == "not-applicable" else "",
        )
        if status == "implemented":
            services.evidence_add_link(
                actor=officer,
                implementation=implementation,
                url="https://wiki.example.com/e",
                description="Evidence",
                valid_until=None if days is None else today + dt.timedelta(days=days),
            )
    elif kind == "status":
        implementations = list(ControlImplementation.objects.order_by("pk"))
        if implementations:
            implementation = implementations[action[1] % len(implementations)]
            status = "implemented" if action[2] == "implemented" else "in-progress"
            services.implementation_update(
                actor=officer, implementation=implementation, status=status
            )
    elif kind == "classify":
        system = assets[4 * action[1] + 3]
        answers = HR_SCREENER if action[2] else NOT_HIGH_RISK
        inventory.classification_answer(actor=officer, asset=system, answers=answers)
    elif kind == "link":
        upstream, downstream = assets[action[1]], assets[action[2]]
        relation = {
            ("dataset", "model"): "trained_on",
            ("model", "endpoint"): "serves",
            ("endpoint", "system"): "part_of",
            ("model", "system"): "part_of",
            ("dataset", "system"): "depends_on",
        }.get((upstream.kind, downstream.kind))
        if relation and upstream.pk != downstream.pk:
            inventory.link_create(
                actor=officer, upstream=upstream, downstream=downstream, relation=relation
            )
    elif kind == "unlink":
        links = list(AssetLink.objects.order_by("pk"))
        if links:
            inventory.link_delete(actor=officer, link=links[action[1] % len(links)])
    elif kind == "archive":
        inventory.asset_archive(actor=officer, asset=assets[action[1]], archived=action[2])


@pytest.mark.django_db
@settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_incremental_recompute_ends_where_the_full_recompute_ends(
    world: list[Asset],
    officer: User,
    django_capture_on_commit_callbacks: Any,
    actions: list[tuple[Any, ...]],
) -> None:
    with transaction.atomic():
        for action in actions:
            try:
                with transaction.atomic(), django_capture_on_commit_callbacks(execute=True):
                    _apply(action, officer, world)
            except ValidationError:
                continue  # refused (a duplicate link, a cycle): nothing changed
        incremental = _state()
        _full_recompute()
        assert _state() == incremental
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_a_full_recompute_rewrites_only_the_rows_that_differ(
    catalogs: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The full recompute (a catalog upgrade) compares with what is stored: an unchanged
    register keeps every stored row; a row that differs, a row that no longer applies
    and a missing row are put right, and the result is what a recompute from nothing
    gives."""
    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 2)
    services.coverage_recompute(asset_ids=None)
    expected = _state()
    ids = set(RequirementStatus.objects.values_list("pk", flat=True))
    services.coverage_recompute(asset_ids=None)
    assert set(RequirementStatus.objects.values_list("pk", flat=True)) == ids
    assert _state() == expected

    system = chains[0][3]
    rows = list(RequirementStatus.objects.filter(asset=system).order_by("pk"))
    RequirementStatus.objects.filter(pk=rows[0].pk).update(status="met", reason="stale")
    rows[1].delete()
    from riskhub.compliance.models import Requirement

    dataset = chains[1][0]
    held = RequirementStatus.objects.filter(asset=dataset).values_list("requirement", flat=True)
    extra = Requirement.objects.exclude(pk__in=list(held)).first()
    assert extra is not None
    RequirementStatus.objects.create(
        asset=dataset,
        requirement=extra,
        framework=extra.framework,
        status="gap",
        reason="no longer applies",
    )
    Asset.objects.filter(pk=system.pk).update(coverage_summary={})
    with CaptureQueriesContext(connection) as captured:
        services.coverage_recompute(asset_ids=None)
    assert _state() == expected
    kept = set(RequirementStatus.objects.values_list("pk", flat=True))
    assert len(ids - kept) == 2 and rows[2].pk in kept
    assert not RequirementStatus.objects.filter(asset=dataset, requirement=extra).exists()
    writes = [q["sql"] for q in captured if q["sql"].startswith(("INSERT", "DELETE", "UPDATE"))]
    assert any('"compliance_requirementstatus"' in sql for sql in writes)
    updated = [sql for sql in writes if sql.startswith('UPDATE "inventory_asset"')]
    # One asset's summary rewritten: one key in the array of PostgreSQL's UPDATE ... FROM
    # unnest, one CASE branch of Django's bulk_update elsewhere (riskhub.common.bulk).
    assert len(updated) == 1
    if connection.vendor == "postgresql":
        assert f"'{{{system.pk}}}'" in updated[0], updated[0]
    else:
        assert updated[0].count("WHEN") == 1


@pytest.mark.django_db
def test_the_dashboard_timeline_from_the_stored_dates_equals_one_counted_from_statuses(
    catalogs: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """The regulatory timeline reads the assets per requirement and start date that the
    recompute stores (RequirementDate); counted from the statuses themselves it is the
    same, after a full recompute and after incremental ones that move assets between
    dates (a system re-classified out of high risk, another archived)."""
    from riskhub.dashboard import selectors as dashboard

    def timelines() -> tuple[list[Any], list[Any]]:
        _, fws = dashboard.filter_options()
        # A day before every start date, so every date is still ahead.
        sc = dashboard.scope(dashboard.DashboardFilters(), today=dt.date(2024, 1, 1))
        stored = dashboard.obligations(sc, fws)
        for f in fws:
            f.stored = None  # type: ignore[attr-defined]
        counted = dashboard.obligations(sc, fws)
        assert stored.coverage == counted.coverage
        return stored.timeline, counted.timeline

    with django_capture_on_commit_callbacks(execute=True):
        chains = _chain(officer, 3)
    _full_recompute()
    stored, counted = timelines()
    assert stored == counted
    assert sum(d.assets for d in stored) >= 3  # the systems' AI Act dates among them
    with django_capture_on_commit_callbacks(execute=True):
        inventory.classification_answer(actor=officer, asset=chains[0][3], answers=NOT_HIGH_RISK)
        inventory.asset_archive(actor=officer, asset=chains[1][3])
    after, counted = timelines()
    assert after == counted
    assert after != stored
