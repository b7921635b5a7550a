"""Every read of the scans app, with a bounded number of queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from uuid import UUID

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from riskhub.inventory.models import Asset
from riskhub.risk.models import Threat
from riskhub.scans.models import Finding, ScanRun


def runs() -> QuerySet[ScanRun]:
    return ScanRun.objects.select_related("asset", "imported_by").order_by("-ran_at", "-id")


def run_detail(run_uuid: UUID | str) -> ScanRun:
    return (
        ScanRun.objects.select_related("asset", "imported_by")
        .prefetch_related(
            Prefetch(
                "findings",
                queryset=Finding.objects.prefetch_related(
                    Prefetch("threats", queryset=Threat.objects.order_by("code"))
                ).order_by("-failures", "probe", "detector"),
            ),
            "evidence__implementation__control",
        )
        .get(uuid=run_uuid)
    )


def asset_runs(asset: Asset, limit: int = 20) -> list[ScanRun]:
    return list(
        ScanRun.objects.filter(asset=asset)
        .select_related("imported_by")
        .order_by("-ran_at", "-id")[:limit]
    )


@dataclass
class ThreatHistory:
    threat: Threat
    # (ran_at, attempts, failures) per run, oldest first
    points: list[tuple[dt.datetime, int, int]] = field(default_factory=list)

    @property
    def latest_pass_rate(self) -> float | None:
        if not self.points:
            return None
        _, attempts, failures = self.points[-1]
        return 1 - failures / attempts if attempts else None


def threat_history(asset: Asset) -> list[ThreatHistory]:
    """Pass rate per threat and run for the asset (one query), threats by code."""
    through = Finding.threats.through
    rows = (
        through.objects.filter(finding__asset=asset)
        .values("threat_id", "finding__run__ran_at", "finding__run_id")
        .annotate(attempts=Sum("finding__attempts"), failures=Sum("finding__failures"))
        .order_by("finding__run__ran_at", "finding__run_id")
    )
    by_threat: dict[int, list[tuple[dt.datetime, int, int]]] = defaultdict(list)
    for row in rows:
        by_threat[row["threat_id"]].append(
            (row["finding__run__ran_at"], row["attempts"] or 0, row["failures"] or 0)
        )
    threats = Threat.objects.filter(pk__in=by_threat).order_by("code")
    return [ThreatHistory(t, by_threat[t.pk]) for t in threats]


def tested_q(until: dt.datetime | None = None) -> Q:
    """An asset had a scan run in the SCAN_TESTED_WINDOW_DAYS up to `until` (default
    now): the one rule of the "tested in the last 90 days" figure. For annotate or
    filter on assets or their history rows (matched by `id`, which both carry).

    An IN over the window's runs, which PostgreSQL hashes once, rather than EXISTS,
    which it probes once per asset inside a counting FILTER (55 ms at 100,000 assets
    with no run at all)."""
    until = until or timezone.now()
    since = until - dt.timedelta(days=settings.SCAN_TESTED_WINDOW_DAYS)
    return Q(id__in=ScanRun.objects.filter(ran_at__gt=since, ran_at__lte=until).values("asset_id"))
