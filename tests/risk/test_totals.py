"""The register's totals kept by PostgreSQL (risk/totals.py) equal the register counted
live (selectors.register_q) after every kind of write: the services, model saves,
queryset updates and deletes, archiving and re-assessing. SQLite keeps none, and the
dashboard there counts the rows themselves."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.accounts.models import User
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.risk import selectors, services, totals
from riskhub.risk.models import Assessment, RegisterTotal, Risk, RiskMatrix
from tests.dashboard import factories
from tests.dashboard.factories import make_assessment, make_risk
from tests.support import examples

pytestmark = pytest.mark.django_db


@pytest.fixture
def matrices(catalogs: None) -> list[RiskMatrix]:
    return list(RiskMatrix.objects.order_by("-is_default", "name"))


def live() -> Counter[tuple[Any, ...]]:
    """The register counted from its rows, by the totals' key."""
    return Counter(
        (
            r.assessment.matrix_id,
            r.residual_band,
            r.inherent_impact,
            r.inherent_likelihood,
            r.residual_impact,
            r.residual_likelihood,
            r.status,
            r.treatment,
            r.due_date or totals.NO_DUE_DATE,
        )
        for r in Risk.objects.filter(selectors.register_q()).select_related("assessment")
    )


def stored() -> Counter[tuple[Any, ...]]:
    """The totals as the dashboard reads them: each combination's rows summed."""
    result: Counter[tuple[Any, ...]] = Counter()
    for *key, n in RegisterTotal.objects.values_list(*totals.KEY, "n"):
        result[tuple(key)] += n
    return result


def assert_totals_kept() -> None:
    if connection.vendor == "postgresql":
        assert totals.kept()
        assert stored() == live()  # Counter equality ignores combinations back at 0
        assert all(n >= 0 for n in stored().values())
        # Folding the log changes no total.
        totals.compact()
        assert stored() == live()
    else:
        assert not totals.kept()
        assert not RegisterTotal.objects.exists()


def _risk_fields(draw: Any) -> dict[str, Any]:
    return {
        "status": draw(st.sampled_from(Risk.Status.values)),
        "treatment": draw(st.sampled_from(Risk.Treatment.values)),
        "due": draw(st.one_of(st.none(), st.integers(-5, 5))),
    }


operations = st.lists(
    st.one_of(
        st.tuples(st.just("asset"), st.booleans(), st.booleans(), st.integers(0, 3)),
        st.tuples(st.just("archive"), st.integers(0, 9), st.booleans()),
        st.tuples(st.just("bulk_archive"), st.booleans()),
        st.tuples(
            st.just("edit_risk"),
            st.integers(0, 20),
            st.sampled_from(Risk.Status.values),
            st.one_of(st.none(), st.integers(-5, 5)),
        ),
        st.tuples(st.just("bulk_due"), st.integers(-5, 5)),
        st.tuples(st.just("reassess"), st.integers(0, 9), st.integers(0, 2)),
        st.tuples(st.just("delete_risk"), st.integers(0, 20)),
        st.tuples(st.just("delete_assessment"), st.integers(0, 9)),
        st.tuples(st.just("delete_asset"), st.integers(0, 9)),
    ),
    max_size=12,
)


def _apply(op: tuple[Any, ...], world: dict[str, Any]) -> None:  # noqa: C901, PLR0912
    today = timezone.localdate()
    assets: list[Asset] = [a for a in world["assets"] if Asset.objects.filter(pk=a.pk).exists()]
    risks = list(Risk.objects.order_by("pk"))
    kind = op[0]
    if kind == "asset":
        _, archived, current, n = op
        asset = factories.make_asset(archived_at=timezone.now() if archived else None)
        world["assets"].append(asset)
        assessment = make_assessment(
            asset, author=world["author"], matrix=world["matrices"][0], current=current
        )
        for i in range(n):
            make_risk(
                assessment,
                (3, 3),
                (1 + i % 3, 2),
                treatment=Risk.Treatment.values[i % 4],
                due_date=today + dt.timedelta(days=i - 1) if i else None,
            )
    elif kind == "archive" and assets:
        _, i, archived = op
        asset = assets[i % len(assets)]
        asset.archived_at = timezone.now() if archived else None
        asset.save()
    elif kind == "bulk_archive":
        Asset.objects.update(archived_at=timezone.now() if op[1] else None)
    elif kind == "edit_risk" and risks:
        _, i, status, due = op
        risk = risks[i % len(risks)]
        risk.status = status
        risk.due_date = today + dt.timedelta(days=due) if due is not None else None
        risk.save()
    elif kind == "bulk_due":
        Risk.objects.filter(status=Risk.Status.OPEN).update(
            due_date=today + dt.timedelta(days=op[1])
        )
    elif kind == "reassess" and assets:
        # A new version becomes current (another matrix, risks copied), as approval does.
        _, i, m = op
        asset = assets[i % len(assets)]
        old = Assessment.objects.filter(asset=asset).order_by("-version").first()
        Assessment.objects.filter(asset=asset, is_current=True).update(is_current=False)
        new = make_assessment(
            asset,
            author=world["author"],
            matrix=world["matrices"][m % len(world["matrices"])],
            version=(old.version + 1) if old else 1,
        )
        for r in Risk.objects.filter(assessment=old) if old else []:
            make_risk(new, (r.inherent_impact, r.inherent_likelihood), (1, 1), status=r.status)
    elif kind == "delete_risk" and risks:
        risks[op[1] % len(risks)].delete()
    elif kind == "delete_assessment":
        assessments = list(Assessment.objects.order_by("pk"))
        if assessments:
            assessments[op[1] % len(assessments)].delete()
    elif kind == "delete_asset" and assets:
        asset = assets[op[1] % len(assets)]
        Assessment.objects.filter(asset=asset).delete()  # assessments protect their asset
        asset.delete()


@settings(
    max_examples=examples(30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_the_totals_follow_every_write_to_risks_assessments_and_assets(
    ops: list[tuple[Any, ...]], matrices: list[RiskMatrix], officer: User
) -> None:
    with transaction.atomic():
        world: dict[str, Any] = {"assets": [], "author": officer, "matrices": matrices}
        # Three assets with a current assessment and risks, one with a draft only.
        for op in [
            ("asset", False, True, 3),
            ("asset", False, True, 2),
            ("asset", False, False, 2),
        ]:
            _apply(op, world)
        for op in ops:
            _apply(op, world)
            assert_totals_kept()
        transaction.set_rollback(True)


def test_the_totals_follow_the_services(
    matrix: RiskMatrix,
    officer: User,
    executive: User,
    make_asset: Callable[..., Asset],
    assess: Callable[..., Assessment],
    django_capture_on_commit_callbacks: Any,
) -> None:
    """Approval makes a version current (its risks join, the old version's leave),
    acceptance and its revocation change a status, archiving takes an asset's risks out
    and restoring brings them back."""
    asset = make_asset("system", name="Screener")
    first = assess(asset, [(4, 4, 3, 3), (3, 3, 2, 2)], author=officer, reviewer=executive)
    assert_totals_kept()
    assert sum(live().values()) == 2
    with django_capture_on_commit_callbacks(execute=True):
        draft = services.assessment_start(actor=officer, asset=asset)
        draft = services.assessment_save(
            actor=officer,
            assessment=draft,
            expected_revision=draft.revision,
            risks=[
                {
                    "title": "Only one left",
                    "inherent_impact": 5,
                    "inherent_likelihood": 5,
                    "residual_impact": 4,
                    "residual_likelihood": 4,
                    "treatment": "accept",
                    "owner": officer,
                }
            ],
        )
        draft = services.assessment_submit(actor=officer, assessment=draft)
        assert_totals_kept()
        assert sum(live().values()) == 2  # the draft is not in the register
        services.assessment_approve(actor=executive, assessment=draft)
    assert_totals_kept()
    assert not Assessment.objects.get(pk=first.pk).is_current
    risk = Risk.objects.get(assessment=draft)
    with django_capture_on_commit_callbacks(execute=True):
        acceptance = services.acceptance_create(
            actor=executive,
            risk=risk,
            rationale="Within appetite",
            expires_on=timezone.localdate() + dt.timedelta(days=90),
        )
    assert_totals_kept()
    with django_capture_on_commit_callbacks(execute=True):
        services.acceptance_revoke(actor=executive, acceptance=acceptance)
        inventory.asset_archive(actor=officer, asset=asset)
    assert_totals_kept()
    assert sum(live().values()) == 0
    with django_capture_on_commit_callbacks(execute=True):
        inventory.asset_archive(actor=officer, asset=asset, archived=False)
    assert_totals_kept()


def test_installing_the_triggers_counts_what_is_stored(
    matrices: list[RiskMatrix], officer: User
) -> None:
    """Migration 0006 (and any reinstall) counts the totals from the rows stored."""
    for i, current in enumerate([True, True, False]):
        assessment = make_assessment(
            factories.make_asset(), author=officer, matrix=matrices[0], current=current
        )
        for j in range(i + 1):
            make_risk(assessment, (2, 2), (1, 1 + j % 2))
    if not totals.kept():
        assert not RegisterTotal.objects.exists()
        return
    expected = live()
    with connection.cursor() as cursor:
        cursor.execute(totals.drop_sql())
        RegisterTotal.objects.all().delete()
        cursor.execute(totals.install_sql())
    assert stored() == expected
    assert sum(expected.values()) == 3


def test_compaction_folds_the_log_into_one_row_per_combination(
    matrices: list[RiskMatrix], officer: User
) -> None:
    """Each statement appends its changes; compact() leaves one row per combination and
    none for a combination back at zero, and no total changes."""
    assessment = make_assessment(factories.make_asset(), author=officer, matrix=matrices[0])
    risks = [make_risk(assessment, (3, 3), (2, 2)) for _ in range(3)]
    for _ in range(2):  # to accepted and back: rows of +1 and -1 pile up
        for risk in risks:
            risk.status = Risk.Status.ACCEPTED
            risk.save()
            risk.status = Risk.Status.OPEN
            risk.save()
    Risk.objects.filter(pk=risks[0].pk).update(due_date=timezone.localdate())
    expected = live()
    if not totals.kept():
        assert totals.compact() == 0 and not RegisterTotal.objects.exists()
        return
    assert RegisterTotal.objects.count() > len(expected)
    kept = totals.compact()
    assert kept == RegisterTotal.objects.count() == len(expected) == 2
    assert stored() == expected
    assert not RegisterTotal.objects.filter(n=0).exists()


@pytest.mark.django_db(transaction=True)
def test_two_writers_moving_risks_in_opposite_orders_both_commit(
    matrices: list[RiskMatrix], officer: User
) -> None:
    """Officer A's transaction changes combination X, then Y; officer B's changes Y,
    then X, at the same time. Totals kept by updating one row per combination would
    make them wait for each other, and PostgreSQL would abort one as a deadlock; the
    log takes no lock, and both commit."""
    import threading

    from django.db import connections

    if not totals.kept():
        # SQLite keeps no totals, and takes one writer at a time anyway.
        assert not RegisterTotal.objects.exists()
        return
    assessment = make_assessment(factories.make_asset(), author=officer, matrix=matrices[0])
    open_, accepted = Risk.Status.OPEN, Risk.Status.ACCEPTED
    a1, a2, b1, b2 = (
        make_risk(assessment, (3, 3), (2, 2), status=status).pk
        for status in (open_, accepted, accepted, open_)
    )
    barrier = threading.Barrier(2, timeout=10)
    failures: list[BaseException] = []

    def writer(first: int, second: int) -> None:
        try:
            with transaction.atomic():
                Risk.objects.filter(pk=first).delete()
                barrier.wait()
                Risk.objects.filter(pk=second).delete()
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)
            barrier.abort()
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=writer, args=(a1, a2)),
        threading.Thread(target=writer, args=(b1, b2)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert not Risk.objects.filter(pk__in=[a1, a2, b1, b2]).exists()
    assert_totals_kept()
