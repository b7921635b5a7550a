"""Incidents and breaches: what happened, to which assets, what was done and who was told.

The legal clocks are not stored: they are computed (riskhub/incidents/clocks.py) from the
incident, the facts snapshot of its affected systems and the notifications on its
timeline. Two derived values are stored so the register can sort and filter in SQL:
`next_due_at` (the earliest due moment among duties not yet notified) and
`facts_snapshot` (roles and tiers of the affected systems when last computed).
"""

from __future__ import annotations

import uuid
from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from riskhub.compliance.models import Control
from riskhub.incidents.clocks import SERIOUS_INCIDENT_LABELS, Code
from riskhub.inventory.models import Asset
from riskhub.risk.models import Risk, Threat


class Incident(models.Model):
    class Category(models.TextChoices):
        AI_MALFUNCTION = "ai-malfunction", "AI malfunction"
        SECURITY_ATTACK = "security-attack", "Security attack"
        PERSONAL_DATA_BREACH = "personal-data-breach", "Personal data breach"
        SERIOUS_INCIDENT = "serious-incident", "Serious incident (AI Act Art 3(49))"

    class SeriousIncident(models.TextChoices):
        DEATH = "death", SERIOUS_INCIDENT_LABELS["death"]
        HEALTH = "health", SERIOUS_INCIDENT_LABELS["health"]
        CRITICAL_INFRASTRUCTURE = (
            "critical-infrastructure",
            SERIOUS_INCIDENT_LABELS["critical-infrastructure"],
        )
        FUNDAMENTAL_RIGHTS = "fundamental-rights", SERIOUS_INCIDENT_LABELS["fundamental-rights"]
        PROPERTY_OR_ENVIRONMENT = (
            "property-or-environment",
            SERIOUS_INCIDENT_LABELS["property-or-environment"],
        )
        WIDESPREAD_INFRINGEMENT = (
            "widespread-infringement",
            SERIOUS_INCIDENT_LABELS["widespread-infringement"],
        )

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        INVESTIGATING = "investigating", "Investigating"
        CONTAINED = "contained", "Contained"
        CLOSED = "closed", "Closed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    occurred_at = models.DateTimeField("When it happened", null=True, blank=True)
    aware_at = models.DateTimeField(
        "When the organisation became aware", help_text="The legal clocks start here."
    )
    assets = models.ManyToManyField(Asset, related_name="incidents", blank=True)
    categories = models.JSONField(default=list, blank=True)
    threat = models.ForeignKey(
        Threat,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="incidents",
        help_text="For a security attack: the threat from the catalog.",
    )
    personal_data_breach = models.BooleanField(default=False)
    breach_risk_unlikely = models.BooleanField(
        "Breach unlikely to result in a risk to individuals",
        default=False,
        help_text="GDPR Art 33(1): then the supervisory authority need not be notified.",
    )
    high_risk_to_individuals = models.BooleanField(
        default=False, help_text="GDPR Art 34: the data subjects must be told."
    )
    serious_incident = models.CharField(
        "Serious incident (AI Act)",
        max_length=24,
        choices=SeriousIncident.choices,
        blank=True,
    )
    california_residents = models.PositiveIntegerField("California residents affected", default=0)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(
        max_length=14, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_incidents",
    )
    risks = models.ManyToManyField(Risk, related_name="incidents", blank=True)
    controls = models.ManyToManyField(Control, related_name="incidents", blank=True)
    alert_fingerprint = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # post-incident review (required to close)
    review_what_failed = models.TextField("What failed", blank=True)
    review_changes = models.TextField("What changes", blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    # Optimistic locking: every edit names the version it started from.
    version = models.PositiveIntegerField(default=1)

    # derived, written by services
    facts_snapshot = models.JSONField(default=dict, blank=True)
    next_due_at = models.DateTimeField(null=True, blank=True, db_index=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "next_due_at"])

    class Meta:
        ordering = ["-aware_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert_fingerprint"],
                condition=~models.Q(alert_fingerprint=""),
                name="incident_alert_fingerprint_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="closed")
                | (~models.Q(review_what_failed="") & ~models.Q(review_changes="")),
                name="incident_closed_needs_review",
            ),
            models.CheckConstraint(
                condition=models.Q(occurred_at__isnull=True)
                | models.Q(occurred_at__lte=models.F("aware_at")),
                name="incident_occurred_before_aware",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_due_at"], name="incident_register")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED

    def category_labels(self) -> list[str]:
        labels = dict(self.Category.choices)
        return [labels.get(c, c) for c in self.categories]


class AppendOnlyQuerySet(models.QuerySet["TimelineEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("Timeline entries are append-only.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise TypeError("Timeline entries are append-only.")


class TimelineEntry(models.Model):
    """One line of an incident's timeline. Never edited, never deleted: a correction is
    a new entry. (The database has no trigger for this; the model and queryset refuse
    it, and no service offers it.)"""

    class Kind(models.TextChoices):
        OPENED = "opened", "Opened"
        ACTION = "action", "Action"
        NOTIFICATION = "notification", "Notification"
        STATUS = "status", "Status change"
        ALERT = "alert", "Monitoring alert"
        CONSEQUENCE = "consequence", "Follow-up"
        REVIEW = "review", "Post-incident review"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="timeline")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField("When", db_index=True)
    summary = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # notifications: who notified whom, under which duty, with what reference
    clock = models.CharField(
        "Duty satisfied",
        max_length=40,
        blank=True,
        choices=[(c.value, c.value) for c in Code],
    )
    notified_by = models.CharField(max_length=200, blank=True)
    recipient = models.CharField(max_length=200, blank=True)
    reference = models.CharField("Reference number", max_length=200, blank=True)
    recorded_at = models.DateTimeField(auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="notification")
                | (~models.Q(clock="") & ~models.Q(recipient="")),
                name="timeline_notification_names_clock_and_recipient",
            )
        ]
        indexes = [models.Index(fields=["incident", "kind", "at"], name="timeline_by_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary[:60]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError("Timeline entries are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise TypeError("Timeline entries are append-only.")


class ClockAlert(models.Model):
    """An alert email sent for one clock of one incident at one threshold: the unique
    row makes the beat task idempotent."""

    class Threshold(models.TextChoices):
        HALF = "50", "50% of the window"
        NINETY = "90", "90% of the window"
        MISSED = "missed", "Missed"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="clock_alerts")
    clock = models.CharField(max_length=40)
    threshold = models.CharField(max_length=8, choices=Threshold.choices)
    sent_at = models.DateTimeField()
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "clock", "threshold"], name="clock_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.threshold}"
