"""The AI asset register: datasets, models, endpoints and AI systems, their lineage,
their classification answers, and the organisation profile the classification reads.

Derived values that higher apps compute (effective risk from the risk app, the coverage
summary from the compliance app) are stored here by those apps' services, so the
inventory can show and filter them without importing upward.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from riskhub.inventory import tiers

# The CCPA "business" and cybersecurity-audit thresholds (Cal. Civ. Code 1798.140(d),
# 11 CCR 7120(b)), with the revenue threshold as CPI-adjusted from 1 Jan 2025.
CCPA_REVENUE_THRESHOLD = Decimal("26625000")
CCPA_CONSUMERS_SOLD_SHARED_THRESHOLD = 100_000
CCPA_SELLING_SHARE_THRESHOLD = Decimal("50")
CCPA_AUDIT_PI_CONSUMERS = 250_000
CCPA_AUDIT_SPI_CONSUMERS = 50_000


class OrganisationProfile(models.Model):
    """One row: the organisation running this deployment."""

    class GdprRole(models.TextChoices):
        CONTROLLER = "controller", "Controller"
        PROCESSOR = "processor", "Processor"
        JOINT_CONTROLLER = "joint-controller", "Joint controller"

    class CaBreachRole(models.TextChoices):
        """Cal. Civ. Code 1798.82: (a) the owner or licensee notifies residents, (b) a
        maintainer notifies the owner or licensee (classification.CA_BREACH_ROLES)."""

        OWNER = "owner", "Owns or licenses the personal information (1798.82(a))"
        MAINTAINER = "maintainer", "Maintains personal information it does not own (1798.82(b))"
        BOTH = "both", "Both: owns some, maintains other data for its owners"

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    legal_name = models.CharField(max_length=200, default="Example Organisation")
    eu_established = models.BooleanField("Established in the EU", default=True)
    # Two legal categories, two facts: AI Act Art 27(1) names bodies governed by public law
    # and private entities providing public services; GDPR Art 37(1)(a) names public
    # authorities and bodies. A private provider of public services is only the first.
    public_body = models.BooleanField(
        "Body governed by public law or private entity providing public services (AI Act Art. 27)",
        default=False,
    )
    public_authority = models.BooleanField(
        "Public authority or public body (GDPR Art. 37(1)(a))",
        null=True,
        blank=True,
        default=None,
        help_text="Leave unanswered if unsure: the DPO duty is then shown as undecided.",
    )
    ca_conducts_business = models.BooleanField(
        "Conducts business in California (Cal. Civ. Code 1798.82)",
        null=True,
        blank=True,
        default=None,
        help_text="The breach-notice statute has no size threshold, unlike the CCPA.",
    )
    ca_breach_role = models.CharField(
        "Role for California breach notices",
        max_length=12,
        choices=CaBreachRole.choices,
        blank=True,
        default="",
    )
    gdpr_role = models.CharField(
        "GDPR role", max_length=20, choices=GdprRole.choices, default=GdprRole.CONTROLLER
    )
    dpo_name = models.CharField("DPO name", max_length=150, blank=True)
    dpo_email = models.EmailField("DPO email", blank=True)
    time_zone = models.CharField(max_length=64, default="Europe/Brussels")
    ccpa_annual_revenue_usd = models.DecimalField(
        "Annual gross revenue (USD)",
        max_digits=16,
        decimal_places=0,
        default=0,
        validators=[MinValueValidator(0)],
    )
    ccpa_consumers_sold_shared = models.PositiveIntegerField(
        "Consumers or households whose personal information is bought, sold or shared",
        default=0,
    )
    ccpa_revenue_share_selling_pct = models.DecimalField(
        "Share of revenue from selling or sharing personal information (%)",
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    ccpa_consumers_pi_processed = models.PositiveIntegerField(
        "Consumers whose personal information is processed", default=0
    )
    ccpa_consumers_spi_processed = models.PositiveIntegerField(
        "Consumers whose sensitive personal information is processed", default=0
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="organisation_singleton"),
            models.CheckConstraint(
                condition=models.Q(ccpa_revenue_share_selling_pct__gte=0)
                & models.Q(ccpa_revenue_share_selling_pct__lte=100),
                name="organisation_selling_share_is_a_percentage",
            ),
        ]

    def __str__(self) -> str:
        return self.legal_name

    @property
    def ccpa_revenue_threshold_met(self) -> bool:
        return self.ccpa_annual_revenue_usd > CCPA_REVENUE_THRESHOLD

    @property
    def ccpa_business(self) -> bool:
        """1798.140(d)(1): any of (A) revenue, (B) 100,000 consumers bought/sold/shared,
        (C) half of revenue from selling or sharing."""
        return (
            self.ccpa_revenue_threshold_met
            or self.ccpa_consumers_sold_shared >= CCPA_CONSUMERS_SOLD_SHARED_THRESHOLD
            or self.ccpa_revenue_share_selling_pct >= CCPA_SELLING_SHARE_THRESHOLD
        )

    @property
    def ccpa_cyber_audit(self) -> bool:
        """11 CCR 7120(b): (1) half of revenue from selling/sharing, or (2) the revenue
        threshold and 250,000 consumers' PI or 50,000 consumers' sensitive PI."""
        return self.ccpa_revenue_share_selling_pct >= CCPA_SELLING_SHARE_THRESHOLD or (
            self.ccpa_revenue_threshold_met
            and (
                self.ccpa_consumers_pi_processed >= CCPA_AUDIT_PI_CONSUMERS
                or self.ccpa_consumers_spi_processed >= CCPA_AUDIT_SPI_CONSUMERS
            )
        )

    def classification_facts(self) -> dict[str, object]:
        """The org dict the pure classifier reads."""
        return {
            "eu_established": self.eu_established,
            "public_body": self.public_body,
            "public_authority": self.public_authority,
            "gdpr_role": self.gdpr_role,
            "ccpa_business": self.ccpa_business,
            "ccpa_cyber_audit": self.ccpa_cyber_audit,
            "ca_conducts_business": self.ca_conducts_business,
            "ca_breach_role": self.ca_breach_role or None,
        }


class BusinessUnit(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    class Kind(models.TextChoices):
        DATASET = "dataset", "Dataset"
        MODEL = "model", "Model"
        ENDPOINT = "endpoint", "Endpoint"
        SYSTEM = "system", "AI system"

    class Lifecycle(models.TextChoices):
        DESIGN = "design", "Design"
        DEVELOPMENT = "development", "Development"
        VALIDATION = "validation", "Validation"
        PRODUCTION = "production", "Production"
        RETIRED = "retired", "Retired"

    class Source(models.TextChoices):
        IN_HOUSE = "in-house", "In-house"
        OPEN_SOURCE = "open-source", "Open source"
        COMMERCIAL = "commercial", "Commercial"

    class ModelType(models.TextChoices):
        CLASSIFIER = "classifier", "Classifier"
        REGRESSOR = "regressor", "Regressor"
        RANKING = "ranking", "Ranking"
        GENERATIVE_LLM = "generative-llm", "Generative LLM"
        EMBEDDING = "embedding", "Embedding"
        VISION = "vision", "Vision"
        SPEECH = "speech", "Speech"
        OTHER = "other", "Other"

    class Exposure(models.TextChoices):
        INTERNAL = "internal", "Internal"
        PARTNER = "partner", "Partner"
        PUBLIC = "public", "Public"

    class Authentication(models.TextChoices):
        NONE = "none", "None"
        API_KEY = "api-key", "API key"
        OAUTH = "oauth", "OAuth 2 / OIDC"
        MTLS = "mtls", "Mutual TLS"
        SSO = "sso", "Single sign-on"

    class Tier(models.TextChoices):
        # Highest precedence first; slugs, labels and order come from tiers.py.
        PROHIBITED = tiers.PROHIBITED.slug, tiers.PROHIBITED.label
        HIGH = tiers.HIGH.slug, tiers.HIGH.label
        GPAI_SYSTEMIC = tiers.GPAI_SYSTEMIC.slug, tiers.GPAI_SYSTEMIC.label
        GPAI = tiers.GPAI.slug, tiers.GPAI.label
        LIMITED = tiers.LIMITED.slug, tiers.LIMITED.label
        MINIMAL = tiers.MINIMAL.slug, tiers.MINIMAL.label
        OUT_OF_SCOPE = tiers.OUT_OF_SCOPE.slug, tiers.OUT_OF_SCOPE.label

    class RiskBand(models.TextChoices):
        NOT_ASSESSED = "not-assessed", "Not assessed"
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_assets",
    )
    business_unit = models.ForeignKey(
        BusinessUnit, null=True, blank=True, on_delete=models.PROTECT, related_name="assets"
    )
    lifecycle = models.CharField(
        max_length=12, choices=Lifecycle.choices, default=Lifecycle.DESIGN, db_index=True
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.IN_HOUSE)
    vendor = models.CharField(max_length=150, blank=True)
    tags = models.JSONField(default=list, blank=True)

    # dataset
    data_origin = models.CharField("Origin of the data", max_length=200, blank=True)
    collection_method = models.CharField(max_length=200, blank=True)
    record_count = models.PositiveBigIntegerField(null=True, blank=True)
    personal_data = models.BooleanField(default=False)
    special_categories = models.BooleanField("Special categories of data", default=False)
    childrens_data = models.BooleanField("Children's data", default=False)
    subjects_eu = models.BooleanField("Data subjects in the EU", default=False)
    subjects_california = models.BooleanField("Data subjects in California", default=False)
    subjects_elsewhere = models.BooleanField("Data subjects elsewhere", default=False)
    licence = models.CharField(max_length=100, blank=True)
    provenance_verified = models.BooleanField(default=False)

    # model
    model_type = models.CharField(max_length=16, choices=ModelType.choices, blank=True)
    framework = models.CharField(max_length=100, blank=True)
    model_version = models.CharField("Version", max_length=50, blank=True)
    training_flops = models.FloatField(
        "Training compute (FLOPs)", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    general_purpose = models.BooleanField("General-purpose model", default=False)
    open_weights = models.BooleanField(default=False)
    # The model card (riskhub.inventory.model_card holds its shape): metrics, users, use
    # cases, limitations, ethical, fairness and environmental considerations.
    model_card = models.JSONField(default=dict, blank=True)

    # endpoint
    url = models.URLField("URL", max_length=500, blank=True)
    exposure = models.CharField(max_length=10, choices=Exposure.choices, blank=True)
    authentication = models.CharField(max_length=10, choices=Authentication.choices, blank=True)
    rate_limited = models.BooleanField(default=False)

    # system
    intended_purpose = models.TextField(blank=True)
    deployment_context = models.TextField(blank=True)
    affected_persons = models.TextField(blank=True)
    placed_on_eu_market = models.BooleanField("Placed on the EU market", default=False)
    placed_on_market_date = models.DateField(
        "Placed on the market or put into service", null=True, blank=True
    )
    public_authority_use = models.BooleanField(
        "Deployed by a public authority or for a public service", default=False
    )
    california_consumers = models.BooleanField("Affects California consumers", default=False)

    # system: the technical documentation (EU AI Act Annex IV, Art 11(1)) the dossier
    # prints; the version is `model_version`, the intended purpose above.
    interactions = models.TextField(
        "Interaction with other hardware, software and AI systems",
        blank=True,
        help_text="Annex IV point 1: what the system interacts with that is not part of it.",
    )
    market_forms = models.TextField(
        "Forms in which it is placed on the market or put into service",
        blank=True,
        help_text="Annex IV point 1: for example a software package, a download or an API.",
    )
    hardware = models.TextField(
        "Hardware it is intended to run on", blank=True, help_text="Annex IV point 1."
    )
    instructions_for_use = models.TextField(
        "Instructions for use for the deployer",
        blank=True,
        help_text="Annex IV point 1 and Art. 13: where the instructions are, what they "
        "cover, and the user interface the deployer gets.",
    )
    design_specifications = models.TextField(
        "Development methods, design and architecture",
        blank=True,
        help_text="Annex IV point 2: how it was built, its key design choices and how its "
        "components feed into each other, and the compute used.",
    )
    human_oversight_measures = models.TextField(
        "Human oversight measures",
        blank=True,
        help_text="Annex IV points 2 and 3, Art. 14: who can intervene, how, and what "
        "helps deployers interpret the output.",
    )
    predetermined_changes = models.TextField(
        "Pre-determined changes",
        blank=True,
        help_text="Annex IV point 2: changes to the system and its performance planned in "
        "advance; write “None” when there are none.",
    )
    cybersecurity_measures = models.TextField(
        "Cybersecurity measures", blank=True, help_text="Annex IV point 2, Art. 15."
    )
    metrics_rationale = models.TextField(
        "Why the performance metrics are appropriate",
        blank=True,
        help_text="Annex IV point 4: why the metrics on the model cards suit this system.",
    )
    standards_applied = models.TextField(
        "Harmonised standards and other specifications applied",
        blank=True,
        help_text="Annex IV point 7: the standards applied in full or in part, or the "
        "solutions adopted instead.",
    )
    eu_declaration_reference = models.CharField(
        "EU declaration of conformity reference",
        max_length=200,
        blank=True,
        help_text="Annex IV point 8, Art. 47: the declaration's number or document reference.",
    )
    eu_declaration_date = models.DateField(
        "EU declaration of conformity signed on", null=True, blank=True
    )
    post_market_monitoring_plan = models.TextField(
        "Post-market monitoring plan",
        blank=True,
        help_text="Annex IV point 9, Art. 72(3): what is monitored, how often, by whom, and "
        "what triggers action.",
    )

    # classification (derived from the latest answers by inventory services)
    tier = models.CharField(max_length=14, choices=Tier.choices, blank=True, db_index=True)
    gdpr_applies = models.BooleanField(default=False)
    ccpa_applies = models.BooleanField(default=False)
    facts = models.JSONField(default=list, blank=True)

    # effective risk (written by the risk app's service)
    own_risk_band = models.CharField(
        max_length=12, choices=RiskBand.choices, default=RiskBand.NOT_ASSESSED
    )
    effective_risk_band = models.CharField(
        max_length=12, choices=RiskBand.choices, default=RiskBand.NOT_ASSESSED, db_index=True
    )
    effective_risk_score = models.FloatField(null=True, blank=True)
    effective_risk_source = models.CharField(max_length=10, blank=True)
    effective_risk_path = models.JSONField(default=list, blank=True)
    effective_risk_updated_at = models.DateTimeField(null=True, blank=True)

    # coverage summary (written by the compliance app's service)
    coverage_summary = models.JSONField(default=dict, blank=True)

    # Who set each field last: a person, an import or a connector (riskhub.inventory.
    # provenance); a connector never overwrites a person's edit.
    field_sources = models.JSONField(default=dict, blank=True)

    archived_at = models.DateTimeField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Optimistic locking: a save must name the version it started from.
    version = models.PositiveIntegerField(default=1)

    history = HistoricalRecords(excluded_fields=["effective_risk_updated_at", "updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "kind", name="asset_name_unique_per_kind"),
            models.CheckConstraint(
                condition=models.Q(training_flops__isnull=True) | models.Q(training_flops__gte=0),
                name="asset_training_flops_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "name"]),
            models.Index(fields=["business_unit", "kind"]),
            models.Index(fields=["owner"]),
            # The inventory list: active assets by name, and the other sortable columns.
            models.Index(fields=["archived_at", "name"], name="asset_active_by_name"),
            models.Index(fields=["name"], name="asset_name_idx"),
            models.Index(fields=["updated_at"], name="asset_updated_idx"),
            # The dashboard's counts by kind and tier of the active assets, read from
            # this index alone (the rows carry JSON summaries: 142 MB at 100,000 assets,
            # a 41 ms scan before any count).
            models.Index(
                fields=["kind", "tier", "id"],
                condition=models.Q(archived_at__isnull=True),
                name="asset_active_kind_tier_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def kind_phrase(self) -> str:
        """The kind with its article, for sentences: "an AI system", "a dataset"."""
        label = self.get_kind_display()
        article = "an" if label[0].lower() in "aeiou" else "a"
        return f"{article} {label if label.startswith('AI') else label.lower()}"

    @property
    def classifiable(self) -> bool:
        """Systems carry the questionnaire; so does a model used without a system."""
        return self.kind in CLASSIFIABLE_KINDS

    @property
    def tier_label(self) -> str:
        """The tier as every list and figure shows it, "Not yet classified" for a
        system or model without answers and "Not applicable" for the other kinds."""
        if self.tier:
            return self.get_tier_display()
        return tiers.NOT_YET_CLASSIFIED if self.classifiable else tiers.NOT_APPLICABLE


# An AI system's technical documentation (Annex IV) beyond its description, intended
# purpose and version: what the dossier prints, the form's documentation section edits
# and the API carries.
ANNEX_IV_FIELDS: tuple[str, ...] = (
    "interactions",
    "market_forms",
    "hardware",
    "instructions_for_use",
    "design_specifications",
    "human_oversight_measures",
    "predetermined_changes",
    "cybersecurity_measures",
    "metrics_rationale",
    "standards_applied",
    "eu_declaration_reference",
    "eu_declaration_date",
    "post_market_monitoring_plan",
)


# The kinds that carry the classification questionnaire and so get a tier of their
# own (DESIGN.md "Classification"): AI systems, and models (the general-purpose tier,
# or the AI Act tier of a model used without a modelled system). Datasets and endpoints
# show the tiers of the systems they feed.
CLASSIFIABLE_KINDS: tuple[str, ...] = (Asset.Kind.SYSTEM, Asset.Kind.MODEL)


class AssetLink(models.Model):
    """Lineage: risk flows from `upstream` to `downstream`."""

    class Relation(models.TextChoices):
        TRAINED_ON = "trained_on", "trained on"
        FINE_TUNED_FROM = "fine_tuned_from", "fine-tuned from"
        SERVES = "serves", "serves"
        PART_OF = "part_of", "part of"
        DEPENDS_ON = "depends_on", "depends on"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    upstream = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="downstream_links")
    downstream = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="upstream_links")
    relation = models.CharField(max_length=16, choices=Relation.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["upstream", "downstream", "relation"], name="asset_link_unique"
            ),
            models.CheckConstraint(
                condition=~models.Q(upstream=models.F("downstream")), name="asset_link_no_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.downstream} {self.get_relation_display()} {self.upstream}"


class Classification(models.Model):
    """One version of the questionnaire answers for an asset, with the result."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="classifications")
    version = models.PositiveIntegerField()
    answers = models.JSONField()
    result = models.JSONField()
    facts = models.JSONField(default=list)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["asset", "version"], name="classification_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset} v{self.version}"


class ImportJob(models.Model):
    """A bulk change of the register that runs on a worker: a file import, or a sync
    from an outside registry (MLflow). The row is the job's truth while it runs (status,
    rows done of the total, the worker's heartbeat) and its record afterwards (the
    counts, the row errors as a CSV file)."""

    class Kind(models.TextChoices):
        IMPORT = "import", "File import"
        SYNC = "sync", "Registry sync"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        MANUAL = "manual", "Requested"
        SCHEDULE = "schedule", "Schedule"

    FINISHED = (Status.SUCCEEDED, Status.FAILED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.IMPORT)
    # What was imported or synced: the file's name, the registry's name.
    source = models.CharField(max_length=300)
    # A sync's registry (none for a file import).
    registry = models.ForeignKey(
        "inventory.ModelRegistry",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    file_format = models.CharField(max_length=20, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="import_jobs",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=100, blank=True)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    archived = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    # Anything else the kind reports: lineage links, skipped BOM components; for a sync
    # the versions flagged as deleted upstream, the fields kept as a person edited them
    # and the problems met ({"where", "message"}, at most 200).
    summary = models.JSONField(default=dict, blank=True)
    upload = models.FileField(max_length=300, blank=True)
    errors_file = models.FileField(max_length=300, blank=True)
    error = models.TextField(blank=True)
    attempt = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=["import", "sync"]), name="import_job_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "succeeded", "failed"]),
                name="import_job_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="sync", registry__isnull=False)
                | models.Q(kind="import", registry__isnull=True),
                name="import_job_sync_has_registry",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "heartbeat_at"]),
            models.Index(fields=["registry", "-created_at"], name="import_job_registry_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.source}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.rows_total:
            return 0
        return min(99, self.rows_done * 100 // self.rows_total)

    @property
    def problems(self) -> list[dict[str, str]]:
        """A sync's problems: where (the upstream record) and what happened."""
        found = (self.summary or {}).get("problems")
        return found if isinstance(found, list) else []

    @property
    def flagged(self) -> int:
        return int((self.summary or {}).get("flagged", 0))

    @property
    def kept(self) -> int:
        return int((self.summary or {}).get("kept", 0))


# The MLflow model-registry connector keeps its own tables in this app.
from riskhub.inventory.mlflow.models import (  # noqa: E402, F401
    ModelRegistry,
    SyncedRecord,
)
