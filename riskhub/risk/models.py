"""Risk matrices, the AI threat catalog, versioned assessments, their risks and the formal
acceptance of residual risk.

Every matrix maps its cells to the same four bands (DESIGN.md "Risk scale"); risks from
different matrices compare by band rank, then by score divided by the matrix maximum.
Each risk stores its derived scores and bands at the time it was scored, so an approved
assessment keeps its numbers even after a shipped matrix is upgraded.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from riskhub.inventory.models import Asset
from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.bands import BY_SLUG, NOT_ASSESSED
from riskhub.risk.bands import band as band_definition

# The four bands, lowest first (defined once in riskhub.risk.bands). Their slugs are
# Asset.RiskBand values.
BAND_NAMES = [b.label for b in RISK_BANDS]
BAND_RANK = {b.slug: b.rank for b in RISK_BANDS}
RANK_BAND = {b.rank: b.slug for b in RISK_BANDS}
BAND_LABEL = {b.slug: b.label for b in BY_SLUG.values()}


def band_slug(name: str) -> str:
    return name.strip().lower()


def band_of_rank(rank: int) -> str:
    """The band slug of a rank; any other rank (0: no risk) is "not-assessed"."""
    return RANK_BAND.get(rank, NOT_ASSESSED.slug)


@dataclass(frozen=True)
class Cell:
    impact: int
    likelihood: int
    score: int
    band: str  # slug: low | medium | high | critical
    impact_label: str
    likelihood_label: str

    @property
    def colour(self) -> str:
        """The band's colour: the same on every matrix (riskhub.risk.bands)."""
        return band_definition(self.band).colour

    @property
    def text_colour(self) -> str:
        return band_definition(self.band).text_colour

    @property
    def band_label(self) -> str:
        return BAND_LABEL[self.band]

    @property
    def rank(self) -> int:
        return BAND_RANK[self.band]


MAX_LEVELS = 10


def validate_matrix_definition(impact_levels: Any, likelihood_levels: Any, bands: Any) -> None:
    """Refuse a matrix whose levels are malformed, whose bands are not exactly Low,
    Medium, High, Critical in rising order, or that leave a cell uncovered."""
    errors: dict[str, list[str]] = {}
    for field, levels in (
        ("impact_levels", impact_levels),
        ("likelihood_levels", likelihood_levels),
    ):
        if not isinstance(levels, list) or not 2 <= len(levels) <= MAX_LEVELS:
            errors.setdefault(field, []).append(f"Give between 2 and {MAX_LEVELS} levels.")
            continue
        for index, level in enumerate(levels, start=1):
            if not isinstance(level, dict) or level.get("value") != index:
                errors.setdefault(field, []).append(
                    f"Level {index} must have value {index} (levels run 1..N, low to high)."
                )
            elif not str(level.get("label", "")).strip():
                errors.setdefault(field, []).append(f"Level {index} needs a label.")
    if errors:
        raise ValidationError(errors)
    max_score = len(impact_levels) * len(likelihood_levels)
    band_errors: list[str] = []
    if (
        not isinstance(bands, list)
        or [b.get("name") if isinstance(b, dict) else None for b in bands] != BAND_NAMES
    ):
        raise ValidationError(
            {"bands": ["Bands must be exactly Low, Medium, High, Critical, in that order."]}
        )
    previous_max = 0
    for band in bands:
        low, high = band.get("min_score"), band.get("max_score")
        if not isinstance(low, int) or not isinstance(high, int):
            band_errors.append(f"{band['name']}: the thresholds must be whole numbers.")
            continue
        if low > high:
            band_errors.append(f"{band['name']}: the minimum {low} is above the maximum {high}.")
        if low != previous_max + 1:
            band_errors.append(
                f"{band['name']} must start at {previous_max + 1}, right after the band "
                f"below (bands are contiguous and rise monotonically)."
            )
        previous_max = high if isinstance(high, int) else previous_max
    if band_errors:
        raise ValidationError({"bands": band_errors})
    scores = {
        i * j
        for i in range(1, len(impact_levels) + 1)
        for j in range(1, len(likelihood_levels) + 1)
    }
    uncovered = sorted(
        s for s in scores if not any(b["min_score"] <= s <= b["max_score"] for b in bands)
    )
    if uncovered or bands[-1]["max_score"] < max_score:
        raise ValidationError(
            {
                "bands": [
                    f"No band covers the score(s) {', '.join(map(str, uncovered or [max_score]))}."
                ]
            }
        )
    if bands[-1]["max_score"] > max_score:
        band_errors.append(f"Critical must end at the matrix maximum, {max_score}.")
    for band in bands:
        if not any(band["min_score"] <= s <= band["max_score"] for s in scores):
            band_errors.append(f"{band['name']} holds no cell of the matrix.")
    if band_errors:
        raise ValidationError({"bands": band_errors})


class RiskMatrix(models.Model):
    """An N x M matrix: impact levels x likelihood levels, score = impact x likelihood."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    # Shipped matrices come from the YAML catalog: read-only in the UI, upgraded by
    # load_catalogs. Matrices an admin adds are never touched by the loader.
    shipped = models.BooleanField(default=False, editable=False)
    is_default = models.BooleanField("Default matrix", default=False)
    impact_levels = models.JSONField(default=list)
    likelihood_levels = models.JSONField(default=list)
    bands = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_default", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="risk_matrix_one_default",
            ),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="risk_matrix_version"),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        validate_matrix_definition(self.impact_levels, self.likelihood_levels, self.bands)

    @property
    def impact_count(self) -> int:
        return len(self.impact_levels)

    @property
    def likelihood_count(self) -> int:
        return len(self.likelihood_levels)

    @property
    def size_label(self) -> str:
        return f"{self.impact_count}x{self.likelihood_count}"

    @property
    def max_score(self) -> int:
        return self.impact_count * self.likelihood_count

    def band_for(self, score: int) -> dict[str, Any]:
        for band in self.bands:
            if band["min_score"] <= score <= band["max_score"]:
                return band
        raise ValueError(f"Score {score} is outside every band of {self.code}")

    def cell(self, impact: int, likelihood: int) -> Cell:
        if not (1 <= impact <= self.impact_count and 1 <= likelihood <= self.likelihood_count):
            raise ValueError(f"({impact}, {likelihood}) is not a cell of {self.size_label}")
        score = impact * likelihood
        band = self.band_for(score)
        return Cell(
            impact=impact,
            likelihood=likelihood,
            score=score,
            band=band_slug(band["name"]),
            impact_label=self.impact_levels[impact - 1]["label"],
            likelihood_label=self.likelihood_levels[likelihood - 1]["label"],
        )

    def grid(self) -> list[list[Cell]]:
        """Rows from the highest impact down, columns from the lowest likelihood."""
        return [
            [self.cell(i, j) for j in range(1, self.likelihood_count + 1)]
            for i in range(self.impact_count, 0, -1)
        ]

    def band_styles(self) -> list[dict[str, Any]]:
        """The matrix's thresholds with each band's one colour and text colour."""
        styles = []
        for band in self.bands:
            definition = band_definition(band_slug(band["name"]))
            styles.append(
                {
                    **band,
                    "slug": definition.slug,
                    "colour": definition.colour,
                    "text": definition.text_colour,
                }
            )
        return styles


class Threat(models.Model):
    """An entry of the AI threat catalog (threats.yaml). Stable code; references by ID."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    code = models.CharField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    atlas = models.JSONField("MITRE ATLAS techniques", default=list, blank=True)
    owasp_llm = models.JSONField("OWASP LLM Top 10 (2025)", default=list, blank=True)
    asset_kinds = models.JSONField(default=list, blank=True)
    model_types = models.JSONField(default=list, blank=True)
    exposures = models.JSONField(default=list, blank=True)
    # Classification facts (and "personal_data") that make the threat more relevant.
    classification = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    catalog_version = models.CharField(max_length=20, blank=True)
    # A threat removed from the YAML is retired, not deleted: risks still point to it.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Assessment(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned"

    EDITABLE = (Status.DRAFT, Status.RETURNED)
    OPEN = (Status.DRAFT, Status.IN_REVIEW, Status.RETURNED)

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="assessments")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    summary = models.TextField(
        blank=True, help_text="Scope, context and the main conclusions of the assessment."
    )
    matrix = models.ForeignKey(RiskMatrix, on_delete=models.PROTECT, related_name="assessments")
    matrix_version = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_assessments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reviewed_assessments",
    )
    review_comments = models.TextField(blank=True)
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    next_review_due = models.DateField(null=True, blank=True, db_index=True)
    # True on the asset's latest approved assessment: the one effective risk counts.
    is_current = models.BooleanField(default=False, editable=False)
    # Optimistic locking: every edit names the revision it started from.
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["asset", "version"], name="assessment_version_unique"),
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(status__in=["draft", "in_review", "returned"]),
                name="assessment_one_open_per_asset",
            ),
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(is_current=True),
                name="assessment_one_current_per_asset",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "in_review", "approved", "returned"]),
                name="assessment_status_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="approved") | models.Q(approved_at__isnull=False),
                name="assessment_approved_has_date",
            ),
            models.CheckConstraint(
                condition=models.Q(is_current=False) | models.Q(status="approved"),
                name="assessment_current_is_approved",
            ),
        ]
        indexes = [models.Index(fields=["status", "submitted_at"])]

    def __str__(self) -> str:
        return f"{self.asset} v{self.version}"

    @property
    def is_editable(self) -> bool:
        return self.status in self.EDITABLE


class Risk(models.Model):
    class Treatment(models.TextChoices):
        MITIGATE = "mitigate", "Mitigate"
        ACCEPT = "accept", "Accept"
        TRANSFER = "transfer", "Transfer"
        AVOID = "avoid", "Avoid"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Closed"

    Band = Asset.RiskBand

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="risks")
    position = models.PositiveIntegerField(default=0)
    threat = models.ForeignKey(
        Threat, null=True, blank=True, on_delete=models.PROTECT, related_name="risks"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    inherent_impact = models.PositiveSmallIntegerField()
    inherent_likelihood = models.PositiveSmallIntegerField()
    existing_controls = models.TextField(blank=True)
    residual_impact = models.PositiveSmallIntegerField()
    residual_likelihood = models.PositiveSmallIntegerField()
    # Derived from the assessment's matrix when the risk is saved.
    inherent_score = models.PositiveSmallIntegerField(editable=False)
    inherent_band = models.CharField(max_length=12, choices=Band.choices, editable=False)
    residual_score = models.PositiveSmallIntegerField(editable=False)
    residual_band = models.CharField(
        max_length=12, choices=Band.choices, editable=False, db_index=True
    )
    residual_rank = models.PositiveSmallIntegerField(editable=False)
    residual_ratio = models.FloatField(editable=False, help_text="Residual score / matrix max.")
    treatment = models.CharField(
        max_length=10, choices=Treatment.choices, default=Treatment.MITIGATE
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_risks",
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Who wrote the risk and who last changed its content (segregation of duties: neither
    # may accept it). A reassessment's copy keeps both: the words are still theirs.
    # Acceptance, revocation and expiry change the status, not the content: they leave
    # these alone. Null only for risks whose writer nobody recorded.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(residual_impact__lte=models.F("inherent_impact")),
                name="risk_residual_impact_not_above_inherent",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_likelihood__lte=models.F("inherent_likelihood")),
                name="risk_residual_likelihood_not_above_inherent",
            ),
            models.CheckConstraint(
                condition=models.Q(inherent_impact__gte=1)
                & models.Q(inherent_likelihood__gte=1)
                & models.Q(residual_impact__gte=1)
                & models.Q(residual_likelihood__gte=1),
                name="risk_levels_start_at_one",
            ),
            models.CheckConstraint(
                condition=models.Q(treatment__in=["mitigate", "accept", "transfer", "avoid"]),
                name="risk_treatment_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["open", "accepted", "closed"]),
                name="risk_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(residual_rank__gte=1) & models.Q(residual_rank__lte=4),
                name="risk_residual_rank_range",
            ),
        ]
        indexes = [
            # In risk.selectors.RANK_ORDER, so the register and the dashboard's top
            # risks walk it from the start, and the reverse sort from the end.
            models.Index(
                fields=["-residual_rank", "-residual_ratio", "id"], name="risk_register_order"
            ),
            models.Index(fields=["due_date", "status"]),
            models.Index(fields=["owner", "status"]),
        ]

    def __str__(self) -> str:
        return self.title


class AssessmentContribution(models.Model):
    """Who contributed what to one version of an assessment (segregation of duties:
    no contributor may review that version or accept its risks).

    One row per (version, person, kind of contribution), first and last time."""

    class What(models.TextChoices):
        STARTED = "started", "started it"
        SUMMARY = "summary", "wrote the summary"
        RISKS = "risks", "wrote or changed risks"
        SUBMITTED = "submitted", "submitted it"

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="contributions"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=10, choices=What.choices)
    first_at = models.DateTimeField()
    last_at = models.DateTimeField()

    class Meta:
        ordering = ["first_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "user", "what"], name="assessment_contribution_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(what__in=["started", "summary", "risks", "submitted"]),
                name="assessment_contribution_what_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(last_at__gte=models.F("first_at")),
                name="assessment_contribution_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_what_display()} ({self.assessment})"


class RegisterTotal(models.Model):
    """How many risks of the register (``selectors.register_q``) one statement moved in
    or out of one combination of what the figures count by; a combination's total is
    the sum of its rows. Written only by PostgreSQL triggers and compacted by
    ``totals.compact`` (risk/totals.py), never by the application."""

    matrix = models.ForeignKey(
        RiskMatrix,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )
    residual_band = models.CharField(max_length=12)
    inherent_impact = models.PositiveSmallIntegerField()
    inherent_likelihood = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    residual_likelihood = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10)
    treatment = models.CharField(max_length=10)
    due_date = models.DateField(help_text="totals.NO_DUE_DATE for a risk without one.")
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.n:+} {self.status} {self.residual_band} risks"


class RiskAcceptance(models.Model):
    """An executive's formal acceptance of a residual risk until a date."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="acceptances")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="risk_acceptances"
    )
    rationale = models.TextField()
    expires_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    revoked = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    expired_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["risk"],
                condition=models.Q(revoked=False, expired_at__isnull=True),
                name="risk_acceptance_one_active",
            ),
            models.CheckConstraint(
                condition=~models.Q(rationale=""), name="risk_acceptance_has_rationale"
            ),
        ]
        indexes = [models.Index(fields=["expires_on", "revoked"])]

    def __str__(self) -> str:
        return f"Acceptance of {self.risk} until {self.expires_on}"

    @property
    def is_active(self) -> bool:
        return not self.revoked and self.expired_at is None
