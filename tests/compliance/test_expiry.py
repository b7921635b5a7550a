"""Expiring evidence is announced once; expired evidence stops counting (controlled time)."""

from __future__ import annotations

import datetime as dt

from django.core import mail

from riskhub.compliance import services
from riskhub.compliance.models import Evidence, RequirementStatus
from riskhub.compliance.selectors import local_today

from .conftest import HR_SCREENER, control, requirement


def test_expiry_is_announced_then_applied(catalogs, make_asset, officer) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("system", HR_SCREENER)
    today = local_today()
    implementation = services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
        owner=officer,
    )
    services.evidence_add_link(
        actor=officer,
        implementation=implementation,
        url="https://intranet.example/ir",
        description="IR plan",
        valid_until=today + dt.timedelta(days=10),
    )
    art33 = requirement("gdpr", "Art. 33")
    assert RequirementStatus.objects.get(asset=asset, requirement=art33).status == "met"

    result = services.evidence_expiry_sweep(today=today)
    assert result["notified"] == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [officer.email]
    assert "CTL-INCIDENT-RESPONSE" in mail.outbox[0].body
    # announced once only
    services.evidence_expiry_sweep(today=today + dt.timedelta(days=1))
    assert len(mail.outbox) == 1
    # still valid on its last day
    services.evidence_expiry_sweep(today=today + dt.timedelta(days=10))
    assert RequirementStatus.objects.get(asset=asset, requirement=art33).status == "met"
    # the day after, the control stops counting and the stored summaries follow
    result = services.evidence_expiry_sweep(today=today + dt.timedelta(days=11))
    assert result["expired"] == 1
    assert RequirementStatus.objects.get(asset=asset, requirement=art33).status == "gap"
    assert Evidence.objects.get().expiry_applied
    asset.refresh_from_db()
    assert asset.coverage_summary["gdpr"]["gap"] >= 1


def test_evidence_without_expiry_is_never_announced(catalogs, officer) -> None:  # type: ignore[no-untyped-def]
    implementation = services.implementation_create(
        actor=officer,
        control=control("CTL-AI-LITERACY"),
        scope="organisation",
        status="implemented",
    )
    services.evidence_add_link(
        actor=officer,
        implementation=implementation,
        url="https://lms.example/ai",
        description="Training records",
    )
    assert services.evidence_expiry_sweep()["notified"] == 0
    assert mail.outbox == []


def test_the_daily_task_is_scheduled() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["compliance-evidence-expiry"]
    assert entry["task"] == "riskhub.compliance.tasks.evidence_expiry"
