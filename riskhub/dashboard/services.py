"""Writes of the dashboard app: the daily snapshots.

Snapshots are derived values (like effective risk), so they are not audit events.
Taking the snapshot of a day replaces that day's rows in one transaction: running the
task twice, or on two workers at once, leaves one row per slice (the unique constraint
backs it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Min
from django.utils import timezone

from riskhub.compliance.models import RequirementStatus
from riskhub.dashboard import selectors
from riskhub.dashboard.models import COVERAGE_COLUMNS, COVERAGE_STATES, DailySnapshot
from riskhub.inventory import selectors as inventory_figures
from riskhub.risk import selectors as risk_figures

SliceKey = tuple[int | None, str, str]  # business unit id, kind, tier


def _blank(key: SliceKey, day: dt.date, source: str) -> DailySnapshot:
    return DailySnapshot(
        date=day, business_unit_id=key[0], kind=key[1], tier=key[2] or "", source=source
    )


def snapshot_rows(
    *, day: dt.date, source: str, today: dt.date | None = None
) -> list[DailySnapshot]:
    """The snapshot of a day, per slice, from the live tables (today) or the history
    tables (a past day). Three GROUP BY queries, plus one for today's coverage.

    The figures are the owning apps' (open, accepted and overdue risks, unassessed
    assets), so a day's snapshot sums to what the dashboard shows as of that day.
    Risks are sliced by their asset's business unit, kind and tier as they are now
    (the register's join); assets by their attributes on the day."""
    src = selectors.sources(day, today=today)
    slices: dict[SliceKey, DailySnapshot] = {}

    def row(key: SliceKey) -> DailySnapshot:
        if key not in slices:
            slices[key] = _blank(key, day, source)
        return slices[key]

    assessed = risk_figures.assessed_asset_ids(src.assessments)
    for r in (
        src.assets.filter(inventory_figures.active_q())
        .values("business_unit_id", "kind", "tier")
        .annotate(
            n=Count("id"), unassessed=Count("id", filter=inventory_figures.unassessed_q(assessed))
        )
        .order_by()
    ):
        snap = row((r["business_unit_id"], r["kind"], r["tier"] or ""))
        snap.assets += r["n"]
        snap.unassessed += r["unassessed"]

    risks = selectors.Scope(filters=selectors.DashboardFilters(), src=src).current_risks()
    for r in (
        risks.values(
            "assessment__asset__business_unit_id",
            "assessment__asset__kind",
            "assessment__asset__tier",
            "residual_band",
        )
        .annotate(**risk_figures.figure_counts(day))
        .order_by()
    ):
        snap = row(
            (
                r["assessment__asset__business_unit_id"],
                r["assessment__asset__kind"],
                r["assessment__asset__tier"] or "",
            )
        )
        snap.overdue += r["overdue"]
        snap.risks_accepted += r["accepted"]
        if r["open"] and r["residual_band"] in selectors.BANDS:
            field = f"risks_{r['residual_band']}"
            setattr(snap, field, getattr(snap, field) + r["open"])

    if not src.historical:
        _add_coverage(row)
    result = sorted(slices.values(), key=lambda s: (s.business_unit_id or 0, s.kind, s.tier))
    if not src.historical:
        _zero_coverage(result)
    return result


def _add_coverage(row: Any) -> None:
    """Today's coverage per slice from the stored per-asset statuses (one GROUP BY).
    Every slice records every framework (zeros included) so a past day tells
    "nothing applicable" from "not recorded"."""
    counts = (
        RequirementStatus.objects.filter(
            asset__archived_at__isnull=True, framework__slug__in=list(COVERAGE_COLUMNS)
        )
        .values(
            "asset__business_unit_id", "asset__kind", "asset__tier", "framework__slug", "status"
        )
        .annotate(n=Count("id"))
        .order_by()
    )
    for r in counts:
        snap = row((r["asset__business_unit_id"], r["asset__kind"], r["asset__tier"] or ""))
        column = f"{COVERAGE_COLUMNS[r['framework__slug']]}_{r['status']}"
        setattr(snap, column, (getattr(snap, column) or 0) + r["n"])


def _zero_coverage(rows: list[DailySnapshot]) -> None:
    for snap in rows:
        for prefix in COVERAGE_COLUMNS.values():
            for state in COVERAGE_STATES:
                if getattr(snap, f"{prefix}_{state}") is None:
                    setattr(snap, f"{prefix}_{state}", 0)


def _replace_day(day: dt.date, rows: list[DailySnapshot]) -> int:
    for attempt in range(2):
        try:
            with transaction.atomic():
                DailySnapshot.objects.filter(date=day).delete()
                DailySnapshot.objects.bulk_create(rows)
            return len(rows)
        except IntegrityError:
            # Another worker wrote the same day between our delete and insert: retry
            # once, which replaces its rows with ours (same data, same day).
            if attempt:
                raise
    return 0  # pragma: no cover


def snapshot_take(*, day: dt.date | None = None, source: str = DailySnapshot.Source.TASK) -> int:
    """Take (or retake) the snapshot of a day. Idempotent: one row per slice and day."""
    today = timezone.localdate()
    day = day or today
    if day > today:
        raise ValueError("A snapshot cannot be taken of a day that has not happened yet.")
    return _replace_day(day, snapshot_rows(day=day, source=source, today=today))


def snapshot_backfill(
    *,
    days: int = selectors.TREND_DAYS,
    today: dt.date | None = None,
    source: str = DailySnapshot.Source.BACKFILL,
) -> int:
    """Fill the missing days of the trend window from the history tables. Days before
    the first recorded asset are skipped: there is nothing to say about them."""
    today = today or timezone.localdate()
    first = _first_history_day()
    if first is None:
        return 0
    have = set(
        DailySnapshot.objects.filter(date__gte=today - dt.timedelta(days=days - 1)).values_list(
            "date", flat=True
        )
    )
    written = 0
    for offset in range(days - 1, 0, -1):
        day = today - dt.timedelta(days=offset)
        if day < first or day in have:
            continue
        written += _replace_day(day, snapshot_rows(day=day, source=source, today=today))
    return written


def _first_history_day() -> dt.date | None:
    from riskhub.inventory.models import Asset

    first: Any = Asset.history.aggregate(first=Min("history_date"))["first"]
    return timezone.localdate(first) if first is not None else None
