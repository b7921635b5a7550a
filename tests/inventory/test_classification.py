"""The classifier's rules as a table: one row per rule, named for the behaviour it pins."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from riskhub.inventory.classification import (
    ANNEX_III_POINTS,
    ART5_PRACTICES,
    ART_6_3_DEROGATIONS,
    CCPA_FLAGS,
    GDPR_FLAGS,
    ROLES,
    SYSTEMIC_RISK_FLOPS,
    TRANSPARENCY_TRIGGERS,
    InvalidAnswers,
    classify,
    facts,
    validate_answers,
    vocabulary,
)

ART5_CODES = [
    "5(1)(a)",
    "5(1)(b)",
    "5(1)(ba)",
    "5(1)(bb)",
    "5(1)(c)",
    "5(1)(d)",
    "5(1)(e)",
    "5(1)(f)",
    "5(1)(g)",
    "5(1)(h)",
]
ANNEX_III_CODES = [
    "1(a)", "1(b)", "1(c)", "2", "3(a)", "3(b)", "3(c)", "3(d)", "4(a)", "4(b)",
    "5(a)", "5(b)", "5(c)", "5(d)", "6(a)", "6(b)", "6(c)", "6(d)", "6(e)",
    "7(a)", "7(b)", "7(c)", "7(d)", "8(a)", "8(b)",
]  # fmt: skip
ART50_CODES = ["50(1)", "50(2)", "50(3)", "50(4)"]


def ai(**answers: Any) -> dict[str, Any]:
    """Answers for an AI system within Art 3(1)."""
    return {"is_ai_system": True, **answers}


def reasons_of(result: dict[str, Any], framework: str = "eu_ai_act") -> str:
    return "\n".join(result[framework]["reasons"])


# --- EU AI Act tier -----------------------------------------------------------------------

# (answers, expected tier, expected transparency obligations)
TIER_CASES = [
    # Art 5: every practice, including the Omnibus additions, is prohibited.
    *[
        pytest.param(ai(prohibited_practices=[code]), "prohibited", [], id=f"art-{code}-prohibits")
        for code in ART5_CODES
    ],
    pytest.param(
        ai(prohibited_practices=["5(1)(a)", "5(1)(h)"]),
        "prohibited",
        [],
        id="two-art-5-practices-are-prohibited",
    ),
    # Art 6(1) / Annex I.
    pytest.param(ai(annex_i_safety_component=True), "high", [], id="annex-i-component-is-high"),
    # Art 6(2) / Annex III: every point of every area.
    *[
        pytest.param(ai(annex_iii_points=[point]), "high", [], id=f"annex-iii-{point}-is-high")
        for point in ANNEX_III_CODES
    ],
    pytest.param(
        ai(annex_iii_points=["4(a)", "5(b)"]), "high", [], id="two-annex-iii-points-are-high"
    ),
    # Art 6(3): each derogation lowers the tier, unless the system profiles people.
    *[
        pytest.param(
            ai(annex_iii_points=["4(a)"], art_6_3_derogations=[letter]),
            "minimal",
            [],
            id=f"derogation-{letter}-without-profiling-is-not-high",
        )
        for letter in "abcd"
    ],
    *[
        pytest.param(
            ai(annex_iii_points=["4(a)"], art_6_3_derogations=[letter], performs_profiling=True),
            "high",
            [],
            id=f"derogation-{letter}-with-profiling-stays-high",
        )
        for letter in "abcd"
    ],
    pytest.param(
        ai(annex_iii_points=["3(b)"], art_6_3_derogations=["a", "d"], performs_profiling=True),
        "high",
        [],
        id="several-derogations-with-profiling-stay-high",
    ),
    pytest.param(
        ai(annex_iii_points=["5(b)"], performs_profiling=True),
        "high",
        [],
        id="profiling-annex-iii-without-derogation-is-high",
    ),
    pytest.param(
        ai(annex_iii_points=["4(b)"], art_6_3_derogations=["c"], transparency_triggers=["50(1)"]),
        "limited",
        ["50(1)"],
        id="derogated-chatbot-falls-to-limited",
    ),
    pytest.param(
        ai(art_6_3_derogations=["a"]),
        "minimal",
        [],
        id="derogation-without-annex-iii-point-changes-nothing",
    ),
    pytest.param(
        ai(annex_i_safety_component=True, annex_iii_points=["2"], art_6_3_derogations=["a"]),
        "high",
        [],
        id="derogation-cannot-lower-an-annex-i-system",
    ),
    pytest.param(ai(performs_profiling=True), "minimal", [], id="profiling-alone-is-not-high-risk"),
    # Art 50: each trigger alone makes the system limited ...
    *[
        pytest.param(
            ai(transparency_triggers=[code]), "limited", [code], id=f"art-{code}-alone-is-limited"
        )
        for code in ART50_CODES
    ],
    pytest.param(
        ai(transparency_triggers=["50(4)", "50(1)", "50(1)"]),
        "limited",
        ["50(1)", "50(4)"],
        id="art-50-triggers-are-listed-once-in-order",
    ),
    # ... and is listed whatever the tier.
    *[
        pytest.param(
            ai(annex_iii_points=["4(a)"], transparency_triggers=[code]),
            "high",
            [code],
            id=f"high-risk-system-with-art-{code}-lists-it",
        )
        for code in ART50_CODES
    ],
    pytest.param(
        ai(annex_i_safety_component=True, transparency_triggers=ART50_CODES),
        "high",
        ART50_CODES,
        id="high-risk-system-lists-all-four-art-50-duties",
    ),
    pytest.param(
        ai(prohibited_practices=["5(1)(f)"], transparency_triggers=["50(3)"]),
        "prohibited",
        ["50(3)"],
        id="prohibited-system-still-lists-art-50-duty",
    ),
    pytest.param(
        ai(general_purpose=True, transparency_triggers=["50(2)"]),
        "gpai",
        ["50(2)"],
        id="gpai-system-generating-content-lists-art-50-2",
    ),
    # GPAI and the 10^25 FLOPs presumption ("greater than").
    pytest.param(ai(general_purpose=True), "gpai", [], id="gpai-without-compute-is-gpai"),
    pytest.param(
        ai(general_purpose=True, training_flops=0), "gpai", [], id="gpai-with-zero-compute"
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=5e24), "gpai", [], id="gpai-below-1e25-is-gpai"
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=1e25),
        "gpai",
        [],
        id="gpai-at-exactly-1e25-is-not-systemic",
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=10**25),
        "gpai",
        [],
        id="gpai-at-exactly-10-to-the-25-as-integer-is-not-systemic",
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=1.0000001e25),
        "gpai-systemic",
        [],
        id="gpai-just-above-1e25-is-systemic",
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=3 * 10**26),
        "gpai-systemic",
        [],
        id="gpai-far-above-1e25-is-systemic",
    ),
    pytest.param(
        {"general_purpose": True, "training_flops": 2e25},
        "gpai-systemic",
        [],
        id="gpai-model-that-is-not-an-ai-system-is-in-scope-as-systemic",
    ),
    pytest.param(
        {"is_ai_system": False, "general_purpose": True},
        "gpai",
        [],
        id="gpai-model-that-is-not-an-ai-system-is-in-scope",
    ),
    pytest.param(
        ai(training_flops=5e25), "minimal", [], id="compute-without-general-purpose-is-not-gpai"
    ),
    # Not an AI system.
    pytest.param({}, "out-of-scope", [], id="no-answers-is-out-of-scope"),
    pytest.param({"is_ai_system": False}, "out-of-scope", [], id="not-an-ai-system"),
    pytest.param(
        {
            "is_ai_system": False,
            "prohibited_practices": ["5(1)(c)"],
            "annex_iii_points": ["4(a)"],
            "transparency_triggers": ["50(1)"],
        },
        "out-of-scope",
        [],
        id="system-rules-do-not-apply-to-a-non-ai-system",
    ),
    pytest.param(ai(), "minimal", [], id="ai-system-with-no-triggers-is-minimal"),
    # Precedence: out-of-scope < minimal < limited < gpai < gpai-systemic < high < prohibited.
    pytest.param(
        ai(prohibited_practices=["5(1)(c)"], annex_iii_points=["5(a)"]),
        "prohibited",
        [],
        id="prohibited-beats-high",
    ),
    pytest.param(
        ai(
            prohibited_practices=["5(1)(a)"],
            general_purpose=True,
            training_flops=2e25,
            transparency_triggers=["50(1)"],
        ),
        "prohibited",
        ["50(1)"],
        id="prohibited-beats-gpai-systemic-and-limited",
    ),
    pytest.param(
        ai(annex_iii_points=["8(b)"], general_purpose=True, training_flops=2e25),
        "high",
        [],
        id="high-beats-gpai-systemic",
    ),
    pytest.param(
        ai(annex_i_safety_component=True, general_purpose=True),
        "high",
        [],
        id="high-beats-gpai",
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=2e25, transparency_triggers=["50(1)"]),
        "gpai-systemic",
        ["50(1)"],
        id="gpai-systemic-beats-limited",
    ),
    pytest.param(
        ai(general_purpose=True, transparency_triggers=["50(1)"]),
        "gpai",
        ["50(1)"],
        id="gpai-beats-limited",
    ),
]


@pytest.mark.parametrize(("answers", "tier", "obligations"), TIER_CASES)
def test_tier_and_transparency_duties_follow_the_rules(
    answers: dict[str, Any], tier: str, obligations: list[str]
) -> None:
    result = classify(answers)["eu_ai_act"]
    assert result["tier"] == tier
    assert result["transparency_obligations"] == obligations
    assert result["reasons"], "every tier is explained"


@pytest.mark.parametrize(("answers", "tier", "obligations"), TIER_CASES)
def test_facts_agree_with_the_classification(
    answers: dict[str, Any], tier: str, obligations: list[str]
) -> None:
    tokens = facts(answers)
    assert tokens == sorted(tokens)
    assert [token for token in tokens if token.startswith("tier:")] == [f"tier:{tier}"]
    assert [t for t in tokens if t.startswith("transparency:")] == [
        f"transparency:{code}" for code in sorted(obligations)
    ]
    assert ("ai_system" in tokens) == bool(answers.get("is_ai_system"))
    for token in tokens:
        assert token in vocabulary(), f"{token} is not in the classifier's vocabulary"


# --- fact tokens for representative assets -------------------------------------------------

FACT_CASES = [
    pytest.param({}, None, ["tier:out-of-scope"], id="non-ai-system-has-only-its-tier"),
    pytest.param(
        ai(
            annex_iii_points=["4(a)"],
            transparency_triggers=["50(1)"],
            role="deployer",
            gdpr={"personal_data": True, "automated_decisions": True},
            ccpa={"california_consumers": True, "sells_or_shares": True},
        ),
        {"eu_established": True, "gdpr_role": "controller", "ccpa_business": True},
        [
            "ai_system",
            "annex_iii",
            "annex_iii:4",
            "annex_iii:4(a)",
            "ca:personal_information",
            "ccpa:applies",
            "ccpa:risk_assessment",
            "ccpa:sells_or_shares",
            "gdpr:applies",
            "gdpr:automated_decisions",
            "gdpr:controller",
            "gdpr:dpia_required",
            "org:eu_established",
            "personal_data",
            "role:deployer",
            "tier:high",
            "transparency:50(1)",
        ],
        id="recruitment-chatbot-deployer-with-gdpr-and-ccpa",
    ),
    pytest.param(
        ai(annex_iii_points=["4(a)"], art_6_3_derogations=["a"], role="provider"),
        None,
        [
            "ai_system",
            "annex_iii:4",
            "annex_iii:4(a)",
            "art_6_3_derogation",
            "role:provider",
            "tier:minimal",
        ],
        id="derogated-annex-iii-system-keeps-its-point-but-not-annex-iii",
    ),
    pytest.param(
        ai(annex_i_safety_component=True, annex_iii_points=["5(b)"], art_6_3_derogations=["d"]),
        None,
        ["ai_system", "annex_i", "annex_iii:5", "annex_iii:5(b)", "tier:high"],
        id="annex-i-system-is-not-tagged-as-derogated",
    ),
    pytest.param(
        ai(annex_iii_points=["2"]),
        None,
        ["ai_system", "annex_iii", "annex_iii:2", "tier:high"],
        id="annex-iii-point-2-has-no-letter",
    ),
    pytest.param(
        ai(annex_iii_points=["6(a)", "6(e)"]),
        None,
        ["ai_system", "annex_iii", "annex_iii:6", "annex_iii:6(a)", "annex_iii:6(e)", "tier:high"],
        id="two-points-of-one-area-give-the-area-once",
    ),
    pytest.param(
        {"general_purpose": True, "training_flops": 2e25, "role": "provider"},
        None,
        ["gpai", "gpai-systemic", "role:provider", "tier:gpai-systemic"],
        id="systemic-gpai-model-has-both-gpai-tokens",
    ),
    pytest.param(
        ai(general_purpose=True, training_flops=1e25),
        None,
        ["ai_system", "gpai", "tier:gpai"],
        id="gpai-at-threshold-has-no-systemic-token",
    ),
    pytest.param(
        ai(prohibited_practices=["5(1)(ba)", "5(1)(bb)"]),
        {"public_body": True},
        [
            "ai_system",
            "org:public_body",
            "prohibited:5(1)(ba)",
            "prohibited:5(1)(bb)",
            "tier:prohibited",
        ],
        id="omnibus-prohibitions-and-public-body",
    ),  # fmt: skip
    pytest.param(
        ai(role=["provider", "deployer"], gdpr={"personal_data": True}),
        {"gdpr_role": "processor", "eu_established": True},
        [
            "ai_system",
            "gdpr:applies",
            "gdpr:processor",
            "org:eu_established",
            "personal_data",
            "role:deployer",
            "role:provider",
            "tier:minimal",
        ],
        id="processor-with-two-roles",
    ),  # fmt: skip
    pytest.param(
        ai(gdpr={"personal_data": True, "eu_data_subjects": True}),
        {"gdpr_role": "joint-controller"},
        ["ai_system", "gdpr:applies", "gdpr:controller", "personal_data", "tier:minimal"],
        id="joint-controller-is-a-controller",
    ),
    pytest.param(
        ai(gdpr={"personal_data": False}),
        {"gdpr_role": "controller"},
        ["ai_system", "tier:minimal"],
        id="gdpr-role-is-not-a-fact-when-gdpr-does-not-apply",
    ),
    pytest.param(
        ai(
            gdpr={
                "personal_data": True,
                "special_categories": True,
                "large_scale": True,
                "children": True,
                "transfers_outside_eu": True,
            },
            ccpa={
                "california_consumers": True,
                "business_thresholds_met": True,
                "sensitive_pi": True,
                "admt_significant_decisions": True,
            },
        ),
        {"ccpa_cyber_audit": True, "eu_established": True},
        [
            "ai_system",
            "ca:personal_information",
            "ccpa:admt",
            "ccpa:applies",
            "ccpa:cyber_audit",
            "ccpa:risk_assessment",
            "ccpa:sensitive_pi",
            "gdpr:applies",
            "gdpr:children",
            "gdpr:dpia_required",
            "gdpr:large_scale",
            "gdpr:special_categories",
            "gdpr:transfers",
            "org:eu_established",
            "personal_data",
            "tier:minimal",
        ],
        id="every-gdpr-and-ccpa-flag-becomes-a-token",
    ),
]


@pytest.mark.parametrize(("answers", "org", "expected"), FACT_CASES)
def test_facts_are_the_catalog_tokens(
    answers: dict[str, Any], org: dict[str, Any] | None, expected: list[str]
) -> None:
    assert facts(answers, org) == expected


# --- roles ---------------------------------------------------------------------------------

ROLE_CASES = [
    pytest.param("provider", ["role:provider"], id="single-role-as-string"),
    pytest.param(["deployer"], ["role:deployer"], id="single-role-as-list"),
    pytest.param(
        ["importer", "distributor"], ["role:distributor", "role:importer"], id="two-roles"
    ),
    pytest.param(
        ["provider", "deployer", "importer", "distributor"],
        ["role:deployer", "role:distributor", "role:importer", "role:provider"],
        id="all-four-roles",
    ),
    pytest.param(["provider", "provider"], ["role:provider"], id="repeated-role-counts-once"),
    pytest.param([], [], id="empty-role-list-gives-no-role"),
    pytest.param(None, [], id="missing-role-gives-no-role"),
]


@pytest.mark.parametrize(("role", "expected"), ROLE_CASES)
def test_roles_become_role_tokens(role: Any, expected: list[str]) -> None:
    tokens = facts(ai(annex_iii_points=["4(a)"], role=role))
    assert [token for token in tokens if token.startswith("role:")] == expected


def test_reasons_name_the_roles() -> None:
    result = classify(ai(annex_i_safety_component=True, role=["provider", "deployer"]))
    assert "roles: provider, deployer" in reasons_of(result)


def test_missing_role_is_pointed_out() -> None:
    assert "No AI Act role" in reasons_of(classify(ai(annex_iii_points=["4(a)"])))


# --- GDPR ----------------------------------------------------------------------------------

PD = {"personal_data": True}
EU = {"eu_established": True}

# (answers, org, applies, flags)
GDPR_CASES = [
    pytest.param(ai(), None, False, [], id="no-personal-data-no-gdpr"),
    # Issue 15 item 5 (GDPR Art 3(2)): unanswered is not "yes".
    pytest.param(ai(gdpr=PD), None, False, [], id="eu-data-subjects-unanswered-stays-undecided"),
    pytest.param(
        ai(gdpr={**PD, "eu_data_subjects": True}), None, True, [], id="eu-data-subjects-art-3-2"
    ),
    pytest.param(
        ai(gdpr={**PD, "eu_data_subjects": False}),
        None,
        False,
        [],
        id="no-eu-link-at-all-no-gdpr",
    ),
    pytest.param(
        ai(gdpr={**PD, "eu_data_subjects": False}),
        {"eu_established": True},
        True,
        [],
        id="eu-establishment-art-3-1-applies-without-eu-data-subjects",
    ),
    pytest.param(
        ai(gdpr={**PD, "eu_data_subjects": False}),
        {"eu_established": False},
        False,
        [],
        id="non-eu-organisation-without-eu-data-subjects",
    ),
    pytest.param(
        ai(gdpr={**PD, "special_categories": True}),
        EU,
        True,
        ["special_categories"],
        id="special-categories-flag",
    ),
    pytest.param(
        ai(gdpr={**PD, "large_scale": True}), EU, True, ["large_scale"], id="large-scale-flag"
    ),
    pytest.param(ai(gdpr={**PD, "children": True}), EU, True, ["children"], id="children-flag"),
    pytest.param(
        ai(gdpr={**PD, "transfers_outside_eu": True}),
        EU,
        True,
        ["transfers"],
        id="transfers-flag",
    ),
    pytest.param(
        ai(gdpr={**PD, "automated_decisions": True}),
        EU,
        True,
        ["automated_decisions", "dpia_required"],
        id="automated-decisions-require-a-dpia",
    ),
    pytest.param(
        ai(gdpr={**PD, "special_categories": True, "large_scale": True}),
        EU,
        True,
        ["special_categories", "large_scale", "dpia_required"],
        id="large-scale-special-categories-require-a-dpia",
    ),
    pytest.param(
        ai(annex_iii_points=["5(b)"], gdpr=PD),
        EU,
        True,
        ["dpia_required"],
        id="high-risk-ai-with-personal-data-requires-a-dpia",
    ),
    pytest.param(
        ai(transparency_triggers=["50(1)"], gdpr=PD),
        EU,
        True,
        [],
        id="limited-risk-ai-with-personal-data-needs-no-dpia-by-itself",
    ),
    pytest.param(
        ai(annex_iii_points=["5(b)"]),
        None,
        False,
        [],
        id="high-risk-ai-without-personal-data-has-no-gdpr",
    ),
    pytest.param(
        ai(gdpr={"special_categories": True, "automated_decisions": True}),
        None,
        False,
        [],
        id="flags-without-personal-data-are-not-used",
    ),
]


@pytest.mark.parametrize(("answers", "org", "applies", "flags"), GDPR_CASES)
def test_gdpr_applicability_and_flags(
    answers: dict[str, Any], org: dict[str, Any] | None, applies: bool, flags: list[str]
) -> None:
    result = classify(answers, org)["gdpr"]
    assert result["applies"] is applies
    assert result["flags"] == flags
    assert result["reasons"]
    assert ("gdpr:applies" in facts(answers, org)) is applies


def test_gdpr_reasons_cite_the_territorial_ground() -> None:
    assert "Art. 3(1)" in reasons_of(classify(ai(gdpr=PD), {"eu_established": True}), "gdpr")
    assert "Art. 3(2)" in reasons_of(classify(ai(gdpr=PD)), "gdpr")
    outside = classify(ai(gdpr={**PD, "eu_data_subjects": False}))
    assert "territorial scope" in reasons_of(outside, "gdpr")


def test_dpia_reason_cites_article_35() -> None:
    result = classify(ai(annex_iii_points=["4(a)"], gdpr={**PD, "automated_decisions": True}), EU)
    text = reasons_of(result, "gdpr")
    assert "Art. 35(3)(a)" in text
    assert "high-risk AI system" in text


def test_unused_gdpr_flags_are_pointed_out() -> None:
    result = classify(ai(gdpr={"children": True}))
    assert "children" in reasons_of(result, "gdpr")
    assert "personal_data" in reasons_of(result, "gdpr")


# --- CCPA ----------------------------------------------------------------------------------

CA = {"california_consumers": True}
CA_BUSINESS = {**CA, "business_thresholds_met": True}

# (answers, org, applies, flags)
CCPA_CASES = [
    pytest.param(ai(), None, False, [], id="no-california-consumers-no-ccpa"),
    pytest.param(
        ai(ccpa={"business_thresholds_met": True}),
        {"ccpa_business": True},
        False,
        [],
        id="business-without-california-consumers-no-ccpa",
    ),
    pytest.param(ai(ccpa=CA), None, False, [], id="unknown-thresholds-no-ccpa"),
    pytest.param(
        ai(ccpa={**CA, "business_thresholds_met": False}),
        None,
        False,
        [],
        id="thresholds-not-met-no-ccpa",
    ),
    pytest.param(ai(ccpa=CA_BUSINESS), None, True, [], id="thresholds-met-in-answers"),
    pytest.param(
        ai(ccpa=CA), {"ccpa_business": True}, True, [], id="thresholds-met-in-org-profile"
    ),
    pytest.param(
        ai(ccpa=CA), {"ccpa_business": False}, False, [], id="org-profile-says-not-a-business"
    ),
    pytest.param(
        ai(ccpa={**CA, "business_thresholds_met": False}),
        {"ccpa_business": True},
        False,
        [],
        id="answer-overrides-org-profile-to-not-met",
    ),
    pytest.param(
        ai(ccpa=CA_BUSINESS),
        {"ccpa_business": False},
        True,
        [],
        id="answer-overrides-org-profile-to-met",
    ),
    pytest.param(
        ai(ccpa={**CA_BUSINESS, "sells_or_shares": True}),
        None,
        True,
        ["sells_or_shares", "risk_assessment"],
        id="selling-or-sharing-requires-a-risk-assessment",
    ),
    pytest.param(
        ai(ccpa={**CA_BUSINESS, "sensitive_pi": True}),
        None,
        True,
        ["sensitive_pi", "risk_assessment"],
        id="sensitive-pi-requires-a-risk-assessment",
    ),
    pytest.param(
        ai(ccpa={**CA_BUSINESS, "admt_significant_decisions": True}),
        None,
        True,
        ["admt", "risk_assessment"],
        id="admt-for-significant-decisions-requires-a-risk-assessment",
    ),
    pytest.param(
        ai(
            ccpa={
                **CA_BUSINESS,
                "sells_or_shares": True,
                "sensitive_pi": True,
                "admt_significant_decisions": True,
            }
        ),
        None,
        True,
        ["sells_or_shares", "sensitive_pi", "admt", "risk_assessment"],
        id="all-three-triggers-give-one-risk-assessment",
    ),
    pytest.param(
        ai(ccpa=CA_BUSINESS),
        {"ccpa_cyber_audit": True},
        True,
        ["cyber_audit"],
        id="org-meeting-7120-thresholds-needs-a-cyber-audit",
    ),
    pytest.param(
        ai(ccpa=CA),
        {"ccpa_cyber_audit": True},
        False,
        [],
        id="no-cyber-audit-flag-when-ccpa-does-not-apply",
    ),
    pytest.param(
        ai(ccpa={**CA, "sells_or_shares": True}),
        None,
        False,
        [],
        id="flags-are-not-raised-when-thresholds-are-unknown",
    ),
]


@pytest.mark.parametrize(("answers", "org", "applies", "flags"), CCPA_CASES)
def test_ccpa_applicability_and_flags(
    answers: dict[str, Any], org: dict[str, Any] | None, applies: bool, flags: list[str]
) -> None:
    result = classify(answers, org)["ccpa"]
    assert result["applies"] is applies
    assert result["flags"] == flags
    assert result["reasons"]
    ccpa_tokens = [token for token in facts(answers, org) if token.startswith("ccpa:")]
    assert ccpa_tokens == sorted([f"ccpa:{flag}" for flag in flags] + ["ccpa:applies"] * applies)


def test_unknown_ccpa_thresholds_are_explained() -> None:
    text = reasons_of(classify(ai(ccpa=CA)), "ccpa")
    assert "neither the answers nor the organisation profile" in text
    assert "1798.140(d)" in text


def test_ccpa_thresholds_not_met_are_explained_with_their_source() -> None:
    text = reasons_of(classify(ai(ccpa=CA), {"ccpa_business": False}), "ccpa")
    assert "does not meet" in text
    assert "organisation profile" in text


def test_risk_assessment_reason_cites_7150b() -> None:
    result = classify(ai(ccpa={**CA_BUSINESS, "admt_significant_decisions": True}))
    assert "11 CCR 7150(b)" in reasons_of(result, "ccpa")


# --- reasons -------------------------------------------------------------------------------


def test_annex_iii_reason_names_point_article_and_role() -> None:
    result = classify(ai(annex_iii_points=["4(a)"], role="deployer"))
    assert (
        "Annex III point 4(a) (employment: recruitment and selection) makes the system "
        "high-risk under Art. 6(2); role: deployer"
    ) in result["eu_ai_act"]["reasons"]


def test_profiling_reason_says_which_derogation_fails() -> None:
    answers = ai(annex_iii_points=["4(a)"], art_6_3_derogations=["a", "c"], performs_profiling=True)
    text = reasons_of(classify(answers))
    for letter in "ac":
        assert (
            f"Art. 6(3) derogation ({letter}) does not apply because the system performs "
            "profiling of natural persons"
        ) in text


def test_derogation_reason_points_to_documentation_and_registration() -> None:
    text = reasons_of(classify(ai(annex_iii_points=["3(b)"], art_6_3_derogations=["b"])))
    assert "Art. 6(3)" in text
    assert "Art. 6(4)" in text
    assert "Art. 49(2)" in text


def test_prohibited_reason_cites_the_practice() -> None:
    text = reasons_of(classify(ai(prohibited_practices=["5(1)(ba)"])))
    assert "Art. 5(1)(ba)" in text
    assert "2026/1744" in text


def test_systemic_risk_reasons_explain_the_threshold() -> None:
    assert "does not exceed" in reasons_of(classify(ai(general_purpose=True, training_flops=1e25)))
    above = reasons_of(classify(ai(general_purpose=True, training_flops=2e25)))
    assert "greater than 10^25" in above
    assert "Art. 51(2)" in above


def test_transparency_duty_is_explained_for_a_high_risk_system() -> None:
    result = classify(ai(annex_i_safety_component=True, transparency_triggers=["50(1)"]))
    text = reasons_of(result)
    assert "Art. 50(1)" in text
    assert "whatever the tier" in text


def test_precedence_is_explained_when_rules_compete() -> None:
    text = reasons_of(classify(ai(annex_iii_points=["4(a)"], general_purpose=True)))
    assert "strictest" in text


def test_non_ai_system_reason_lists_the_answers_that_were_not_used() -> None:
    text = reasons_of(classify({"annex_iii_points": ["4(a)"]}))
    assert "Art. 3(1)" in text
    assert "annex_iii_points" in text


def test_result_has_exactly_the_documented_shape() -> None:
    result = classify(ai())
    assert set(result) == {"eu_ai_act", "gdpr", "ccpa"}
    assert set(result["eu_ai_act"]) == {"tier", "transparency_obligations", "reasons"}
    assert set(result["gdpr"]) == {"applies", "flags", "reasons"}
    assert set(result["ccpa"]) == {"applies", "flags", "reasons"}
    json.dumps(result)  # serialisable as the command prints it


def test_org_can_be_given_inside_the_answers() -> None:
    answers = ai(gdpr={**PD, "eu_data_subjects": False}, org={"eu_established": True})
    assert classify(answers)["gdpr"]["applies"] is True
    assert "org:eu_established" in facts(answers)


def test_classify_does_not_change_the_answers() -> None:
    answers = ai(annex_iii_points=["4(a)"], role=["deployer"], gdpr=dict(PD))
    snapshot = json.dumps(answers, sort_keys=True)
    classify(answers, {"eu_established": True})
    assert json.dumps(answers, sort_keys=True) == snapshot


# --- the questionnaire constants -----------------------------------------------------------


def test_questionnaire_offers_every_statutory_choice() -> None:
    assert list(ART5_PRACTICES) == ART5_CODES
    assert list(ANNEX_III_POINTS) == ANNEX_III_CODES
    assert list(ART_6_3_DEROGATIONS) == ["a", "b", "c", "d"]
    assert list(TRANSPARENCY_TRIGGERS) == ART50_CODES
    assert list(ROLES) == ["provider", "deployer", "importer", "distributor"]
    assert SYSTEMIC_RISK_FLOPS == 1e25
    assert "eu_data_subjects" in GDPR_FLAGS
    assert "admt_significant_decisions" in CCPA_FLAGS
    labels = [*ART5_PRACTICES.values(), *ANNEX_III_POINTS.values()]
    assert all(label.strip() for label in labels)


# --- validation ----------------------------------------------------------------------------

# (answers, field with the error, fragment of the message)
INVALID_CASES = [
    pytest.param(["4(a)"], "answers", "must be an object", id="answers-not-an-object"),
    pytest.param(
        ai(prohibited_practices=["5(1)(i)"]),
        "prohibited_practices",
        "unknown Art. 5 practice '5(1)(i)'",
        id="unknown-art-5-code",
    ),
    pytest.param(
        ai(prohibited_practices="5(1)(a)"),
        "prohibited_practices",
        "must be a list",
        id="art-5-codes-not-a-list",
    ),
    pytest.param(
        ai(annex_iii_points=["9(a)"]),
        "annex_iii_points",
        "unknown Annex III point '9(a)'",
        id="unknown-annex-iii-area",
    ),
    pytest.param(
        ai(annex_iii_points=["4(c)"]),
        "annex_iii_points",
        "unknown Annex III point '4(c)'",
        id="unknown-annex-iii-letter",
    ),
    pytest.param(
        ai(annex_iii_points=["4"]),
        "annex_iii_points",
        "unknown Annex III point '4'",
        id="annex-iii-area-without-its-letter",
    ),
    pytest.param(
        ai(annex_iii_points=[4]),
        "annex_iii_points",
        "unknown Annex III point 4",
        id="annex-iii-point-not-a-string",
    ),
    pytest.param(
        ai(art_6_3_derogations=["e"]),
        "art_6_3_derogations",
        "unknown Art. 6(3) derogation 'e'",
        id="unknown-derogation",
    ),
    pytest.param(
        ai(transparency_triggers=["50(5)"]),
        "transparency_triggers",
        "unknown Art. 50 trigger '50(5)'",
        id="unknown-art-50-trigger",
    ),
    pytest.param({"is_ai_system": "yes"}, "is_ai_system", "true or false", id="bool-as-string"),
    pytest.param(
        ai(annex_i_safety_component=1),
        "annex_i_safety_component",
        "true or false",
        id="bool-as-number",
    ),
    pytest.param(
        ai(performs_profiling="no"), "performs_profiling", "true or false", id="profiling-not-bool"
    ),
    pytest.param(
        ai(general_purpose=[]), "general_purpose", "true or false", id="general-purpose-not-bool"
    ),
    pytest.param(
        ai(training_flops=-1), "training_flops", "cannot be negative", id="negative-flops"
    ),
    pytest.param(ai(training_flops="1e25"), "training_flops", "number", id="flops-as-string"),
    pytest.param(ai(training_flops=True), "training_flops", "number", id="flops-as-bool"),
    pytest.param(ai(training_flops=float("inf")), "training_flops", "finite", id="infinite-flops"),
    pytest.param(ai(training_flops=float("nan")), "training_flops", "finite", id="nan-flops"),
    pytest.param(ai(training_flops=10**400), "training_flops", "finite", id="overflowing-flops"),
    pytest.param(ai(role="owner"), "role", "unknown role 'owner'", id="unknown-role"),
    pytest.param(
        ai(role=["provider", "user"]), "role", "unknown role 'user'", id="unknown-role-in-list"
    ),
    pytest.param(ai(role=3), "role", "must be a role or a list", id="role-not-a-string"),
    pytest.param(ai(gdpr=True), "gdpr", "must be an object", id="gdpr-not-an-object"),
    pytest.param(
        ai(gdpr={"personal_data": "yes"}),
        "gdpr.personal_data",
        "true or false",
        id="gdpr-flag-not-bool",
    ),
    pytest.param(
        ai(gdpr={"transfers": True}), "gdpr.transfers", "unknown question", id="gdpr-unknown-flag"
    ),
    pytest.param(ai(ccpa=[]), "ccpa", "must be an object", id="ccpa-not-an-object"),
    pytest.param(ai(ccpa={"admt": True}), "ccpa.admt", "unknown question", id="ccpa-unknown-flag"),
    pytest.param(
        ai(ccpa={"business_thresholds_met": "maybe"}),
        "ccpa.business_thresholds_met",
        "true or false",
        id="ccpa-thresholds-not-bool",
    ),
    pytest.param(ai(annex_iii=["4(a)"]), "annex_iii", "unknown question", id="misspelt-question"),
    pytest.param(
        ai(org={"gdpr_role": "owner"}),
        "org.gdpr_role",
        "unknown GDPR role 'owner'",
        id="unknown-gdpr-role-in-org",
    ),
    pytest.param(
        ai(org={"eu_established": "yes"}),
        "org.eu_established",
        "true or false",
        id="org-flag-not-bool",
    ),
    pytest.param(ai(org="acme"), "org", "must be an object", id="org-not-an-object"),
]


@pytest.mark.parametrize(("answers", "field", "fragment"), INVALID_CASES)
def test_malformed_answers_are_rejected_with_a_message(
    answers: Any, field: str, fragment: str
) -> None:
    errors = validate_answers(answers)
    assert fragment in errors[field]
    with pytest.raises(ValueError, match=re.escape(f"{field}: ")) as raised:
        classify(answers)
    assert fragment in str(raised.value)
    with pytest.raises(InvalidAnswers):
        facts(answers)


def test_every_malformed_answer_is_reported_at_once() -> None:
    errors = validate_answers(
        ai(prohibited_practices=["x"], annex_iii_points=["y"], role="z", training_flops=-5)
    )
    assert set(errors) == {"prohibited_practices", "annex_iii_points", "role", "training_flops"}


def test_invalid_org_argument_is_rejected() -> None:
    with pytest.raises(InvalidAnswers) as raised:
        classify(ai(), {"gdpr_role": "owner", "ccpa_business": "yes"})
    assert set(raised.value.errors) == {"org.gdpr_role", "org.ccpa_business"}


def test_org_profile_may_carry_other_fields() -> None:
    assert classify(ai(), {"name": "Acme", "eu_established": True})["eu_ai_act"]["tier"]


VALID_FULL_ANSWERS: dict[str, Any] = {
    "is_ai_system": True,
    "prohibited_practices": [],
    "annex_i_safety_component": False,
    "annex_iii_points": ["5(b)"],
    "art_6_3_derogations": ["d"],
    "performs_profiling": True,
    "transparency_triggers": ["50(1)"],
    "general_purpose": False,
    "training_flops": None,
    "role": ["provider", "deployer"],
    "gdpr": {key: False for key in GDPR_FLAGS} | {"personal_data": True},
    "ccpa": {key: False for key in CCPA_FLAGS} | {"business_thresholds_met": None},
}


def test_complete_valid_answers_have_no_errors() -> None:
    assert validate_answers(VALID_FULL_ANSWERS) == {}


def test_null_answers_mean_not_answered() -> None:
    answers = {key: None for key in VALID_FULL_ANSWERS} | {"is_ai_system": True}
    assert validate_answers(answers) == {}
    assert classify(answers)["eu_ai_act"]["tier"] == "minimal"


# --- the classify command ------------------------------------------------------------------


def write_json(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_command_prints_the_classification_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    org = {"eu_established": True, "gdpr_role": "controller", "ccpa_business": True}
    answers = ai(
        annex_iii_points=["4(a)"],
        transparency_triggers=["50(1)"],
        role="deployer",
        gdpr={"personal_data": True, "eu_data_subjects": False},
        ccpa={"california_consumers": True},
    )
    call_command("classify", str(write_json(tmp_path, {**answers, "org": org})))
    out = capsys.readouterr().out
    printed = json.loads(out)
    assert printed == classify(answers, org)
    assert printed["eu_ai_act"]["tier"] == "high"
    assert printed["gdpr"]["applies"] is True, "org facts inside the file are used"
    assert printed["ccpa"]["applies"] is True
    assert out.startswith('{\n  "eu_ai_act"'), "indented by 2"


def test_command_works_without_org(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_command("classify", str(write_json(tmp_path, {"general_purpose": True})))
    assert json.loads(capsys.readouterr().out)["eu_ai_act"]["tier"] == "gpai"


def test_command_rejects_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"is_ai_system": tru', encoding="utf-8")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("classify", str(path))


def test_command_rejects_a_json_array(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="JSON object"):
        call_command("classify", str(write_json(tmp_path, [1, 2])))


def test_command_reports_every_invalid_answer(tmp_path: Path) -> None:
    path = write_json(
        tmp_path, ai(prohibited_practices=["5(1)(z)"], training_flops=-1, org={"gdpr_role": "x"})
    )
    with pytest.raises(CommandError) as raised:
        call_command("classify", str(path))
    message = str(raised.value)
    assert "prohibited_practices: unknown Art. 5 practice '5(1)(z)'" in message
    assert "training_flops: cannot be negative" in message
    assert "org.gdpr_role: unknown GDPR role 'x'" in message


def test_command_reports_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("classify", str(tmp_path / "absent.json"))
