"""Applicability is a pure function of the catalog rules and the fact tokens."""

from __future__ import annotations

import datetime as dt

import pytest

from riskhub.compliance import applicability
from riskhub.compliance.catalog_loader import (
    CATALOG_DIR,
    normalise_dates,
    normalise_rule,
    read_yaml,
)

from .conftest import HR_SCREENER, facts_for


def _specs() -> list[applicability.RequirementSpec]:
    specs = []
    for slug in ("eu-ai-act", "gdpr", "ccpa"):
        for item in read_yaml(CATALOG_DIR / f"{slug}.yaml")["requirements"]:
            specs.append(
                applicability.RequirementSpec(
                    (slug, item["ref"]),
                    applicability.Rule.from_json(normalise_rule(item.get("applies_if"), "")),
                    applicability.parse_dates(normalise_dates(item.get("applies_from"), "")),
                )
            )
    return specs


def _obligations(answers: dict, via: str = "") -> dict:
    sources = [applicability.FactSource(frozenset(facts_for(answers)), via=via)]
    return {o.key: o for o in applicability.evaluate(_specs(), sources)}


GPAI_PROVIDER = {
    "is_ai_system": False,
    "general_purpose": True,
    "training_flops": 3e25,
    "role": "provider",
}
NOT_AI = {
    "is_ai_system": False,
    "general_purpose": False,
    "role": "provider",
    "gdpr": {"personal_data": True},
}
ADMT_BUSINESS = {
    "is_ai_system": False,
    "ccpa": {
        "california_consumers": True,
        "business_thresholds_met": True,
        "admt_significant_decisions": True,
    },
}

CASES = [
    # (name, answers, requirement, applies?, date, reason fragments)
    (
        "deployer 4(a)",
        HR_SCREENER,
        ("eu-ai-act", "Art. 26"),
        True,
        dt.date(2027, 12, 2),
        ["Annex III point 4(a)", "role: deployer"],
    ),
    (
        "deployer 4(a)",
        HR_SCREENER,
        ("eu-ai-act", "Art. 86"),
        True,
        dt.date(2027, 12, 2),
        ["Annex III point 4(a)"],
    ),
    (
        "deployer 4(a)",
        HR_SCREENER,
        ("eu-ai-act", "Art. 4"),
        True,
        dt.date(2025, 2, 2),
        ["role: deployer"],
    ),
    ("deployer 4(a)", HR_SCREENER, ("eu-ai-act", "Art. 9"), False, None, []),
    ("deployer 4(a)", HR_SCREENER, ("eu-ai-act", "Art. 55"), False, None, []),
    (
        "deployer 4(a)",
        HR_SCREENER,
        ("gdpr", "Art. 22"),
        True,
        dt.date(2018, 5, 25),
        ["solely automated decisions"],
    ),
    (
        "GPAI > 10^25",
        GPAI_PROVIDER,
        ("eu-ai-act", "Art. 55"),
        True,
        dt.date(2025, 8, 2),
        ["GPAI model with systemic risk", "role: provider"],
    ),
    (
        "GPAI > 10^25",
        GPAI_PROVIDER,
        ("eu-ai-act", "Art. 53"),
        True,
        dt.date(2025, 8, 2),
        ["general-purpose AI model"],
    ),
    ("GPAI > 10^25", GPAI_PROVIDER, ("eu-ai-act", "Art. 26"), False, None, []),
    (
        "ADMT business",
        ADMT_BUSINESS,
        ("ccpa", "11 CCR 7220"),
        True,
        dt.date(2027, 1, 1),
        ["ADMT used for significant decisions"],
    ),
    (
        "ADMT business",
        ADMT_BUSINESS,
        ("ccpa", "11 CCR 7150"),
        True,
        dt.date(2026, 1, 1),
        ["11 CCR 7150(b) risk-assessment trigger"],
    ),
    ("ADMT business", ADMT_BUSINESS, ("ccpa", "1798.100"), True, dt.date(2023, 1, 1), []),
    ("not an AI system", NOT_AI, ("eu-ai-act", "Art. 4"), False, None, []),
    ("not an AI system", NOT_AI, ("gdpr", "Art. 5"), True, dt.date(2018, 5, 25), []),
]


@pytest.mark.parametrize(
    ("name", "answers", "key", "applies", "date", "fragments"),
    CASES,
    ids=[f"{c[0]}-{c[2][1]}" for c in CASES],
)
def test_applicability_table(name, answers, key, applies, date, fragments) -> None:  # type: ignore[no-untyped-def]
    obligations = _obligations(answers)
    assert (key in obligations) is applies
    if applies:
        assert obligations[key].applies_from == date
        for fragment in fragments:
            assert fragment in obligations[key].reason


def test_not_an_ai_system_has_no_ai_act_obligation() -> None:
    assert not [k for k in _obligations(NOT_AI) if k[0] == "eu-ai-act"]


def test_a_gpai_provider_gets_only_model_obligations_not_high_risk_ones() -> None:
    refs = {k[1] for k in _obligations(GPAI_PROVIDER) if k[0] == "eu-ai-act"}
    assert {"Art. 53", "Art. 55"} <= refs
    assert not refs & {"Art. 9", "Art. 26", "Art. 50"}


def test_exactly_10_to_the_25_flops_is_not_systemic() -> None:
    refs = {k[1] for k in _obligations({**GPAI_PROVIDER, "training_flops": 1e25})}
    assert "Art. 53" in refs and "Art. 55" not in refs


def test_upcoming_obligation_counts_down_in_days() -> None:
    obligation = _obligations(HR_SCREENER)[("eu-ai-act", "Art. 26")]
    today = dt.date(2027, 11, 22)
    assert not obligation.in_force(today)
    assert obligation.days_until(today) == 10
    assert obligation.in_force(dt.date(2027, 12, 2))


def test_a_component_inherits_with_the_system_named() -> None:
    sources = [applicability.FactSource(frozenset(facts_for(HR_SCREENER)), via="HR screener")]
    obligations = {o.key: o for o in applicability.evaluate(_specs(), sources)}
    assert "(via system “HR screener”)" in obligations[("eu-ai-act", "Art. 26")].reason


def test_first_matching_date_entry_wins() -> None:
    entries = applicability.parse_dates(
        [
            {"date": "2027-12-02", "condition": "Annex III", "when": ["annex_iii"]},
            {"date": "2028-08-02", "condition": "Annex I", "when": ["annex_i"]},
            {"date": "2027-12-02", "condition": "default"},
        ]
    )
    assert applicability.applies_from(entries, {"annex_i"}).date == dt.date(2028, 8, 2)
    assert applicability.applies_from(entries, {"annex_iii", "annex_i"}).condition == "Annex III"
    assert applicability.applies_from(entries, set()).condition == "default"


@pytest.mark.parametrize(
    ("rule", "facts", "expected"),
    [
        ({}, set(), []),
        ({"all": ["a", "b"]}, {"a"}, None),
        ({"all": ["a"], "any": ["x", "y"]}, {"a", "y"}, ["a", "y"]),
        ({"any": ["x"]}, {"a"}, None),
        ({"all": ["a"], "none": ["n"]}, {"a", "n"}, None),
    ],
)
def test_rule_semantics(rule, facts, expected) -> None:  # type: ignore[no-untyped-def]
    assert applicability.Rule.from_json(rule).match(frozenset(facts)) == expected
