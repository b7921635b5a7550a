"""Demo inventory: a realistic named register, then (with --assets N) deterministic filler.

The named assets go through the services (validated and audited like a person's work);
the filler for benchmarks is bulk-created with one audit event per asset under one lock.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.services import EventSpec
from riskhub.inventory import classification as classifier
from riskhub.inventory import services
from riskhub.inventory.models import Asset, AssetLink, BusinessUnit, Classification

MARKER = ("system", "Credit scoring")

UNITS = ["Retail Banking", "People & HR", "Customer Service", "Risk & Fraud", "Digital"]

# (key, kind, name, business unit, fields)
NAMED: list[tuple[str, str, str, str, dict[str, Any]]] = [
    # credit scoring
    (
        "loan_apps",
        "dataset",
        "Loan applications 2019-2025",
        "Retail Banking",
        {
            "description": "Applications with bureau data and repayment outcomes.",
            "data_origin": "Core banking and credit bureau",
            "collection_method": "Application forms",
            "record_count": 2_400_000,
            "personal_data": True,
            "subjects_eu": True,
            "provenance_verified": True,
            "lifecycle": "production",
            "tags": ["credit", "pii"],
        },
    ),
    (
        "credit_model",
        "model",
        "Credit risk gradient boosting v4",
        "Retail Banking",
        {
            "model_type": "classifier",
            "framework": "XGBoost 2.0",
            "model_version": "4.2.0",
            "lifecycle": "production",
            "tags": ["credit"],
        },
    ),
    (
        "credit_api",
        "endpoint",
        "Credit scoring API",
        "Retail Banking",
        {
            "url": "https://scoring.internal.example.com/v4",
            "exposure": "internal",
            "authentication": "mtls",
            "rate_limited": True,
            "lifecycle": "production",
        },
    ),
    (
        "credit_system",
        "system",
        "Credit scoring",
        "Retail Banking",
        {
            "intended_purpose": "Assess the creditworthiness of consumer loan applicants.",
            "deployment_context": "Branch and online loan origination in the EU.",
            "affected_persons": "Loan applicants",
            "placed_on_eu_market": True,
            "lifecycle": "production",
            "tags": ["credit", "annex-iii"],
        },
    ),
    # CV screening
    (
        "cvs",
        "dataset",
        "Historical CVs and hiring outcomes",
        "People & HR",
        {
            "data_origin": "Applicant tracking system",
            "record_count": 180_000,
            "personal_data": True,
            "special_categories": True,
            "subjects_eu": True,
            "lifecycle": "validation",
            "tags": ["hr", "pii"],
        },
    ),
    (
        "cv_model",
        "model",
        "CV ranking model",
        "People & HR",
        {
            "model_type": "ranking",
            "framework": "PyTorch 2.3",
            "model_version": "1.3",
            "lifecycle": "validation",
        },
    ),
    (
        "cv_system",
        "system",
        "CV screening",
        "People & HR",
        {
            "intended_purpose": "Rank applicants for recruiters to review.",
            "affected_persons": "Job applicants",
            "lifecycle": "validation",
            "tags": ["hr"],
        },
    ),
    # support chatbot with retrieval
    (
        "kb",
        "dataset",
        "Support knowledge base",
        "Customer Service",
        {
            "data_origin": "Help-centre articles",
            "record_count": 12_500,
            "licence": "Internal",
            "lifecycle": "production",
            "tags": ["rag"],
        },
    ),
    (
        "embedder",
        "model",
        "Multilingual embedding model",
        "Customer Service",
        {
            "model_type": "embedding",
            "framework": "sentence-transformers",
            "source": "open-source",
            "vendor": "Hugging Face",
            "open_weights": True,
            "lifecycle": "production",
        },
    ),
    (
        "vendor_llm",
        "model",
        "Vendor LLM (hosted)",
        "Digital",
        {
            "model_type": "generative-llm",
            "source": "commercial",
            "vendor": "Example AI Inc.",
            "general_purpose": True,
            "training_flops": 3.8e25,
            "lifecycle": "production",
            "tags": ["llm", "vendor"],
        },
    ),
    (
        "llm_api",
        "endpoint",
        "Vendor LLM API",
        "Digital",
        {
            "url": "https://api.example-ai.com/v1/chat",
            "exposure": "partner",
            "authentication": "api-key",
            "rate_limited": True,
            "source": "commercial",
            "vendor": "Example AI Inc.",
            "lifecycle": "production",
        },
    ),
    (
        "chatbot",
        "system",
        "Customer support chatbot",
        "Customer Service",
        {
            "intended_purpose": "Answer customer questions with retrieval-augmented generation.",
            "affected_persons": "Customers",
            "california_consumers": True,
            "lifecycle": "production",
            "tags": ["llm", "customer-facing"],
        },
    ),
    # fraud detection
    (
        "transactions",
        "dataset",
        "Card transactions (labelled)",
        "Risk & Fraud",
        {
            "data_origin": "Card processing",
            "record_count": 95_000_000,
            "personal_data": True,
            "subjects_eu": True,
            "subjects_california": True,
            "lifecycle": "production",
        },
    ),
    (
        "fraud_model",
        "model",
        "Fraud anomaly detector",
        "Risk & Fraud",
        {
            "model_type": "classifier",
            "framework": "scikit-learn 1.5",
            "model_version": "7",
            "lifecycle": "production",
        },
    ),
    (
        "fraud_api",
        "endpoint",
        "Fraud scoring stream",
        "Risk & Fraud",
        {
            "exposure": "internal",
            "authentication": "mtls",
            "lifecycle": "production",
        },
    ),
    (
        "fraud_system",
        "system",
        "Fraud detection",
        "Risk & Fraud",
        {
            "intended_purpose": "Flag card payments that are likely fraudulent for review.",
            "affected_persons": "Cardholders",
            "lifecycle": "production",
        },
    ),
    # recommendations
    (
        "clicks",
        "dataset",
        "Product interaction events",
        "Digital",
        {
            "data_origin": "Web and app analytics",
            "record_count": 410_000_000,
            "personal_data": True,
            "subjects_california": True,
            "subjects_elsewhere": True,
            "lifecycle": "production",
        },
    ),
    (
        "recommender",
        "model",
        "Product recommendation model",
        "Digital",
        {
            "model_type": "ranking",
            "framework": "TensorFlow 2.16",
            "lifecycle": "production",
        },
    ),
]

LINKS = [
    ("loan_apps", "credit_model", "trained_on"),
    ("credit_model", "credit_api", "serves"),
    ("credit_api", "credit_system", "part_of"),
    ("cvs", "cv_model", "trained_on"),
    ("cv_model", "cv_system", "part_of"),
    ("kb", "chatbot", "part_of"),
    ("embedder", "chatbot", "part_of"),
    ("vendor_llm", "llm_api", "serves"),
    ("llm_api", "chatbot", "part_of"),
    ("transactions", "fraud_model", "trained_on"),
    ("fraud_model", "fraud_api", "serves"),
    ("fraud_api", "fraud_system", "part_of"),
    ("clicks", "recommender", "trained_on"),
]

ANSWERS: dict[str, dict[str, Any]] = {
    "credit_system": {
        "is_ai_system": True, "annex_iii_points": ["5(b)"], "performs_profiling": True,
        "role": ["provider", "deployer"],
        "gdpr": {"personal_data": True, "automated_decisions": True, "large_scale": True},
        "ccpa": {"california_consumers": False},
    },
    "cv_system": {
        "is_ai_system": True, "annex_iii_points": ["4(a)"], "performs_profiling": True,
        "role": ["deployer"],
        "gdpr": {"personal_data": True, "special_categories": True, "large_scale": True},
    },
    "chatbot": {
        "is_ai_system": True, "transparency_triggers": ["50(1)", "50(2)"], "role": ["deployer"],
        "gdpr": {"personal_data": True, "transfers_outside_eu": True},
        "ccpa": {"california_consumers": True, "business_thresholds_met": True},
    },
    "fraud_system": {
        "is_ai_system": True, "role": ["provider", "deployer"],
        "gdpr": {"personal_data": True, "large_scale": True},
    },
    "vendor_llm": {
        "is_ai_system": False, "general_purpose": True, "training_flops": 3.8e25,
        "role": ["deployer"],
    },
    "recommender": {
        "is_ai_system": True, "role": ["provider", "deployer"], "performs_profiling": True,
        "gdpr": {"personal_data": True, "large_scale": True},
        "ccpa": {"california_consumers": True, "business_thresholds_met": True,
                 "sells_or_shares": True},
    },
}  # fmt: skip

# The technical documentation (Annex IV) of the demo systems: credit scoring complete,
# fraud detection in part (its dossier lists the rest as open items), the others none.
DOCUMENTATION: dict[str, dict[str, Any]] = {
    "credit_system": {
        "model_version": "4.2",
        "description": "Scores consumer loan applications from application and bureau data; "
        "the score and its main reasons are shown to the credit officer who decides.",
        "interactions": "Called by the loan origination system over the internal scoring "
        "API; reads bureau reports from the credit bureau gateway.",
        "market_forms": "Put into service internally as an API behind the loan origination "
        "system; not distributed to third parties.",
        "hardware": "Containerised service on the bank's EU private cloud, 4 vCPU per "
        "replica; no accelerator needed.",
        "instructions_for_use": "Credit officer guide CR-IFU-12 (intranet): reading the score "
        "band and reason codes, when to override, and how to report a suspected error.",
        "design_specifications": "Gradient-boosted trees over 140 application and bureau "
        "features, monotonic constraints on income and arrears; trained on 2019-2025 "
        "applications with 12-month default outcomes; retrained on a 4-vCPU batch node.",
        "human_oversight_measures": "Every decline is reviewed by a credit officer, who sees "
        "the top five reason codes and can override; overrides are logged and sampled "
        "monthly by Credit Risk.",
        "predetermined_changes": "Quarterly retraining on the same features with the same "
        "validation gates; any feature change is a new version with a new assessment.",
        "cybersecurity_measures": "Mutual TLS, per-client rate limits, input schema "
        "validation, signed model artefacts and an isolated training network.",
        "metrics_rationale": "AUC measures ranking quality across the whole book; the "
        "approval-rate ratio by age band shows the disparity that matters for Art. 10(2)(f) "
        "bias checks on consumer credit.",
        "standards_applied": "ISO/IEC 42001:2023 (AI management system) applied in full; "
        "ISO/IEC 23894:2023 risk management guidance in part; no harmonised standard "
        "under Regulation (EU) 2024/1689 has been published yet.",
        "eu_declaration_reference": "EXB-DoC-2026-001",
        "eu_declaration_date": dt.date(2026, 6, 30),
        "post_market_monitoring_plan": "Monthly: population stability, AUC on matured "
        "loans, approval-rate ratios and override rates, reviewed by the model owner; a "
        "drift above the thresholds in MRM-7 triggers revalidation within 30 days.",
    },
    "fraud_system": {
        "model_version": "7.0",
        "description": "Scores card payments in real time and queues likely fraud for analysts.",
        "human_oversight_measures": "Analysts confirm every block longer than 24 hours.",
        "post_market_monitoring_plan": "Weekly precision and recall on confirmed cases.",
    },
}
# Model cards of the demo models; each metric names the dataset it was measured on.
MODEL_CARDS: dict[str, tuple[str, dict[str, Any]]] = {
    "credit_model": (
        "loan_apps",
        {
            "approach": "supervised",
            "architecture_family": "gradient-boosted decision trees",
            "model_architecture": "XGBoost, 600 trees of depth 5, monotonic constraints",
            "inputs": ["Application and bureau features"],
            "outputs": ["Probability of default within 12 months"],
            "metrics": [
                {"type": "AUC", "value": "0.81", "slice": "2025 hold-out months"},
                {"type": "approval-rate ratio", "value": "0.92", "slice": "age under 25"},
            ],
            "users": ["Credit officers"],
            "use_cases": ["Consumer loan decisions up to EUR 50,000"],
            "limitations": [
                "Not validated for business loans",
                "Applicants with thin bureau files score with wider error",
            ],
            "fairness": [
                {
                    "group_at_risk": "Applicants under 25",
                    "harms": "Lower approval rates",
                    "mitigation": "Monthly ratio monitoring; officer review of declines",
                }
            ],
            "environmental": "About 3 kWh per retraining run.",
        },
    ),
    "fraud_model": (
        "transactions",
        {
            "approach": "supervised",
            "model_architecture": "Isolation forest with a logistic calibration layer",
            "metrics": [{"type": "recall", "value": "0.78", "slice": "card-not-present"}],
        },
    ),
}


def seed(*, users: dict[Role, User], assets: int | None, seed: int, stdout: Any) -> None:
    officer = users[Role.RISK_OFFICER]
    admin = users.get(Role.ADMIN, officer)
    if Asset.objects.filter(kind=MARKER[0], name=MARKER[1]).exists():
        stdout.write("  inventory: demo assets already present")
    else:
        _named(officer, admin)
        stdout.write(f"  inventory: {len(NAMED)} named assets with lineage and questionnaires")
    if assets:
        added = scale(actor=officer, total=assets, seed=seed)
        if added:
            stdout.write(f"  inventory: {added} generated assets (seed {seed})")


@transaction.atomic
def _named(officer: User, admin: User) -> None:
    services.organisation_update(
        actor=admin,
        legal_name="Example Bank SE",
        eu_established=True,
        public_authority=False,
        gdpr_role="controller",
        ca_conducts_business=True,
        ca_breach_role="owner",
        dpo_name="Dana Protection",
        dpo_email="dpo@example.com",
        ccpa_annual_revenue_usd=120_000_000,
        ccpa_consumers_pi_processed=400_000,
    )
    units = {name: services.business_unit_get_or_create(actor=officer, name=name) for name in UNITS}
    created: dict[str, Asset] = {}
    for key, kind, name, unit, fields in NAMED:
        created[key] = services.asset_create(
            actor=officer,
            kind=kind,
            name=name,
            owner=officer,
            business_unit=units[unit],
            **fields,
        )
    for up, down, relation in LINKS:
        services.link_create(
            actor=officer, upstream=created[up], downstream=created[down], relation=relation
        )
    for key, answers in ANSWERS.items():
        services.classification_answer(actor=officer, asset=created[key], answers=answers)
    for key, (dataset, card) in MODEL_CARDS.items():
        measured_on = str(created[dataset].uuid)
        card = {
            **card,
            "metrics": [{**metric, "dataset": measured_on} for metric in card["metrics"]],
        }
        _document(officer, created[key], model_card=card)
    for key, fields in DOCUMENTATION.items():
        _document(officer, created[key], **fields)


def _document(officer: User, asset: Asset, **fields: Any) -> None:
    asset.refresh_from_db()
    services.asset_update(actor=officer, asset=asset, expected_version=asset.version, **fields)


# --- scale -----------------------------------------------------------------------------------

_DOMAINS = [
    "claims",
    "churn",
    "pricing",
    "triage",
    "forecast",
    "routing",
    "document",
    "vision",
    "search",
    "translation",
    "sentiment",
    "onboarding",
    "KYC",
    "collections",
    "marketing",
    "payroll",
]
_TEMPLATES: list[dict[str, Any]] = [
    {"is_ai_system": True, "role": ["deployer"]},
    {"is_ai_system": True, "role": ["provider"], "transparency_triggers": ["50(1)"]},
    {"is_ai_system": True, "annex_iii_points": ["5(c)"], "performs_profiling": True,
     "role": ["provider"], "gdpr": {"personal_data": True}},
    {"is_ai_system": True, "annex_iii_points": ["4(b)"], "art_6_3_derogations": ["d"],
     "role": ["deployer"], "gdpr": {"personal_data": True}},
    {"is_ai_system": True, "role": ["deployer"],
     "ccpa": {"california_consumers": True, "business_thresholds_met": True}},
]  # fmt: skip


def scale(*, actor: User, total: int, seed: int) -> int:
    """Add generated assets until there are `total`: chains of dataset -> model ->
    endpoint -> system, named deterministically from `seed`."""
    existing = Asset.objects.count()
    missing = total - existing
    if missing <= 0:
        return 0
    rng = random.Random(seed)
    units = list(BusinessUnit.objects.order_by("name"))
    if not units:
        units = [services.business_unit_get_or_create(actor=actor, name=n) for n in UNITS]
    owners = list(User.objects.filter(is_active=True).order_by("pk")[:10])
    start = (Asset.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    now = timezone.now()
    kinds = ["dataset", "model", "endpoint", "system"]
    org = services.organisation().classification_facts()
    new: list[Asset] = []
    for i in range(missing):
        kind = kinds[i % 4]
        number = start + i
        domain = rng.choice(_DOMAINS)
        asset = Asset(
            kind=kind,
            name=f"{domain.capitalize()} {kind} {number:05d}",
            description=f"Generated {kind} for the {domain} use case.",
            owner=rng.choice(owners) if owners else None,
            business_unit=rng.choice(units),
            lifecycle=rng.choice(Asset.Lifecycle.values),
            source=rng.choice(Asset.Source.values),
            vendor=rng.choice(["", "", "Acme AI", "Contoso", "OpenData Co"]),
            tags=rng.sample(["pii", "eu", "us", "batch", "realtime", domain.lower()], 2),
            created_at=now,
            updated_at=now,
        )
        if kind == "dataset":
            asset.record_count = rng.randrange(1_000, 50_000_000)
            asset.personal_data = rng.random() < 0.6
            asset.subjects_eu = rng.random() < 0.7
        elif kind == "model":
            asset.model_type = rng.choice(Asset.ModelType.values)
            asset.framework = rng.choice(["PyTorch", "scikit-learn", "XGBoost", "TensorFlow"])
        elif kind == "endpoint":
            asset.exposure = rng.choice(Asset.Exposure.values)
            asset.authentication = rng.choice(Asset.Authentication.values)
        else:
            asset.intended_purpose = f"Support {domain} decisions."
            answers = rng.choice(_TEMPLATES)
            result = classifier.classify(answers, org)
            asset.tier = result["eu_ai_act"]["tier"]
            asset.gdpr_applies = result["gdpr"]["applies"]
            asset.ccpa_applies = result["ccpa"]["applies"]
            asset.facts = classifier.facts(answers, org)
            asset._answers = answers  # type: ignore[attr-defined]
            asset._result = result  # type: ignore[attr-defined]
        new.append(asset)
    with transaction.atomic():
        # bulk_create sets the primary keys on PostgreSQL and SQLite.
        created = bulk_create_with_history(new, Asset, batch_size=2000, default_user=actor)
        links = []
        relation_for = {"model": "trained_on", "endpoint": "serves", "system": "part_of"}
        for i in range(1, len(created)):
            kind = created[i].kind
            if kind in relation_for and created[i - 1].kind == kinds[kinds.index(kind) - 1]:
                links.append(
                    AssetLink(
                        upstream_id=created[i - 1].pk,
                        downstream_id=created[i].pk,
                        relation=relation_for[kind],
                    )
                )
        AssetLink.objects.bulk_create(links, batch_size=2000)
        Classification.objects.bulk_create(
            [
                Classification(
                    asset=a,
                    version=1,
                    answers=a._answers,  # type: ignore[attr-defined]
                    result=a._result,  # type: ignore[attr-defined]
                    facts=a.facts,
                    answered_by=actor,
                )
                for a in created
                if hasattr(a, "_answers")
            ],
            batch_size=2000,
        )
        services.bulk_audit(
            actor,
            [
                EventSpec("asset.create", "asset", str(a.uuid), a.name, after={"kind": a.kind})
                for a in created
            ],
        )
    return len(created)
