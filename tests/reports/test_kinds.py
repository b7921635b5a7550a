"""Every report kind states the owning apps' figures, the ones the dashboard and its
API show: open (never counting accepted risks), accepted, overdue, unassessed and
expiring within one window setting each (issue 13)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance.models import Control, ControlImplementation, Evidence
from riskhub.dashboard import api as dashboard_api
from riskhub.dashboard import selectors as dashboard
from riskhub.reports import kinds
from riskhub.reports.kinds import executive_summary, risk_register
from riskhub.reports.models import Kind
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk.models import RiskAcceptance, RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk

pytestmark = pytest.mark.django_db


def quiet(_: int, __: str) -> None:
    pass


@pytest.fixture
def register(officer: Any, executive: Any) -> dict[str, Any]:
    """One assessed system with a risk of each kind the figures tell apart, an
    unassessed model, and evidence on either side of the expiry windows."""
    risk_catalogs.load(stdout=io.StringIO())
    compliance_catalogs.load(stdout=io.StringIO())
    matrix = RiskMatrix.objects.get(code="default-5x5")
    today = timezone.localdate()
    yesterday, tomorrow = today - dt.timedelta(days=1), today + dt.timedelta(days=1)
    system = make_asset("system", name="Hiring Screener", intended_purpose="hiring")
    make_asset("model", name="Unassessed Ranker", model_type="classifier")
    assessment = make_assessment(system, author=officer, matrix=matrix)
    make_risk(assessment, (5, 5), (4, 4), due_date=yesterday, title="Overdue high")
    make_risk(
        assessment, (3, 3), (3, 2), due_date=yesterday, treatment="accept", title="Awaits accept"
    )
    make_risk(assessment, (2, 2), (1, 1), due_date=tomorrow, title="Open low")
    accepted_high = make_risk(
        assessment, (5, 5), (4, 4), status="accepted", due_date=yesterday, title="Accepted high"
    )
    accepted_medium = make_risk(
        assessment, (3, 3), (3, 2), status="accepted", title="Accepted medium"
    )
    make_risk(assessment, (5, 5), (5, 5), status="closed", title="Closed critical")
    for risk, days in ((accepted_high, 10), (accepted_medium, 200)):
        RiskAcceptance.objects.create(
            risk=risk,
            approved_by=executive,
            rationale="Compensating controls.",
            expires_on=today + dt.timedelta(days=days),
        )
    implementation = ControlImplementation.objects.create(
        control=Control.objects.get(code="CTL-RISK-MGMT"),
        scope="system",
        asset=system,
        status="implemented",
    )
    for days in (10, 45, -1):
        Evidence.objects.create(
            implementation=implementation,
            kind="url",
            url="https://intranet.example/evidence",
            description=f"Valid for {days} days",
            valid_until=today + dt.timedelta(days=days),
        )
    return {"system": system}


def test_the_summary_bands_count_open_risks_only_as_its_headline_and_the_dashboard_do(
    register: dict[str, Any],
) -> None:
    """The issue: 'Open risks by residual band' added up to 43 (it counted the 2
    accepted risks) while the headline said 41, and High/Medium were one more each
    than the dashboard API's."""
    data = kinds.build(Kind.EXECUTIVE_SUMMARY, {}, quiet)
    api = dashboard_api.summary(dashboard.dashboard(dashboard.DashboardFilters()))["risks"]
    assert data["bands"] == {"critical": 0, "high": 1, "medium": 1, "low": 1}
    assert sum(data["bands"].values()) == data["kpis"]["open_risks"] == api["open"] == 3
    assert data["bands"] == {band: api["open_by_band"][band] for band in data["bands"]}
    assert data["kpis"]["accepted"] == api["accepted"] == 2
    assert data["kpis"]["critical_high"] == 1
    # Today's trend point is the headline.
    assert data["trend"][-1]["open"] == data["kpis"]["open_risks"]
    assert data["trend"][-1]["high_critical"] == data["kpis"]["critical_high"]
    # The top risks are open risks, as on the dashboard.
    assert {r["title"] for r in data["top_risks"]} == {"Overdue high", "Awaits accept", "Open low"}


def test_overdue_unassessed_and_expiring_agree_between_the_dashboard_and_every_kind(
    register: dict[str, Any],
) -> None:
    board = dashboard.dashboard(dashboard.DashboardFilters())
    api = dashboard_api.summary(board)
    summary = kinds.build(Kind.EXECUTIVE_SUMMARY, {}, quiet)
    register_data = kinds.build(Kind.RISK_REGISTER, {}, quiet)
    dossier = kinds.build(Kind.SYSTEM_DOSSIER, {"system": str(register["system"].uuid)}, quiet)

    # Overdue: open, due before today, treatment other than accepting it.
    assert api["risks"]["overdue_treatments"] == 1
    assert summary["kpis"]["overdue_treatments"] == register_data["totals"]["overdue"] == 1
    # Unassessed: the active model without an approved assessment.
    assert api["assets"]["unassessed"] == 1
    assert summary["kpis"]["unassessed"] == register_data["totals"]["assets_not_assessed"] == 1
    # The register's totals are the same figures.
    assert register_data["totals"]["open"] == api["risks"]["open"] == 3
    assert register_data["totals"]["accepted"] == api["risks"]["accepted"] == 2
    assert register_data["totals"]["by_band"] == {
        band: api["risks"]["open_by_band"][band] for band in register_data["totals"]["by_band"]
    }
    # Expiring: one window each, 30 days by default (the summary said 60 before).
    deadlines = api["deadlines"]
    assert deadlines["evidence_window_days"] == summary["windows"]["evidence_expiring_days"] == 30
    assert deadlines["evidence_expiring"] == summary["kpis"]["evidence_expiring"] == 1
    assert deadlines["acceptances_expiring"] == summary["kpis"]["acceptances_expiring"] == 1
    assert sum(1 for e in dossier["evidence"] if e["expiring"]) == 1


def test_one_setting_moves_the_expiry_window_everywhere(
    register: dict[str, Any], settings: Any
) -> None:
    settings.EVIDENCE_EXPIRY_WINDOW_DAYS = 60
    settings.ACCEPTANCE_EXPIRY_WINDOW_DAYS = 365
    board = dashboard.dashboard(dashboard.DashboardFilters())
    summary = kinds.build(Kind.EXECUTIVE_SUMMARY, {}, quiet)
    dossier = kinds.build(Kind.SYSTEM_DOSSIER, {"system": str(register["system"].uuid)}, quiet)
    assert board.deadlines.evidence_expiring == summary["kpis"]["evidence_expiring"] == 2
    assert sum(1 for e in dossier["evidence"] if e["expiring"]) == 2
    assert board.deadlines.acceptances_expiring == summary["kpis"]["acceptances_expiring"] == 2
    assert summary["windows"] == {"acceptances_expiring_days": 365, "evidence_expiring_days": 60}


def test_the_register_heatmap_counts_the_open_risks_the_dashboard_heatmap_counts(
    register: dict[str, Any],
) -> None:
    data = kinds.build(Kind.RISK_REGISTER, {}, quiet)
    board = dashboard.dashboard(dashboard.DashboardFilters())
    (heatmap,) = data["heatmaps"]
    cells = {
        (row["impact"], cell["likelihood"]): cell["count"]
        for row in heatmap["rows"]
        for cell in row["cells"]
        if cell["count"]
    }
    (dashboard_cells,) = board.risks.cells.values()
    assert cells == dict(dashboard_cells["residual"])
    assert heatmap["total"] == board.risks.open_total == 3


def test_each_kind_is_a_module_with_named_sections() -> None:
    assert kinds.BUILDERS[Kind.EXECUTIVE_SUMMARY] is executive_summary.build
    assert kinds.BUILDERS[Kind.RISK_REGISTER] is risk_register.build
    for section in ("kpis_section", "coverage_section", "trend_section", "deadlines_section"):
        assert callable(getattr(executive_summary, section))


@pytest.mark.parametrize("kind", [Kind.EXECUTIVE_SUMMARY, Kind.RISK_REGISTER, Kind.SYSTEM_DOSSIER])
def test_the_exceptions_register_counts_what_the_dashboard_counts(
    kind: str, register: dict[str, Any]
) -> None:
    """The exceptions are the owning apps' figures, listed: as many overdue treatments,
    expiring acceptances and expiring evidence as the dashboard API counts."""
    api = dashboard_api.summary(dashboard.dashboard(dashboard.DashboardFilters()))
    params = {"system": str(register["system"].uuid)} if kind == Kind.SYSTEM_DOSSIER else {}
    counts = kinds.build(kind, params, quiet)["exception_counts"]
    assert counts["treatment_overdue"] == api["risks"]["overdue_treatments"] == 1
    assert counts["acceptance_expiring"] == api["deadlines"]["acceptances_expiring"] == 1
    assert counts["evidence_expiring"] == api["deadlines"]["evidence_expiring"] == 1
    assert counts["evidence_expired"] == 1
