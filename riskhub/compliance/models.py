"""Frameworks and their requirements, the control library (the crosswalk), control
implementations at a scope with their evidence, and the stored coverage.

Catalog rows (Framework, Requirement, Control, ControlRequirement, SufficientSet) are
written only by the catalog loader. Implementations and evidence are written by
services. RequirementStatus and FrameworkCoverage are derived: recomputed by the
coverage service and read by pages, the API and the dashboard, never recomputed there.
Threats belong to the risk app; the control library owns the control-to-threat mapping
(ControlThreat, in the order controls.yaml lists them), and a threat's suggested controls
are read through it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from riskhub.compliance import states
from riskhub.inventory.models import Asset
from riskhub.risk.models import Threat


class Coverage(models.TextChoices):
    FULL = "full", "Full"
    PARTIAL = "partial", "Partial"


class Framework(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    slug = models.SlugField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    citation = models.CharField(max_length=300, blank=True)
    version = models.CharField(max_length=30)
    source_url = models.URLField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def short_name(self) -> str:
        return {"eu-ai-act": "EU AI Act", "gdpr": "GDPR", "ccpa": "CCPA/CPRA"}.get(
            self.slug, self.name
        )


class Requirement(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="requirements")
    ref = models.CharField(max_length=60)
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    group = models.CharField(max_length=200, blank=True)
    holders = models.JSONField(default=list, blank=True)
    also_cited_as = models.JSONField(default=list, blank=True)
    rule = models.JSONField(default=dict, blank=True)
    applies_from = models.JSONField(default=list, blank=True)
    source_url = models.URLField(max_length=500, blank=True)
    note = models.TextField(blank=True)
    catalog_version = models.CharField(max_length=30)
    position = models.PositiveIntegerField(default=0)
    # Set when the loader finds the requirement gone from the catalog: kept (history,
    # evidence) but no longer applied.
    retired = models.BooleanField(default=False)

    class Meta:
        ordering = ["framework__position", "position"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "ref"], name="requirement_ref_unique")
        ]

    def __str__(self) -> str:
        return f"{self.framework.short_name} {self.ref}"


class Control(models.Model):
    class Scope(models.TextChoices):
        ORGANISATION = "organisation", "Organisation"
        SYSTEM = "system", "AI system"
        ASSET = "asset", "Asset"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    theme = models.CharField(max_length=100, blank=True)
    default_scope = models.CharField(max_length=12, choices=Scope.choices)
    catalog_version = models.CharField(max_length=30)
    position = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False)
    requirements = models.ManyToManyField(
        Requirement, through="ControlRequirement", related_name="controls"
    )
    # The threats this control treats; `threat.controls` are that threat's suggested
    # controls. Written only by the catalog loader, from controls.yaml.
    threats = models.ManyToManyField(Threat, through="ControlThreat", related_name="controls")

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def threat_codes(self) -> list[str]:
        """The codes of the threats it treats, in catalog order. Pages and exports
        prefetch `threat_links__threat` (selectors.control_list does)."""
        links = sorted(self.threat_links.all(), key=lambda link: link.position)
        return [link.threat.code for link in links]


class ControlRequirement(models.Model):
    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="mappings")
    requirement = models.ForeignKey(Requirement, on_delete=models.CASCADE, related_name="mappings")
    coverage = models.CharField(max_length=8, choices=Coverage.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["control", "requirement"], name="control_requirement_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.control_id} -> {self.requirement_id} ({self.coverage})"


class ControlThreat(models.Model):
    """A threat a control treats, at its position in the control's catalog entry."""

    control = models.ForeignKey(Control, on_delete=models.CASCADE, related_name="threat_links")
    # Threats are retired, never deleted, while a control still names them.
    threat = models.ForeignKey(Threat, on_delete=models.PROTECT, related_name="control_links")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["control", "position"]
        constraints = [
            models.UniqueConstraint(fields=["control", "threat"], name="control_threat_unique")
        ]

    def __str__(self) -> str:
        return f"{self.control_id} -> {self.threat_id}"


class SufficientSet(models.Model):
    """Partial controls that, implemented together, meet a requirement."""

    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="sufficient_sets"
    )
    controls = models.ManyToManyField(Control, related_name="sufficient_sets")
    key = models.CharField(max_length=500, help_text="Sorted control codes, joined by '+'.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["requirement", "key"], name="sufficient_set_unique")
        ]

    def __str__(self) -> str:
        return self.key


class ControlImplementation(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not-started", "Not started"
        IN_PROGRESS = "in-progress", "In progress"
        IMPLEMENTED = "implemented", "Implemented"
        NOT_APPLICABLE = "not-applicable", "Not applicable"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    control = models.ForeignKey(Control, on_delete=models.PROTECT, related_name="implementations")
    scope = models.CharField(max_length=12, choices=Control.Scope.choices)
    asset = models.ForeignKey(
        Asset,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="control_implementations",
        help_text="The AI system (system scope) or asset (asset scope).",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NOT_STARTED)
    justification = models.TextField(
        blank=True, help_text="Why the control does not apply (required when not applicable)."
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_control_implementations",
    )
    notes = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True)
    last_verified = models.DateField(null=True, blank=True)
    next_verification = models.DateField(null=True, blank=True)
    needs_review = models.BooleanField(
        default=False, help_text="A requirement this control maps to changed in a catalog upgrade."
    )
    review_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["control__position", "scope", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(scope="organisation") & models.Q(asset__isnull=True))
                | (~models.Q(scope="organisation") & models.Q(asset__isnull=False)),
                name="implementation_scope_matches_asset",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="not-applicable") | ~models.Q(justification=""),
                name="implementation_not_applicable_needs_justification",
            ),
            models.UniqueConstraint(
                fields=["control"],
                condition=models.Q(scope="organisation"),
                name="implementation_unique_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["control", "asset"],
                condition=models.Q(asset__isnull=False),
                name="implementation_unique_per_asset",
            ),
        ]
        indexes = [models.Index(fields=["status", "scope"])]

    def __str__(self) -> str:
        return f"{self.control.code} @ {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.scope == Control.Scope.ORGANISATION:
            return "Organisation"
        return f"{self.get_scope_display()}: {self.asset}"


class Evidence(models.Model):
    class Kind(models.TextChoices):
        FILE = "file", "File"
        URL = "url", "Link"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    implementation = models.ForeignKey(
        ControlImplementation, on_delete=models.CASCADE, related_name="evidence"
    )
    kind = models.CharField(max_length=4, choices=Kind.choices)
    file = models.FileField(max_length=300, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # Null, not "", when the evidence is a file: the API documents a nullable URI.
    url = models.URLField("URL", max_length=1000, null=True, blank=True)
    description = models.CharField(max_length=500)
    valid_until = models.DateField(null=True, blank=True, db_index=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    expiry_notified_on = models.DateField(null=True, blank=True)
    expiry_applied = models.BooleanField(
        default=False, help_text="Coverage was recomputed after this evidence expired."
    )
    history = HistoricalRecords(excluded_fields=["expiry_notified_on", "expiry_applied"])

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name_plural = "evidence"
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="file") & ~models.Q(file="") & models.Q(url__isnull=True))
                | (
                    models.Q(kind="url")
                    & models.Q(file="")
                    & models.Q(url__isnull=False)
                    & ~models.Q(url="")
                ),
                name="evidence_is_a_file_or_a_link",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class RequirementStatus(models.Model):
    """One applicable requirement for one asset, with why, from when and its coverage."""

    class Status(models.TextChoices):
        MET = states.MET.slug, states.MET.label
        PARTIAL = states.PARTIAL.slug, states.PARTIAL.label
        GAP = states.GAP.slug, states.GAP.label

    # No index of their own: each key leads one of the indexes below (asset: the unique
    # constraint; requirement: status_by_requirement_idx; framework: its status index),
    # and a full recompute writes every one of 188,092 rows (10,000 assets) into each.
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="+", db_index=False)
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="statuses", db_index=False
    )
    framework = models.ForeignKey(
        Framework, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=8, choices=Status.choices)
    reason = models.TextField()
    applies_from = models.DateField(null=True, blank=True)
    condition = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "requirement"], name="requirement_status_unique"
            )
        ]
        indexes = [
            models.Index(fields=["framework", "status"]),
            # Every column the gap list reads of a requirement's statuses (which assets,
            # which framework), so its counts are index-only scans on PostgreSQL.
            models.Index(
                fields=["requirement", "status", "asset", "framework"],
                name="status_by_requirement_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.requirement_id}: {self.status}"


class RequirementCoverage(models.Model):
    """Stored totals per requirement (assets for which it is met, partial or a gap),
    kept with the per-framework totals by coverage_recompute; the gap list ranks the
    controls from them instead of counting every open status on each request."""

    requirement = models.OneToOneField(Requirement, on_delete=models.CASCADE, related_name="totals")
    met = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0)
    gap = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.requirement_id}: {self.partial + self.gap} open"


class RequirementDate(models.Model):
    """Stored count per requirement and date: the assets whose obligation under the
    requirement applies from that date (RequirementStatus.applies_from). Kept with the
    per-requirement totals by coverage_recompute; the dashboard's regulatory timeline
    reads them instead of grouping every status still ahead on each request."""

    # No index of its own: it leads the unique constraint.
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="dates", db_index=False
    )
    applies_from = models.DateField()
    assets = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["requirement", "applies_from"], name="requirement_date_unique"
            )
        ]
        indexes = [models.Index(fields=["applies_from"], name="requirement_date_idx")]

    def __str__(self) -> str:
        return f"{self.requirement_id} from {self.applies_from}: {self.assets} assets"


class FrameworkCoverage(models.Model):
    """Stored totals per framework (asset x applicable requirement pairs)."""

    framework = models.OneToOneField(Framework, on_delete=models.CASCADE, related_name="coverage")
    met = models.PositiveIntegerField(default=0)
    partial = models.PositiveIntegerField(default=0)
    gap = models.PositiveIntegerField(default=0)
    applicable = models.PositiveIntegerField(default=0)
    assets = models.PositiveIntegerField(default=0, help_text="Assets with an obligation.")
    computed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.framework_id}: {self.met}/{self.applicable} met"

    @property
    def met_pct(self) -> int:
        return round(100 * self.met / self.applicable) if self.applicable else 0
