"""Daily snapshots: the dashboard's memory of how much risk the organisation carried.

One row per day and slice (business unit x asset kind x EU AI Act tier), so the trend
filters by the same dimensions as the rest of the dashboard without reading history
tables for ninety days on every page view.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Coalesce

from riskhub.inventory.models import Asset, BusinessUnit

# Framework slug -> the prefix of its coverage columns.
COVERAGE_COLUMNS = {"eu-ai-act": "eu_ai_act", "gdpr": "gdpr", "ccpa": "ccpa"}
COVERAGE_STATES = ("met", "partial", "gap")


class DailySnapshot(models.Model):
    class Source(models.TextChoices):
        TASK = "task", "Nightly task"
        BACKFILL = "backfill", "Backfilled from history tables"
        DEMO = "demo", "Demo data"

    date = models.DateField(db_index=True)
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Asset.Kind.choices)
    tier = models.CharField(max_length=14, choices=Asset.Tier.choices, blank=True)
    assets = models.PositiveIntegerField(default=0)
    unassessed = models.PositiveIntegerField(
        default=0, help_text="Assets without a current approved assessment."
    )
    # Open risks of current assessments by residual band.
    risks_low = models.PositiveIntegerField(default=0)
    risks_medium = models.PositiveIntegerField(default=0)
    risks_high = models.PositiveIntegerField(default=0)
    risks_critical = models.PositiveIntegerField(default=0)
    risks_accepted = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0, help_text="Open treatments past due.")
    # Coverage (asset x applicable requirement pairs) per framework, one column per
    # state so the trend sums them in SQL. The framework slugs are a stable contract
    # (DESIGN.md); NULL when not recorded (the per-asset coverage has no history table
    # to backfill from).
    eu_ai_act_met = models.PositiveIntegerField(null=True, blank=True)
    eu_ai_act_partial = models.PositiveIntegerField(null=True, blank=True)
    eu_ai_act_gap = models.PositiveIntegerField(null=True, blank=True)
    gdpr_met = models.PositiveIntegerField(null=True, blank=True)
    gdpr_partial = models.PositiveIntegerField(null=True, blank=True)
    gdpr_gap = models.PositiveIntegerField(null=True, blank=True)
    ccpa_met = models.PositiveIntegerField(null=True, blank=True)
    ccpa_partial = models.PositiveIntegerField(null=True, blank=True)
    ccpa_gap = models.PositiveIntegerField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.TASK)
    taken_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "business_unit_id", "kind", "tier"]
        constraints = [
            # NULL business units would not collide in a plain unique constraint.
            models.UniqueConstraint(
                "date",
                Coalesce("business_unit", models.Value(0)),
                "kind",
                "tier",
                name="dashboard_snapshot_one_per_slice_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.business_unit_id or '-'} {self.kind} {self.tier or '-'}"

    @property
    def open_risks(self) -> int:
        return self.risks_low + self.risks_medium + self.risks_high + self.risks_critical
