"""Reports rendered by Celery workers, and the schedules that request them.

The database is the source of truth for a long job (DESIGN.md "Reliable jobs"): a
report row carries its status, progress, the worker's heartbeat and the attempt
number; the task takes a row lock before it claims or completes the report, so a
redelivered message can never produce a second file.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Kind(models.TextChoices):
    FRAMEWORK_COMPLIANCE = "framework-compliance", "Framework compliance"
    SYSTEM_DOSSIER = "system-dossier", "AI system dossier (Annex IV)"
    RISK_REGISTER = "risk-register", "Risk register"
    EXECUTIVE_SUMMARY = "executive-summary", "Executive summary"


class Report(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    schedule = models.ForeignKey(
        "ScheduledReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="runs"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    title = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    file = models.FileField(max_length=300, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    data_sha256 = models.CharField("SHA-256 of the embedded JSON", max_length=64, blank=True)
    signer = models.CharField(max_length=300, blank=True)
    signer_fingerprint = models.CharField(max_length=64, blank=True)
    signed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    file_deleted_at = models.DateTimeField(null=True, blank=True)
    # Sign-off: a report is generated "prepared"; an approval (never by its requester)
    # re-issues the signed PDF with the approver named, and keeps the prepared issue.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="approved_reports",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    prepared_file = models.FileField(max_length=300, blank=True)
    prepared_sha256 = models.CharField(
        "SHA-256 of the prepared issue", max_length=64, blank=True, db_index=True
    )
    # The documents the report renders in (DESIGN.md "Reports stay fast"): a long
    # listing is split over several, rendered by any worker, and merged once.
    chunks_total = models.PositiveIntegerField(default=0)
    chunks_done = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__gte=0) & models.Q(progress__lte=100),
                name="report_progress_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "framework-compliance",
                        "system-dossier",
                        "risk-register",
                        "executive-summary",
                    ]
                ),
                name="report_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="report_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="succeeded") | ~models.Q(sha256=""),
                name="report_succeeded_has_checksum",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_by__isnull=True, approved_at__isnull=True)
                | models.Q(
                    approved_by__isnull=False,
                    approved_at__isnull=False,
                    status="succeeded",
                )
                & ~models.Q(prepared_sha256=""),
                name="report_approval_complete",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return self.title or f"{self.get_kind_display()} {self.uuid}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def is_approved(self) -> bool:
        return self.approved_at is not None

    @property
    def has_file(self) -> bool:
        return bool(self.file) and self.status == self.Status.SUCCEEDED

    @property
    def download_name(self) -> str:
        stamp = (self.finished_at or self.created_at).strftime("%Y%m%d")
        return f"riskhub-{self.kind}-{stamp}-{str(self.uuid)[:8]}.pdf"


class ReportChunk(models.Model):
    """One WeasyPrint document of a report: its context is written by the planning
    task, its PDF by whichever worker claims it; the merge reads them all once every
    chunk of the report's current attempt is done. Files go through the storage API,
    so the workers may run on other hosts."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="chunks")
    report_attempt = models.PositiveSmallIntegerField()
    index = models.PositiveIntegerField()
    # "whole", "head", "rows" or "tail" (riskhub.reports.chunks.Part)
    role = models.CharField(max_length=8)
    label = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempt = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    context_file = models.CharField(max_length=300)
    pdf_file = models.CharField(max_length=300, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    # [[level, label, page index in this document], ...] from WeasyPrint's bookmarks.
    headings = models.JSONField(default=list, blank=True)
    render_seconds = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["report_id", "index"]
        constraints = [
            models.UniqueConstraint(fields=["report", "index"], name="report_chunk_index_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done"]),
                name="report_chunk_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"{self.report_id} chunk {self.index}"


class ScheduledReport(models.Model):
    class Cadence(models.TextChoices):
        WEEKLY = "weekly", "Weekly (Mondays)"
        MONTHLY = "monthly", "Monthly (1st)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=24, choices=Kind.choices)
    parameters = models.JSONField(default=dict, blank=True)
    cadence = models.CharField(max_length=8, choices=Cadence.choices)
    recipient_roles = models.JSONField(default=list, help_text="Roles emailed a link.")
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_run_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(cadence__in=["weekly", "monthly"]),
                name="scheduled_report_cadence_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_due(self, today: object) -> bool:
        import datetime as dt

        assert isinstance(today, dt.date)
        if not self.active or self.last_run_on == today:
            return False
        if self.cadence == self.Cadence.WEEKLY:
            return today.weekday() == 0
        return today.day == 1
