"""Daily snapshots: idempotent, equal to the live figures, backfilled from history."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.db.models import Sum
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.dashboard import demo, selectors, services, tasks
from riskhub.dashboard.models import DailySnapshot
from riskhub.dashboard.schedule import BEAT_SCHEDULE
from riskhub.inventory.models import Asset
from riskhub.risk.models import Assessment, Risk, RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture
def inventory(matrix: RiskMatrix, officer: Any) -> None:
    today = timezone.localdate()
    unit = make_unit("Retail")
    for i in range(6):
        asset = make_asset(
            ["system", "model"][i % 2],
            tier="high" if i < 3 else "",
            business_unit=unit if i % 3 else None,
        )
        if i % 2:
            a = make_assessment(asset, author=officer, matrix=matrix)
            make_risk(a, (5, 5), (3, 4), due_date=today - dt.timedelta(days=1))
            make_risk(a, (2, 2), (1, 1), status="accepted")


def test_taking_the_snapshot_twice_on_a_day_keeps_one_row_per_slice(inventory: None) -> None:
    first = services.snapshot_take()
    rows = list(DailySnapshot.objects.values_list("business_unit_id", "kind", "tier", "risks_high"))
    second = services.snapshot_take()
    assert first == second == len(rows) > 0
    assert (
        list(DailySnapshot.objects.values_list("business_unit_id", "kind", "tier", "risks_high"))
        == rows
    )
    assert DailySnapshot.objects.filter(date=timezone.localdate()).count() == len(rows)


def test_the_beat_task_is_idempotent(inventory: None) -> None:
    assert "dashboard-daily-snapshot" in BEAT_SCHEDULE
    tasks.take_daily_snapshot.apply()
    count = DailySnapshot.objects.count()
    tasks.take_daily_snapshot.apply()
    assert DailySnapshot.objects.count() == count


def test_the_snapshot_equals_the_live_figures(inventory: None) -> None:
    services.snapshot_take()
    board = selectors.dashboard(selectors.DashboardFilters())
    totals = DailySnapshot.objects.aggregate(
        assets=Sum("assets"),
        unassessed=Sum("unassessed"),
        high=Sum("risks_high"),
        low=Sum("risks_low"),
        medium=Sum("risks_medium"),
        critical=Sum("risks_critical"),
        accepted=Sum("risks_accepted"),
        overdue=Sum("overdue"),
    )
    assert totals["assets"] == board.assets.total == 6
    assert totals["unassessed"] == board.assets.unassessed == 3
    for band in selectors.BANDS:
        assert totals[band] == board.risks.open_by_band[band]
    assert totals["accepted"] == board.risks.accepted == 3
    assert totals["overdue"] == board.risks.overdue == 3
    trend = selectors.trend(selectors.scope(selectors.DashboardFilters()))
    assert trend[-1].total == board.risks.open_total


def test_a_snapshot_of_a_future_day_is_refused() -> None:
    with pytest.raises(ValueError):
        services.snapshot_take(day=timezone.localdate() + dt.timedelta(days=1))


def test_missing_days_are_backfilled_from_the_history_tables(
    matrix: RiskMatrix, officer: Any
) -> None:
    asset = make_asset("system", tier="high")
    make_risk(make_assessment(asset, author=officer, matrix=matrix), (5, 5), (5, 5))
    five_days_ago = timezone.now() - dt.timedelta(days=5)
    for model in (Asset, Assessment, Risk):
        model.history.update(history_date=five_days_ago)
    written = services.snapshot_backfill()
    days = sorted(set(DailySnapshot.objects.values_list("date", flat=True)))
    today = timezone.localdate()
    assert days == [today - dt.timedelta(days=n) for n in range(5, 0, -1)]
    assert written == 5
    assert set(DailySnapshot.objects.values_list("risks_critical", "source")) == {(1, "backfill")}
    # A second run finds nothing missing.
    assert services.snapshot_backfill() == 0


def test_the_demo_seed_backfills_ninety_days(inventory: None, officer: Any) -> None:
    demo.seed(users={Role.RISK_OFFICER: officer}, assets=None, seed=1, stdout=io.StringIO())
    days = set(DailySnapshot.objects.values_list("date", flat=True))
    assert len(days) == selectors.TREND_DAYS
    trend = selectors.trend(selectors.scope(selectors.DashboardFilters()))
    assert len(trend) == selectors.TREND_DAYS
    # The register grew over the window: fewer assets at its start than today.
    assert 0 < trend[0].total + trend[0].unassessed
    assert trend[0].total <= trend[-1].total
    # Seeding again writes nothing new and moves no history.
    demo.seed(users={Role.RISK_OFFICER: officer}, assets=None, seed=1, stdout=io.StringIO())
    assert (
        DailySnapshot.objects.count()
        == DailySnapshot.objects.values("date", "business_unit", "kind", "tier").distinct().count()
    )
    assert selectors.trend(selectors.scope(selectors.DashboardFilters())) == trend


def test_the_demo_as_of_a_past_day_equals_that_days_trend_point(
    inventory: None, officer: Any
) -> None:
    """The issue: as of 1 October the dashboard showed 0 assets and 0 open risks while
    its own trend showed about 49 open risks that day."""
    demo.seed(users={Role.RISK_OFFICER: officer}, assets=None, seed=1, stdout=io.StringIO())
    today = timezone.localdate()
    points = {p.date: p for p in selectors.trend(selectors.scope(selectors.DashboardFilters()))}
    seen_growth = False
    for offset in (selectors.TREND_DAYS - 1, 60, 30, 7, 1):
        day = today - dt.timedelta(days=offset)
        board = selectors.dashboard(selectors.DashboardFilters(as_of=day))
        point = points[day]
        assert board.historical
        assert board.risks.open_by_band == {
            "low": point.low,
            "medium": point.medium,
            "high": point.high,
            "critical": point.critical,
        }, day
        assert board.risks.overdue == point.overdue, day
        assert board.assets.unassessed == point.unassessed, day
        assert board.trend[-1] == point
        seen_growth |= board.assets.total < Asset.objects.filter(archived_at__isnull=True).count()
    assert seen_growth  # the as-of view really shows the past, not today
    assert Asset.history.filter(history_date__lt=timezone.now() - dt.timedelta(days=80)).exists()
