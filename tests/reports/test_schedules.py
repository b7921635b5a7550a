"""Report schedules: who may delete one (its owner or an admin), audited; the delete
button shows only to those who may press it.

Schedules have no API, so the object rules are exercised through the HTML views for
every role; tests/test_object_rules.py checks that every rule of OBJECT_RULES is
covered here or there.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import OBJECT_RULES, Role
from riskhub.audit.models import AuditEvent
from riskhub.reports import services
from riskhub.reports.models import ScheduledReport

pytestmark = pytest.mark.django_db

# rule -> is the schedule the acting user's own?
SCHEDULE_RULES: dict[str, bool] = {
    "report_schedule.delete_own": True,
    "report_schedule.delete_others": False,
}


def _schedule(owner: User, name: str = "Board pack") -> ScheduledReport:
    return services.schedule_create(
        actor=owner,
        name=name,
        kind="executive-summary",
        parameters={},
        cadence=ScheduledReport.Cadence.MONTHLY,
        recipient_roles=[Role.EXECUTIVE],
    )


def _delete_url(schedule: ScheduledReport) -> str:
    return reverse("reports:schedule_delete", args=[schedule.uuid])


def _deletions(schedule: ScheduledReport) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action="report_schedule.deleted", object_id=str(schedule.uuid))
    )


@pytest.mark.parametrize("rule", sorted(SCHEDULE_RULES))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_a_schedule_is_deleted_only_by_its_owner_or_an_admin(
    rule: str, role: Role, make_user: Any
) -> None:
    actor = make_user(role)
    owner = actor if SCHEDULE_RULES[rule] else make_user(Role.RISK_OFFICER)
    schedule = _schedule(owner)
    client = Client()
    client.force_login(actor)
    allowed = role in OBJECT_RULES[rule]

    page = client.get(reverse("reports:index")).content.decode()
    assert "Board pack" in page
    assert (_delete_url(schedule) in page) is allowed, f"{rule} as {role}: delete button"

    response = client.post(_delete_url(schedule))
    still_there = ScheduledReport.objects.filter(pk=schedule.pk).exists()
    if allowed:
        assert response.status_code == 302, f"{rule} as {role}"
        assert not still_there
        (event,) = _deletions(schedule)
        assert event.actor_id == actor.pk and event.before["owner"] == owner.pk
    else:
        assert response.status_code == 403, f"{rule} as {role}"
        assert still_there and _deletions(schedule) == []


def test_another_officer_cannot_delete_my_schedule_but_an_admin_can(make_user: Any) -> None:
    mine, colleague, admin = (
        make_user(Role.RISK_OFFICER),
        make_user(Role.RISK_OFFICER),
        make_user(Role.ADMIN),
    )
    schedule = _schedule(mine, name="Monthly register")
    with pytest.raises(PermissionDenied) as refused:
        services.schedule_delete(actor=colleague, schedule=schedule)
    assert "owner or an admin" in str(refused.value)
    assert ScheduledReport.objects.filter(pk=schedule.pk).exists()
    services.schedule_delete(actor=admin, schedule=schedule)
    assert not ScheduledReport.objects.filter(pk=schedule.pk).exists()


def test_a_schedule_whose_owner_is_gone_is_only_an_admins_to_delete(make_user: Any) -> None:
    schedule = _schedule(make_user(Role.RISK_OFFICER))
    ScheduledReport.objects.filter(pk=schedule.pk).update(created_by=None)
    schedule.refresh_from_db()
    for role in (Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR):
        assert not services.schedule_may_delete(make_user(role), schedule)
    assert services.schedule_may_delete(make_user(Role.ADMIN), schedule)


def test_deleting_an_unknown_schedule_is_a_404(client_for: Any) -> None:
    response = client_for(Role.ADMIN).post(
        reverse("reports:schedule_delete", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert response.status_code == 404
