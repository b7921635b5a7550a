"""Classifier corrections of issue 15, as tables: each row cites the provision it pins."""

from __future__ import annotations

from typing import Any

import pytest

from riskhub.inventory.classification import (
    ART5_PRACTICES,
    CA_BREACH_ROLES,
    InvalidAnswers,
    classify,
    facts,
)
from riskhub.inventory.models import OrganisationProfile


def ai(**answers: Any) -> dict[str, Any]:
    return {"is_ai_system": True, "role": "deployer", **answers}


def reasons(result: dict[str, Any], framework: str) -> str:
    return "\n".join(result[framework]["reasons"])


# --- Art 5(1)(f): emotion recognition in the workplace and education ---------------------

# (id, answers, tier, prohibited token present, reason fragment, provision)
EMOTION_CASES = [
    (
        "workplace-emotion-recognition-is-prohibited",
        ai(annex_iii_points=["1(c)"], transparency_triggers=["50(3)"],
           emotion_recognition_setting="workplace"),
        "prohibited", True, "Art. 5(1)(f) prohibits inferring emotions in the workplace",
        "Art 5(1)(f)",
    ),
    (
        "education-emotion-recognition-is-prohibited",
        ai(annex_iii_points=["1(c)"], emotion_recognition_setting="education"),
        "prohibited", True, "in an education institution", "Art 5(1)(f)",
    ),
    (
        "workplace-for-safety-reasons-stays-high-risk",
        ai(annex_iii_points=["1(c)"], emotion_recognition_setting="workplace",
           emotion_recognition_medical_or_safety=True),
        "high", False, "medical or safety reasons only", "Art 5(1)(f) exception",
    ),
    (
        "customers-emotion-recognition-is-high-risk",
        ai(annex_iii_points=["1(c)"], emotion_recognition_setting="other"),
        "high", False, "outside the workplace and education", "Annex III 1(c)",
    ),
    (
        "unanswered-setting-is-asked-for",
        ai(annex_iii_points=["1(c)"]),
        "high", False, "the question must be answered", "Art 5(1)(f)",
    ),
    (
        "art-50-3-only-with-workplace-setting-is-prohibited",
        ai(transparency_triggers=["50(3)"], emotion_recognition_setting="workplace"),
        "prohibited", True, "Art. 5(1)(f)", "Art 5(1)(f)",
    ),
    (
        "medical-answer-without-setting-prohibits-nothing",
        ai(emotion_recognition_medical_or_safety=True),
        "minimal", False, "", "Art 5(1)(f)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "tier", "prohibited", "fragment", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in EMOTION_CASES],
)
def test_emotion_recognition_is_checked_against_article_5_1_f(
    answers: dict[str, Any], tier: str, prohibited: bool, fragment: str, provision: str
) -> None:
    result = classify(answers)
    assert result["eu_ai_act"]["tier"] == tier, provision
    assert ("prohibited:5(1)(f)" in facts(answers)) is prohibited, provision
    assert fragment in reasons(result, "eu_ai_act"), provision


# --- Art 5(1)(g): biometric categorisation by sensitive traits ----------------------------

BIOMETRIC_CASES = [
    (
        "inferring-listed-traits-is-prohibited",
        ai(annex_iii_points=["1(b)"], biometric_categorisation_sensitive_traits=True),
        "prohibited", True, "Art. 5(1)(g) prohibits biometric categorisation", "Art 5(1)(g)",
    ),
    (
        "labelling-lawful-datasets-is-excepted",
        ai(annex_iii_points=["1(b)"], biometric_categorisation_sensitive_traits=True,
           biometric_categorisation_exception=True),
        "high", False, "which the article excepts", "Art 5(1)(g), second part",
    ),
    (
        "other-attributes-stay-high-risk",
        ai(annex_iii_points=["1(b)"], biometric_categorisation_sensitive_traits=False),
        "high", False, "does not infer", "Annex III 1(b)",
    ),
    (
        "unanswered-traits-are-asked-for",
        ai(annex_iii_points=["1(b)"]),
        "high", False, "the question must be answered", "Art 5(1)(g)",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("answers", "tier", "prohibited", "fragment", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in BIOMETRIC_CASES],
)
def test_biometric_categorisation_is_checked_against_article_5_1_g(
    answers: dict[str, Any], tier: str, prohibited: bool, fragment: str, provision: str
) -> None:
    result = classify(answers)
    assert result["eu_ai_act"]["tier"] == tier, provision
    assert ("prohibited:5(1)(g)" in facts(answers)) is prohibited, provision
    assert fragment in reasons(result, "eu_ai_act"), provision


@pytest.mark.parametrize(
    "trait",
    [
        "race",
        "political opinions",
        "trade union membership",
        "religious or philosophical beliefs",
        "sex life",
        "sexual orientation",
    ],
)
def test_the_label_of_article_5_1_g_names_every_trait(trait: str) -> None:
    assert trait in ART5_PRACTICES["5(1)(g)"]


def test_a_bad_emotion_setting_is_refused() -> None:
    with pytest.raises(InvalidAnswers) as err:
        classify(ai(emotion_recognition_setting="office"))
    assert "emotion_recognition_setting" in err.value.errors


# --- GDPR Art 3: unknown territorial scope stays unknown ----------------------------------

PD = {"personal_data": True}
# (id, org, eu_data_subjects, applies, reason fragment, provision)
TERRITORIAL_CASES = [
    ("eu-establishment", {"eu_established": True}, None, True, "Art. 3(1)", "Art 3(1)"),
    ("eu-people-answered-yes", {"eu_established": False}, True, True, "Art. 3(2)", "Art 3(2)"),
    ("eu-people-answered-no", {"eu_established": False}, False, False, "not met", "Art 3"),
    (
        "eu-people-unanswered",
        {"eu_established": False},
        None,
        False,
        "the question must be answered",
        "Art 3(2): unknown is not yes",
    ),
]


@pytest.mark.parametrize(
    ("org", "subjects", "applies", "fragment", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in TERRITORIAL_CASES],
)
def test_gdpr_territorial_scope_is_never_assumed(
    org: dict[str, Any], subjects: bool | None, applies: bool, fragment: str, provision: str
) -> None:
    answers = ai(gdpr={**PD, "eu_data_subjects": subjects})
    result = classify(answers, org)
    assert result["gdpr"]["applies"] is applies, provision
    assert ("gdpr:applies" in facts(answers, org)) is applies, provision
    assert fragment in reasons(result, "gdpr"), provision


# --- GDPR Art 37(1)(a): public authority, its own fact ------------------------------------


@pytest.mark.parametrize(
    ("org", "token", "fragment"),
    [
        ({"eu_established": True, "public_authority": True}, True, "mandatory (Art. 37(1)(a))"),
        ({"eu_established": True, "public_authority": False}, False, ""),
        ({"eu_established": True, "public_body": True}, False, "cannot be decided"),
    ],
    ids=["public-authority", "not-a-public-authority", "unanswered-is-undecided"],
)
def test_a_public_authority_is_not_inferred_from_public_services(
    org: dict[str, Any], token: bool, fragment: str
) -> None:
    answers = ai(gdpr=PD)
    assert ("org:public_authority" in facts(answers, org)) is token
    assert fragment in reasons(classify(answers, org), "gdpr")


# --- Cal. Civ. Code 1798.82: its own facts, whatever the CCPA thresholds -----------------

CA_SMALL = {"california_consumers": True, "business_thresholds_met": False}
# (id, org, tokens expected, tokens absent, reason fragment, provision)
CA_CASES = [
    (
        "owner-below-thresholds",
        {"ca_conducts_business": True, "ca_breach_role": "owner"},
        {"ca:conducts_business", "ca:breach_owner", "ca:personal_information"},
        {"ccpa:applies", "ca:breach_maintainer"},
        "whether or not it is a CCPA business",
        "1798.82(a)",
    ),
    (
        "maintainer",
        {"ca_conducts_business": True, "ca_breach_role": "maintainer"},
        {"ca:breach_maintainer"},
        {"ca:breach_owner"},
        "notifies the owner or licensee immediately",
        "1798.82(b)",
    ),
    (
        "both",
        {"ca_conducts_business": True, "ca_breach_role": "both"},
        {"ca:breach_owner", "ca:breach_maintainer"},
        set(),
        "1798.82(b)",
        "1798.82(a) and (b)",
    ),
    (
        "no-business-in-california",
        {"ca_conducts_business": False, "ca_breach_role": "owner"},
        set(),
        {"ca:conducts_business", "ca:breach_owner"},
        "does not conduct business in California",
        "1798.82(a)",
    ),
    (
        "business-in-california-unanswered",
        {"ca_breach_role": "owner"},
        set(),
        {"ca:conducts_business", "ca:breach_owner"},
        "cannot be decided",
        "unknown stays unknown",
    ),
    (
        "role-unanswered",
        {"ca_conducts_business": True},
        {"ca:conducts_business"},
        {"ca:breach_owner", "ca:breach_maintainer"},
        "which breach-notice duty applies cannot be decided",
        "unknown stays unknown",
    ),
]


@pytest.mark.parametrize(
    ("org", "present", "absent", "fragment", "provision"),
    [pytest.param(*case[1:], id=case[0]) for case in CA_CASES],
)
def test_california_breach_facts(
    org: dict[str, Any], present: set[str], absent: set[str], fragment: str, provision: str
) -> None:
    answers = ai(ccpa=CA_SMALL)
    tokens = set(facts(answers, org))
    assert present <= tokens, provision
    assert not absent & tokens, provision
    assert fragment in reasons(classify(answers, org), "ccpa"), provision


def test_no_california_data_no_breach_facts() -> None:
    org = {"ca_conducts_business": True, "ca_breach_role": "owner"}
    assert not [t for t in facts(ai(), org) if t.startswith("ca:")]


def test_a_bad_california_role_is_refused() -> None:
    with pytest.raises(InvalidAnswers) as err:
        classify(ai(), {"ca_breach_role": "custodian"})
    assert "org.ca_breach_role" in err.value.errors


def test_the_profiles_breach_roles_are_the_classifiers() -> None:
    assert set(OrganisationProfile.CaBreachRole.values) == set(CA_BREACH_ROLES)


# --- upgrading an existing database (migration 0003) -------------------------------------


def _migration() -> Any:
    import importlib

    return importlib.import_module(
        "riskhub.inventory.migrations.0003_organisation_public_authority_and_california_breach_facts"
    )


@pytest.mark.parametrize(
    ("public_body", "public_authority"),
    [(False, False), (True, None)],
    ids=["not-public-is-not-a-public-authority", "public-body-stays-unanswered"],
)
def test_the_upgrade_splits_public_body_without_guessing(
    db: None, public_body: bool, public_authority: bool | None
) -> None:
    from django.apps import apps

    OrganisationProfile.objects.update_or_create(
        pk=1, defaults={"public_body": public_body, "public_authority": None}
    )
    _migration().split_public_body(apps, None)
    profile = OrganisationProfile.objects.get(pk=1)
    assert profile.public_authority is public_authority
    assert profile.ca_conducts_business is None and profile.ca_breach_role == ""


def test_the_upgrade_stops_assuming_eu_data_subjects(db: None) -> None:
    from django.apps import apps

    from riskhub.inventory.models import Asset, Classification

    OrganisationProfile.objects.update_or_create(pk=1, defaults={"eu_established": False})
    asset = Asset.objects.create(
        kind="system",
        name="US CRM scorer",
        intended_purpose="score leads",
        facts=["ai_system", "gdpr:applies", "tier:minimal"],  # the old classifier's answer
        gdpr_applies=True,
    )
    Classification.objects.create(asset=asset, version=1, answers=ai(gdpr=PD), result={}, facts=[])
    _migration().refresh_facts(apps, None)
    asset.refresh_from_db()
    assert asset.gdpr_applies is False
    assert "gdpr:applies" not in asset.facts and "personal_data" in asset.facts
