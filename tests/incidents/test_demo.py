from __future__ import annotations

import io

import pytest

from riskhub.accounts.policy import Role
from riskhub.incidents import demo, services
from riskhub.incidents.models import Incident
from riskhub.inventory import demo as inventory_demo

pytestmark = pytest.mark.django_db


def test_demo_incidents_are_realistic_and_seeded_once(make_user) -> None:  # type: ignore[no-untyped-def]
    users = {role: make_user(role) for role in Role}
    out = io.StringIO()
    inventory_demo.seed(users=users, assets=None, seed=1, stdout=out)
    demo.seed(users=users, assets=None, seed=1, stdout=out)
    demo.seed(users=users, assets=None, seed=1, stdout=out)
    assert Incident.objects.count() == 3
    assert "already present" in out.getvalue()
    breach = Incident.objects.get(title=demo.MARKER)
    found, _ = services.evaluate(breach, services.organisation(), breach.timeline.all())
    assert {c.code: c.status for c in found}["gdpr:33"] == "running"
    closed = Incident.objects.get(status="closed")
    assert closed.review_what_failed and closed.review_changes
