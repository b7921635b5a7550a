from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from riskhub.compliance import services as compliance_services
from riskhub.impact import catalog_loader
from riskhub.inventory.models import Asset
from tests.compliance.conftest import HR_SCREENER, catalogs, make_asset  # noqa: F401

# Credit scoring by a deployer (Annex III 5(b)): the AI Act's Art 27 FRIA applies, and
# with personal data and ADMT for a significant decision the GDPR DPIA and the CPPA
# risk assessment do too.
CREDIT_SCORING = {
    **HR_SCREENER,
    "annex_iii_points": ["5(b)"],
}
# The HR screener of the compliance tests: GDPR and CCPA (no Art 27: not a public body,
# not Annex III 5(b) or 5(c)).
TWO_LAWS = HR_SCREENER
# GDPR only: no California consumers.
GDPR_ONLY = {**HR_SCREENER, "ccpa": {"california_consumers": False}}


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def impact_catalog(catalogs: Any) -> Any:  # noqa: F811
    return catalog_loader.load(stdout=io.StringIO())


@pytest.fixture
def system_with(
    impact_catalog: Any,
    make_asset: Callable[..., Asset],  # noqa: F811
) -> Callable[..., Asset]:
    """An AI system classified with these answers, its coverage computed."""

    def make(answers: dict[str, Any], **fields: Any) -> Asset:
        asset = make_asset("system", answers, **fields)
        compliance_services.coverage_recompute(asset_ids=[asset.pk])
        return asset

    return make
