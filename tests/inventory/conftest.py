from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.inventory import services
from riskhub.inventory.models import Asset, AssetLink

KIND_DEFAULTS: dict[str, dict[str, Any]] = {
    "dataset": {},
    "model": {"model_type": "classifier"},
    "endpoint": {"exposure": "internal"},
    "system": {"intended_purpose": "Decide things"},
}


@pytest.fixture
def make_asset(officer: User) -> Callable[..., Asset]:
    def make(kind: str = "dataset", name: str | None = None, **fields: Any) -> Asset:
        make.counter += 1  # type: ignore[attr-defined]
        return services.asset_create(
            actor=officer,
            kind=kind,
            name=name or f"{kind} {make.counter}",  # type: ignore[attr-defined]
            **{**KIND_DEFAULTS[kind], **fields},
        )

    make.counter = 0  # type: ignore[attr-defined]
    return make


@pytest.fixture
def link(officer: User) -> Callable[..., AssetLink]:
    def make(upstream: Asset, downstream: Asset, relation: str) -> AssetLink:
        return services.link_create(
            actor=officer, upstream=upstream, downstream=downstream, relation=relation
        )

    return make


@pytest.fixture
def chain(make_asset, link) -> dict[str, Asset]:  # type: ignore[no-untyped-def]
    """dataset -> model -> endpoint -> system."""
    dataset = make_asset("dataset", "Loan applications")
    model = make_asset("model", "Credit model")
    endpoint = make_asset("endpoint", "Scoring API")
    system = make_asset("system", "Credit decisioning")
    link(dataset, model, "trained_on")
    link(model, endpoint, "serves")
    link(endpoint, system, "part_of")
    return {"dataset": dataset, "model": model, "endpoint": endpoint, "system": system}
