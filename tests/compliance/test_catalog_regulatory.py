"""The catalog's rules and dates against the texts (issue 15 items 1, 2, 4, 6 and 8).

Each row: the answers and organisation profile, the requirement, whether it applies and
from when, and the provision that says so. Pure: the YAML through the classifier and
the applicability rules, as the compliance app applies them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from riskhub.compliance import applicability
from riskhub.compliance.catalog_loader import (
    CATALOG_DIR,
    normalise_dates,
    normalise_rule,
    read_yaml,
)
from riskhub.inventory.classification import facts

CATALOG = {
    slug: {str(i["ref"]): i for i in read_yaml(CATALOG_DIR / f"{slug}.yaml")["requirements"]}
    for slug in ("eu-ai-act", "gdpr", "ccpa")
}


def obligation(slug: str, ref: str, answers: dict[str, Any], org: dict[str, Any]) -> Any:
    item = CATALOG[slug][ref]
    spec = applicability.RequirementSpec(
        (slug, ref),
        applicability.Rule.from_json(normalise_rule(item.get("applies_if"), ref)),
        applicability.parse_dates(normalise_dates(item.get("applies_from"), ref)),
    )
    found = applicability.evaluate(
        [spec], [applicability.FactSource(frozenset(facts(answers, org)))]
    )
    return found[0] if found else None


# --- Cal. Civ. Code 1798.82: every business in California, owner and maintainer ----------

CA_PI = {"ccpa": {"california_consumers": True, "business_thresholds_met": False}}
SMALL_CA_OWNER = {"ca_conducts_business": True, "ca_breach_role": "owner", "ccpa_business": False}

BREACH_CASES = [
    # (id, org, 1798.82 applies, 1798.82(b) applies, provision)
    ("small-owner-below-ccpa-thresholds", SMALL_CA_OWNER, True, False, "1798.82(a)"),
    (
        "ccpa-business-owner",
        {**SMALL_CA_OWNER, "ccpa_business": True},
        True,
        False,
        "1798.82(a)",
    ),
    (
        "maintainer-notifies-the-owner-not-residents",
        {**SMALL_CA_OWNER, "ca_breach_role": "maintainer"},
        False,
        True,
        "1798.82(b)",
    ),
    ("owner-and-maintainer", {**SMALL_CA_OWNER, "ca_breach_role": "both"}, True, True, "(a), (b)"),
    (
        "not-doing-business-in-california",
        {**SMALL_CA_OWNER, "ca_conducts_business": False},
        False,
        False,
        "1798.82(a): 'conducts business in California'",
    ),
    (
        "unanswered-business-in-california-stays-undecided",
        {"ca_breach_role": "owner"},
        False,
        False,
        "unknown is never assumed",
    ),
    (
        "unanswered-role-stays-undecided",
        {"ca_conducts_business": True},
        False,
        False,
        "unknown is never assumed",
    ),
]


@pytest.mark.parametrize(
    ("org", "owner_duty", "maintainer_duty", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in BREACH_CASES],
)
def test_california_breach_notice_reaches_every_business_in_california(
    org: dict[str, Any], owner_duty: bool, maintainer_duty: bool, provision: str
) -> None:
    assert (obligation("ccpa", "1798.82", CA_PI, org) is not None) is owner_duty, provision
    assert (obligation("ccpa", "1798.82(b)", CA_PI, org) is not None) is maintainer_duty, provision


def test_a_small_business_gets_the_breach_notice_but_not_the_ccpa() -> None:
    assert obligation("ccpa", "1798.100", CA_PI, SMALL_CA_OWNER) is None  # CCPA thresholds
    found = obligation("ccpa", "1798.82", CA_PI, SMALL_CA_OWNER)
    assert found is not None
    assert "conducts business in California" in found.reason


# --- GDPR Art 37(1)(a) and AI Act Art 27: two legal categories ---------------------------

DEPLOYER_4A = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": "deployer",
    "gdpr": {"personal_data": True},
}
PUBLIC_CASES = [
    # (id, org, Art 37 applies, Art 27 applies, provision)
    (
        "private-provider-of-public-services",
        {"eu_established": True, "public_body": True, "public_authority": False},
        False,
        True,
        "Art 27(1) yes, GDPR Art 37(1)(a) no",
    ),
    (
        "public-authority",
        {"eu_established": True, "public_body": True, "public_authority": True},
        True,
        True,
        "both",
    ),
    (
        "private-company",
        {"eu_established": True, "public_body": False, "public_authority": False},
        False,
        False,
        "neither",
    ),
]


@pytest.mark.parametrize(
    ("org", "dpo", "fria", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in PUBLIC_CASES],
)
def test_public_authority_and_public_body_are_two_facts(
    org: dict[str, Any], dpo: bool, fria: bool, provision: str
) -> None:
    assert (obligation("gdpr", "Art. 37", DEPLOYER_4A, org) is not None) is dpo, provision
    assert (obligation("eu-ai-act", "Art. 27", DEPLOYER_4A, org) is not None) is fria, provision


# --- Application dates: Arts 16, 26, 43, 47, 48, 49 and 73 agree per category -----------

ANNEX_III_PROVIDER = {"is_ai_system": True, "annex_iii_points": ["5(b)"], "role": "provider"}
ANNEX_I_PROVIDER = {"is_ai_system": True, "annex_i_safety_component": True, "role": "provider"}
ANNEX_III = dt.date(2027, 12, 2)  # Art 113 as amended by Reg (EU) 2026/1744, point (i)
ANNEX_I = dt.date(2028, 8, 2)  # Art 113 as amended by Reg (EU) 2026/1744, point (ii)

DATE_CASES = [
    (ref, answers, date)
    for ref in ("Art. 16", "Art. 43", "Art. 47", "Art. 48", "Art. 73")
    for answers, date in ((ANNEX_III_PROVIDER, ANNEX_III), (ANNEX_I_PROVIDER, ANNEX_I))
] + [
    ("Art. 49", ANNEX_III_PROVIDER, ANNEX_III),
    (
        "Art. 49",
        {**ANNEX_III_PROVIDER, "art_6_3_derogations": ["a"]},
        ANNEX_III,
    ),  # Art 49(2)
    ("Art. 26", {**ANNEX_III_PROVIDER, "role": "deployer"}, ANNEX_III),
    ("Art. 26", {**ANNEX_I_PROVIDER, "role": "deployer"}, ANNEX_I),
]


@pytest.mark.parametrize(
    ("ref", "answers", "date"),
    DATE_CASES,
    ids=[f"{r}-{'annex-i' if a.get('annex_i_safety_component') else 'annex-iii'}"
         f"{'-derogated' if a.get('art_6_3_derogations') else ''}"
         f"-{a['role']}" for r, a, _ in DATE_CASES],
)  # fmt: skip
def test_high_risk_duties_apply_from_their_categorys_date(
    ref: str, answers: dict[str, Any], date: dt.date
) -> None:
    found = obligation("eu-ai-act", ref, answers, {})
    assert found is not None and found.applies_from == date
    assert "Art 113" in found.condition  # the provision that sets the date is cited


def test_registration_of_use_binds_public_authority_deployers() -> None:
    # Art 49(3): deployers that are public authorities register their use (Art 26(8)).
    assert "deployer" in CATALOG["eu-ai-act"]["Art. 49"]["holders"]
    deployer = {**ANNEX_III_PROVIDER, "role": "deployer"}
    found = obligation("eu-ai-act", "Art. 49(3)", deployer, {"public_authority": True})
    assert found is not None and found.applies_from == ANNEX_III
    assert obligation("eu-ai-act", "Art. 49(3)", deployer, {"public_body": True}) is None
    assert obligation("eu-ai-act", "Art. 49(3)", deployer, {}) is None


# --- Art 5(1)(f) and (g) reach the catalog's prohibition ---------------------------------


@pytest.mark.parametrize(
    ("answers", "applies", "provision"),
    [
        (
            {
                "is_ai_system": True,
                "annex_iii_points": ["1(c)"],
                "emotion_recognition_setting": "education",
            },
            True,
            "Art 5(1)(f)",
        ),
        (
            {
                "is_ai_system": True,
                "annex_iii_points": ["1(b)"],
                "biometric_categorisation_sensitive_traits": True,
            },
            True,
            "Art 5(1)(g)",
        ),
        (
            {
                "is_ai_system": True,
                "annex_iii_points": ["1(c)"],
                "emotion_recognition_setting": "other",
            },
            False,
            "Annex III 1(c) only",
        ),
    ],
)
def test_a_derived_prohibition_shows_in_the_high_risk_duties_being_replaced(
    answers: dict[str, Any], applies: bool, provision: str
) -> None:
    tokens = facts(answers)
    assert ("tier:prohibited" in tokens) is applies, provision
    # A prohibited system carries no high-risk (Art 16) duties: it may not be provided.
    provider = {**answers, "role": "provider"}
    assert (obligation("eu-ai-act", "Art. 16", provider, {}) is None) is applies, provision
