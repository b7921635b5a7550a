"""One definition of the EU AI Act tiers (riskhub/inventory/tiers.py): the classifier's
precedence, the model's choices, the compliance reasons and the colours all read it;
and an asset without a tier says why: "Not yet classified" or "Not applicable"."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.compliance.applicability import token_label
from riskhub.inventory import classification, tiers
from riskhub.inventory.models import CLASSIFIABLE_KINDS, Asset
from tests.colours import contrast

# DESIGN.md "Decisions: Classification", lowest to highest.
DESIGN_PRECEDENCE = [
    "out-of-scope",
    "minimal",
    "limited",
    "gpai",
    "gpai-systemic",
    "high",
    "prohibited",
]


def test_the_precedence_is_the_design_one_and_the_classifier_uses_it() -> None:
    assert [t.slug for t in tiers.PRECEDENCE] == DESIGN_PRECEDENCE
    assert list(classification.TIERS) == DESIGN_PRECEDENCE


def test_the_asset_tier_choices_are_the_definitions_highest_first() -> None:
    assert list(Asset.Tier.choices) == [(t.slug, t.label) for t in reversed(tiers.PRECEDENCE)]


def test_the_strictest_rule_sets_the_tier_and_the_reason_names_the_order() -> None:
    org = {"eu_established": True, "public_body": False}
    answers = {
        "is_ai_system": True,
        "role": ["provider"],
        "prohibited_practices": ["5(1)(a)"],
        "annex_iii_points": ["4(a)"],
        "transparency_triggers": [next(iter(classification.TRANSPARENCY_TRIGGERS))],
    }
    assert classification.validate_answers(answers) == {}
    result = classification.classify(answers, org)["eu_ai_act"]
    assert result["tier"] == "prohibited"
    reasons = " ".join(result["reasons"])
    assert " < ".join(DESIGN_PRECEDENCE) in reasons


@pytest.mark.parametrize("tier", tiers.PRECEDENCE, ids=lambda t: t.slug)
def test_every_tier_reads_in_its_colours_and_in_sentences(tier: tiers.TierDefinition) -> None:
    assert contrast(tier.colour, tier.text_colour) >= 4.5
    # The compliance reasons ("why does this apply?") use the same definition.
    assert token_label(f"tier:{tier.slug}") == f"tier: {tier.phrase}"


def test_systems_and_models_carry_the_questionnaire_datasets_and_endpoints_do_not() -> None:
    assert set(CLASSIFIABLE_KINDS) == {"system", "model"}
    for kind in Asset.Kind.values:
        asset = Asset(kind=kind)
        assert asset.classifiable is (kind in CLASSIFIABLE_KINDS)
        expected = tiers.NOT_YET_CLASSIFIED if asset.classifiable else tiers.NOT_APPLICABLE
        assert asset.tier_label == expected
    assert Asset(kind="system", tier="high").tier_label == "High-risk"


def _rows(html: str) -> dict[str, str]:
    """Asset name -> the text of its tier cell, from the inventory list."""
    found = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        name = re.search(r'class="fw-semibold">([^<]+)</a>', row)
        cells = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        if name and len(cells) >= 3:
            found[name.group(1)] = re.sub(r"<[^>]+>", "", cells[2]).strip()
    return found


@pytest.mark.django_db
def test_the_inventory_says_why_an_asset_has_no_tier_and_filters_on_it(
    client_for: Any, make_asset: Any
) -> None:
    system = make_asset("system", name="Scoring system")
    model = make_asset("model", name="Ranker")
    classified = make_asset("system", name="Hiring system")
    Asset.objects.filter(pk=classified.pk).update(tier="high")
    make_asset("dataset", name="Loans data")
    make_asset("endpoint", name="Scoring API")
    client = client_for(Role.AUDITOR)

    rows = _rows(client.get(reverse("inventory:list")).content.decode())
    assert rows == {
        "Hiring system": "High-risk",
        "Loans data": "Not applicable",
        "Ranker": "Not yet classified",
        "Scoring API": "Not applicable",
        "Scoring system": "Not yet classified",
    }
    not_yet = _rows(client.get(reverse("inventory:list"), {"tier": "none"}).content.decode())
    assert set(not_yet) == {system.name, model.name}
    na = _rows(client.get(reverse("inventory:list"), {"tier": "not-applicable"}).content.decode())
    assert set(na) == {"Loans data", "Scoring API"}
