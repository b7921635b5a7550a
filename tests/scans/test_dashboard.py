"""The dashboard's "security-tested in the last 90 days" figure per tier."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import plotly.graph_objects as go
import pytest
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.dashboard import charts, selectors
from riskhub.dashboard.selectors import DashboardFilters
from riskhub.inventory.models import Asset
from riskhub.scans import selectors as scan_selectors
from riskhub.scans.models import ScanRun


def _run(asset: Asset, ran_at: dt.datetime) -> None:
    ScanRun.objects.create(
        asset=asset,
        tool="garak",
        ran_at=ran_at,
        report_name="r.report.jsonl",
        report_sha256="0" * 64,
        mapping_version="test",
    )


@pytest.mark.django_db
def test_assets_scanned_within_the_window_count_per_tier(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    high = make_asset("system")
    stale = make_asset("system")
    untested = make_asset("model")
    Asset.objects.filter(pk__in=[high.pk, stale.pk]).update(tier="high")
    now = timezone.now()
    _run(high, now - dt.timedelta(days=3))
    _run(high, now - dt.timedelta(days=1))  # two runs, one asset
    _run(stale, now - dt.timedelta(days=91))
    _run(untested, now + dt.timedelta(days=400))  # not yet: after the day

    board = selectors.dashboard(DashboardFilters())
    counts = board.assets
    assert counts.tested == 1
    assert counts.tested_by_tier["high"] == 1
    assert counts.total_by_tier["high"] == 2
    assert counts.tested_by_tier[""] == 0

    rows = charts.tested_rows(board)
    assert ("High-risk", 2, 1, "/inventory/?tier=high") in rows
    figure = charts.tested_bars(board)
    go.Figure(figure)  # a valid Plotly figure
    assert figure["data"][0]["y"][0] == 1
    # A click on either part of the tier's bar opens that tier in the inventory.
    assert figure["data"][0]["customdata"][0] == "/inventory/?tier=high"
    assert figure["data"][1]["customdata"][0] == "/inventory/?tier=high"
    assert figure["layout"]["meta"]["narrow"]["data"][0]["text"][0] == "1"


@pytest.mark.django_db
def test_the_window_follows_the_as_of_day(
    officer: User, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_TESTED_WINDOW_DAYS = 30
    asset = make_asset("system")
    _run(asset, timezone.now() - dt.timedelta(days=40))
    assert selectors.asset_counts(selectors.scope(DashboardFilters())).tested == 0
    # Five days after the run, it was within the 30 days; before it, not yet.
    assert (
        Asset.objects.filter(scan_selectors.tested_q(timezone.now() - dt.timedelta(days=35))).get()
        == asset
    )
    assert not Asset.objects.filter(
        scan_selectors.tested_q(timezone.now() - dt.timedelta(days=41))
    ).exists()
