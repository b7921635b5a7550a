"""Every fact token a catalog rule uses is one the classifier can emit (issue 15 item 8).

A token outside the classifier's vocabulary never matches, so a rule that uses it silently
never fires: `threats.yaml` once ranked privacy threats on `personal_data`, which the
classifier did not emit. The catalogs are read as YAML, the way the loaders read them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from riskhub.compliance.catalog_loader import CATALOG_DIR, read_yaml
from riskhub.inventory import classification
from riskhub.inventory.classification import facts, vocabulary
from riskhub.risk.catalog_loader import CATALOG_DIR as RISK_CATALOG_DIR

FRAMEWORKS = ("eu-ai-act", "gdpr", "ccpa")


def _rule_tokens(where: str, item: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for key in ("all", "any", "none"):
        for token in (item.get("applies_if") or {}).get(key) or ():
            yield where, token
    for entry in item.get("applies_from") or ():
        for token in entry.get("when") or ():
            yield where, token


def _catalog_tokens() -> list[tuple[str, str]]:
    used: list[tuple[str, str]] = []
    for slug in FRAMEWORKS:
        for item in read_yaml(CATALOG_DIR / f"{slug}.yaml")["requirements"]:
            used += _rule_tokens(f"{slug} {item['ref']}", item)
    for item in read_yaml(CATALOG_DIR / "controls.yaml")["controls"]:
        # Controls carry no rule today; if one is added it is held to the same vocabulary.
        used += _rule_tokens(item["code"], item)
        used += [(item["code"], token) for token in item.get("classification") or ()]
    for item in read_yaml(RISK_CATALOG_DIR / "threats.yaml")["threats"]:
        used += [(item["code"], token) for token in item.get("classification") or ()]
    return used


CATALOG_TOKENS = _catalog_tokens()


def test_the_catalogs_use_fact_tokens_at_all() -> None:
    # Guards the test itself: a reader that found nothing would pass vacuously.
    where = {w.split(" ")[0] for w, _ in CATALOG_TOKENS}
    assert {"eu-ai-act", "gdpr", "ccpa"} <= where
    assert any(w.startswith("THR-") for w, _ in CATALOG_TOKENS)


@pytest.mark.parametrize(("where", "token"), sorted(set(CATALOG_TOKENS)))
def test_every_catalog_token_is_in_the_classifiers_vocabulary(where: str, token: str) -> None:
    assert token in vocabulary(), f"{where} uses {token!r}, which the classifier never emits"


def test_the_threat_catalogs_personal_data_token_is_emitted_by_the_classifier() -> None:
    # The regression: THR-DATA-LEAKAGE and friends rank on `personal_data`.
    assert ("THR-MEMBERSHIP-INFERENCE", "personal_data") in CATALOG_TOKENS
    assert "personal_data" in facts({"gdpr": {"personal_data": True}})
    assert "personal_data" in facts({"ccpa": {"california_consumers": True}})
    assert "personal_data" not in facts({"gdpr": {"personal_data": False}})


def _answer_sets() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """A spread of answers that, together, reach every branch that adds a token."""
    yield {}, {}  # out of scope
    yield {"is_ai_system": True}, {}  # minimal
    yield {"is_ai_system": True, "transparency_triggers": ["50(1)"]}, {}  # limited
    yield {"general_purpose": True}, {}  # gpai
    for point in classification.ANNEX_III_POINTS:
        yield {"is_ai_system": True, "annex_iii_points": [point], "role": "provider"}, {}
    yield {"is_ai_system": True, "prohibited_practices": list(classification.ART5_PRACTICES)}, {}
    yield (
        {
            "is_ai_system": True,
            "annex_i_safety_component": True,
            "transparency_triggers": list(classification.TRANSPARENCY_TRIGGERS),
            "role": list(classification.ROLES),
        },
        {"eu_established": True, "public_body": True, "public_authority": True},
    )
    yield (
        {
            "is_ai_system": True,
            "annex_iii_points": ["4(a)"],
            "art_6_3_derogations": ["a"],
            "role": "provider",
        },
        {},
    )
    yield {"general_purpose": True, "training_flops": 2e25, "role": "provider"}, {}
    yield (
        {
            "is_ai_system": True,
            "annex_iii_points": ["1(b)", "1(c)"],
            "emotion_recognition_setting": "workplace",
            "biometric_categorisation_sensitive_traits": True,
        },
        {},
    )
    for gdpr_role, ca_role in itertools.product(
        classification.GDPR_ROLES, classification.CA_BREACH_ROLES
    ):
        yield (
            {
                "is_ai_system": True,
                "gdpr": {key: True for key in classification.GDPR_FLAGS},
                "ccpa": {key: True for key in classification.CCPA_FLAGS},
            },
            {
                "gdpr_role": gdpr_role,
                "ccpa_cyber_audit": True,
                "ca_conducts_business": True,
                "ca_breach_role": ca_role,
            },
        )


def test_the_classifier_emits_only_its_vocabulary_and_all_of_it() -> None:
    emitted: set[str] = set()
    for answers, org in _answer_sets():
        emitted |= set(facts(answers, org))
    assert emitted <= vocabulary()
    # Every token of the vocabulary is reachable from some answers (none is dead).
    assert vocabulary() - emitted == set()


def test_the_catalog_format_documents_every_token_family() -> None:
    from django.conf import settings

    text = (settings.BASE_DIR / "docs" / "catalog-format.md").read_text(encoding="utf-8")
    for token in (
        "personal_data",
        "org:public_authority",
        "ca:conducts_business",
        "ca:breach_owner",
        "ca:breach_maintainer",
        "ca:personal_information",
    ):
        assert f"`{token}`" in text, token
