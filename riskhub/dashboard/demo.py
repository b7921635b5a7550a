"""Demo history: 90 days of trend that the "as of" view can stand behind.

The other seeders write their data today. Here the history records of each demo asset
(and of its assessments, risks and acceptances) are moved back by the same number of
days, so the register grew over the window: the first assets were registered before
it, the rest one by one since. The trend is then written by the real snapshot function
over those history tables (``snapshot_backfill``), marked ``source=demo``, so for any
past day the dashboard's "as of" view and that day's trend point give the same totals.
Days that already have a snapshot are left alone, and history that already reaches
into the past (a second run, a real deployment) is never rewritten.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from riskhub.dashboard import services
from riskhub.dashboard.models import DailySnapshot
from riskhub.dashboard.selectors import TREND_DAYS
from riskhub.inventory.models import Asset
from riskhub.risk.models import Assessment, Risk, RiskAcceptance

# The share of the demo inventory registered before the trend window starts.
REGISTERED_BEFORE_WINDOW = 0.4


def seed(*, users: Any, assets: int | None, seed: int, stdout: Any) -> None:
    today = timezone.localdate()
    services.snapshot_take(day=today)
    moved = backdate_history(today=today, seed=seed)
    services.snapshot_backfill(today=today, source=DailySnapshot.Source.DEMO)
    days = DailySnapshot.objects.filter(date__lt=today).values("date").distinct().count()
    stdout.write(
        f"  dashboard: history of {moved} assets spread over {TREND_DAYS} days; "
        f"today's snapshot and {days} past days' snapshots taken from it"
    )


def registration_offsets(
    asset_ids: list[int], *, seed: int, days: int = TREND_DAYS
) -> dict[int, int]:
    """Days before today each asset was registered: the first ones before the window,
    the others spread over it in the order they were created (deterministic)."""
    rng = random.Random(seed * 104_729 + 17)
    ordered = sorted(asset_ids)
    before = max(1, round(len(ordered) * REGISTERED_BEFORE_WINDOW)) if ordered else 0
    later = len(ordered) - before
    offsets = {}
    for index, pk in enumerate(ordered):
        if index < before:
            offsets[pk] = days + rng.randint(0, 60)
        else:
            # Spread from the start of the window towards yesterday.
            share = (index - before) / max(later, 1)
            offsets[pk] = max(1, round((days - 1) * (1 - share)) - rng.randint(0, 2))
    return offsets


def backdate_history(*, today: dt.date, seed: int, days: int = TREND_DAYS) -> int:
    """Move each demo asset's history back by its registration offset; returns how
    many assets moved (0 when the history already reaches into the past)."""
    start_of_today = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    if Asset.history.filter(history_date__lt=start_of_today).exists():
        return 0
    offsets = registration_offsets(list(Asset.objects.values_list("pk", flat=True)), seed=seed)
    by_offset: dict[int, list[int]] = defaultdict(list)
    for pk, offset in offsets.items():
        by_offset[offset].append(pk)
    with transaction.atomic():
        for offset, ids in sorted(by_offset.items()):
            shift = F("history_date") - dt.timedelta(days=offset)
            assessments = Assessment.objects.filter(asset_id__in=ids).values("id")
            risks = Risk.objects.filter(assessment__asset_id__in=ids).values("id")
            Asset.history.filter(id__in=ids).update(history_date=shift)
            Assessment.history.filter(id__in=assessments).update(history_date=shift)
            Risk.history.filter(id__in=risks).update(history_date=shift)
            RiskAcceptance.history.filter(risk_id__in=risks).update(history_date=shift)
    return len(offsets)
