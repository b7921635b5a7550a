from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.compliance.models import Control
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader

SAMPLES = Path(__file__).parent / "samples"
GARAK_REPORT = SAMPLES / "garak" / "riskhub-sample.report.jsonl"
GARAK_HITLOG = SAMPLES / "garak" / "riskhub-sample.hitlog.jsonl"
PROMPTFOO_RESULTS = SAMPLES / "promptfoo" / "riskhub-sample.results.json"

_names = itertools.count()


@pytest.fixture
def catalogs(db: None) -> None:
    """The threat catalog and matrices (real), and the controls the mapping names (the
    full compliance catalog is slow to load and is checked against the mapping without
    a database in test_mapping.py)."""
    catalog_loader.load(stdout=io.StringIO())
    for code, name in (
        ("CTL-ADVERSARIAL-TESTING", "Adversarial robustness testing and red teaming"),
        ("CTL-PROMPT-INJECTION-DEFENCE", "Prompt-injection defences"),
    ):
        Control.objects.get_or_create(
            code=code,
            defaults={"name": name, "default_scope": "asset", "catalog_version": "test"},
        )


@pytest.fixture
def make_asset(officer: User) -> Callable[..., Asset]:
    def make(kind: str = "endpoint", name: str | None = None, **fields: Any) -> Asset:
        defaults: dict[str, Any] = {
            "model": {"model_type": "generative-llm"},
            "endpoint": {"exposure": "public"},
            "system": {"intended_purpose": "Answer customers"},
        }.get(kind, {})
        return inventory.asset_create(
            actor=officer,
            kind=kind,
            name=name or f"{kind} {next(_names)}",
            **{"owner": officer, **defaults, **fields},
        )

    return make


def upload(path: Path, name: str | None = None) -> tuple[io.BytesIO, str, int]:
    data = path.read_bytes()
    return io.BytesIO(data), name or path.name, len(data)
