"""The gap list's rows: assets by name with anything open in the framework, each with
all its open requirements in catalog order, a page at a time; the total counts every
open pair."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from riskhub.compliance import services
from riskhub.compliance.models import Framework, RequirementStatus
from riskhub.compliance.selectors import gap_list
from riskhub.inventory.models import Asset

from .conftest import HR_SCREENER


def test_rows_are_the_first_assets_by_name_with_their_open_requirements_in_order(
    catalogs: Any, make_asset: Callable[..., Asset]
) -> None:
    for name in ("Delta screener", "alpha screener", "Charlie screener", "Bravo screener"):
        make_asset("system", HR_SCREENER, name=name)
    make_asset("model", name="Aardvark model")  # nothing open under the AI Act
    services.coverage_recompute()
    framework = Framework.objects.get(slug="eu-ai-act")
    open_rows = RequirementStatus.objects.filter(framework=framework, status__in=["gap", "partial"])
    per_asset = open_rows.filter(asset__name="Delta screener").count()
    assert per_asset > 2

    report = gap_list(framework, per_page=per_asset + 2)

    assert report.total == open_rows.count() == 4 * per_asset
    names = [row.asset_name for row in report.rows]
    # Name order as the database sorts it, one asset's rows together.
    first = Asset.objects.filter(kind="system").order_by("name").values_list("name", flat=True)[0]
    assert names[:per_asset] == [first] * per_asset
    assert len(names) == per_asset + 2 and len(set(names)) == 2
    positions = [row.requirement.position for row in report.rows[:per_asset]]
    assert positions == sorted(positions)
    assert all(row.status in ("gap", "partial") for row in report.rows)
    # The next page goes on where this one stopped; together the pages hold every row
    # once.
    pages = [report.rows]
    for number in range(2, report.page.paginator.num_pages + 1):
        pages.append(gap_list(framework, number=number, per_page=per_asset + 2).rows)
    assert pages[1][0].asset_name == names[-1]
    everything = [(r.asset_id, r.requirement.pk) for rows in pages for r in rows]
    assert len(everything) == len(set(everything)) == report.total
    # A page past the end shows the last one.
    assert gap_list(framework, number=99, per_page=per_asset + 2).rows == pages[-1]


def test_the_stored_requirement_totals_are_counted_from_the_statuses_on_upgrade(
    catalogs: Any, make_asset: Callable[..., Asset]
) -> None:
    import importlib

    from django.apps import apps

    from riskhub.compliance.models import RequirementCoverage

    upgrade = importlib.import_module("riskhub.compliance.migrations.0005_requirement_totals")
    for name in ("Screener one", "Screener two"):
        make_asset("system", HR_SCREENER, name=name)
    services.coverage_recompute()
    kept = {t.requirement_id: (t.met, t.partial, t.gap) for t in RequirementCoverage.objects.all()}
    assert kept and all(sum(v) for v in kept.values())
    RequirementCoverage.objects.all().delete()
    upgrade.count_requirement_totals(apps, None)
    counted = {
        t.requirement_id: (t.met, t.partial, t.gap) for t in RequirementCoverage.objects.all()
    }
    assert counted == kept
    # Each requirement's totals are its statuses, two assets' worth.
    for requirement_id, (met, partial, gap) in counted.items():
        assert (
            met + partial + gap
            == RequirementStatus.objects.filter(requirement_id=requirement_id).count()
        )


def test_the_stored_requirement_dates_are_counted_from_the_statuses_on_upgrade(
    catalogs: Any, make_asset: Callable[..., Asset]
) -> None:
    import importlib

    from django.apps import apps

    from riskhub.compliance.models import RequirementDate

    upgrade = importlib.import_module("riskhub.compliance.migrations.0007_requirement_dates")
    for name in ("Screener one", "Screener two"):
        make_asset("system", HR_SCREENER, name=name)
    services.coverage_recompute()
    kept = {(d.requirement_id, d.applies_from): d.assets for d in RequirementDate.objects.all()}
    assert kept and set(kept.values()) == {2}  # both systems start on the same dates
    RequirementDate.objects.all().delete()
    upgrade.count_requirement_dates(apps, None)
    assert {
        (d.requirement_id, d.applies_from): d.assets for d in RequirementDate.objects.all()
    } == kept
    assert (
        sum(kept.values()) == RequirementStatus.objects.filter(applies_from__isnull=False).count()
    )
