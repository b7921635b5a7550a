"""The inventory pages, for every role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.inventory import services
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db

EDITORS = [Role.RISK_OFFICER, Role.ADMIN]
READERS = [Role.EXECUTIVE, Role.AUDITOR]


def test_the_list_shows_assets_with_their_risk_band_and_kind(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get(reverse("inventory:list"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Credit decisioning" in body and "Loan applications" in body
    assert "Not assessed" in body and "AI system" in body


def test_the_asset_page_renders_for_every_kind(client_for, chain) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.EXECUTIVE)
    for asset in chain.values():
        response = client.get(reverse("inventory:detail", args=[asset.uuid]))
        assert response.status_code == 200, asset.kind
        body = response.content.decode()
        assert f'hx-get="/assessments/asset/{asset.uuid}/tab/"' in body
        assert f'hx-get="/compliance/asset/{asset.uuid}/tab/"' in body
        assert "<svg" in body
