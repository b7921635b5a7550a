from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from riskhub.compliance import catalog_loader
from riskhub.compliance.models import Control, Requirement
from riskhub.inventory import classification
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import catalog_loader as risk_catalog_loader

ORG = {
    "eu_established": True,
    "public_body": False,
    "public_authority": False,
    "gdpr_role": "controller",
    "ccpa_business": True,
    "ccpa_cyber_audit": False,
    "ca_conducts_business": True,
    "ca_breach_role": "owner",
}

HR_SCREENER = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": "deployer",
    "performs_profiling": True,
    "gdpr": {"personal_data": True, "automated_decisions": True},
    "ccpa": {
        "california_consumers": True,
        "business_thresholds_met": True,
        "admt_significant_decisions": True,
    },
}


def facts_for(answers: dict[str, Any], org: dict[str, Any] | None = None) -> list[str]:
    return classification.facts(answers, org or ORG)


@pytest.fixture
def catalogs(db: None) -> catalog_loader.Report:
    risk_catalog_loader.load(stdout=io.StringIO())  # the threats controls link to
    return catalog_loader.load(stdout=io.StringIO())


@pytest.fixture
def make_asset(db: None) -> Callable[..., Asset]:
    counter = iter(range(10_000))

    def make(
        kind: str = "system", answers: dict[str, Any] | None = None, name: str = "", **fields: Any
    ) -> Asset:
        facts = facts_for(answers) if answers is not None else []
        defaults: dict[str, Any] = {"intended_purpose": "demo"} if kind == "system" else {}
        if kind == "model":
            defaults["model_type"] = "classifier"
        if kind == "endpoint":
            defaults["exposure"] = "internal"
        return Asset.objects.create(
            kind=kind,
            name=name or f"{kind}-{next(counter)}",
            facts=facts,
            **{**defaults, **fields},
        )

    return make


@pytest.fixture
def link(db: None) -> Callable[[Asset, Asset, str], AssetLink]:
    def make(upstream: Asset, downstream: Asset, relation: str = "part_of") -> AssetLink:
        return AssetLink.objects.create(upstream=upstream, downstream=downstream, relation=relation)

    return make


def control(code: str) -> Control:
    return Control.objects.get(code=code)


def requirement(slug: str, ref: str) -> Requirement:
    return Requirement.objects.get(framework__slug=slug, ref=ref)
