from __future__ import annotations

import pytest

from riskhub.risk import catalog_loader
from riskhub.risk.models import RiskMatrix


class Quiet:
    def write(self, text: str) -> None:
        pass


@pytest.fixture
def matrices(db: None) -> list[RiskMatrix]:
    catalog_loader.load(stdout=Quiet())
    return list(RiskMatrix.objects.order_by("-is_default", "name"))


@pytest.fixture
def matrix(matrices: list[RiskMatrix]) -> RiskMatrix:
    return RiskMatrix.objects.get(code="default-5x5")
