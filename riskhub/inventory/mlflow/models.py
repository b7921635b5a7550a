"""The connector's tables: which registries to read and what each upstream record became
in the register. Each sync is an ImportJob of kind "sync" (riskhub.inventory.jobs)."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
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

    def clean(self) -> None:
        self.tracking_uri = (self.tracking_uri or "").strip()
        if self.tracking_uri and not self.tracking_uri.lower().startswith(("http://", "https://")):
            raise ValidationError(
                {"tracking_uri": "Give the http(s) address of the MLflow tracking server."}
            )

    @property
    def source_label(self) -> str:
        """How provenance names this registry: "MLflow: <name>"."""
        return f"MLflow: {self.name}"


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
    last_job = models.ForeignKey(
        "inventory.ImportJob", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The lineage links this sync made for the record (link UUIDs): only these are
    # removed when the source run's inputs change; a link a person made stays.
    links = models.JSONField(default=list, blank=True)
    # Set when the record disappeared upstream; the asset is archived only when a
    # person confirms (riskhub.inventory.mlflow.services.confirm_archive).
    deleted_upstream_at = models.DateTimeField(null=True, blank=True)
    flagged_by_job = models.ForeignKey(
        "inventory.ImportJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="flagged_records",
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
