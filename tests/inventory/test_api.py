"""The inventory API: the same permissions as the UI, one error shape, pinned queries."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from riskhub.accounts.policy import Role
from riskhub.inventory import services
from riskhub.inventory.models import Asset, AssetLink, OrganisationProfile

pytestmark = pytest.mark.django_db
ASSETS = "/api/v1/assets/"


@pytest.fixture
def api_for(make_user):  # type: ignore[no-untyped-def]
    def make(role: Role | None) -> APIClient:
        client = APIClient()
        if role is not None:
            client.force_authenticate(make_user(role))
        return client

    return make


def test_anonymous_callers_get_401_in_the_error_shape(api_for) -> None:  # type: ignore[no-untyped-def]
    response = api_for(None).get(ASSETS)
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_readers_read_but_cannot_write(api_for, chain, role) -> None:  # type: ignore[no-untyped-def]
    client = api_for(role)
    assert client.get(ASSETS).status_code == 200
    response = client.post(ASSETS, {"kind": "dataset", "name": "X"}, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    uuid = chain["model"].uuid
    assert client.delete(f"{ASSETS}{uuid}/").status_code == 403
    assert (
        client.post(f"{ASSETS}{uuid}/classification/", {"answers": {}}, format="json").status_code
        == 403
    )
    assert Asset.objects.filter(archived_at__isnull=False).count() == 0


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.ADMIN])
def test_editors_create_update_and_archive(api_for, role) -> None:  # type: ignore[no-untyped-def]
    client = api_for(role)
    response = client.post(
        ASSETS,
        {
            "kind": "model",
            "name": "Churn model",
            "model_type": "classifier",
            "business_unit": "Marketing",
            "tags": ["churn"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["business_unit"] == "Marketing" and body["version"] == 1
    assert body["effective_risk"] == {
        "band": "not-assessed",
        "score": None,
        "source": "",
        "path": [],
    }
    url = f"{ASSETS}{body['id']}/"
    response = client.patch(url, {"vendor": "Acme", "version": 1}, format="json")
    assert response.status_code == 200 and response.json()["version"] == 2
    assert client.delete(url).status_code == 204
    assert Asset.objects.get(uuid=body["id"]).archived_at is not None
    assert client.get(ASSETS).json()["count"] == 0
    assert client.get(ASSETS, {"archived": "true"}).json()["count"] == 1


def test_a_stale_version_is_refused_with_409(api_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("dataset", "Claims")
    client = api_for(Role.RISK_OFFICER)
    url = f"{ASSETS}{asset.uuid}/"
    assert client.patch(url, {"vendor": "A", "version": 1}, format="json").status_code == 200
    response = client.patch(url, {"vendor": "B", "version": 1}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    asset.refresh_from_db()
    assert asset.vendor == "A"
    missing = client.patch(url, {"vendor": "C"}, format="json")
    assert missing.status_code == 400 and "version" in missing.json()["error"]["fields"]


def test_validation_errors_name_the_field(api_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    make_asset("dataset", "Taken")
    client = api_for(Role.RISK_OFFICER)
    response = client.post(ASSETS, {"kind": "dataset", "name": "taken"}, format="json")
    assert response.status_code == 400
    assert "already called" in response.json()["error"]["fields"]["name"][0]
    response = client.post(ASSETS, {"kind": "model", "name": "No type"}, format="json")
    assert "model_type" in response.json()["error"]["fields"]


def test_the_list_filters_searches_orders_and_shows_effective_risk(api_for, chain) -> None:  # type: ignore[no-untyped-def]
    Asset.objects.filter(pk=chain["model"].pk).update(
        effective_risk_band="high",
        effective_risk_score=12,
        effective_risk_source="inherited",
        effective_risk_path=[str(chain["dataset"].uuid), str(chain["model"].uuid)],
    )
    client = api_for(Role.AUDITOR)
    body = client.get(ASSETS, {"kind": "model"}).json()
    assert [a["name"] for a in body["results"]] == ["Credit model"]
    assert body["results"][0]["effective_risk"]["band"] == "high"
    assert body["results"][0]["effective_risk"]["source"] == "inherited"
    assert [a["name"] for a in client.get(ASSETS, {"search": "scoring"}).json()["results"]] == [
        "Scoring API"
    ]
    names = [a["name"] for a in client.get(ASSETS, {"ordering": "-name"}).json()["results"]]
    assert names == sorted(names, reverse=True)
    assert client.get(ASSETS, {"risk_band": "high"}).json()["count"] == 1


def test_the_list_query_count_does_not_grow_with_the_data(
    api_for, make_asset, officer, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = api_for(Role.AUDITOR)
    with django_assert_max_num_queries(6):
        client.get(ASSETS)
    unit = services.business_unit_get_or_create(actor=officer, name="Ops")
    for i in range(60):
        make_asset("dataset", f"Set {i}", owner=officer, business_unit=unit)
    with django_assert_max_num_queries(6):
        assert client.get(ASSETS).json()["count"] == 60


def test_links_are_created_listed_and_deleted_with_clear_errors(api_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    dataset = make_asset("dataset", "D")
    model = make_asset("model", "M")
    client = api_for(Role.RISK_OFFICER)
    payload = {
        "upstream": str(dataset.uuid),
        "downstream": str(model.uuid),
        "relation": "trained_on",
    }
    response = client.post("/api/v1/asset-links/", payload, format="json")
    assert response.status_code == 201, response.json()
    assert client.get("/api/v1/asset-links/", {"asset": str(model.uuid)}).json()["count"] == 1
    back = {"upstream": str(model.uuid), "downstream": str(dataset.uuid), "relation": "depends_on"}
    response = client.post("/api/v1/asset-links/", back, format="json")
    assert response.status_code == 400
    assert "cycle" in response.json()["error"]["fields"]["upstream"][0]
    wrong = {"upstream": str(model.uuid), "downstream": str(dataset.uuid), "relation": "serves"}
    response = client.post("/api/v1/asset-links/", wrong, format="json")
    assert "an endpoint serves a model" in response.json()["error"]["fields"]["relation"][0]
    link = AssetLink.objects.get()
    assert client.delete(f"/api/v1/asset-links/{link.uuid}/").status_code == 204
    assert not AssetLink.objects.exists()


def test_classification_is_answered_and_read_back(api_for, make_asset) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system", "CV screening")
    client = api_for(Role.RISK_OFFICER)
    url = f"{ASSETS}{system.uuid}/classification/"
    assert client.get(url).status_code == 404
    answers = {"is_ai_system": True, "annex_iii_points": ["4(a)"], "role": "deployer"}
    response = client.post(url, {"answers": answers}, format="json")
    assert response.status_code == 201
    assert response.json()["result"]["eu_ai_act"]["tier"] == "high"
    assert response.json()["version"] == 1
    assert client.get(url).json()["version"] == 1
    bad = client.post(url, {"answers": {"is_ai_system": "maybe"}}, format="json")
    assert bad.status_code == 400 and "is_ai_system" in str(bad.json()["error"]["fields"])
    assert client.get(f"{ASSETS}{system.uuid}/").json()["tier"] == "high"


def test_only_admins_patch_the_organisation(api_for) -> None:  # type: ignore[no-untyped-def]
    body = api_for(Role.AUDITOR).get("/api/v1/organisation/").json()
    assert body["ccpa_business"] is False
    payload = {"ccpa_annual_revenue_usd": "30000000"}
    assert (
        api_for(Role.RISK_OFFICER)
        .patch("/api/v1/organisation/", payload, format="json")
        .status_code
        == 403
    )
    response = api_for(Role.ADMIN).patch("/api/v1/organisation/", payload, format="json")
    assert response.status_code == 200 and response.json()["ccpa_business"] is True
    assert OrganisationProfile.objects.get().ccpa_business
