"""The dashboard's EU AI Act card tells "Not yet classified" (AI systems and models
whose questionnaire is unanswered) apart from "Not applicable" (datasets, endpoints),
and each figure equals what the inventory list shows behind its link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.inventory.tiers import NOT_APPLICABLE, NOT_YET_CLASSIFIED
from tests.dashboard.factories import make_asset, make_unit

pytestmark = pytest.mark.django_db
URL = "/dashboard/"
API = "/api/v1/dashboard/"


@pytest.fixture
def register(matrices: Any) -> dict[str, Any]:
    unit = make_unit("Lending")
    return {
        "unit": unit,
        "assets": [
            make_asset("system", name="Scoring system", business_unit=unit),
            make_asset("model", name="Ranker"),
            make_asset("system", name="Hiring system", tier="high"),
            make_asset("model", name="Foundation", tier="gpai"),
            make_asset("dataset", name="Loans data", business_unit=unit),
            make_asset("dataset", name="CVs"),
            make_asset("endpoint", name="Scoring API"),
            # Archived: counted nowhere on the dashboard nor in the active inventory.
            make_asset("system", name="Old system", archived_at=timezone.now()),
        ],
    }


def _figures(html: str) -> dict[str, tuple[int, str]]:
    """Label -> (number, link) of the tier card's "without a tier" figures."""
    block = re.search(r'data-testid="unclassified">(.*?)</ul>', html, flags=re.S)
    assert block, "the card lists the assets without a tier"
    found = {}
    for item in re.findall(r"<li[^>]*>(.*?)</li>", block.group(1), flags=re.S):
        label = re.search(r"<span>([^<]+)</span>", item).group(1)  # type: ignore[union-attr]
        number = int(re.search(r"<strong>(\d+)</strong>", item).group(1))  # type: ignore[union-attr]
        link = re.search(r'href="([^"]+)"', item)
        found[label] = (number, link.group(1).replace("&amp;", "&") if link else "")
    return found


def _tier_cells(html: str) -> list[str]:
    """The tier column of every row of an inventory list page."""
    cells = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, flags=re.S):
        tds = re.findall(r"<td>(.*?)</td>", row, flags=re.S)
        if len(tds) >= 3:
            cells.append(re.sub(r"<[^>]+>", "", tds[2]).strip())
    return cells


def test_the_card_counts_unanswered_systems_and_models_apart_from_datasets_and_endpoints(
    client_for: Any, register: Any
) -> None:
    html = client_for(Role.EXECUTIVE).get(URL).content.decode()
    figures = _figures(html)
    assert {label: n for label, (n, _) in figures.items()} == {
        NOT_YET_CLASSIFIED: 2,  # Scoring system, Ranker
        NOT_APPLICABLE: 3,  # Loans data, CVs, Scoring API
    }
    # Before, one "Not classified: 5" mixed the two.
    assert "Not classified<" not in html
    tiers = re.search(r'data-testid="tiers">(.*?)</ul>', html, flags=re.S).group(1)  # type: ignore[union-attr]
    assert "<span>High-risk</span><strong>1</strong>" in tiers
    assert "<span>General-purpose AI</span><strong>1</strong>" in tiers


@pytest.mark.parametrize("kind", ["", "model", "dataset"])
def test_each_figure_equals_the_inventory_list_behind_its_link(
    client_for: Any, register: Any, kind: str
) -> None:
    client = client_for(Role.AUDITOR)
    html = client.get(URL, {"kind": kind} if kind else {}).content.decode()
    for label, (number, link) in _figures(html).items():
        assert link, f"{label} links to the inventory"
        listing = client.get(link)
        assert listing.context["page"].paginator.count == number, label
        assert _tier_cells(listing.content.decode()) == [label] * number


def test_the_api_gives_the_same_two_figures(client_for: Any, register: Any) -> None:
    body = client_for(Role.AUDITOR).get(API).json()["summary"]["assets"]
    assert body["not_yet_classified"] == 2 and body["not_applicable"] == 3
    assert body["by_tier"] == {"high": 1, "gpai": 1}


def test_a_business_unit_slice_counts_its_own_assets(client_for: Any, register: Any) -> None:
    unit = register["unit"]
    html = client_for(Role.EXECUTIVE).get(URL, {"business_unit": unit.pk}).content.decode()
    figures = _figures(html)
    assert figures == {NOT_YET_CLASSIFIED: (1, ""), NOT_APPLICABLE: (1, "")}
