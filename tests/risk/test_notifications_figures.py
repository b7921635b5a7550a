"""The notification emails tell people about exactly what the dashboard counts: the
overdue treatments, the acceptances and the evidence expiring within their windows."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control, ControlImplementation, Evidence
from riskhub.dashboard import selectors as dashboard
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk import notifications
from riskhub.risk.models import Risk, RiskAcceptance, RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk

pytestmark = pytest.mark.django_db


@pytest.fixture
def register(matrix: RiskMatrix, officer: Any, executive: Any) -> dict[str, Any]:
    today = timezone.localdate()
    late = today - dt.timedelta(days=3)
    assessment = make_assessment(make_asset("system"), author=officer, matrix=matrix)
    make_risk(assessment, (5, 5), (4, 4), due_date=late, title="Late fix")
    make_risk(assessment, (3, 3), (2, 2), due_date=late, treatment="accept", title="Awaits accept")
    make_risk(assessment, (3, 3), (2, 2), due_date=today, title="Due today")
    for days, title in ((20, "Accepted soon"), (45, "Accepted later")):
        risk = make_risk(assessment, (3, 3), (2, 2), status="accepted", due_date=late, title=title)
        RiskAcceptance.objects.create(
            risk=risk,
            approved_by=executive,
            rationale="Compensating controls.",
            expires_on=today + dt.timedelta(days=days),
        )
    Risk.objects.update(owner=officer)
    return {"today": today}


def test_the_overdue_email_lists_the_dashboards_overdue_treatments(
    register: dict[str, Any],
) -> None:
    board = dashboard.dashboard(dashboard.DashboardFilters())
    assert notifications.overdue_treatments() == 1
    (message,) = mail.outbox
    listed = [line for line in message.body.splitlines() if line.startswith("- ")]
    assert len(listed) == board.risks.overdue == 1
    assert "Late fix" in listed[0]


def test_the_acceptance_email_uses_the_dashboards_window(
    register: dict[str, Any], settings: Any
) -> None:
    board = dashboard.dashboard(dashboard.DashboardFilters())
    assert board.deadlines.acceptances_expiring == 1  # 20 days out; 45 is beyond 30
    assert notifications.expiring_acceptances() == board.deadlines.acceptances_expiring
    settings.ACCEPTANCE_EXPIRY_WINDOW_DAYS = 60
    mail.outbox.clear()
    board = dashboard.dashboard(dashboard.DashboardFilters())
    assert notifications.expiring_acceptances() == board.deadlines.acceptances_expiring == 2


def test_the_evidence_email_announces_the_dashboards_expiring_evidence(
    officer: Any, settings: Any
) -> None:
    risk_catalogs.load(stdout=io.StringIO())  # the threats controls link to
    compliance_catalogs.load(stdout=io.StringIO())
    today = timezone.localdate()
    implementation = ControlImplementation.objects.create(
        control=Control.objects.get(code="CTL-AI-LITERACY"),
        scope="organisation",
        status="implemented",
        owner=officer,
    )
    for days in (5, 30, 31, 59):
        Evidence.objects.create(
            implementation=implementation,
            kind="url",
            url="https://intranet.example/training",
            description=f"Valid {days} more days",
            valid_until=today + dt.timedelta(days=days),
        )
    board = dashboard.dashboard(dashboard.DashboardFilters())
    result = compliance_services.evidence_expiry_sweep(today=today)
    assert result["notified"] == board.deadlines.evidence_expiring == 2
    assert "within 30 days" in mail.outbox[0].subject
    settings.EVIDENCE_EXPIRY_WINDOW_DAYS = 60
    board = dashboard.dashboard(dashboard.DashboardFilters())
    assert board.deadlines.evidence_expiring == 4
    # The two already announced are not announced again; the other two now are.
    assert compliance_services.evidence_expiry_sweep(today=today)["notified"] == 2
