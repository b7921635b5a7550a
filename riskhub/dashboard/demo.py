"""Demo snapshots: 90 days of trend so the dashboard reads well on first run.

Today's snapshot is real (taken from the data the other seeders wrote). The 89 days
before it are synthesised from today's figures with a deterministic walk (more critical
and high risks in the past, fewer assessed assets), marked ``source=demo`` so no one
mistakes them for recorded history. Days that already have a snapshot are left alone.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from riskhub.dashboard import services
from riskhub.dashboard.models import DailySnapshot
from riskhub.dashboard.selectors import BANDS, TREND_DAYS

# How much higher each band stood at the start of the window than today.
START_FACTOR = {"critical": 1.8, "high": 1.5, "medium": 1.15, "low": 0.8}


def seed(*, users: Any, assets: int | None, seed: int, stdout: Any) -> None:
    today = timezone.localdate()
    services.snapshot_take(day=today)
    written = backfill_demo(today=today, seed=seed)
    stdout.write(f"  dashboard: today's snapshot and {written} days of demo trend")


def backfill_demo(*, today: dt.date, seed: int, days: int = TREND_DAYS) -> int:
    rng = random.Random(seed * 104_729 + 17)
    base = list(DailySnapshot.objects.filter(date=today))
    have = set(
        DailySnapshot.objects.filter(date__lt=today, date__gte=today - dt.timedelta(days=days))
        .values_list("date", flat=True)
        .distinct()
    )
    rows: list[DailySnapshot] = []
    written = 0
    for offset in range(days - 1, 0, -1):
        day = today - dt.timedelta(days=offset)
        if day in have:
            continue
        progress = 1 - offset / (days - 1)  # 0 at the start of the window, 1 today
        written += 1
        for snap in base:
            past = DailySnapshot(
                date=day,
                business_unit_id=snap.business_unit_id,
                kind=snap.kind,
                tier=snap.tier,
                assets=snap.assets,
                source=DailySnapshot.Source.DEMO,
            )
            for band in BANDS:
                factor = START_FACTOR[band] + (1 - START_FACTOR[band]) * progress
                value = getattr(snap, f"risks_{band}") * factor * rng.uniform(0.95, 1.05)
                setattr(past, f"risks_{band}", max(0, round(value)))
            past.risks_accepted = round(snap.risks_accepted * (0.5 + 0.5 * progress))
            past.overdue = max(
                0, round(snap.overdue * (1.4 - 0.4 * progress) * rng.uniform(0.9, 1.1))
            )
            past.unassessed = min(
                snap.assets,
                round(snap.unassessed + (snap.assets - snap.unassessed) * 0.3 * (1 - progress)),
            )
            rows.append(past)
    with transaction.atomic():
        DailySnapshot.objects.bulk_create(rows, batch_size=2000)
    return written
