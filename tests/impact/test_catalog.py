"""The integrated assessment's catalog: every section cites the provisions it serves,
the content each law asks for is there, its requirement refs exist in the requirement
catalogs, and the crosswalk maps the control to all three laws."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from riskhub.compliance.models import ControlRequirement
from riskhub.impact import catalog, catalog_loader
from riskhub.impact.models import AssessmentTemplate

TEMPLATE = catalog.parse(catalog.read())


def cites(law: str) -> set[str]:
    return {p.cite for s in TEMPLATE.sections for p in s.provisions if p.framework == law}


@pytest.mark.parametrize(
    ("law", "cite"),
    [
        # AI Act Art 27: points (a)-(f) and the notification of results (27(3)).
        ("eu-ai-act", "Art 27(1)(a)"),
        ("eu-ai-act", "Art 27(1)(b)"),
        ("eu-ai-act", "Art 27(1)(c)"),
        ("eu-ai-act", "Art 27(1)(d)"),
        ("eu-ai-act", "Art 27(1)(e)"),
        ("eu-ai-act", "Art 27(1)(f)"),
        ("eu-ai-act", "Art 27(3)"),
        # GDPR Art 35(7): description, necessity and proportionality, risks, measures;
        # review on change (35(11)); prior consultation (Art 36).
        ("gdpr", "Art 35(7)(a)"),
        ("gdpr", "Art 35(7)(b)"),
        ("gdpr", "Art 35(7)(c)"),
        ("gdpr", "Art 35(7)(d)"),
        ("gdpr", "Art 35(11)"),
        ("gdpr", "Art 36"),
        # CPPA: stakeholders, report content, goal, timing, submission.
        ("ccpa", "11 CCR 7151"),
        ("ccpa", "11 CCR 7152"),
        ("ccpa", "11 CCR 7154(a)"),
        ("ccpa", "11 CCR 7155"),
        ("ccpa", "11 CCR 7157"),
    ],
)
def test_each_law_s_content_has_a_section(law: str, cite: str) -> None:
    assert cite in cites(law)


# The 11 CCR 7152 report content (REGULATORY.md), each with the question that records
# it; the approval date and approvers come from the sign-off itself.
CPPA_7152 = {
    "specific purpose": "purpose",
    "categories of personal information": "categories",
    "minimum necessary": "minimum_necessary",
    "operational elements: collection": "collection",
    "operational elements: retention": "retention",
    "operational elements: recipients": "recipients",
    "benefits": "benefits",
    "negative impacts": "harms",
    "safeguards": "safeguards",
    "whether to proceed": "decision",
    "contributors": "contributors",
}


@pytest.mark.parametrize(("element", "key"), sorted(CPPA_7152.items()))
def test_every_7152_element_has_a_question_in_a_section_citing_7152(element: str, key: str) -> None:
    section = next(s for s in TEMPLATE.sections if key in {f.key for f in s.fields})
    assert "11 CCR 7152" in {p.cite for p in section.provisions}, element
    assert "ccpa" in section.laws


@pytest.mark.parametrize(
    ("laws", "only"),
    [
        ({"eu-ai-act"}, {"use_period", "oversight", "governance", "notification"}),
        ({"gdpr"}, {"necessity", "data", "operations", "consultation", "conclusion", "review"}),
        (
            {"ccpa"},
            {
                "benefits",
                "data",
                "operations",
                "consultation",
                "conclusion",
                "review",
                "notification",
            },
        ),
    ],
)
def test_sections_shown_follow_the_laws_that_apply(laws: set[str], only: set[str]) -> None:
    shown = {s.key for s in TEMPLATE.sections_for(laws)}
    shared = {"system", "affected", "risks", "measures"}
    assert shown == shared | only


def test_no_law_applying_shows_every_section() -> None:
    assert len(TEMPLATE.sections_for(set())) == len(TEMPLATE.sections)


def test_unverified_citations_say_so() -> None:
    notes = {p.cite: p.note for s in TEMPLATE.sections for p in s.provisions}
    assert "UNVERIFIED" in notes["Art 35(2)"] and "UNVERIFIED" in notes["Art 35(9)"]
    header = catalog.CATALOG_PATH.read_text(encoding="utf-8").split("version:")[0]
    for cite in ("Art 27(1)", "35(7)", "7152"):
        assert cite in header and "UNVERIFIED" in header


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sections"][0].update(laws=["hipaa"]), "unknown law"),
        (lambda d: d["sections"][1]["provisions"].clear(), "provisions must cite"),
        (lambda d: d["sections"][1]["fields"][0].update(type="slider"), "type must be"),
        (lambda d: d["sections"][1]["fields"].append(dict(d["sections"][1]["fields"][0])), "twice"),
        (lambda d: d["sections"][0]["fields"][0].update(prefill="salary"), "prefill"),
        (lambda d: d["anchors"].pop(), "one requirement per law"),
    ],
)
def test_a_malformed_catalog_is_refused(change: Any, message: str) -> None:
    data = json.loads(json.dumps(catalog.read()))
    change(data)
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.parse(data)


@pytest.mark.django_db
def test_every_requirement_ref_exists_and_loading_is_idempotent(catalogs) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    first = catalog_loader.load(stdout=out)
    second = catalog_loader.load(stdout=out)
    assert first.pk == second.pk and AssessmentTemplate.objects.count() == 1
    assert "unchanged" in out.getvalue()


@pytest.mark.django_db
def test_an_unknown_requirement_ref_is_refused(catalogs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = catalog.read()
    data["sections"][0]["requirements"].append({"framework": "gdpr", "ref": "Art. 99"})
    monkeypatch.setattr(catalog, "read", lambda: data)
    with pytest.raises(catalog.CatalogError, match="gdpr Art. 99"):
        catalog_loader.load(stdout=io.StringIO())


@pytest.mark.django_db
def test_a_changed_catalog_under_the_same_version_is_refused(catalogs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    data = catalog.read()
    data["sections"][0]["title"] = "Changed"
    monkeypatch.setattr(catalog, "read", lambda: data)
    with pytest.raises(catalog.CatalogError, match="new version"):
        catalog_loader.load(stdout=io.StringIO())


# The crosswalk: the integrated control and what it maps to in each law.
EXPECTED_MAPPING = {
    ("eu-ai-act", "Art. 27"): "full",
    ("eu-ai-act", "Art. 26"): "partial",
    ("gdpr", "Art. 35"): "full",
    ("gdpr", "Art. 36"): "partial",
    ("ccpa", "11 CCR 7150"): "full",
    ("ccpa", "11 CCR 7151"): "full",
    ("ccpa", "11 CCR 7152"): "full",
    ("ccpa", "11 CCR 7154"): "full",
    ("ccpa", "11 CCR 7155"): "full",
    ("ccpa", "11 CCR 7156"): "full",
    ("ccpa", "11 CCR 7157"): "partial",
}


@pytest.mark.django_db
def test_the_control_maps_to_all_three_laws_as_the_table_says(catalogs) -> None:  # type: ignore[no-untyped-def]
    rows = ControlRequirement.objects.filter(control__code=TEMPLATE.control).values_list(
        "requirement__framework__slug", "requirement__ref", "coverage"
    )
    assert {(slug, ref): coverage for slug, ref, coverage in rows} == EXPECTED_MAPPING
    # Every anchor is mapped in full, and every requirement a section names is mapped.
    for anchor in TEMPLATE.anchors:
        assert EXPECTED_MAPPING[anchor] == "full"
    named = {r for s in TEMPLATE.sections for r in s.requirements}
    assert named <= set(EXPECTED_MAPPING)


@pytest.mark.django_db
def test_export_catalog_lists_the_control_with_its_mappings(catalogs) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    out = io.StringIO()
    call_command("export_catalog", stdout=out)
    exported = json.loads(out.getvalue())
    controls = {c["code"]: c for c in exported["controls"]}
    mapped = {
        (m["framework"], m["ref"]): m["coverage"]
        for m in controls[TEMPLATE.control]["requirements"]
    }
    assert mapped == EXPECTED_MAPPING
