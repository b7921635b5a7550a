from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from riskhub.accounts.policy import Role
from riskhub.risk import notifications, services
from riskhub.risk.models import Risk, RiskAcceptance

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 1)


@pytest.fixture
def approved_risk(make_asset, assess, officer, executive) -> Risk:  # type: ignore[no-untyped-def]
    a = assess(make_asset("endpoint"), [(4, 4, 3, 3)], author=officer, reviewer=executive)
    return a.risks.get()


def test_an_executive_accepts_a_residual_risk_until_a_date(approved_risk, executive) -> None:  # type: ignore[no-untyped-def]
    acc = services.acceptance_create(
        actor=executive,
        risk=approved_risk,
        rationale="Compensating monitoring.",
        expires_on=TODAY + timedelta(days=90),
        today=TODAY,
    )
    approved_risk.refresh_from_db()
    assert approved_risk.status == Risk.Status.ACCEPTED and acc.is_active
    assert acc.history.count() == 1
    with pytest.raises(ValidationError, match="not open"):
        services.acceptance_create(
            actor=executive,
            risk=approved_risk,
            rationale="again",
            expires_on=TODAY + timedelta(days=9),
            today=TODAY,
        )


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.AUDITOR])
def test_only_executives_and_admins_accept(approved_risk, make_user, role) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.acceptance_create(
            actor=make_user(role),
            risk=approved_risk,
            rationale="x",
            expires_on=TODAY + timedelta(days=9),
            today=TODAY,
        )


def test_acceptance_needs_a_rationale_and_a_future_expiry(approved_risk, executive) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as err:
        services.acceptance_create(
            actor=executive, risk=approved_risk, rationale=" ", expires_on=TODAY, today=TODAY
        )
    assert set(err.value.message_dict) == {"rationale", "expires_on"}


def test_risks_of_a_draft_cannot_be_accepted(make_asset, assess, officer, executive) -> None:  # type: ignore[no-untyped-def]
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    with pytest.raises(ValidationError, match="current approved"):
        services.acceptance_create(
            actor=executive,
            risk=a.risks.get(),
            rationale="x",
            expires_on=TODAY + timedelta(days=9),
            today=TODAY,
        )


def test_an_expired_acceptance_reopens_the_risk(approved_risk, executive) -> None:  # type: ignore[no-untyped-def]
    acc = services.acceptance_create(
        actor=executive,
        risk=approved_risk,
        rationale="Until the fix ships.",
        expires_on=TODAY + timedelta(days=10),
        today=TODAY,
    )
    assert (
        services.acceptances_expire(today=TODAY + timedelta(days=10)) == 0
    )  # valid through the day
    approved_risk.refresh_from_db()
    assert approved_risk.status == Risk.Status.ACCEPTED
    assert services.acceptances_expire(today=TODAY + timedelta(days=11)) == 1
    approved_risk.refresh_from_db()
    acc.refresh_from_db()
    assert approved_risk.status == Risk.Status.OPEN and acc.expired_at is not None
    assert not acc.is_active
    assert services.acceptances_expire(today=TODAY + timedelta(days=12)) == 0


def test_the_daily_task_expires_with_todays_date(approved_risk, executive, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from riskhub.risk import tasks

    services.acceptance_create(
        actor=executive,
        risk=approved_risk,
        rationale="x",
        expires_on=TODAY + timedelta(days=1),
        today=TODAY,
    )
    monkeypatch.setattr(
        "django.utils.timezone.localdate", lambda *a, **k: TODAY + timedelta(days=5)
    )
    assert tasks.expire_acceptances() == 1
    approved_risk.refresh_from_db()
    assert approved_risk.status == Risk.Status.OPEN


def test_revoking_reopens_the_risk(approved_risk, executive) -> None:  # type: ignore[no-untyped-def]
    acc = services.acceptance_create(
        actor=executive,
        risk=approved_risk,
        rationale="x",
        expires_on=TODAY + timedelta(days=9),
        today=TODAY,
    )
    services.acceptance_revoke(actor=executive, acceptance=acc)
    approved_risk.refresh_from_db()
    assert approved_risk.status == Risk.Status.OPEN
    assert RiskAcceptance.objects.get(pk=acc.pk).revoked


def test_expiring_acceptances_and_overdue_treatments_send_daily_mail(
    approved_risk, executive, officer
) -> None:  # type: ignore[no-untyped-def]
    services.acceptance_create(
        actor=executive,
        risk=approved_risk,
        rationale="x",
        expires_on=TODAY + timedelta(days=7),
        today=TODAY,
    )
    mail.outbox.clear()
    assert notifications.expiring_acceptances(today=TODAY) == 1
    assert set(mail.outbox[0].to) == {executive.email, officer.email}
    assert "ends in 7 days" in mail.outbox[0].subject
    assert notifications.expiring_acceptances(today=TODAY - timedelta(days=30)) == 0
    # an open, mitigated risk past its due date
    Risk.objects.filter(pk=approved_risk.pk).update(
        status="open", due_date=TODAY - timedelta(days=1)
    )
    mail.outbox.clear()
    assert notifications.overdue_treatments(today=TODAY) == 1
    assert mail.outbox[0].to == [officer.email]
    assert approved_risk.title in mail.outbox[0].body
