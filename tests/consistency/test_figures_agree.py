"""One truth (issue 13): on generated inventories (several matrices, accepted and
expired acceptances, overdue treatments, expired and expiring evidence, archived
assets, drafts), every surface states the same figures, for the whole organisation and
for one business unit: the dashboard API, the dashboard page's data tables, today's
snapshot, and the data JSON embedded in each report kind."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.db.models import F, Sum
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, Phase, event, given, settings

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.celery import app as celery_app
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import selectors as compliance_figures
from riskhub.compliance.models import Evidence, Framework
from riskhub.dashboard import api as dashboard_api
from riskhub.dashboard import selectors as dashboard
from riskhub.dashboard import services as snapshots
from riskhub.dashboard.models import COVERAGE_COLUMNS, DailySnapshot
from riskhub.reports import kinds
from riskhub.reports.models import Kind
from riskhub.risk import catalog_loader as risk_catalogs
from tests.consistency import generator as gen
from tests.support import examples

pytestmark = pytest.mark.django_db
BANDS = ("critical", "high", "medium", "low")


def quiet(_: int, __: str) -> None:
    pass


class _Rollback(Exception):
    pass


@pytest.fixture
def people(make_user: Callable[..., User]) -> dict[str, User]:
    risk_catalogs.load(stdout=io.StringIO())
    compliance_catalogs.load(stdout=io.StringIO())
    return {
        "officer": make_user(Role.RISK_OFFICER),
        "executive": make_user(Role.EXECUTIVE),
        "auditor": make_user(Role.AUDITOR),
    }


@pytest.fixture(autouse=True)
def _tasks_in_process() -> Iterator[None]:
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _example(
    specs: list[gen.AssetSpec],
    people: dict[str, User],
    capture: Any,
    check: Callable[[gen.Built], None],
) -> None:
    """Build one example's inventory, check it, and roll it back so the next example
    starts from the same empty register."""
    try:
        with transaction.atomic():
            with capture(execute=True):
                built = gen.build(specs, officer=people["officer"], executive=people["executive"])
            check(built)
            raise _Rollback
    except _Rollback:
        pass


# --- The surfaces ------------------------------------------------------------------


def api_summary(client: Client, unit: Any) -> dict[str, Any]:
    response = client.get("/api/v1/dashboard/", {"business_unit": unit.pk} if unit else {})
    assert response.status_code == 200, response.content
    return response.json()["summary"]


def page_figures(client: Client, unit: Any, day: dt.date | None = None) -> dict[str, Any]:
    """The figures as a reader of the page's data tables sees them."""
    query: dict[str, Any] = {"business_unit": unit.pk} if unit else {}
    if day is not None:
        query["as_of"] = day.isoformat()
    response = client.get("/dashboard/", query)
    assert response.status_code == 200
    tables = gen.page_tables(response.content.decode())
    # The table lists the days newest first; the day shown is the one to read.
    shown = (day or timezone.localdate()).isoformat()
    (point,) = [
        row for row in tables["Open risks by band per day (daily snapshots)"] if row[0] == shown
    ]
    heatmap_total = sum(
        gen.first_int(cell)
        for caption, rows in tables.items()
        if caption.startswith("Open risks by residual impact")
        for row in rows
        for cell in row[1:]
    )
    kinds_rows = tables["Assessment by asset kind"]
    return {
        "trend_day": point[0],
        "open_by_band": {b: gen.number(point[1 + i]) for i, b in enumerate(BANDS)},
        "overdue": gen.number(point[5]),
        "unassessed": gen.number(point[6]),
        "heatmap_open": heatmap_total,
        "assets": sum(gen.number(r[1]) for r in kinds_rows),
        "unassessed_by_kind_total": sum(gen.number(r[2]) for r in kinds_rows),
        "coverage": [
            (gen.number(r[1]), gen.number(r[2]), gen.number(r[3])) if len(r) == 5 else None
            for r in tables.get("Coverage per framework", [])
        ],
    }


def snapshot_figures(day: dt.date, unit: Any) -> dict[str, Any]:
    rows = DailySnapshot.objects.filter(date=day)
    if unit:
        rows = rows.filter(business_unit=unit)
    sums = {
        name: value or 0
        for name, value in rows.aggregate(
            **{f"risks_{b}": Sum(f"risks_{b}") for b in BANDS},
            accepted=Sum("risks_accepted"),
            overdue=Sum("overdue"),
            unassessed=Sum("unassessed"),
            assets=Sum("assets"),
            **{
                f"{prefix}_{state}": Sum(f"{prefix}_{state}")
                for prefix in COVERAGE_COLUMNS.values()
                for state in ("met", "partial", "gap")
            },
        ).items()
    }
    return {
        "open_by_band": {b: sums[f"risks_{b}"] for b in BANDS},
        "accepted": sums["accepted"],
        "overdue": sums["overdue"],
        "unassessed": sums["unassessed"],
        "assets": sums["assets"],
        "coverage": {
            slug: (sums[f"{p}_met"], sums[f"{p}_partial"], sums[f"{p}_gap"])
            for slug, p in COVERAGE_COLUMNS.items()
        },
    }


def expiring_evidence(assets: list[Any] | None) -> int:
    """The compliance rule applied row by row to the evidence in scope (None: all)."""
    today = timezone.localdate()
    rows = Evidence.objects.all()
    if assets is not None:
        # A narrower scope holds its active assets' evidence (the dashboard's filter).
        rows = rows.filter(
            implementation__asset__in=assets, implementation__asset__archived_at__isnull=True
        )
    return sum(1 for e in rows if compliance_figures.is_expiring_evidence(e.valid_until, today))


# --- The comparison ----------------------------------------------------------------


def compare_scope(client: Client, built: gen.Built, unit: Any) -> dict[str, Any]:
    today = timezone.localdate()
    params = {"business_unit": str(unit.uuid)} if unit else {}
    api = api_summary(client, unit)
    risks, assets = api["risks"], api["assets"]
    assert sum(risks["open_by_band"][b] for b in BANDS) == risks["open"]

    page = page_figures(client, unit)
    assert page["trend_day"] == today.isoformat()
    assert page["open_by_band"] == {b: risks["open_by_band"][b] for b in BANDS}
    assert page["overdue"] == risks["overdue_treatments"]
    assert page["unassessed"] == page["unassessed_by_kind_total"] == assets["unassessed"]
    assert page["heatmap_open"] == risks["open"]
    assert page["assets"] == assets["total"]
    assert page["coverage"] == [(c["met"], c["partial"], c["gap"]) for c in api["coverage"]]

    snap = snapshot_figures(today, unit)
    assert snap["open_by_band"] == {b: risks["open_by_band"][b] for b in BANDS}
    assert snap["accepted"] == risks["accepted"]
    assert snap["overdue"] == risks["overdue_treatments"]
    assert snap["unassessed"] == assets["unassessed"]
    assert snap["assets"] == assets["total"]
    for c in api["coverage"]:
        if c["framework"] in snap["coverage"]:
            assert snap["coverage"][c["framework"]] == (c["met"], c["partial"], c["gap"])

    summary = kinds.build(Kind.EXECUTIVE_SUMMARY, params, quiet)
    assert summary["bands"] == {b: risks["open_by_band"][b] for b in BANDS}
    kpis = summary["kpis"]
    assert kpis["open_risks"] == risks["open"] == summary["trend"][-1]["open"]
    assert kpis["accepted"] == risks["accepted"]
    assert kpis["overdue_treatments"] == risks["overdue_treatments"]
    assert kpis["unassessed"] == assets["unassessed"]
    assert kpis["assets"] == assets["total"]
    assert kpis["evidence_expiring"] == api["deadlines"]["evidence_expiring"]
    assert kpis["acceptances_expiring"] == api["deadlines"]["acceptances_expiring"]
    scoped = [a for a in built.assets if unit is None or a.business_unit_id == unit.pk]
    assert kpis["evidence_expiring"] == expiring_evidence(None if unit is None else scoped)
    api_coverage = {c["framework"]: (c["met"], c["partial"], c["gap"]) for c in api["coverage"]}
    for c in summary["coverage"]:
        if c["slug"] in api_coverage:
            assert (c["met"], c["partial"], c["gap"]) == api_coverage[c["slug"]], c["slug"]

    register = kinds.build(Kind.RISK_REGISTER, params, quiet)["totals"]
    assert register["by_band"] == {b: risks["open_by_band"][b] for b in BANDS}
    assert register["open"] == risks["open"]
    assert register["accepted"] == risks["accepted"]
    assert register["overdue"] == risks["overdue_treatments"]
    assert register["assets_not_assessed"] == assets["unassessed"]

    for framework in Framework.objects.filter(slug__in=list(api_coverage)):
        totals = kinds.build(
            Kind.FRAMEWORK_COMPLIANCE, {**params, "framework": framework.slug}, quiet
        )["totals"]
        assert (totals["met"], totals["partial"], totals["gap"]) == api_coverage[framework.slug], (
            framework.slug
        )
    return api


def compare_dossiers(built: gen.Built) -> None:
    """A dossier's figures are the register's for the same scope (the system and its
    lineage), and its expiring evidence is the compliance rule's."""
    for system in built.systems:
        if system.archived_at is not None:
            continue
        params = {"system": str(system.uuid)}
        dossier = kinds.build(Kind.SYSTEM_DOSSIER, params, quiet)
        register = kinds.build(Kind.RISK_REGISTER, params, quiet)
        assert sorted(r["id"] for r in dossier["risks"]) == sorted(
            r["id"] for r in register["risks"]
        )
        assert sum(1 for e in dossier["evidence"] if e["expiring"]) == sum(
            1
            for e in dossier["evidence"]
            if compliance_figures.is_expiring_evidence(
                dt.date.fromisoformat(e["valid_until"]) if e["valid_until"] else None,
                timezone.localdate(),
            )
        )


@settings(
    max_examples=examples(15),
    deadline=None,
    # Each example writes to the database: no shrinking, the failing example is printed.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(specs=gen.inventories)
def test_every_surface_states_the_same_figures_for_the_organisation_and_a_unit(
    specs: list[gen.AssetSpec],
    people: dict[str, User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    client.force_login(people["auditor"])

    def check(built: gen.Built) -> None:
        snapshots.snapshot_take(day=timezone.localdate())
        api = compare_scope(client, built, None)
        compare_scope(client, built, built.units[0])
        # What the examples exercised (pytest --hypothesis-show-statistics).
        for name, value in (
            ("accepted", api["risks"]["accepted"]),
            ("overdue", api["risks"]["overdue_treatments"]),
            ("unassessed", api["assets"]["unassessed"]),
            ("evidence expiring", api["deadlines"]["evidence_expiring"]),
            ("coverage met", sum(c["met"] for c in api["coverage"])),
        ):
            event(f"{name} > 0: {value > 0}")
        compare_dossiers(built)

    _example(specs, people, django_capture_on_commit_callbacks, check)


# --- As of a past day --------------------------------------------------------------


def _move_history_back(days: int) -> None:
    """As if everything had been written `days` days ago: the history tables are what
    the as-of views read."""
    for model in apps.get_models():
        if model._meta.model_name.startswith("historical") and any(
            f.name == "history_date" for f in model._meta.get_fields()
        ):
            model.objects.update(history_date=F("history_date") - dt.timedelta(days=days))


@settings(
    max_examples=examples(6),
    deadline=None,
    # Each example writes to the database: no shrinking, the failing example is printed.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(specs=gen.inventories)
def test_a_past_day_reads_the_same_on_the_dashboard_its_trend_point_and_the_summary(
    specs: list[gen.AssetSpec],
    people: dict[str, User],
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = Client()
    client.force_login(people["auditor"])
    day = timezone.localdate() - dt.timedelta(days=1)

    def check(built: gen.Built) -> None:
        _move_history_back(3)
        snapshots.snapshot_take(day=day)
        for unit in (None, built.units[0]):
            board = dashboard.dashboard(
                dashboard.DashboardFilters(business_unit=unit.pk if unit else None, as_of=day)
            )
            api = dashboard_api.summary(board)
            assert board.historical
            point = board.trend[-1]
            assert point.date == day
            assert {b: getattr(point, b) for b in BANDS} == api["risks"]["open_by_band"]
            assert point.overdue == api["risks"]["overdue_treatments"]
            assert point.unassessed == api["assets"]["unassessed"]
            page = page_figures(client, unit, day)
            assert page["trend_day"] == day.isoformat()
            assert page["open_by_band"] == api["risks"]["open_by_band"]
            snap = snapshot_figures(day, unit)
            assert snap["open_by_band"] == api["risks"]["open_by_band"]
            assert snap["accepted"] == api["risks"]["accepted"]
            params: dict[str, Any] = {"as_of": day.isoformat()}
            if unit:
                params["business_unit"] = str(unit.uuid)
            summary = kinds.build(Kind.EXECUTIVE_SUMMARY, params, quiet)
            assert summary["bands"] == {b: api["risks"]["open_by_band"][b] for b in BANDS}
            assert summary["kpis"]["accepted"] == api["risks"]["accepted"]
            assert summary["kpis"]["overdue_treatments"] == api["risks"]["overdue_treatments"]
            assert summary["kpis"]["unassessed"] == api["assets"]["unassessed"]
            register = kinds.build(Kind.RISK_REGISTER, params, quiet)["totals"]
            assert register["by_band"] == summary["bands"]
            assert register["accepted"] == summary["kpis"]["accepted"]

    _example(specs, people, django_capture_on_commit_callbacks, check)
