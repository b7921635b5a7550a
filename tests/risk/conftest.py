from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.celery import app as celery_app
from riskhub.inventory.models import Asset, AssetLink
from riskhub.risk import catalog_loader, services
from riskhub.risk.models import Assessment, RiskMatrix

_names = itertools.count()


@pytest.fixture
def catalogs(db: None) -> None:
    catalog_loader.load(stdout=io.StringIO())


@pytest.fixture
def matrix(catalogs: None) -> RiskMatrix:
    return RiskMatrix.objects.get(code="default-5x5")


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """Run tasks in-process: on_commit enqueues execute immediately."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def make_asset(db: None) -> Callable[..., Asset]:
    def make(kind: str = "model", name: str | None = None, **fields: Any) -> Asset:
        defaults: dict[str, Any] = {}
        if kind == "model":
            defaults["model_type"] = "generative-llm"
        if kind == "endpoint":
            defaults["exposure"] = "public"
        if kind == "system":
            defaults["intended_purpose"] = "Testing"
        defaults.update(fields)
        return Asset.objects.create(kind=kind, name=name or f"{kind}-{next(_names)}", **defaults)

    return make


def link(upstream: Asset, downstream: Asset, relation: str) -> AssetLink:
    return AssetLink.objects.create(upstream=upstream, downstream=downstream, relation=relation)


RiskSpec = tuple[int, int, int, int]  # inherent impact, likelihood, residual impact, likelihood


def risk_row(spec: RiskSpec, owner: User, **extra: Any) -> dict[str, Any]:
    ii, il, ri, rl = spec
    row = {
        "title": f"Risk {ii}{il}{ri}{rl}",
        "inherent_impact": ii,
        "inherent_likelihood": il,
        "residual_impact": ri,
        "residual_likelihood": rl,
        "treatment": "mitigate",
        "owner": owner,
        "due_date": date.today() + timedelta(days=30),
    }
    row.update(extra)
    return row


@pytest.fixture
def assess(catalogs: None, django_capture_on_commit_callbacks: Any) -> Callable[..., Assessment]:
    """Write, submit and (optionally) approve an assessment with the given risks."""

    def run(
        asset: Asset,
        risks: list[RiskSpec],
        *,
        author: User,
        reviewer: User | None = None,
        matrix: RiskMatrix | None = None,
    ) -> Assessment:
        with django_capture_on_commit_callbacks(execute=True):
            a = services.assessment_start(actor=author, asset=asset, matrix=matrix)
            a = services.assessment_save(
                actor=author,
                assessment=a,
                expected_revision=a.revision,
                risks=[risk_row(spec, author) for spec in risks],
            )
            a = services.assessment_submit(actor=author, assessment=a)
            if reviewer is not None:
                a = services.assessment_approve(actor=reviewer, assessment=a)
        return a

    return run
