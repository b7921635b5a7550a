"""The integrated AI impact assessment (AI Act Art 27 FRIA, GDPR Art 35 DPIA, CPPA risk
assessment under 11 CCR 7150-7157) of one AI system or asset.

`AssessmentTemplate` rows are written only by the catalog loader, one per catalog
version. An `ImpactAssessment` keeps the version it was written against; its answers
are keyed by the template's field keys. Workflow: draft -> in review -> approved, or
returned (editable again) -> in review ... An approved assessment never changes; its
rendered document is filed as evidence of the integrated-assessment control.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from riskhub.compliance.models import Evidence
from riskhub.impact import catalog
from riskhub.inventory.models import Asset


class AssessmentTemplate(models.Model):
    version = models.CharField(max_length=30, unique=True)
    content = models.JSONField(help_text="The catalog YAML of this version, as loaded.")
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at", "-id"]

    def __str__(self) -> str:
        return f"Integrated impact assessment {self.version}"

    @property
    def parsed(self) -> catalog.Template:
        cached = getattr(self, "_parsed", None)
        if cached is None:
            cached = self._parsed = catalog.parse(self.content)
        return cached


class ImpactAssessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        RETURNED = "returned", "Returned for changes"
        APPROVED = "approved", "Approved"

    EDITABLE = (Status.DRAFT, Status.RETURNED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="impact_assessments")
    template = models.ForeignKey(AssessmentTemplate, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    answers = models.JSONField(default=dict, blank=True)
    # The laws whose impact-assessment duty applied when it was submitted (and so the
    # sections it had to complete); empty before.
    laws = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Everyone who wrote or submitted this assessment: none of them may review it.
    contributors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comments = models.TextField(blank=True)
    approved_on = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    evidence = models.ForeignKey(
        Evidence, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset"],
                condition=~models.Q(status="approved"),
                name="impact_assessment_one_open_per_asset",
            )
        ]

    def __str__(self) -> str:
        return f"Impact assessment of {self.asset.name}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE

    def answer(self, key: str) -> Any:
        return (self.answers or {}).get(key, "")
