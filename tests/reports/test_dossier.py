"""The system dossier is Annex IV technical documentation: every point has its section,
filled from the register (the system's documentation fields, the model cards with their
datasets, the risk app's figures, the audit trail), and what cannot be filled is listed
on the last page as an open item, never left blank and never reported as a gap."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import ControlImplementation
from riskhub.inventory import services as inventory
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset
from riskhub.reports import kinds, pdf
from riskhub.reports.models import Kind, Report
from riskhub.risk import services as risk_services
from tests.support import pdf_page_texts

DOCUMENTATION = {
    "model_version": "3.2.0",
    "description": "Scores job applications against the role profile for recruiters.",
    "interactions": "Reads applications from the applicant tracking system over its REST API.",
    "market_forms": "Internal web service, put into service for the HR department.",
    "hardware": "Two CPU nodes in the EU data centre; no GPU needed for inference.",
    "instructions_for_use": "Recruiter handbook HR-IFU-7, section 3; ranking screen only.",
    "design_specifications": "Gradient-boosted ranker over parsed CV features.",
    "human_oversight_measures": "A recruiter reviews every ranking before any applicant is rejected.",
    "predetermined_changes": "Quarterly retraining on the same feature set.",
    "cybersecurity_measures": "Mutual TLS between services; inputs validated against schema.",
    "metrics_rationale": "Recall at 50 matches the recruiters' review depth.",
    "standards_applied": "ISO/IEC 42001:2023 in full; ISO/IEC 23894:2023 in part.",
    "eu_declaration_reference": "DoC-HS-2026-014",
    "eu_declaration_date": dt.date(2026, 11, 2),
    "post_market_monitoring_plan": "Monthly drift and fairness review by the model owner.",
}


def _pdf(report: Report) -> PdfReader:
    assert report.status == Report.Status.SUCCEEDED, report.error
    with default_storage.open(report.file.name, "rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def _words(text: str) -> str:
    return " ".join(text.split())


def _text(reader: PdfReader) -> str:
    return _words(" ".join(pdf_page_texts(reader)))


def _data(reader: PdfReader) -> dict[str, Any]:
    return json.loads(reader.attachments[pdf.DATA_ATTACHMENT][0])


def _approve_assessment(world: Any, asset: Asset, title: str) -> None:
    assessment = risk_services.assessment_start(actor=world.officer, asset=asset)
    assessment = risk_services.assessment_save(
        actor=world.officer,
        assessment=assessment,
        expected_revision=assessment.revision,
        risks=[
            {
                "title": title,
                "inherent_impact": 3,
                "inherent_likelihood": 2,
                "residual_impact": 2,
                "residual_likelihood": 2,
                "treatment": "mitigate",
                "owner": world.officer,
                "due_date": timezone.localdate() + dt.timedelta(days=60),
            }
        ],
    )
    assessment = risk_services.assessment_submit(actor=world.officer, assessment=assessment)
    risk_services.assessment_approve(actor=world.executive, assessment=assessment)


@pytest.fixture
def documented(world: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """The world's hiring system with every Annex IV section filled."""
    with django_capture_on_commit_callbacks(execute=True):
        system = inventory.asset_update(
            actor=world.officer,
            asset=world.system,
            expected_version=world.system.version,
            **DOCUMENTATION,
        )
        dataset = inventory.asset_update(
            actor=world.officer,
            asset=world.dataset,
            expected_version=world.dataset.version,
            data_origin="Applications received 2021-2025 through the careers site",
            collection_method="Submitted by applicants",
            licence="Internal",
        )
        holdout = inventory.asset_create(
            actor=world.officer,
            kind="dataset",
            name="Hold-out Applications 2025",
            data_origin="A stratified sample of 2025 applications",
            business_unit=world.system.business_unit,
        )
        inventory.link_create(
            actor=world.officer, upstream=holdout, downstream=world.model, relation="depends_on"
        )
        model = inventory.asset_update(
            actor=world.officer,
            asset=world.model,
            expected_version=world.model.version,
            model_version="2.4.1",
            framework="LightGBM 4.3",
            model_card={
                "approach": "supervised",
                "architecture_family": "gradient-boosted trees",
                "model_architecture": "LambdaMART, 400 trees of depth 6",
                "metrics": [
                    {"type": "recall@50", "value": "0.87", "dataset": str(dataset.uuid)},
                    {
                        "type": "selection-rate ratio",
                        "value": "0.93",
                        "slice": "women vs men",
                        "dataset": str(holdout.uuid),
                    },
                ],
                "users": ["Recruiters"],
                "use_cases": ["Ordering applications for review"],
                "limitations": ["Not validated for roles outside the EU"],
                "ethical": [{"name": "Indirect discrimination", "mitigation": "Quarterly audit"}],
                "environmental": "About 2 kWh per retraining.",
            },
        )
        for asset, title in ((system, "Recruiter over-reliance"), (dataset, "Stale data")):
            _approve_assessment(world, asset, title)
        _approve_assessment(world, holdout, "Sample drift")
        implementation = ControlImplementation.objects.get(
            control__code="CTL-RISK-MGMT", asset=world.system
        )
        compliance_services.evidence_add_link(
            actor=world.officer,
            implementation=implementation,
            url="https://wiki.example.com/old-procedure",
            description="Risk procedure v1 (superseded)",
            valid_until=timezone.localdate() - dt.timedelta(days=10),
        )
    world.model = model
    return world


def test_a_complete_dossier_prints_every_annex_iv_section_and_no_open_item(
    documented: Any, render: Any
) -> None:
    reader = _pdf(render("system-dossier", system=str(documented.system.uuid)))
    text = _text(reader)

    for heading in (
        "1. General description of the AI system",
        "2. Elements of the system and its development",
        "3. Monitoring, functioning and control",
        "4. Performance metrics and their appropriateness",
        "5. Risk management system (Art. 9)",
        "6. Changes through the lifecycle",
        "7. Standards and controls applied",
        "8. EU declaration of conformity and obligations",
        "9. Post-market monitoring and evidence",
    ):
        assert heading in text, heading
    for value in DOCUMENTATION.values():
        assert _words(str(value)) in text, value
    # The model card: architecture, training data with its provenance, limitations.
    assert "Model card: CV Ranker (version 2.4.1)" in text
    assert "gradient-boosted trees: LambdaMART, 400 trees of depth 6" in text
    assert "Applications received 2021-2025 through the careers site" in text
    assert "Not validated for roles outside the EU" in text
    assert "Indirect discrimination: mitigated by Quarterly audit" in text
    # Each metric with the dataset it was measured on and how that dataset is linked.
    assert "recall@50 0.87 none given all data Applicant CVs (trained on)" in text
    assert (
        "selection-rate ratio 0.93 none given women vs men Hold-out Applications 2025 (depends on)"
        in text
    )
    data = _data(reader)
    metrics = {m["type"]: m for m in data["model_cards"][0]["metrics"]}
    assert metrics["recall@50"]["dataset_name"] == "Applicant CVs"
    assert [d["name"] for d in data["model_cards"][0]["training_data"]] == ["Applicant CVs"]
    # The risk app's figures, and the change log from the audit trail.
    assert data["risk_summary"]["open"] == 4 and data["risk_summary"]["accepted"] == 1
    assert not any(a["not_assessed"] for a in data["risk_summary"]["assessments"])
    assert "Model version: (empty) → 3.2.0" in text
    assert any("Post-market monitoring plan" in e["fields"] for e in data["changes"]["events"])
    # Nothing is missing: the last page says so.
    assert data["open_items"] == []
    last = _words(pdf_page_texts(reader)[-1])
    assert "Open items" in last and "None: every Annex IV section" in last
    assert "an open item" not in text


def test_the_dossier_answers_its_own_annex_iv_points_instead_of_listing_them_as_gaps(
    documented: Any, render: Any
) -> None:
    reader = _pdf(render("system-dossier", system=str(documented.system.uuid)))
    data = _data(reader)

    own = [o for o in data["obligations"] if o["ref"].startswith("Annex IV")]
    assert own and all(o["annex_iv_point"] for o in own)
    text = _text(reader)
    start = text.rindex("Other obligations")  # the section, not its contents line
    others = text[start : text.index("9. Post-market monitoring", start)]
    assert "Annex IV" not in others and "Art. 14" in others
    answered = {(o["framework_slug"], o["ref"]) for o in data["annex_iv_obligations"]}
    assert answered == {("eu-ai-act", f"Annex IV({n})") for n in range(1, 10)}
    assert all(o["open_items"] == 0 for o in data["annex_iv_obligations"])
    assert "EU AI Act Annex IV(5) 5. Risk management system (Art. 9) Complete" in text


def test_expired_evidence_in_the_dossier_is_flagged(documented: Any, render: Any) -> None:
    reader = _pdf(render("system-dossier", system=str(documented.system.uuid)))
    text = _text(reader)
    data = _data(reader)

    old = next(e for e in data["evidence"] if e["description"].startswith("Risk procedure v1"))
    assert old["valid"] is False
    # Section C, the evidence references every kind shares, gives each row its status.
    references = text[text.rindex("C. Evidence references") :]

    def row(description: str) -> str:
        start = references.index(description)
        return references[start : start + 300]

    assert f"{old['valid_until']} Expired" in row("Risk procedure v1 (superseded)")
    current = next(
        e for e in data["evidence"] if e["description"] == "Risk management procedure v2"
    )
    assert f"{current['valid_until']} Valid" in row("Risk management procedure v2")


def test_a_sparse_dossier_lists_exactly_what_is_missing_on_its_last_page(
    world: Any, render: Any
) -> None:
    reader = _pdf(render("system-dossier", system=str(world.system.uuid)))
    data = _data(reader)

    expected = [
        (1, "General description: not recorded."),  # the asset's description
        (1, "Version of the system: not recorded."),
        (1, "Interaction with other hardware, software and AI systems: not recorded."),
        (1, "Forms in which it is placed on the market or put into service: not recorded."),
        (1, "Hardware it is intended to run on: not recorded."),
        (1, "Instructions for use for the deployer: not recorded."),
        (1, "Model CV Ranker: version not recorded."),
        (2, "Development methods, design and architecture: not recorded."),
        (2, "Pre-determined changes: not recorded."),
        (2, "Cybersecurity measures: not recorded."),
        (2, "Model CV Ranker: architecture not recorded."),
        (2, "Model CV Ranker: no performance metric on its model card."),
        (2, "Dataset Applicant CVs: origin of the data not recorded."),
        (3, "Human oversight measures: not recorded."),
        (3, "Model CV Ranker: limitations not recorded."),
        (4, "Why the performance metrics are appropriate: not recorded."),
        (5, "AI system Hiring Screener: no approved risk assessment."),
        (5, "Dataset Applicant CVs: no approved risk assessment."),
        (7, "Harmonised standards and other specifications applied: not recorded."),
        (8, "EU declaration of conformity reference: not recorded."),
        (8, "EU declaration of conformity signed on: not recorded."),
        (9, "Post-market monitoring plan: not recorded."),
    ]
    assert sorted((i["point"], i["item"]) for i in data["open_items"]) == sorted(expected)
    # The open items close the dossier (they may run over more than one page).
    text = _text(reader)
    last = text[text.index("Annex IV point Open item Where to record it") :]
    assert last.count("Point ") == len(expected)
    for _, item in expected:
        assert item in last, item
    # Items that are there are not open: the training data is linked, the intended
    # purpose recorded, the change log has the registration.
    assert "Intended purpose" not in last and "training dataset" not in last
    # The sections themselves say where their content is missing, never blank.
    text = _text(reader)
    assert text.count("Not recorded: an open item (see the last page).") >= 14
    counts = {o["ref"]: o["open_items"] for o in data["annex_iv_obligations"]}
    assert counts["Annex IV(1)"] == 7 and counts["Annex IV(6)"] == 0


def test_the_documentation_fields_are_edited_in_the_form_and_audited(
    world: Any, client_for: Any
) -> None:
    client = client_for(Role.RISK_OFFICER)
    url = reverse("inventory:edit", args=[world.system.uuid])
    page = client.get(url).content.decode()
    assert "Technical documentation (EU AI Act Annex IV)" in page
    for name in ANNEX_IV_FIELDS:
        assert f'name="{name}"' in page, name

    form = {
        "name": "Hiring Screener",
        "lifecycle": "production",
        "source": "in-house",
        "intended_purpose": "Rank job applications for recruiters.",
        "model_version": "3.2.0",
        "post_market_monitoring_plan": "Monthly drift review.",
        "eu_declaration_reference": "DoC-HS-2026-014",
        "eu_declaration_date": "2026-11-02",
        "version": str(world.system.version),
    }
    response = client.post(url, form)

    assert response.status_code == 302, response.content.decode()[:2000]
    world.system.refresh_from_db()
    assert world.system.post_market_monitoring_plan == "Monthly drift review."
    assert world.system.eu_declaration_date == dt.date(2026, 11, 2)
    event = AuditEvent.objects.filter(
        action="asset.update", object_id=str(world.system.uuid)
    ).first()
    assert event is not None
    assert event.after["post_market_monitoring_plan"] == "Monthly drift review."
    assert event.after["model_version"] == "3.2.0"
    assert event.before["eu_declaration_reference"] == ""
    detail = client.get(reverse("inventory:detail", args=[world.system.uuid])).content.decode()
    assert "Monthly drift review." in detail and "DoC-HS-2026-014" in detail


def test_the_documentation_fields_are_edited_in_the_api_and_audited(
    world: Any, make_user: Any
) -> None:
    client = APIClient()
    client.force_authenticate(make_user(Role.RISK_OFFICER))
    url = f"/api/v1/assets/{world.system.uuid}/"

    response = client.patch(
        url,
        {
            "human_oversight_measures": "A recruiter reviews every ranking.",
            "eu_declaration_date": "2026-11-02",
            "version": world.system.version,
        },
        format="json",
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["human_oversight_measures"] == "A recruiter reviews every ranking."
    assert body["eu_declaration_date"] == "2026-11-02"
    event = AuditEvent.objects.filter(
        action="asset.update", object_id=str(world.system.uuid)
    ).first()
    assert event.after["human_oversight_measures"] == "A recruiter reviews every ranking."
    bad = client.patch(
        url, {"eu_declaration_date": "02/11/2026", "version": body["version"]}, format="json"
    )
    assert bad.status_code == 400
    assert "eu_declaration_date" in json.dumps(bad.json()["error"])
    world.system.refresh_from_db()
    assert world.system.eu_declaration_date == dt.date(2026, 11, 2)


def test_the_dossier_reads_a_fixed_number_of_queries_whatever_the_lineage(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            kinds.build(Kind.SYSTEM_DOSSIER, {"system": str(world.system.uuid)}, lambda *_: None)
        return len(queries)

    before = count()
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(3):
            data = inventory.asset_create(actor=world.officer, kind="dataset", name=f"Set {n}")
            model = inventory.asset_create(
                actor=world.officer, kind="model", name=f"Model {n}", model_type="classifier"
            )
            inventory.link_create(
                actor=world.officer, upstream=data, downstream=model, relation="trained_on"
            )
            inventory.link_create(
                actor=world.officer, upstream=model, downstream=world.system, relation="part_of"
            )
            inventory.asset_update(
                actor=world.officer,
                asset=model,
                expected_version=model.version,
                model_card={"metrics": [{"type": "F1", "value": "0.7", "dataset": str(data.uuid)}]},
            )
    assert count() == before


def test_only_the_dossier_lists_open_items_in_its_contents(world: Any, render: Any) -> None:
    dossier = _pdf(render("system-dossier", system=str(world.system.uuid)))
    register = _pdf(render("risk-register"))

    first, second = pdf_page_texts(dossier)[:2]
    assert "Open items" in _words(second + first)
    assert "Open items" not in _text(register)
