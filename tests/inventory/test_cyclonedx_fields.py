"""Every field of the ML-BOM (modelCard) and data (componentData) parts of CycloneDX
1.5, 1.6 and 1.7, in JSON and XML, with BOMs built here: what each field becomes."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from riskhub.inventory import io
from riskhub.inventory.io import cdx_xml
from riskhub.inventory.io.cyclonedx import validate, validate_xml
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db
VERSIONS = ["1.5", "1.6", "1.7"]
FORMATS = ["json", "xml"]

CONTACT = {"name": "Ada", "email": "ada@example.com"}
ORG = {"name": "Hugging Face", "url": ["https://huggingface.co"], "contact": [CONTACT]}
GRAPHICS = {
    "description": "Curves",
    "collection": [{"name": "ROC", "image": {"content": "aGVsbG8=", "encoding": "base64"}}],
}
COMPONENT_DATA: dict[str, Any] = {
    "type": "dataset",
    "name": "Training Data",
    "contents": {
        "url": "https://example.com/train.parquet",
        "properties": [{"name": "rows", "value": "5000"}],
    },
    "classification": "confidential",
    "sensitiveData": ["names", "health"],
    "graphics": GRAPHICS,
    "description": "Tickets with answers",
    "governance": {
        "custodians": [{"organization": {"name": "Data Office"}}],
        "stewards": [{"contact": CONTACT}],
        "owners": [{"organization": {"name": "Support department"}}],
    },
}


def _model(version: str) -> dict[str, Any]:
    considerations: dict[str, Any] = {
        "users": ["support agents"],
        "useCases": ["draft answers"],
        "technicalLimitations": ["English only"],
        "performanceTradeoffs": ["latency over quality"],
        "ethicalConsiderations": [{"name": "hallucination", "mitigationStrategy": "review"}],
        "fairnessAssessments": [
            {
                "groupAtRisk": "non-native speakers",
                "benefits": "faster help",
                "harms": "worse answers",
                "mitigationStrategy": "language check",
            }
        ],
    }
    if version != "1.5":
        considerations["environmentalConsiderations"] = {
            "energyConsumptions": [
                {
                    "activity": "training",
                    "energyProviders": [
                        {
                            "organization": {"name": "Grid Co"},
                            "energySource": "wind",
                            "energyProvided": {"value": 100, "unit": "kWh"},
                        }
                    ],
                    "activityEnergyCost": {"value": 120.5, "unit": "kWh"},
                    "co2CostEquivalent": {"value": 0.25, "unit": "tCO2eq"},
                }
            ],
            "properties": [{"name": "region", "value": "eu-north"}],
        }
    return {
        "type": "machine-learning-model",
        "bom-ref": "model-1",
        "supplier": ORG,
        "group": "acme",
        "name": "support-llm",
        "version": "1.4",
        "description": "Answers support tickets",
        "licenses": [{"license": {"id": "Apache-2.0"}}],
        "purl": "pkg:huggingface/acme/support-llm@1.4",
        "modelCard": {
            "bom-ref": "card-1",
            "modelParameters": {
                "approach": {"type": "self-supervised"},
                "task": "text-generation",
                "architectureFamily": "llama",
                "modelArchitecture": "LlamaForCausalLM",
                "datasets": [{"ref": "data-1"}, copy.deepcopy(COMPONENT_DATA)],
                "inputs": [{"format": "text"}],
                "outputs": [{"format": "text"}],
            },
            "quantitativeAnalysis": {
                "performanceMetrics": [
                    {
                        "type": "BLEU",
                        "value": "0.42",
                        "slice": "billing tickets",
                        "confidenceInterval": {"lowerBound": "0.40", "upperBound": "0.44"},
                    }
                ],
                "graphics": GRAPHICS,
            },
            "considerations": considerations,
            "properties": [{"name": "hf:downloads", "value": "1000"}],
        },
        **({"tags": ["llm"]} if version != "1.5" else {}),
    }


def _bom(version: str) -> dict[str, Any]:
    data_component = {
        "type": "data",
        "bom-ref": "data-1",
        "name": "Support tickets 2024",
        "version": "2024.2",
        "data": [{**copy.deepcopy(COMPONENT_DATA), "name": "tickets", "bom-ref": "data-1-0"}],
    }
    if version != "1.5":  # the 1.5 XSD allows one `data` per component
        data_component["data"].append(
            {
                "type": "configuration",
                "name": "prompt",
                "contents": {
                    "attachment": {"contentType": "text/plain", "content": "You are kind."}
                },
            }
        )
    return {
        "bomFormat": "CycloneDX",
        "specVersion": version,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "components": [
            _model(version),
            data_component,
            {"type": "library", "name": "torch", "version": "2.3"},
            {"type": "library", "name": "numpy"},
            {"type": "application", "name": "chat-ui"},
        ],
        "services": [{"name": "ticket-api"}],
        "dependencies": [{"ref": "model-1", "dependsOn": ["data-1"]}],
    }


def _import(officer, version: str, fmt: str, document: dict[str, Any]):  # type: ignore[no-untyped-def]
    if fmt == "json":
        assert validate(document, strict=True) is None
        data, name = json.dumps(document).encode(), "spec.cdx.json"
    else:
        text = cdx_xml.to_xml(document)
        assert validate_xml(text, version) is None, validate_xml(text, version)
        data, name = text.encode(), "spec.xml"
    return io.import_file(actor=officer, name=name, data=data)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_model_card_field_lands_where_a_reader_expects_it(officer, version, fmt) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, version, fmt, _bom(version))
    assert report.ok, report.errors

    model = Asset.objects.get(kind="model")
    assert model.name == "acme/support-llm"  # group kept as the organisation prefix
    assert (model.model_version, model.model_type) == ("1.4", "generative-llm")
    assert model.vendor == "Hugging Face" and model.source == "open-source"
    assert model.licence == "Apache-2.0"
    assert model.framework == ""  # the architecture is not a framework
    assert model.tags == ([] if version == "1.5" else ["llm"])
    assert model.description.splitlines() == [
        "Answers support tickets",
        "Graphics: Curves (ROC)",
        "Model card hf:downloads: 1000",
    ]
    card = model.model_card
    assert card["approach"] == "self-supervised"
    assert card["architecture_family"] == "llama"
    assert card["model_architecture"] == "LlamaForCausalLM"
    assert (card["inputs"], card["outputs"]) == (["text"], ["text"])
    assert card["metrics"] == [
        {
            "type": "BLEU",
            "value": "0.42",
            "slice": "billing tickets",
            "lower_bound": "0.40",
            "upper_bound": "0.44",
        }
    ]
    assert card["users"] == ["support agents"]
    assert card["use_cases"] == ["draft answers"]
    assert card["limitations"] == ["English only"]
    assert card["tradeoffs"] == ["latency over quality"]
    assert card["ethical"] == [{"name": "hallucination", "mitigation": "review"}]
    assert card["fairness"] == [
        {
            "group_at_risk": "non-native speakers",
            "benefits": "faster help",
            "harms": "worse answers",
            "mitigation": "language check",
        }
    ]
    if version == "1.5":
        assert "environmental" not in card
    else:
        assert card["environmental"] == (
            "Energy for training, 120.5 kWh, from Grid Co wind 100 kWh, "
            "CO2 equivalent 0.25 tCO2eq\nregion: eu-north"
        )


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_every_data_field_lands_on_the_dataset(officer, version, fmt) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, version, fmt, _bom(version))
    assert report.ok, report.errors

    tickets = Asset.objects.get(name="Support tickets 2024")
    assert tickets.kind == "dataset" and tickets.model_version == "2024.2"
    assert tickets.data_origin == "Support department"  # governance owners
    assert tickets.personal_data  # sensitiveData
    for line in (
        "Tickets with answers",
        "Classification: confidential",
        "Sensitive data: names; health",
        "Contents: https://example.com/train.parquet",
        "rows: 5000",
        "Data custodians: Data Office",
        "Data stewards: Ada",
        "Graphics: Curves (ROC)",
    ):
        assert line in tickets.description.splitlines()
    if version != "1.5":
        assert "Data type: configuration" in tickets.description.splitlines()
        assert "Contents: attached text/plain" in tickets.description.splitlines()
    # The inline dataset has no bom-ref: it becomes a dataset the model is trained on.
    inline = Asset.objects.get(kind="dataset", name="Training Data")
    assert inline.data_origin == "Support department"
    assert "Classification: confidential" in inline.description
    links = {
        (link.upstream.name, link.relation)
        for link in AssetLink.objects.filter(downstream__kind="model")
    }
    assert links == {("Support tickets 2024", "trained_on"), ("Training Data", "trained_on")}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("version", VERSIONS)
def test_components_riskhub_does_not_model_are_counted_by_type(officer, version, fmt) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, version, fmt, _bom(version))
    assert report.ok, report.errors
    assert report.created == 3
    assert report.skipped == {"library": 2, "application": 1, "service": 1}
    assert report.as_dict()["skipped"] == {"application": 1, "library": 2, "service": 1}


def test_a_supplier_that_is_not_an_open_hub_makes_a_commercial_model(officer) -> None:  # type: ignore[no-untyped-def]
    document = _bom("1.6")
    document["components"][0]["supplier"] = {"name": "Vendor Inc"}
    del document["components"][0]["purl"]
    assert _import(officer, "1.6", "json", document).ok
    assert Asset.objects.get(kind="model").source == "commercial"


def test_version_1_7_is_read(officer) -> None:  # type: ignore[no-untyped-def]
    report = _import(officer, "1.7", "json", _bom("1.7"))
    assert report.ok, report.errors


def test_an_unsupported_version_is_a_version_limit_in_xml_too(officer) -> None:  # type: ignore[no-untyped-def]
    text = '<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4" version="1"/>'
    report = io.import_file(actor=officer, name="old.cdx.xml", data=text.encode())
    reason = report.errors[0].reason
    assert "CycloneDX 1.4 is not supported" in reason and "version limit" in reason


def test_an_invalid_xml_bom_is_refused_with_the_xsd_error(officer) -> None:  # type: ignore[no-untyped-def]
    text = cdx_xml.to_xml(_bom("1.6")).replace("<modelParameters>", "<robot/><modelParameters>")
    report = io.import_file(actor=officer, name="bad.cdx.xml", data=text.encode())
    assert "does not match the CycloneDX 1.6 schema" in report.errors[0].reason
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE bom [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE bom [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ],
    ids=["entity-expansion", "external-entity"],
)
def test_an_xml_bom_with_a_dtd_is_refused_without_expanding_it(officer, doctype) -> None:  # type: ignore[no-untyped-def]
    text = (
        f'<?xml version="1.0"?>{doctype}'
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
        '<component type="data"><name>&b;&x;</name></component></components></bom>'
    ).replace("&b;&x;", "&b;" if "ENTITY b" in doctype else "&x;")
    report = io.import_file(actor=officer, name="evil.cdx.xml", data=text.encode())
    assert not report.ok
    assert "DTD" in report.errors[0].reason
    assert not Asset.objects.exists()


def test_an_xml_bom_nested_too_deep_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    inner = '<component type="library"><name>x</name><components>' * 60
    text = (
        '<bom xmlns="http://cyclonedx.org/schema/bom/1.6" version="1"><components>'
        + inner
        + "</components></component>" * 60
        + "</components></bom>"
    )
    report = io.import_file(actor=officer, name="deep.cdx.xml", data=text.encode())
    assert "nested more than" in report.errors[0].reason


def test_an_xml_file_that_is_not_a_bom_is_an_unknown_type(officer) -> None:  # type: ignore[no-untyped-def]
    report = io.import_file(actor=officer, name="notes.xml", data=b"<notes/>")
    assert "Unknown file type" in report.errors[0].reason
