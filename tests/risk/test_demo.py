from __future__ import annotations

import io

import pytest
from django.core import mail

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory import demo as inventory_demo
from riskhub.inventory.models import Asset
from riskhub.risk import demo
from riskhub.risk.models import Assessment, Risk, RiskAcceptance

pytestmark = pytest.mark.django_db


def test_the_demo_gives_the_inventory_assessments_in_every_band_and_scales(
    make_user, catalogs
) -> None:  # type: ignore[no-untyped-def]
    users = {role: make_user(role) for role in Role}
    inventory_demo.seed(users=users, assets=None, seed=1, stdout=io.StringIO())
    demo.seed(users=users, assets=None, seed=1, stdout=io.StringIO())
    assert Assessment.objects.filter(status="approved").count() >= len(Asset.objects.all()) - 3
    assert Assessment.objects.filter(status="in_review").count() == 2
    assert Assessment.objects.filter(status="draft").count() == 1
    assert set(Risk.objects.values_list("residual_band", flat=True)) == {
        "low",
        "medium",
        "high",
        "critical",
    }
    assert RiskAcceptance.objects.count() == 2
    assert Asset.objects.filter(effective_risk_source="inherited").exists()
    assert mail.outbox == []
    # running it again changes nothing; --assets N scales with one summary event
    demo.seed(users=users, assets=None, seed=1, stdout=io.StringIO())
    assert RiskAcceptance.objects.count() == 2
    total = Asset.objects.count() + 20
    inventory_demo.seed(users=users, assets=total, seed=1, stdout=io.StringIO())
    before = AuditEvent.objects.count()
    demo.seed(users=users, assets=total, seed=1, stdout=io.StringIO())
    assert AuditEvent.objects.count() == before + 1
    generated = Assessment.objects.filter(summary="Generated for the benchmark.")
    assert Risk.objects.filter(assessment__in=generated).count() == 6 * generated.count()
    assert not Asset.objects.filter(
        assessments__in=generated, effective_risk_band="not-assessed"
    ).exists()
