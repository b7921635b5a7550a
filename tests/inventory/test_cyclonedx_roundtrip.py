"""RiskHub's own CycloneDX export comes back exactly, in 1.5, 1.6 and 1.7, JSON and XML:
every asset of the four kinds, the lineage with its relation kinds, model cards and
properties, into an empty register as well as onto itself."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.inventory import io, selectors, services
from riskhub.inventory.io.cyclonedx import build_bom, export_cyclonedx, validate, validate_xml
from riskhub.inventory.models import Asset, AssetLink, BusinessUnit

pytestmark = pytest.mark.django_db
VERSIONS = ["1.5", "1.6", "1.7"]
FORMATS = ["json", "xml"]
EVERYTHING = selectors.AssetFilters(archived="all")


@pytest.fixture
def register(officer, make_asset, link):  # type: ignore[no-untyped-def]
    """Every kind with its fields filled in, all five relations, a full model card."""
    dataset = make_asset(
        "dataset",
        "Loan applications",
        description="Applications 2019-2024\nwith “quotes” & <markup>",
        owner=officer,
        business_unit=services.business_unit_get_or_create(actor=officer, name="Retail"),
        lifecycle="production",
        source="commercial",
        vendor="Data Corp",
        tags=["credit", "eu"],
        data_origin="Branch network",
        collection_method="Forms",
        record_count=1_200_000,
        personal_data=True,
        special_categories=True,
        childrens_data=False,
        subjects_eu=True,
        subjects_california=True,
        subjects_elsewhere=False,
        licence="CC-BY-4.0",
        provenance_verified=True,
        model_version="2024.1",
    )
    holdout = make_asset("dataset", "Holdout 2024", description="=SUM(A1:A2)")
    base = make_asset(
        "model", "Base LLM", model_type="generative-llm", source="open-source", vendor="HF"
    )
    model = make_asset(
        "model",
        "Credit model",
        model_type="classifier",
        framework="xgboost",
        model_version="3.1",
        training_flops=3.2e24,
        general_purpose=True,
        open_weights=True,
        lifecycle="validation",
    )
    endpoint = make_asset(
        "endpoint",
        "Scoring API",
        url="https://api.example.com/score",
        exposure="partner",
        authentication="mtls",
        rate_limited=True,
    )
    system = make_asset(
        "system",
        "Credit decisioning",
        intended_purpose="Decide on consumer credit",
        deployment_context="Branches",
        affected_persons="Applicants",
        placed_on_eu_market=True,
        placed_on_market_date=dt.date(2025, 3, 1),
        public_authority_use=False,
        california_consumers=True,
        model_version="4.2",
        # The Annex IV technical documentation travels as riskhub:* properties too.
        interactions="Reads the core banking ledger",
        market_forms="Internal service",
        hardware="2 x CPU nodes",
        instructions_for_use="See the operator manual, section 3",
        design_specifications="Gradient boosted trees\nbehind a rules layer",
        human_oversight_measures="A credit officer reviews every refusal",
        predetermined_changes="Quarterly retraining",
        cybersecurity_measures="mTLS; rate limits",
        metrics_rationale="AUC suits a ranking decision",
        standards_applied="ISO/IEC 42001",
        eu_declaration_reference="DoC-2026-07",
        eu_declaration_date=dt.date(2026, 7, 1),
        post_market_monitoring_plan="Monthly drift review;\nquarterly audit.",
    )
    old = make_asset("system", "Old scoring", intended_purpose="Retired")
    services.asset_archive(actor=officer, asset=old)
    link(dataset, model, "trained_on")
    link(holdout, model, "depends_on")
    link(base, model, "fine_tuned_from")
    link(model, endpoint, "serves")
    link(endpoint, system, "part_of")
    link(dataset, system, "part_of")
    model = Asset.objects.get(pk=model.pk)
    card = {
        "approach": "supervised",
        "architecture_family": "gradient boosted trees",
        "model_architecture": "XGBClassifier depth 6",
        "inputs": ["tabular"],
        "outputs": ["score 0-1"],
        "metrics": [
            {
                "type": "AUC",
                "value": "0.91",
                "slice": "age < 25",
                "lower_bound": "0.89",
                "upper_bound": "0.93",
                "dataset": str(holdout.uuid),
            },
            {"type": "accuracy", "value": "0.88"},
        ],
        "users": ["credit officers"],
        "use_cases": ["pre-screening", "limit setting"],
        "limitations": ["not for business loans"],
        "tradeoffs": ["recall over precision"],
        "ethical": [{"name": "proxy discrimination", "mitigation": "feature review"}],
        "fairness": [
            {
                "group_at_risk": "young applicants",
                "benefits": "faster answers",
                "harms": "more refusals",
                "mitigation": "threshold per band",
            }
        ],
        "environmental": "Trained on a wind-powered region, 120 kWh",
    }
    services.asset_update(
        actor=officer, asset=model, expected_version=model.version, model_card=card
    )
    return {"model": model, "holdout": holdout, "card": card}


def _export(version: str, fmt: str) -> tuple[str, str]:
    text = export_cyclonedx(selectors.assets(EVERYTHING), version, fmt)
    return text, f"riskhub.cdx.{fmt}"


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_our_export_is_valid_for_its_version(register, version, fmt) -> None:  # type: ignore[no-untyped-def]
    text, _ = _export(version, fmt)
    if fmt == "json":
        document = json.loads(text)
        assert document["specVersion"] == version
        assert validate(document, strict=True) is None
    else:
        assert f'xmlns="http://cyclonedx.org/schema/bom/{version}"' in text
        assert validate_xml(text, version) is None


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_our_export_rebuilds_an_empty_register_exactly(officer, register, version, fmt) -> None:  # type: ignore[no-untyped-def]
    before = "".join(io.export_json(selectors.assets(EVERYTHING)))
    links_before = set(
        AssetLink.objects.values_list("upstream__uuid", "downstream__uuid", "relation")
    )
    text, name = _export(version, fmt)
    Asset.objects.all().delete()
    BusinessUnit.objects.all().delete()

    report = io.import_file(actor=officer, name=name, data=text.encode())

    assert report.ok, report.errors
    assert (report.created, report.updated, report.links) == (7, 0, 6)
    assert report.skipped == {}
    assert "".join(io.export_json(selectors.assets(EVERYTHING))) == before
    assert (
        set(AssetLink.objects.values_list("upstream__uuid", "downstream__uuid", "relation"))
        == links_before
    )
    model = Asset.objects.get(name="Credit model")
    assert model.model_card == register["card"]
    assert Asset.objects.get(name="Old scoring").archived_at is not None


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_our_export_onto_itself_changes_nothing(officer, register, version, fmt) -> None:  # type: ignore[no-untyped-def]
    before = "".join(io.export_json(selectors.assets(EVERYTHING)))
    text, name = _export(version, fmt)
    report = io.import_file(actor=officer, name=name, data=text.encode())
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 7)
    assert (report.links, report.links_removed) == (0, 0)
    assert "".join(io.export_json(selectors.assets(EVERYTHING))) == before


def test_the_model_card_travels_as_cyclonedx_model_card(register) -> None:  # type: ignore[no-untyped-def]
    bom = build_bom(selectors.assets(EVERYTHING), "1.7")
    model = next(c for c in bom["components"] if c["name"] == "Credit model")
    card = model["modelCard"]
    assert card["modelParameters"]["approach"] == {"type": "supervised"}
    assert card["modelParameters"]["task"] == "classification"
    assert card["modelParameters"]["architectureFamily"] == "gradient boosted trees"
    assert card["modelParameters"]["modelArchitecture"] == "XGBClassifier depth 6"
    assert card["quantitativeAnalysis"]["performanceMetrics"][0] == {
        "type": "AUC",
        "value": "0.91",
        "slice": "age < 25",
        "confidenceInterval": {"lowerBound": "0.89", "upperBound": "0.93"},
    }
    considerations = card["considerations"]
    assert considerations["useCases"] == ["pre-screening", "limit setting"]
    assert considerations["ethicalConsiderations"] == [
        {"name": "proxy discrimination", "mitigationStrategy": "feature review"}
    ]
    assert considerations["fairnessAssessments"][0]["groupAtRisk"] == "young applicants"
    assert considerations["environmentalConsiderations"]["properties"][0]["value"] == (
        "Trained on a wind-powered region, 120 kWh"
    )
    properties = {p["name"]: p["value"] for p in model["properties"]}
    assert properties["riskhub:metric_dataset.0"] == str(register["holdout"].uuid)


def test_the_export_command_writes_xml_and_the_asked_version(register, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("export_inventory", "--format", "cyclonedx-xml", "--spec-version", "1.5")
    text = capsys.readouterr().out
    assert 'xmlns="http://cyclonedx.org/schema/bom/1.5"' in text
    assert validate_xml(text, "1.5") is None
    call_command("export_inventory", "--format", "cyclonedx", "--spec-version", "1.7")
    assert json.loads(capsys.readouterr().out)["specVersion"] == "1.7"


def test_the_import_page_names_what_it_did_not_import(client, officer) -> None:  # type: ignore[no-untyped-def]
    bom = {
        "bomFormat": "CycloneDX",
        "specVersion": "1.7",
        "version": 1,
        "components": [
            {"type": "machine-learning-model", "name": "ranker"},
            {"type": "library", "name": "torch"},
            {"type": "library", "name": "numpy"},
        ],
    }
    client.force_login(officer)
    upload = SimpleUploadedFile("ml.cdx.json", json.dumps(bom).encode())
    response = client.post(reverse("inventory:import"), {"file": upload}, follow=True)
    text = response.content.decode()
    assert "Imported 1 new and 0 updated assets." in text
    assert "Not imported (RiskHub does not model them): 2 library." in text


@pytest.mark.parametrize(
    ("fmt", "version", "marker"),
    [
        ("cyclonedx-xml", "1.7", 'xmlns="http://cyclonedx.org/schema/bom/1.7"'),
        ("cyclonedx", "1.5", '"specVersion": "1.5"'),
    ],
)
def test_the_export_button_downloads_the_asked_format_and_version(  # type: ignore[no-untyped-def]
    client_for, register, fmt, version, marker
) -> None:
    url = reverse("inventory:export", args=[fmt]) + f"?spec_version={version}"
    response = client_for(Role.AUDITOR).get(url)
    assert response.status_code == 200
    assert marker in response.content.decode()
    suffix = "xml" if fmt.endswith("xml") else "json"
    assert response["Content-Disposition"].endswith(f'.cdx.{suffix}"')


def test_an_unknown_spec_version_is_a_bad_request(client_for) -> None:  # type: ignore[no-untyped-def]
    url = reverse("inventory:export", args=["cyclonedx"]) + "?spec_version=1.2"
    assert client_for(Role.AUDITOR).get(url).status_code == 400


def test_the_import_command_reads_xml_and_reports_skipped_components(  # type: ignore[no-untyped-def]
    officer, register, tmp_path, capsys
) -> None:
    path = tmp_path / "riskhub.cdx.xml"
    path.write_text(export_cyclonedx(selectors.assets(EVERYTHING), "1.6", "xml"))
    call_command("import_inventory", str(path), "--as", officer.email)
    assert "0 created, 0 updated, 7 unchanged" in capsys.readouterr().out


def test_text_xml_cannot_carry_is_replaced_rather_than_failing_the_export(  # type: ignore[no-untyped-def]
    officer, make_asset
) -> None:
    make_asset("dataset", "Bell", description="ring\x07ring")
    text = export_cyclonedx(selectors.assets(), "1.6", "xml")
    assert validate_xml(text, "1.6") is None
    assert "ring\ufffdring" in text
