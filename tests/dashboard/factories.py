"""Small factories for dashboard tests: rows written with the models (fast enough for
hypothesis), with the risk's derived scores computed the way the risk service does."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.inventory.models import Asset, BusinessUnit
from riskhub.risk.models import Assessment, Risk, RiskMatrix

_names = itertools.count()


def make_asset(kind: str = "system", **fields: Any) -> Asset:
    return Asset.objects.create(
        kind=kind, name=fields.pop("name", f"{kind} {next(_names)}"), **fields
    )


def make_unit(name: str | None = None) -> BusinessUnit:
    return BusinessUnit.objects.create(name=name or f"Unit {next(_names)}")


def make_assessment(
    asset: Asset,
    *,
    author: User,
    matrix: RiskMatrix,
    current: bool = True,
    version: int = 1,
    next_review_due: dt.date | None = None,
) -> Assessment:
    approved = current
    return Assessment.objects.create(
        asset=asset,
        version=version,
        status=Assessment.Status.APPROVED if approved else Assessment.Status.DRAFT,
        approved_at=timezone.now() if approved else None,
        matrix=matrix,
        matrix_version=matrix.version,
        author=author,
        is_current=current,
        next_review_due=next_review_due,
    )


def make_risk(
    assessment: Assessment,
    inherent: tuple[int, int],
    residual: tuple[int, int],
    *,
    status: str = Risk.Status.OPEN,
    treatment: str = Risk.Treatment.MITIGATE,
    due_date: dt.date | None = None,
    title: str | None = None,
) -> Risk:
    matrix = assessment.matrix
    inh = matrix.cell(*inherent)
    res = matrix.cell(*residual)
    return Risk.objects.create(
        assessment=assessment,
        title=title or f"Risk {next(_names)}",
        inherent_impact=inherent[0],
        inherent_likelihood=inherent[1],
        residual_impact=residual[0],
        residual_likelihood=residual[1],
        inherent_score=inh.score,
        inherent_band=inh.band,
        residual_score=res.score,
        residual_band=res.band,
        residual_rank=res.rank,
        residual_ratio=res.score / matrix.max_score,
        status=status,
        treatment=treatment,
        due_date=due_date,
    )
