"""Many rows at once (riskhub.common.bulk): COPY and UPDATE ... FROM unnest on
PostgreSQL, Django's bulk methods elsewhere; the same rows either way (CI runs this on
both databases)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from riskhub.common import bulk
from riskhub.compliance import catalog_loader
from riskhub.compliance.models import Framework, Requirement, RequirementStatus
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader as risk_catalog_loader

pytestmark = pytest.mark.django_db

FIELDS = ("asset_id", "requirement_id", "framework_id", "status", "reason", "applies_from")


def _catalogs() -> None:
    risk_catalog_loader.load(stdout=io.StringIO())  # the threats controls link to
    catalog_loader.load(stdout=io.StringIO())


def _assets(n: int) -> list[Asset]:
    return [Asset.objects.create(kind="dataset", name=f"set {i}") for i in range(n)]


def test_inserted_rows_read_back_exactly_with_dates_nulls_and_awkward_text() -> None:
    _catalogs()
    first, second = _assets(2)
    requirement = Requirement.objects.order_by("pk").first()
    assert requirement is not None
    framework = requirement.framework_id
    awkward = 'tab\there, "quotes", back\\slash, newline\nand \u00e9\u4e2d\U0001f600'
    rows = [
        (first.pk, requirement.pk, framework, "gap", awkward, dt.date(2026, 8, 2)),
        (second.pk, requirement.pk, framework, "met", "", None),
    ]
    bulk.insert_rows(RequirementStatus, FIELDS, iter(rows))
    stored = list(RequirementStatus.objects.order_by("asset_id").values_list(*FIELDS, "condition"))
    assert stored == [(*row, "") for row in rows]


def test_an_unknown_column_is_refused_before_anything_is_written() -> None:
    with pytest.raises(LookupError, match="no column 'colour'"):
        bulk.insert_rows(RequirementStatus, ("colour",), [("red",)])
    with pytest.raises(LookupError):
        bulk.update_column(Asset, "colour", {1: "red"})
    assert not RequirementStatus.objects.exists()


def test_one_column_of_many_rows_is_set_and_the_others_are_left() -> None:
    assets = _assets(5)
    Asset.objects.update(coverage_summary={"old": {"met": 1}})
    values = {
        assets[0].pk: {"eu-ai-act": {"met": 3, "gap": 1}},
        assets[1].pk: {},
        assets[2].pk: {"gdpr": {"note": 'a "quoted" \u00e9 value'}},
    }
    bulk.update_column(Asset, "coverage_summary", values)
    stored = dict(Asset.objects.values_list("pk", "coverage_summary"))
    assert {pk: stored[pk] for pk in values} == values
    assert stored[assets[3].pk] == stored[assets[4].pk] == {"old": {"met": 1}}
    # Nothing else on the rows moved.
    assert [a.name for a in Asset.objects.order_by("pk")] == [a.name for a in assets]


def test_nothing_to_update_sends_no_query() -> None:
    with CaptureQueriesContext(connection) as captured:
        bulk.update_column(Asset, "coverage_summary", {})
    assert len(captured) == 0


def test_more_rows_than_a_batch_are_all_written(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk, "BATCH", 3)
    _catalogs()
    assets = _assets(7)
    framework = Framework.objects.get(slug="gdpr")
    requirement = framework.requirements.order_by("pk").first()
    assert requirement is not None
    bulk.insert_rows(
        RequirementStatus,
        FIELDS,
        ((a.pk, requirement.pk, framework.pk, "partial", f"r{a.pk}", None) for a in assets),
    )
    bulk.update_column(Asset, "coverage_summary", {a.pk: {"n": a.pk} for a in assets})
    assert RequirementStatus.objects.filter(status="partial").count() == 7
    assert all(a.coverage_summary == {"n": a.pk} for a in Asset.objects.all())
