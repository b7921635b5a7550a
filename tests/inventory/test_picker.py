"""The asset picker: the search endpoint (roles, query count, case-insensitive order,
kind matches) and the forms that choose assets, with 10,000 assets in the inventory."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.inventory.models import Asset

pytestmark = pytest.mark.django_db
URL = "/inventory/pick/"


def _names(html: str) -> list[str]:
    return re.findall(r'<label class="form-check-label" for="pick_[^"]+">([^<]+)</label>', html)


def _assets(*names: str, kind: str = "model") -> list[Asset]:
    return Asset.objects.bulk_create([Asset(kind=kind, name=n) for n in names])


def test_the_route_keeps_its_name() -> None:
    assert reverse("inventory:asset_pick") == URL


@pytest.mark.parametrize("role", list(Role))
def test_every_role_may_search_and_anonymous_is_sent_to_sign_in(
    client_for: Any, role: Role
) -> None:
    _assets("Fraud scorer")
    response = client_for(role).get(URL, {"field": "assets", "multiple": "1", "q": "fraud"})
    assert response.status_code == 200
    assert _names(response.content.decode()) == ["Fraud scorer (Model)"]
    anonymous = client_for(None).get(URL, {"field": "assets", "q": "fraud"})
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]


def test_matches_are_sorted_without_regard_to_case(client_for: Any) -> None:
    _assets("beta model", "Alpha model", "alpha Model 2", "Zeta model", "gamma")
    html = client_for(Role.RISK_OFFICER).get(URL, {"field": "assets", "q": "model"}).content
    assert _names(html.decode()) == [
        "Alpha model (Model)",
        "alpha Model 2 (Model)",
        "beta model (Model)",
        "gamma (Model)",  # a model by kind, though "model" is not in its name
        "Zeta model (Model)",
    ]


def test_a_kind_finds_the_assets_of_that_kind(client_for: Any) -> None:
    _assets("Tickets", kind="dataset")
    _assets("Chat API", kind="endpoint")
    html = client_for(Role.RISK_OFFICER).get(URL, {"field": "asset", "q": "Datasets"}).content
    assert _names(html.decode()) == ["Tickets (Dataset)"]
    # A one-asset picker offers radios; archived assets are never offered.
    assert 'type="radio" name="asset"' in html.decode()
    Asset.objects.filter(name="Tickets").update(archived_at=timezone.now())
    html = client_for(Role.RISK_OFFICER).get(URL, {"field": "asset", "q": "tick"}).content
    assert "No active asset matches “tick”." in html.decode()


def test_a_bad_field_name_or_kind_is_refused(client_for: Any) -> None:
    client = client_for(Role.RISK_OFFICER)
    assert client.get(URL, {"field": '"><script>', "q": "x"}).status_code == 400
    assert client.get(URL, {"field": "assets", "kind": "robot"}).status_code == 400


def test_ten_thousand_assets_one_query_twenty_matches(
    client_for: Any, django_assert_max_num_queries: Any
) -> None:
    Asset.objects.bulk_create(
        [Asset(kind="model", name=f"Model {n:05d}") for n in range(10_000)], batch_size=2000
    )
    client = client_for(Role.RISK_OFFICER)
    client.get(URL, {"field": "assets", "q": "warm up the session"})
    with django_assert_max_num_queries(4) as captured:
        response = client.get(URL, {"field": "assets", "multiple": "1", "q": "model 0"})
    reads = [q for q in captured.captured_queries if "inventory_asset" in q["sql"]]
    assert len(reads) == 1
    html = response.content.decode()
    assert len(_names(html)) == 20
    assert _names(html)[0] == "Model 00000 (Model)"
    assert "type more of the name" in html


def test_the_incident_form_renders_only_the_chosen_assets(client_for: Any, officer: Any) -> None:
    Asset.objects.bulk_create(
        [Asset(kind="model", name=f"Model {n:05d}") for n in range(10_000)], batch_size=2000
    )
    chosen = Asset.objects.get(name="Model 04242")
    client = Client()
    client.force_login(officer)
    page = client.get(reverse("incidents:create"), {"asset": str(chosen.uuid)})
    html = page.content.decode()
    assert page.status_code == 200
    assert len(page.content) < 60_000
    assert re.search(
        rf'type="checkbox" name="assets" value="{chosen.pk}" id="id_assets_{chosen.pk}" checked',
        html,
    )
    assert "Model 00001" not in html
    # The label points at the search box, which the keyboard reaches like any field.
    assert 'for="id_assets_search"' in html and 'id="id_assets_search"' in html
    assert 'hx-get="/inventory/pick/?field=assets&amp;multiple=1"' in html
    # Posting a ticked asset works as the select did.
    response = client.post(
        reverse("incidents:create"),
        {
            "title": "Model leaked prompts",
            "aware_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "assets": [str(chosen.pk)],
            "severity": "medium",
            "california_residents": "0",
        },
    )
    assert response.status_code == 302
    from riskhub.incidents.models import Incident

    assert list(Incident.objects.get().assets.values_list("name", flat=True)) == ["Model 04242"]


def test_the_implementation_form_picks_one_asset_or_none(client_for: Any) -> None:
    _assets("Credit engine", kind="system")
    html = client_for(Role.RISK_OFFICER).get(reverse("compliance:implementation_create"))
    text = html.content.decode()
    assert html.status_code == 200
    assert 'type="radio" name="asset" value="" id="id_asset_none" checked' in text
    assert "field=asset&amp;multiple=0" in text
