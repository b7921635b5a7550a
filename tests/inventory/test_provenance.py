"""Field provenance (DESIGN.md): each asset field knows who set it last, a person or an
import, whichever surface they used (form, API, CSV or CycloneDX import)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.inventory import io, provenance, services
from riskhub.inventory.models import Asset

pytestmark = pytest.mark.django_db


def test_a_person_registering_an_asset_is_the_last_writer_of_what_they_filled_in(
    officer: User,
) -> None:
    asset = services.asset_create(
        actor=officer, kind="model", name="Scorer", model_type="classifier", vendor="Acme"
    )
    assert {k: v["by"] for k, v in asset.field_sources.items()} == {
        "name": "person",
        "model_type": "person",
        "vendor": "person",
    }
    assert asset.field_sources["vendor"]["user"] == officer.pk


def test_an_edit_marks_only_the_fields_it_changed_and_card_parts_separately(
    officer: User, admin_user: User
) -> None:
    asset = services.asset_create(
        actor=officer,
        kind="model",
        name="Scorer",
        model_type="classifier",
        model_card={"metrics": [{"type": "auc", "value": "0.9"}]},
    )
    asset = services.asset_update(
        actor=admin_user,
        asset=asset,
        expected_version=asset.version,
        description="Reviewed",
        name="Scorer",  # unchanged: keeps its earlier writer
        model_card={**asset.model_card, "limitations": ["Only for retail loans"]},
    )
    sources = asset.field_sources
    assert sources["description"]["user"] == admin_user.pk
    assert sources["name"]["user"] == officer.pk
    assert sources["model_card.limitations"]["user"] == admin_user.pk
    assert sources["model_card.metrics"]["user"] == officer.pk


def test_an_api_edit_is_a_persons_edit(officer: User) -> None:
    asset = services.asset_create(actor=officer, kind="dataset", name="Loans")
    client = Client()
    client.force_login(officer)
    response = client.patch(
        reverse("api:asset-detail", args=[asset.uuid]),
        {"licence": "CC-BY-4.0", "version": asset.version},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    asset.refresh_from_db()
    assert provenance.last_writer(asset, "licence") == provenance.PERSON
    assert provenance.connector_may_write(asset, "licence") is False
    assert provenance.connector_may_write(asset, "record_count") is True


def test_an_import_is_the_last_writer_of_the_fields_it_changed(officer: User) -> None:
    asset = services.asset_create(actor=officer, kind="dataset", name="Loans", vendor="Acme")
    report = io.import_file(
        actor=officer,
        name="inventory.csv",
        data=(
            f"id,kind,name,vendor,licence\n{asset.uuid},dataset,Loans,Acme,MIT\n"
            ",dataset,Claims,Insurer,\n"
        ).encode(),
    )
    assert report.ok, report.errors
    asset.refresh_from_db()
    assert provenance.last_writer(asset, "licence") == provenance.IMPORT
    assert provenance.last_writer(asset, "vendor") == provenance.PERSON  # unchanged by it
    created = Asset.objects.get(name="Claims")
    assert provenance.last_writer(created, "vendor") == provenance.IMPORT
    assert created.field_sources["vendor"]["user"] == officer.pk
    # Only a person's own edit is protected from connectors (DESIGN.md "Field provenance").
    assert provenance.connector_may_write(created, "vendor") is True
