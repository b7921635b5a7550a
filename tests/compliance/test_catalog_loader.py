"""load_catalogs loads and upgrades in place; export_catalog prints the contract."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

from riskhub.compliance import catalog_loader, services
from riskhub.compliance.models import (
    Control,
    ControlRequirement,
    ControlThreat,
    Evidence,
    Framework,
    Requirement,
    SufficientSet,
)

from .conftest import control


def _snapshot() -> list:
    return [
        list(Framework.objects.order_by("pk").values()),
        list(Requirement.objects.order_by("pk").values()),
        list(Control.objects.order_by("pk").values()),
        list(ControlRequirement.objects.order_by("pk").values()),
        list(ControlThreat.objects.order_by("pk").values()),
        list(SufficientSet.objects.order_by("pk").values()),
    ]


def test_catalogs_load_the_three_frameworks_and_the_library(catalogs) -> None:  # type: ignore[no-untyped-def]
    assert list(Framework.objects.values_list("slug", flat=True)) == ["eu-ai-act", "gdpr", "ccpa"]
    assert Control.objects.count() >= 40
    assert Requirement.objects.get(framework__slug="eu-ai-act", ref="Art. 10(5)")
    assert Requirement.objects.get(framework__slug="ccpa", ref="11 CCR 7150")


def test_second_load_changes_nothing(catalogs) -> None:  # type: ignore[no-untyped-def]
    before = _snapshot()
    out = io.StringIO()
    report = catalog_loader.load(stdout=out)
    assert _snapshot() == before
    assert not report.applicability_changed
    assert "unchanged" in out.getvalue()


@pytest.fixture
def edited_catalogs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "catalogs"
    shutil.copytree(catalog_loader.CATALOG_DIR, target)
    monkeypatch.setattr(catalog_loader, "CATALOG_DIR", target)
    return target


def test_upgrade_keeps_evidence_and_flags_changed_requirements(
    catalogs, officer, edited_catalogs
) -> None:  # type: ignore[no-untyped-def]
    flagged = services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
    )
    services.evidence_add_link(
        actor=officer,
        implementation=flagged,
        url="https://intranet.example/ir-plan",
        description="Incident response plan",
    )
    untouched = services.implementation_create(
        actor=officer, control=control("CTL-AI-LITERACY"), scope="organisation"
    )
    path = edited_catalogs / "gdpr.yaml"
    text = path.read_text()
    old_title = 'title: "Notifying a personal data breach to the supervisory authority"'
    assert old_title in text
    path.write_text(
        text.replace(old_title, 'title: "Breach notification to the authority (72 hours)"')
    )
    requirement_pk = Requirement.objects.get(framework__slug="gdpr", ref="Art. 33").pk

    out = io.StringIO()
    report = catalog_loader.load(stdout=out)

    assert "gdpr Art. 33: title changed" in out.getvalue()
    assert "1 implementation(s) flagged for re-review" in out.getvalue()
    assert report.changed_requirements == {requirement_pk}
    flagged.refresh_from_db()
    untouched.refresh_from_db()
    assert flagged.needs_review and "GDPR Art. 33" in flagged.review_reason
    assert not untouched.needs_review
    assert Evidence.objects.filter(implementation=flagged).count() == 1
    assert Requirement.objects.get(pk=requirement_pk).title.startswith("Breach notification")
    # and the upgraded catalog is itself idempotent
    second = catalog_loader.load(stdout=io.StringIO())
    assert not second.changed_requirements


def test_a_requirement_removed_from_the_catalog_is_retired_not_deleted(
    catalogs, edited_catalogs
) -> None:  # type: ignore[no-untyped-def]
    import yaml

    path = edited_catalogs / "gdpr.yaml"
    data = yaml.safe_load(path.read_text())
    data["requirements"] = [r for r in data["requirements"] if r["ref"] != "Art. 49"]
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    controls = yaml.safe_load((edited_catalogs / "controls.yaml").read_text())
    for item in controls["controls"]:
        item["requirements"] = [
            m for m in item["requirements"] if m["ref"] != "Art. 49" or m["framework"] != "gdpr"
        ]
    (edited_catalogs / "controls.yaml").write_text(yaml.safe_dump(controls, sort_keys=False))
    out = io.StringIO()
    catalog_loader.load(stdout=out)
    assert Requirement.objects.get(framework__slug="gdpr", ref="Art. 49").retired
    assert "retired" in out.getvalue()


def test_a_control_mapped_to_an_unknown_requirement_is_refused(catalogs, edited_catalogs) -> None:  # type: ignore[no-untyped-def]
    path = edited_catalogs / "controls.yaml"
    path.write_text(path.read_text().replace('ref: "Art. 33"', 'ref: "Art. 333"', 1))
    with pytest.raises(catalog_loader.CatalogError, match="unknown requirement"):
        catalog_loader.load(stdout=io.StringIO())


def test_export_catalog_prints_the_design_contract(catalogs) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {"frameworks", "controls", "threats"}
    assert [f["slug"] for f in data["frameworks"]] == ["eu-ai-act", "gdpr", "ccpa"]
    for framework in data["frameworks"]:
        assert set(framework) == {"slug", "name", "version", "requirements"}
        for requirement in framework["requirements"]:
            assert set(requirement) == {"ref", "title", "applies_from", "also_cited_as"}
            for entry in requirement["applies_from"]:
                assert set(entry) == {"date", "condition"}
                assert len(entry["date"]) == 10 and entry["date"][4] == "-"
    refs = {r["ref"] for r in data["frameworks"][0]["requirements"]}
    assert {"Art. 10(5)", "Annex III", "Art. 26"} <= refs
    assert any(ref.startswith("Annex IV") for ref in refs)
    assert "11 CCR 7150" in {r["ref"] for r in data["frameworks"][2]["requirements"]}
    for item in data["controls"]:
        assert set(item) == {"code", "name", "requirements", "threats"}
        for mapping in item["requirements"]:
            assert set(mapping) == {"framework", "ref", "coverage"}
            assert mapping["coverage"] in ("full", "partial")
    assert data["threats"], "threats come from the loaded threat catalog"
    for threat in data["threats"]:
        assert set(threat) == {"code", "name", "atlas", "owasp_llm"}
    known = {t["code"] for t in data["threats"]}
    assert all(code in known for c in data["controls"] for code in c["threats"])


def _yaml(name: str, directory: Path | None = None) -> dict:
    import yaml

    from riskhub.risk import catalog_loader as risk_catalog_loader

    base = {"controls.yaml": catalog_loader.CATALOG_DIR}.get(name, risk_catalog_loader.CATALOG_DIR)
    return yaml.safe_load(((directory or base) / name).read_text())


def test_export_lists_each_controls_threats_and_the_threat_catalog_in_file_order(
    catalogs,
) -> None:  # type: ignore[no-untyped-def]
    """The exported lists are the files' own, entry for entry and in order, although
    they are now read from the database (the JSON contract stays byte-compatible)."""
    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    data = json.loads(out.getvalue())
    controls = _yaml("controls.yaml")["controls"]
    assert {c["code"]: c["threats"] for c in data["controls"]} == {
        c["code"]: list(c.get("threats") or []) for c in controls
    }
    assert [c["code"] for c in data["controls"]] == [c["code"] for c in controls]
    assert data["threats"] == [
        {
            "code": t["code"],
            "name": t["name"],
            "atlas": list(t.get("atlas") or []),
            "owasp_llm": list(t.get("owasp_llm") or []),
        }
        for t in _yaml("threats.yaml")["threats"]
    ]


def test_a_controls_threats_are_links_to_the_threat_catalog(catalogs) -> None:  # type: ignore[no-untyped-def]
    from riskhub.risk.models import Threat

    poisoning = Threat.objects.get(code="THR-DATA-POISONING")
    provenance = control("CTL-DATA-PROVENANCE")
    assert poisoning in provenance.threats.all()
    assert provenance in poisoning.controls.all()
    assert (
        provenance.threat_codes
        == [c for c in _yaml("controls.yaml")["controls"] if c["code"] == "CTL-DATA-PROVENANCE"][0][
            "threats"
        ]
    )


def test_a_changed_threat_list_relinks_the_control_and_is_reported(
    catalogs, officer, edited_catalogs
) -> None:  # type: ignore[no-untyped-def]
    import yaml

    implementation = services.implementation_create(
        actor=officer, control=control("CTL-INCIDENT-RESPONSE"), scope="organisation"
    )
    data = _yaml("controls.yaml", edited_catalogs)
    entry = next(c for c in data["controls"] if c["code"] == "CTL-INCIDENT-RESPONSE")
    entry["threats"] = ["THR-EVASION", *entry["threats"][1:]]  # drops THR-DATA-LEAKAGE
    (edited_catalogs / "controls.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    )

    out = io.StringIO()
    catalog_loader.load(stdout=out)

    assert "CTL-INCIDENT-RESPONSE: threats changed" in out.getvalue()
    assert control("CTL-INCIDENT-RESPONSE").threat_codes == entry["threats"]
    suggested = {
        code: set(Control.objects.filter(threats__code=code).values_list("code", flat=True))
        for code in ("THR-EVASION", "THR-DATA-LEAKAGE")
    }
    assert "CTL-INCIDENT-RESPONSE" in suggested["THR-EVASION"]
    assert "CTL-INCIDENT-RESPONSE" not in suggested["THR-DATA-LEAKAGE"]
    implementation.refresh_from_db()
    assert implementation.needs_review
    before = _snapshot()
    catalog_loader.load(stdout=io.StringIO())
    assert _snapshot() == before


def test_a_control_naming_an_unknown_threat_is_refused(catalogs, edited_catalogs) -> None:  # type: ignore[no-untyped-def]
    path = edited_catalogs / "controls.yaml"
    text = path.read_text()
    assert "THR-DATA-POISONING" in text
    path.write_text(text.replace("THR-DATA-POISONING", "THR-DATA-POISONNING", 1))
    links = ControlThreat.objects.count()
    with pytest.raises(catalog_loader.CatalogError, match="unknown threat code.*POISONNING"):
        catalog_loader.load(stdout=io.StringIO())
    assert ControlThreat.objects.count() == links


def test_the_control_library_needs_the_threat_catalog_loaded_first(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(catalog_loader.CatalogError, match="load the threat catalog first"):
        catalog_loader.load(stdout=io.StringIO())
    assert not Control.objects.exists()


def test_load_catalogs_loads_threats_before_the_controls_that_name_them(db) -> None:  # type: ignore[no-untyped-def]
    call_command("load_catalogs", stdout=io.StringIO())
    named = {code for c in _yaml("controls.yaml")["controls"] for code in c.get("threats") or []}
    assert set(ControlThreat.objects.values_list("threat__code", flat=True)) == named
