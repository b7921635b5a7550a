"""The connector's tables: which registries to read, each run, and what each upstream
record became in the register."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

ENV_NAME = RegexValidator(
    r"^[A-Z_][A-Z0-9_]*$",
    "An environment variable name: capital letters, digits and underscores.",
)


class ModelRegistry(models.Model):
    """One MLflow tracking server whose model registry RiskHub reads.

    The token never enters the database: `token_env` names the environment variable
    of the web and worker processes that holds it (sent as a bearer token)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, unique=True)
    tracking_uri = models.URLField(
        "Tracking URI", max_length=500, help_text="For example https://mlflow.example.com"
    )
    token_env = models.CharField(
        "Token environment variable",
        max_length=100,
        blank=True,
        validators=[ENV_NAME],
        help_text="Name of the environment variable holding the access token "
        "(for example MLFLOW_TRACKING_TOKEN); empty for a server without authentication.",
    )
    enabled = models.BooleanField(
        default=True, help_text="Synced on the schedule; “Sync now” works either way."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        app_label = "inventory"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def source_label(self) -> str:
        """How provenance names this registry: "MLflow: <name>"."""
        return f"MLflow: {self.name}"


class SyncRun(models.Model):
    """One sync of one registry: status, progress and the summary."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Finished with errors"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", "Schedule"
        MANUAL = "manual", "Sync now"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registry = models.ForeignKey(ModelRegistry, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    queued_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # Progress: model versions handled out of those listed.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # The summary.
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    flagged = models.PositiveIntegerField(
        default=0, help_text="Assets whose model was deleted upstream, awaiting a person"
    )
    archived = models.PositiveIntegerField(
        default=0, help_text="Flagged assets a person has since confirmed and archived"
    )
    kept = models.PositiveIntegerField(default=0, help_text="Fields left as a person edited them")
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        app_label = "inventory"
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["registry", "-queued_at"], name="syncrun_registry_recent")]

    def __str__(self) -> str:
        return f"{self.registry} sync {self.queued_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.PARTIAL, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    def summary(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "flagged": self.flagged,
            "archived": self.archived,
        }


class SyncedRecord(models.Model):
    """What one upstream record (a model version, a dataset) became in the register."""

    class Kind(models.TextChoices):
        MODEL_VERSION = "model_version", "Model version"
        DATASET = "dataset", "Dataset"

    registry = models.ForeignKey(ModelRegistry, on_delete=models.CASCADE, related_name="records")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # "<model name>/<version>" or "<dataset name>@<digest>".
    external_id = models.CharField(max_length=600)
    asset = models.ForeignKey(
        "inventory.Asset", on_delete=models.CASCADE, related_name="synced_records"
    )
    # SHA-256 of what the connector last wrote, so an unchanged record costs no write.
    fingerprint = models.CharField(max_length=64, blank=True)
    last_synced_at = models.DateTimeField()
    last_run = models.ForeignKey(SyncRun, null=True, on_delete=models.SET_NULL, related_name="+")
    # Set when the record disappeared upstream; the asset is archived only when a
    # person confirms (riskhub.inventory.mlflow.services.confirm_archive).
    deleted_upstream_at = models.DateTimeField(null=True, blank=True)
    flagged_by_run = models.ForeignKey(
        SyncRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="flagged_records"
    )

    class Meta:
        app_label = "inventory"
        constraints = [
            models.UniqueConstraint(
                fields=["registry", "kind", "external_id"], name="synced_record_unique"
            )
        ]
        indexes = [models.Index(fields=["deleted_upstream_at"], name="synced_record_flagged")]

    def __str__(self) -> str:
        return f"{self.registry}: {self.external_id}"

    @property
    def model_name(self) -> str:
        return self.external_id.rsplit("/", 1)[0]

    @property
    def model_version(self) -> str:
        return self.external_id.rsplit("/", 1)[-1]
