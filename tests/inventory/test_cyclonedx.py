"""CycloneDX ML-BOM in and out, validated against the schema cyclonedx-python-lib ships."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command

from riskhub.inventory import io, selectors
from riskhub.inventory.io.cyclonedx import build_bom, validate
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize("version", ["1.5", "1.6"])
def test_a_real_ml_bom_imports_models_and_datasets_with_lineage(officer, version) -> None:  # type: ignore[no-untyped-def]
    path = DATA / f"mlbom-{version}.cdx.json"
    report = io.import_file(actor=officer, name=path.name, data=path.read_bytes())
    assert report.ok, report.errors
    assert report.created == 3  # the library component is not an AI asset
    llm = Asset.objects.get(name="acme/support-llm")
    assert (llm.kind, llm.model_type, llm.model_version) == ("model", "generative-llm", "1.4")
    assert llm.vendor == "Acme AI"
    # The architecture is the model card's, not the framework's (issue 17).
    assert llm.framework == ""
    assert llm.model_card["model_architecture"] == "LlamaForCausalLM"
    tickets = Asset.objects.get(name="Support tickets 2024")
    assert tickets.kind == "dataset" and tickets.personal_data
    links = {(link.upstream.name, link.relation) for link in llm.upstream_links.all()}
    assert links == {
        ("Support tickets 2024", "trained_on"),
        ("acme/base-7b", "fine_tuned_from"),
    }


def test_importing_the_same_bom_twice_updates_rather_than_duplicates(officer) -> None:  # type: ignore[no-untyped-def]
    data = (DATA / "mlbom-1.6.cdx.json").read_bytes()
    assert io.import_file(actor=officer, name="a.cdx.json", data=data).ok
    again = io.import_file(actor=officer, name="a.cdx.json", data=data)
    assert again.ok and again.created == 0 and again.unchanged == 3
    assert AssetLink.objects.count() == 2


def test_an_invalid_bom_is_refused_with_the_schema_error(officer) -> None:  # type: ignore[no-untyped-def]
    document = json.loads((DATA / "mlbom-1.6.cdx.json").read_text())
    document["components"][0]["type"] = "robot"
    report = io.import_file(actor=officer, name="bad.cdx.json", data=json.dumps(document).encode())
    assert "does not match the CycloneDX 1.6 schema" in report.errors[0].reason
    assert "/components/0/type" in report.errors[0].reason
    assert not Asset.objects.exists()


def test_an_unsupported_spec_version_is_named(officer) -> None:  # type: ignore[no-untyped-def]
    document = {"bomFormat": "CycloneDX", "specVersion": "1.2", "version": 1}
    report = io.import_file(actor=officer, name="x.cdx.json", data=json.dumps(document).encode())
    reason = report.errors[0].reason
    assert "1.2" in reason and "1.5, 1.6 and 1.7" in reason and "version limit" in reason
    assert "schema" not in reason


def test_the_export_is_a_valid_strict_bom_with_lineage_as_dependencies(chain) -> None:  # type: ignore[no-untyped-def]
    bom = build_bom(selectors.assets())
    assert validate(bom, strict=True) is None
    assert bom["specVersion"] == "1.6"
    by_ref = {c["bom-ref"]: c for c in bom["components"]}
    model = by_ref[str(chain["model"].uuid)]
    assert model["type"] == "machine-learning-model"
    assert model["modelCard"]["modelParameters"]["datasets"] == [
        {"ref": str(chain["dataset"].uuid)}
    ]
    assert by_ref[str(chain["dataset"].uuid)]["type"] == "data"
    deps = {d["ref"]: d["dependsOn"] for d in bom["dependencies"]}
    assert deps[str(chain["system"].uuid)] == [str(chain["endpoint"].uuid)]


def test_our_own_bom_comes_back_exactly(officer, chain, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("export_inventory", "--format", "cyclonedx")
    text = capsys.readouterr().out
    assert validate(json.loads(text), strict=True) is None
    before = "".join(io.export_json(selectors.assets()))
    report = io.import_file(actor=officer, name="riskhub.cdx.json", data=text.encode())
    assert report.ok, report.errors
    assert (report.created, report.updated, report.links, report.links_removed) == (0, 0, 0, 0)
    assert "".join(io.export_json(selectors.assets())) == before
