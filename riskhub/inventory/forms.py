"""Forms of the inventory pages. They check input; the services decide and save."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import fields_for_model

from riskhub.inventory import classification as q
from riskhub.inventory import model_card as mc
from riskhub.inventory import selectors, tiers
from riskhub.inventory.io import human_size
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset, AssetLink, OrganisationProfile

COMMON_FIELDS = [
    "name",
    "description",
    "owner",
    "business_unit",
    "lifecycle",
    "source",
    "vendor",
    "tags",
]
KIND_FIELDS: dict[str, list[str]] = {
    Asset.Kind.DATASET: [
        "data_origin",
        "collection_method",
        "record_count",
        "personal_data",
        "special_categories",
        "childrens_data",
        "subjects_eu",
        "subjects_california",
        "subjects_elsewhere",
        "licence",
        "provenance_verified",
        "model_version",
    ],
    Asset.Kind.MODEL: [
        "model_type",
        "framework",
        "model_version",
        "training_flops",
        "general_purpose",
        "open_weights",
        "licence",
    ],
    Asset.Kind.ENDPOINT: ["url", "exposure", "authentication", "rate_limited"],
    Asset.Kind.SYSTEM: [
        "intended_purpose",
        "model_version",
        "deployment_context",
        "affected_persons",
        "placed_on_eu_market",
        "placed_on_market_date",
        "public_authority_use",
        "california_consumers",
    ],
}
# The technical documentation a kind carries, in its own section of the form and the
# asset page (the Annex IV dossier prints it).
DOCUMENTATION_FIELDS: dict[str, list[str]] = {Asset.Kind.SYSTEM: list(ANNEX_IV_FIELDS)}


def form_fields(kind: str) -> list[str]:
    """The fields of a kind beyond the common ones: its own, then its documentation."""
    return KIND_FIELDS.get(kind, []) + DOCUMENTATION_FIELDS.get(kind, [])


KIND_HEADINGS = {
    Asset.Kind.DATASET: "About the data",
    Asset.Kind.MODEL: "About the model",
    Asset.Kind.ENDPOINT: "About the endpoint",
    Asset.Kind.SYSTEM: "About the AI system",
}


def _style(form: forms.BaseForm) -> None:
    """Bootstrap classes, and aria-invalid / aria-describedby on fields with errors."""
    for name, bound in form.fields.items():
        widget = bound.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
            css = ""
        elif isinstance(widget, forms.Select):
            css = "form-select"
        else:
            css = "form-control"
        if css:
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()
        # Read the errors without triggering validation (fields may still be added).
        errors = form._errors or {}
        if name in errors:
            widget.attrs["aria-invalid"] = "true"
            widget.attrs["class"] = widget.attrs.get("class", "") + " is-invalid"
            widget.attrs["aria-describedby"] = f"id_{name}_error"
        elif bound.help_text:
            widget.attrs["aria-describedby"] = f"id_{name}_help"


class StyledForm(forms.Form):
    def full_clean(self) -> None:
        super().full_clean()
        _style(self)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


def _formfield(field: models.Field, **kwargs: Any) -> forms.Field | None:
    if isinstance(field, models.URLField):
        kwargs["assume_scheme"] = "https"
    return field.formfield(**kwargs)


class AssetForm(forms.ModelForm):
    """Common fields plus only the fields of the asset's kind."""

    owner = forms.ModelChoiceField(
        queryset=selectors.owners(), required=False, to_field_name="uuid", label="Owner"
    )
    business_unit = forms.CharField(
        max_length=100,
        required=False,
        label="Business unit",
        help_text="Pick one or type a new name.",
        widget=forms.TextInput(attrs={"list": "business-units", "autocomplete": "off"}),
    )
    tags = forms.CharField(
        required=False, help_text="Comma-separated, for example: credit, eu, customer-facing."
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Asset
        fields = ["name", "description", "lifecycle", "source", "vendor"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "intended_purpose": forms.Textarea(attrs={"rows": 3}),
            "deployment_context": forms.Textarea(attrs={"rows": 2}),
            "affected_persons": forms.Textarea(attrs={"rows": 2}),
            "placed_on_market_date": forms.DateInput(attrs={"type": "date"}),
            "eu_declaration_date": forms.DateInput(attrs={"type": "date"}),
            **{
                name: forms.Textarea(attrs={"rows": 3})
                for name in ANNEX_IV_FIELDS
                if isinstance(Asset._meta.get_field(name), models.TextField)
            },
            "url": forms.URLInput(attrs={"placeholder": "https://"}),
        }

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        self.kind = kind
        instance = kwargs.get("instance")
        initial = kwargs.setdefault("initial", {})
        if instance is not None and instance.pk:
            initial.setdefault("tags", ", ".join(instance.tags or []))
            initial.setdefault(
                "business_unit", instance.business_unit.name if instance.business_unit else ""
            )
            initial.setdefault("owner", instance.owner.uuid if instance.owner else None)
            initial.setdefault("version", instance.version)
        super().__init__(*args, **kwargs)
        kind_fields = form_fields(kind)
        extra = fields_for_model(
            Asset,
            fields=kind_fields,
            widgets=self.Meta.widgets,
            formfield_callback=_formfield,
        )
        for name in kind_fields:
            self.fields[name] = extra[name]
            if instance is not None and instance.pk and name not in initial:
                self.initial[name] = getattr(instance, name)
        self.fields["name"].widget.attrs["autofocus"] = "autofocus"
        self.fields["owner"].empty_label = "Nobody yet"
        for field in self.fields.values():
            choices = getattr(field, "choices", None)
            if isinstance(field, forms.TypedChoiceField) and choices and choices[0][0] == "":
                field.choices = [("", "Choose…"), *list(choices)[1:]]
        if kind == Asset.Kind.MODEL:
            self.fields["model_type"].required = True
        if kind == Asset.Kind.ENDPOINT:
            self.fields["exposure"].required = True
        if kind == Asset.Kind.SYSTEM:
            self.fields["intended_purpose"].required = True
            self.fields[
                "intended_purpose"
            ].help_text = (
                "What the provider intends the system to be used for (Art. 3(12) EU AI Act)."
            )
        if "training_flops" in self.fields:
            self.fields["training_flops"].help_text = "For example 3.2e24. Leave empty if unknown."
        _style(self)

    def full_clean(self) -> None:
        super().full_clean()
        _style(self)

    def _post_clean(self) -> None:
        # The service validates the model (after business unit lookup and locking), so the
        # ModelForm's own instance validation is skipped.
        pass

    def clean_tags(self) -> list[str]:
        raw = self.cleaned_data.get("tags") or ""
        tags = [t.strip() for t in raw.split(",") if t.strip()]
        if any(len(t) > 50 for t in tags):
            raise ValidationError("A tag is at most 50 characters.")
        return list(dict.fromkeys(tags))

    @property
    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in COMMON_FIELDS]

    @property
    def kind_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in KIND_FIELDS.get(self.kind, [])]

    @property
    def documentation_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DOCUMENTATION_FIELDS.get(self.kind, [])]

    @property
    def kind_heading(self) -> str:
        return KIND_HEADINGS.get(self.kind, "")

    def service_fields(self) -> dict[str, Any]:
        """Cleaned values in the shape the services take (business unit name resolved by
        the view)."""
        data = {
            name: self.cleaned_data.get(name) for name in COMMON_FIELDS + form_fields(self.kind)
        }
        for name, value in list(data.items()):
            if value is None and isinstance(Asset._meta.get_field(name), _TEXT_FIELDS):
                data[name] = ""
        return data


_TEXT_FIELDS = (models.CharField, models.TextField)


class LinkForm(StyledForm):
    """Add a lineage link from the asset page: the asset is one end, `other` the other."""

    DIRECTIONS = [
        ("upstream", "This asset comes from the other (the other is upstream)"),
        ("downstream", "The other comes from this asset (the other is downstream)"),
    ]
    relation = forms.ChoiceField(choices=AssetLink.Relation.choices, label="Relation")
    direction = forms.ChoiceField(choices=DIRECTIONS, initial="upstream", label="Direction")
    other = forms.UUIDField(
        label="Other asset",
        widget=forms.Select,
        error_messages={"invalid": "Choose an asset from the list."},
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["other"].widget.choices = [("", "Choose an asset…"), *choices]
        _style(self)


def _multi(
    choices: dict[str, str], label: str, help_text: str = "", prefix: str = ""
) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        choices=[(code, f"{prefix}{code}: {text}") for code, text in choices.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label=label,
        help_text=help_text,
    )


TRI_STATE = [("", "Not answered"), ("yes", "Yes"), ("no", "No")]


# What the asset's registration already says, as questionnaire answers: (asset field,
# questionnaire field, answer to put in). Only a registered fact that holds fills an
# answer in; an unset one never clears what was answered before.
REGISTRATION_FACTS: tuple[tuple[str, str, Any], ...] = (
    ("california_consumers", "ccpa_california_consumers", True),
    ("subjects_california", "ccpa_california_consumers", True),
    ("personal_data", "gdpr_personal_data", True),
    ("special_categories", "gdpr_special_categories", True),
    ("childrens_data", "gdpr_children", True),
    ("subjects_eu", "gdpr_eu_data_subjects", "yes"),
    ("general_purpose", "general_purpose", True),
    ("training_flops", "training_flops", None),  # None: the registered value itself
)


class QuestionnaireForm(StyledForm):
    """The classification questionnaire, built from the classifier's own constants so the
    form and the rules cannot drift apart."""

    is_ai_system = forms.TypedChoiceField(
        label="Is it an AI system under Art. 3(1)?",
        help_text="A machine-based system that infers from its input how to generate outputs "
        "such as predictions, content, recommendations or decisions, with some autonomy.",
        choices=[("yes", "Yes"), ("no", "No (for example a general-purpose model alone)")],
        widget=forms.RadioSelect,
        initial="yes",
    )
    role = forms.MultipleChoiceField(
        choices=[(k, f"{k.capitalize()}: {v}") for k, v in q.ROLES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Your organisation's role",
    )
    prohibited_practices = _multi(
        q.ART5_PRACTICES, "Does it engage in any Art. 5 prohibited practice?", prefix="Art. "
    )
    emotion_recognition_setting = forms.ChoiceField(
        choices=[("", "Not answered, or no emotion recognition"), *q.EMOTION_SETTINGS.items()],
        required=False,
        label=q.ART5_CHECK_QUESTIONS["emotion_recognition_setting"],
        help_text="Art. 5(1)(f) prohibits emotion recognition in the workplace and in education "
        "institutions, except for medical or safety reasons (Annex III 1(c) covers the rest).",
    )
    emotion_recognition_medical_or_safety = forms.BooleanField(
        required=False, label=q.ART5_CHECK_QUESTIONS["emotion_recognition_medical_or_safety"]
    )
    biometric_categorisation_sensitive_traits = forms.ChoiceField(
        choices=TRI_STATE,
        required=False,
        label=q.ART5_CHECK_QUESTIONS["biometric_categorisation_sensitive_traits"],
        help_text="Asked when the system categorises people from biometric data (Annex III "
        "1(b)); Art. 5(1)(g) prohibits inferring these traits.",
    )
    biometric_categorisation_exception = forms.BooleanField(
        required=False, label=q.ART5_CHECK_QUESTIONS["biometric_categorisation_exception"]
    )
    annex_i_safety_component = forms.BooleanField(
        required=False,
        label="It is, or is a safety component of, a product under Annex I legislation that "
        "needs third-party conformity assessment (Art. 6(1))",
    )
    annex_iii_points = _multi(
        q.ANNEX_III_POINTS, "Is it used in an Annex III high-risk area?", prefix="Point "
    )
    art_6_3_derogations = _multi(
        q.ART_6_3_DEROGATIONS,
        "Art. 6(3) derogations that apply (only for Annex III uses)",
        help_text="Ignored when the system profiles natural persons.",
        prefix="",
    )
    performs_profiling = forms.BooleanField(
        required=False, label="It profiles natural persons (Art. 4(4) GDPR)"
    )
    transparency_triggers = _multi(
        q.TRANSPARENCY_TRIGGERS, "Art. 50 transparency triggers", prefix="Art. "
    )
    general_purpose = forms.BooleanField(
        required=False,
        label="It is a general-purpose AI model (Art. 3(63)): trained on broad data, "
        "competent at a wide range of distinct tasks",
    )
    training_flops = forms.FloatField(
        required=False,
        min_value=0,
        label="Training compute of the general-purpose model (FLOPs)",
        help_text="Systemic risk is presumed above 10^25 (Art. 51(2)). Example: 3e25.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, text in q.GDPR_FLAGS.items():
            if key == "eu_data_subjects":
                self.fields[f"gdpr_{key}"] = forms.ChoiceField(
                    choices=TRI_STATE, required=False, label=f"GDPR: it {text}"
                )
            else:
                self.fields[f"gdpr_{key}"] = forms.BooleanField(required=False, label=f"It {text}")
        for key, text in q.CCPA_FLAGS.items():
            if key == "business_thresholds_met":
                self.fields[f"ccpa_{key}"] = forms.ChoiceField(
                    choices=TRI_STATE, required=False, label=f"CCPA: {text}"
                )
            else:
                self.fields[f"ccpa_{key}"] = forms.BooleanField(required=False, label=f"It {text}")
        _style(self)

    SECTIONS = [
        ("Scope and role", ["is_ai_system", "role"]),
        ("Prohibited practices (Art. 5)", ["prohibited_practices"]),
        (
            "Emotion recognition and biometric categorisation (Art. 5(1)(f) and (g))",
            [
                "emotion_recognition_setting",
                "emotion_recognition_medical_or_safety",
                "biometric_categorisation_sensitive_traits",
                "biometric_categorisation_exception",
            ],
        ),
        (
            "High-risk (Art. 6 and Annex III)",
            [
                "annex_i_safety_component",
                "annex_iii_points",
                "art_6_3_derogations",
                "performs_profiling",
            ],
        ),
        ("Transparency (Art. 50)", ["transparency_triggers"]),
        ("General-purpose AI (Arts. 51-55)", ["general_purpose", "training_flops"]),
        ("GDPR", [f"gdpr_{k}" for k in q.GDPR_FLAGS]),
        ("CCPA / CPRA", [f"ccpa_{k}" for k in q.CCPA_FLAGS]),
    ]

    @property
    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[n] for n in names]) for title, names in self.SECTIONS]

    def answers(self) -> dict[str, Any]:
        data = self.cleaned_data

        def tri(value: str) -> bool | None:
            return {"yes": True, "no": False}.get(value)

        gdpr = {
            k: (tri(data[f"gdpr_{k}"]) if k == "eu_data_subjects" else data[f"gdpr_{k}"])
            for k in q.GDPR_FLAGS
        }
        ccpa = {
            k: (tri(data[f"ccpa_{k}"]) if k == "business_thresholds_met" else data[f"ccpa_{k}"])
            for k in q.CCPA_FLAGS
        }
        return {
            "is_ai_system": data["is_ai_system"] == "yes",
            "prohibited_practices": data["prohibited_practices"],
            "annex_i_safety_component": data["annex_i_safety_component"],
            "annex_iii_points": data["annex_iii_points"],
            "art_6_3_derogations": data["art_6_3_derogations"],
            "performs_profiling": data["performs_profiling"],
            "transparency_triggers": data["transparency_triggers"],
            "general_purpose": data["general_purpose"],
            "emotion_recognition_setting": data["emotion_recognition_setting"] or None,
            "emotion_recognition_medical_or_safety": data["emotion_recognition_medical_or_safety"],
            "biometric_categorisation_sensitive_traits": tri(
                data["biometric_categorisation_sensitive_traits"]
            ),
            "biometric_categorisation_exception": data["biometric_categorisation_exception"],
            "training_flops": data["training_flops"],
            "role": data["role"],
            "gdpr": gdpr,
            "ccpa": ccpa,
        }

    @staticmethod
    def registration_facts(asset: Any) -> tuple[dict[str, Any], dict[str, str]]:
        """Answers the asset's registration already gives, and for each answered field
        where it came from (shown next to the field)."""
        initial: dict[str, Any] = {}
        notes: dict[str, str] = {}
        for fact, name, answer in REGISTRATION_FACTS:
            value = getattr(asset, fact, None)
            if not value:
                continue
            initial[name] = value if answer is None else answer
            label = asset._meta.get_field(fact).verbose_name
            notes[name] = f"From the asset's registration: “{label[:1].upper()}{label[1:]}”."
        return initial, notes

    def note_provenance(self, notes: dict[str, str]) -> None:
        for name, note in notes.items():
            self.fields[name].provenance = note  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(answers: dict[str, Any] | None) -> dict[str, Any]:
        if not answers:
            return {}

        def tri(value: Any) -> str:
            return {True: "yes", False: "no"}.get(value, "")

        role = answers.get("role") or []
        initial: dict[str, Any] = {
            "is_ai_system": "yes" if answers.get("is_ai_system") else "no",
            "role": [role] if isinstance(role, str) else role,
            "training_flops": answers.get("training_flops"),
        }
        for key in (
            "prohibited_practices",
            "annex_iii_points",
            "art_6_3_derogations",
            "transparency_triggers",
        ):
            initial[key] = answers.get(key) or []
        for key in (
            "annex_i_safety_component",
            "performs_profiling",
            "general_purpose",
            "emotion_recognition_medical_or_safety",
            "biometric_categorisation_exception",
        ):
            initial[key] = bool(answers.get(key))
        initial["emotion_recognition_setting"] = answers.get("emotion_recognition_setting") or ""
        initial["biometric_categorisation_sensitive_traits"] = tri(
            answers.get("biometric_categorisation_sensitive_traits")
        )
        gdpr = answers.get("gdpr") or {}
        for key in q.GDPR_FLAGS:
            value = gdpr.get(key)
            initial[f"gdpr_{key}"] = tri(value) if key == "eu_data_subjects" else bool(value)
        ccpa = answers.get("ccpa") or {}
        for key in q.CCPA_FLAGS:
            value = ccpa.get(key)
            initial[f"ccpa_{key}"] = tri(value) if key == "business_thresholds_met" else bool(value)
        return initial


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = OrganisationProfile
        fields = [
            "legal_name",
            "eu_established",
            "public_body",
            "public_authority",
            "gdpr_role",
            "ca_conducts_business",
            "ca_breach_role",
            "dpo_name",
            "dpo_email",
            "time_zone",
            "ccpa_annual_revenue_usd",
            "ccpa_consumers_sold_shared",
            "ccpa_revenue_share_selling_pct",
            "ccpa_consumers_pi_processed",
            "ccpa_consumers_spi_processed",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        import zoneinfo

        zones = sorted(zoneinfo.available_timezones())
        self.fields["time_zone"] = forms.ChoiceField(
            choices=[(z, z) for z in zones], label="Time zone"
        )
        _style(self)

    def full_clean(self) -> None:
        super().full_clean()
        _style(self)

    def _post_clean(self) -> None:
        pass  # the service runs full_clean on the profile


class ImportForm(StyledForm):
    file = forms.FileField(
        label="Inventory file",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "CSV or JSON with the export's columns, or a CycloneDX 1.5, 1.6 or 1.7 BOM "
            f"in JSON (.cdx.json) or XML (.cdx.xml). At most {human_size(settings.IMPORT_MAX_BYTES)}."
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise ValidationError(
                f"The file is {human_size(upload.size)}; the limit is {human_size(limit)}. "
                "Split it into smaller files."
            )
        return upload


class FilterForm(StyledForm):
    ARCHIVED = [("active", "Active"), ("archived", "Archived"), ("all", "All")]
    q = forms.CharField(required=False, label="Search")
    kind = forms.ChoiceField(choices=[("", "Any kind"), *Asset.Kind.choices], required=False)
    tier = forms.ChoiceField(
        choices=[
            ("", "Any tier"),
            *Asset.Tier.choices,
            ("none", tiers.NOT_YET_CLASSIFIED),
            ("not-applicable", tiers.NOT_APPLICABLE),
        ],
        required=False,
    )
    risk_band = forms.ChoiceField(
        choices=[("", "Any risk"), *Asset.RiskBand.choices], required=False, label="Risk"
    )
    assessment = forms.ChoiceField(
        choices=[("", "Any assessment"), ("missing", "No current approved assessment")],
        required=False,
        label="Assessment",
    )
    # Plain choices (one small query each) rather than ModelChoiceFields, which iterate
    # with a server-side cursor on PostgreSQL on every render of the list page.
    owner = forms.TypedChoiceField(required=False, coerce=uuid.UUID, empty_value=None)
    business_unit = forms.TypedChoiceField(required=False, coerce=uuid.UUID, empty_value=None)
    lifecycle = forms.ChoiceField(
        choices=[("", "Any stage"), *Asset.Lifecycle.choices], required=False
    )
    archived = forms.ChoiceField(choices=ARCHIVED, required=False, label="Status")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owners = selectors.owners().values_list("uuid", "email")
        units = selectors.business_units().values_list("uuid", "name")
        self.fields["owner"].choices = [("", "Any owner")] + [(str(u), e) for u, e in owners]
        self.fields["business_unit"].choices = [("", "Any business unit")] + [
            (str(u), n) for u, n in units
        ]

    def filters(self) -> selectors.AssetFilters:
        if not self.is_valid():
            return selectors.AssetFilters()
        data = self.cleaned_data
        return selectors.AssetFilters(
            q=data["q"] or "",
            kind=data["kind"] or "",
            tier=data["tier"] or "",
            risk_band=data["risk_band"] or "",
            assessment=data["assessment"] or "",
            owner=data["owner"],
            business_unit=data["business_unit"],
            lifecycle=data["lifecycle"] or "",
            archived=data["archived"] or "active",
        )


# --- model card ----------------------------------------------------------------------------


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


class ModelCardForm(StyledForm):
    """The model card's text parts; metrics and considerations are formsets beside it."""

    approach = forms.ChoiceField(
        label="Learning approach",
        required=False,
        choices=[("", "Not stated")]
        + [(a, a.replace("-", " ").capitalize()) for a in mc.APPROACHES],
    )
    architecture_family = forms.CharField(
        label="Architecture family", required=False, max_length=200,
        help_text="For example: transformer, gradient boosted trees.",
    )  # fmt: skip
    model_architecture = forms.CharField(
        label="Model architecture", required=False, max_length=500,
        help_text="The specific architecture, for example LlamaForCausalLM.",
    )  # fmt: skip
    inputs = forms.CharField(
        label="Inputs", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One input format per line.",
    )  # fmt: skip
    outputs = forms.CharField(
        label="Outputs", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One output format per line.",
    )  # fmt: skip
    users = forms.CharField(
        label="Intended users", required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line.",
    )  # fmt: skip
    use_cases = forms.CharField(
        label="Use cases", required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line.",
    )  # fmt: skip
    limitations = forms.CharField(
        label="Technical limitations", required=False,
        widget=forms.Textarea(attrs={"rows": 3}), help_text="One per line.",
    )  # fmt: skip
    tradeoffs = forms.CharField(
        label="Performance trade-offs", required=False,
        widget=forms.Textarea(attrs={"rows": 2}), help_text="One per line.",
    )  # fmt: skip
    environmental = forms.CharField(
        label="Environmental considerations", required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Energy used for training and inference, its source, CO2 equivalent.",
    )  # fmt: skip
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    LINE_FIELDS = ("inputs", "outputs", "users", "use_cases", "limitations", "tradeoffs")

    @classmethod
    def initial_from(cls, asset: Asset) -> dict[str, Any]:
        card = asset.model_card or {}
        initial: dict[str, Any] = {"version": asset.version}
        for name in ("approach", "architecture_family", "model_architecture", "environmental"):
            initial[name] = card.get(name, "")
        for name in cls.LINE_FIELDS:
            initial[name] = "\n".join(card.get(name, []))
        return initial

    def card_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) or "" for name in self.fields}
        data.pop("version")
        for name in self.LINE_FIELDS:
            data[name] = _lines(data[name])
        return data


class MetricForm(forms.Form):
    type = forms.CharField(label="Metric", required=False, max_length=200)
    value = forms.CharField(label="Value", required=False, max_length=200)
    slice = forms.CharField(
        label="Slice", required=False, max_length=500, help_text="The subset measured, if any."
    )
    lower_bound = forms.CharField(label="Lower bound", required=False, max_length=100)
    upper_bound = forms.CharField(label="Upper bound", required=False, max_length=100)
    dataset = forms.ChoiceField(label="Measured on", required=False)

    def __init__(self, *args: Any, datasets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [("", "—")] + datasets
        _style(self)

    def full_clean(self) -> None:
        super().full_clean()
        _style(self)
        for name in self._errors or {}:
            if name in self.fields:  # a formset row's ids carry its prefix
                self.fields[name].widget.attrs["aria-describedby"] = (
                    f"id_{self.add_prefix(name)}_error"
                )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if any(data.get(k) for k in mc.METRIC_KEYS):
            if not data.get("type"):
                self.add_error("type", "Name the metric.")
            if not data.get("value"):
                self.add_error("value", "Give the metric's value.")
        return data


_SHORT_TEXT = forms.Textarea(attrs={"rows": 2})


class EthicalForm(forms.Form):
    name = forms.CharField(label="Consideration", required=False, max_length=1000)
    mitigation = forms.CharField(
        label="Mitigation", required=False, max_length=2000, widget=_SHORT_TEXT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class FairnessForm(forms.Form):
    group_at_risk = forms.CharField(label="Group at risk", required=False, max_length=1000)
    benefits = forms.CharField(
        label="Benefits", required=False, max_length=2000, widget=_SHORT_TEXT
    )
    harms = forms.CharField(label="Harms", required=False, max_length=2000, widget=_SHORT_TEXT)
    mitigation = forms.CharField(
        label="Mitigation", required=False, max_length=2000, widget=_SHORT_TEXT
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


MetricFormSet = forms.formset_factory(MetricForm, extra=2, max_num=mc.MAX_ITEMS)
EthicalFormSet = forms.formset_factory(EthicalForm, extra=1, max_num=mc.MAX_ITEMS)
FairnessFormSet = forms.formset_factory(FairnessForm, extra=1, max_num=mc.MAX_ITEMS)


def formset_rows(formset: forms.BaseFormSet, keys: tuple[str, ...]) -> list[dict[str, str]]:
    return [
        {k: (f.cleaned_data.get(k) or "") for k in keys}
        for f in formset.forms
        if f.cleaned_data and any(f.cleaned_data.get(k) for k in keys)
    ]
