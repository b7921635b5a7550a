"""The figures are defined once (DESIGN.md "One truth"): the queryset and the plain-row
spellings of each rule agree, and today's trend point is the headline itself."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from riskhub.dashboard import selectors, services
from riskhub.dashboard.models import DailySnapshot
from riskhub.risk import selectors as figures
from riskhub.risk.models import Risk, RiskAcceptance, RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk

pytestmark = pytest.mark.django_db


def test_the_risk_rules_read_the_same_over_querysets_and_report_rows(
    matrix: RiskMatrix, officer: Any, executive: Any
) -> None:
    today = timezone.localdate()
    assessment = make_assessment(make_asset("system"), author=officer, matrix=matrix)
    dues = [None, today - dt.timedelta(days=1), today, today + dt.timedelta(days=1)]
    for status, treatment, due in itertools.product(
        Risk.Status.values, Risk.Treatment.values, dues
    ):
        make_risk(assessment, (3, 3), (2, 2), status=status, treatment=treatment, due_date=due)
    for offset, revoked in itertools.product((-1, 0, 29, 30, 31), (False, True)):
        risk = make_risk(assessment, (3, 3), (2, 2), status="accepted")
        RiskAcceptance.objects.create(
            risk=risk,
            approved_by=executive,
            rationale="r",
            expires_on=today + dt.timedelta(days=offset),
            revoked=revoked,
        )
    rows = list(Risk.objects.values("id", "status", "treatment", "due_date", "residual_band"))
    for q, rule in (
        (figures.open_q(), figures.is_open),
        (figures.accepted_q(), figures.is_accepted),
        (figures.overdue_q(today), lambda r: figures.is_overdue(r, today)),
    ):
        assert set(Risk.objects.filter(q).values_list("id", flat=True)) == {
            r["id"] for r in rows if rule(r)
        }
    assert figures.risk_figures(Risk.objects.all(), today) == figures.risk_figures_of_rows(
        rows, today
    )
    acceptances = list(RiskAcceptance.objects.values("id", "expires_on", "revoked", "expired_at"))
    expiring = set(
        RiskAcceptance.objects.filter(figures.expiring_acceptances_q(today)).values_list(
            "id", flat=True
        )
    )
    assert expiring == {a["id"] for a in acceptances if figures.is_expiring_acceptance(a, today)}
    assert len(expiring) == 3  # today, in 29 and in 30 days; not revoked, not past


def test_todays_trend_point_is_the_live_headline_not_last_nights_snapshot(
    matrix: RiskMatrix, officer: Any
) -> None:
    """The issue: the headline said 44 open risks (Medium 15) while the trend's point
    for today said 41 (Medium 12): today's point was last night's snapshot."""
    today = timezone.localdate()
    assessment = make_assessment(make_asset("system"), author=officer, matrix=matrix)
    make_risk(assessment, (3, 3), (3, 2))
    services.snapshot_take(day=today)
    # Since the snapshot: three more medium risks, one of them overdue, and one accepted.
    for due in (None, None, today - dt.timedelta(days=2)):
        make_risk(assessment, (3, 3), (3, 2), due_date=due)
    make_risk(assessment, (5, 5), (4, 4), status="accepted")
    make_asset("model")  # unassessed

    board = selectors.dashboard(selectors.DashboardFilters())
    point = board.trend[-1]
    assert point.date == today
    assert {b: getattr(point, b) for b in selectors.BANDS} == board.risks.open_by_band
    assert point.total == board.risks.open_total == 4
    assert point.overdue == board.risks.overdue == 1
    assert point.unassessed == board.assets.unassessed == 1
    # The stored snapshot is untouched: it is last night's memory.
    assert DailySnapshot.objects.get(date=today).risks_medium == 1


def test_a_dashboard_without_snapshots_still_draws_today(matrix: RiskMatrix, officer: Any) -> None:
    make_risk(make_assessment(make_asset("system"), author=officer, matrix=matrix), (5, 5), (5, 5))
    board = selectors.dashboard(selectors.DashboardFilters())
    assert [(p.date, p.critical) for p in board.trend] == [(timezone.localdate(), 1)]
