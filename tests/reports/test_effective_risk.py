"""A report's effective risk follows the lineage rule of the asset pages."""

from __future__ import annotations

from typing import Any

import pytest

from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.reports import kinds

pytestmark = pytest.mark.django_db


def _dossier_band(system: Asset) -> str:
    data = kinds.build("system-dossier", {"system": str(system.uuid)}, lambda *_: None)
    return str(data["system"]["effective_band"])


def test_the_dossier_shows_the_effective_risk_the_asset_page_shows(world: Any) -> None:
    system = Asset.objects.get(pk=world.system.pk)
    assert system.effective_risk_band not in ("", "not-assessed")
    assert _dossier_band(system) == system.effective_risk_band


def test_an_archived_component_passes_no_risk_to_the_dossier(
    world: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """The assessed model is archived: the system's page no longer inherits its risk,
    and neither does the system's dossier (it used to keep the archived model's band)."""
    with django_capture_on_commit_callbacks(execute=True):
        inventory.asset_archive(actor=world.officer, asset=world.model)
    system = Asset.objects.get(pk=world.system.pk)
    assert system.effective_risk_band == "not-assessed"
    assert _dossier_band(system) == "not-assessed"
