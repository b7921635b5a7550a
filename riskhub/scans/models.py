"""AI security scan results: one ScanRun per imported report, one Finding per tested
probe (a garak probe and detector, a promptfoo plugin and strategy).

A finding names the threats of the catalog its check tests (riskhub/scans/catalogs/
mapping.yaml) and keeps a few failing examples, capped in number and size, as the
tool wrote them: they are attack payloads, so templates only ever show them escaped.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from riskhub.compliance.models import Evidence
from riskhub.inventory.models import Asset
from riskhub.risk.models import Threat


class Tool(models.TextChoices):
    GARAK = "garak", "garak"
    PROMPTFOO = "promptfoo", "promptfoo"


class ScanRun(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="scan_runs")
    tool = models.CharField(max_length=12, choices=Tool.choices)
    tool_version = models.CharField(max_length=40, blank=True)
    # When the tool ran (from the report when it says so, else the import time).
    ran_at = models.DateTimeField(db_index=True)
    target = models.CharField(
        max_length=300, blank=True, help_text="The generator or provider the tool attacked."
    )
    report_name = models.CharField(max_length=200)
    report_sha256 = models.CharField(max_length=64)
    report_size = models.PositiveBigIntegerField(default=0)
    mapping_version = models.CharField(max_length=30)
    attempts = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    # The raw report as stored evidence (one Evidence row per tested control).
    evidence = models.ManyToManyField(Evidence, related_name="scan_runs", blank=True)
    # What the import did: {"assessment": uuid|None, "assessment_note": str, "controls": [...]}
    outcome = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ran_at", "-id"]
        indexes = [models.Index(fields=["asset", "-ran_at"], name="scan_run_asset_ran")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(failures__lte=models.F("attempts")),
                name="scan_run_failures_within_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_tool_display()} scan of {self.asset.name}"

    @property
    def pass_rate(self) -> float | None:
        if not self.attempts:
            return None
        return 1 - self.failures / self.attempts


class Finding(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    run = models.ForeignKey(ScanRun, on_delete=models.CASCADE, related_name="findings")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="scan_findings")
    # The garak probe ("encoding.InjectBase64") or the promptfoo plugin ("pii:direct").
    probe = models.CharField(max_length=200)
    # The garak detector or the promptfoo strategy ("basic" when none).
    detector = models.CharField(max_length=200, blank=True)
    threats = models.ManyToManyField(Threat, related_name="scan_findings")
    attempts = models.PositiveIntegerField()
    failures = models.PositiveIntegerField()
    serious = models.BooleanField(
        default=False, help_text="A failure of this kind may be an incident (mapping.yaml)."
    )
    # [{"prompt": str, "output": str}], at most SCAN_EXAMPLES_PER_FINDING, each capped.
    examples = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["run", "probe", "detector"]
        constraints = [
            models.UniqueConstraint(fields=["run", "probe", "detector"], name="finding_unique"),
            models.CheckConstraint(
                condition=models.Q(failures__lte=models.F("attempts")),
                name="finding_failures_within_attempts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.probe} / {self.detector}" if self.detector else self.probe

    @property
    def failure_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0

    @property
    def pass_rate(self) -> float:
        return 1 - self.failure_rate
