from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import catalog_loader

_names = itertools.count()


@pytest.fixture
def catalogs(db: None) -> None:
    """Risk matrices and threats, so a draft reassessment can start."""
    catalog_loader.load(stdout=io.StringIO())


@pytest.fixture
def make_asset(officer: User) -> Callable[..., Asset]:
    """An asset through the inventory service; `facts` and `tier` stand in for a
    classification (set directly: the classifier is the inventory's to test)."""

    def make(
        kind: str = "endpoint",
        name: str | None = None,
        facts: list[str] | None = None,
        tier: str = "",
        **fields: Any,
    ) -> Asset:
        defaults: dict[str, Any] = {
            "model": {"model_type": "classifier"},
            "endpoint": {"exposure": "public"},
            "system": {"intended_purpose": "Decide things"},
        }.get(kind, {})
        asset = inventory.asset_create(
            actor=officer,
            kind=kind,
            name=name or f"{kind} {next(_names)}",
            **{**defaults, **fields},
        )
        if facts is not None or tier:
            Asset.objects.filter(pk=asset.pk).update(facts=facts or [], tier=tier)
            asset.refresh_from_db()
        return asset

    return make


@pytest.fixture
def link(officer: User) -> Callable[..., AssetLink]:
    def make(upstream: Asset, downstream: Asset, relation: str) -> AssetLink:
        return inventory.link_create(
            actor=officer, upstream=upstream, downstream=downstream, relation=relation
        )

    return make
