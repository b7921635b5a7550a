from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import ApiToken
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create
from riskhub.audit.models import AuditEvent
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader, services
from riskhub.risk.models import Risk

pytestmark = pytest.mark.django_db


def _open_work(owner):  # type: ignore[no-untyped-def]
    catalog_loader.load(stdout=io.StringIO())
    asset = Asset.objects.create(kind="dataset", name="Loan applications", owner=owner)
    archived = Asset.objects.create(kind="dataset", name="Old data", owner=owner)
    Asset.objects.filter(pk=archived.pk).update(archived_at="2026-01-01T00:00:00Z")
    assessment = services.assessment_start(actor=owner, asset=asset)
    services.assessment_save(
        actor=owner,
        assessment=assessment,
        expected_revision=assessment.revision,
        risks=[
            {
                "title": "Poisoning",
                "inherent_impact": 4,
                "inherent_likelihood": 3,
                "residual_impact": 2,
                "residual_likelihood": 2,
                "treatment": "mitigate",
                "owner": owner,
                "due_date": None,
            }
        ],
    )
    return asset, archived


def test_an_admin_offboards_an_officer_and_their_open_work_moves(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    asset, archived = _open_work(leaving)
    api_token_create(actor=leaving, owner=leaving, name="laptop")
    admin = client_for(Role.ADMIN)

    page = admin.get(reverse("core:offboard", args=[leaving.uuid]))
    assert "1 assets" in page.content.decode() and "1 risks and treatments" in page.content.decode()
    response = admin.post(
        reverse("core:offboard", args=[leaving.uuid]), {"successor": successor.pk}
    )
    assert response.status_code == 302

    leaving.refresh_from_db()
    assert not leaving.is_active
    assert Asset.objects.get(pk=asset.pk).owner == successor
    assert Asset.objects.get(pk=archived.pk).owner == leaving  # archived work stays
    assert set(Risk.objects.values_list("owner", flat=True)) == {successor.pk}
    assert not ApiToken.objects.filter(user=leaving, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.filter(action="user.offboard", object_id=str(leaving.pk)).exists()
    assert AuditEvent.objects.filter(action="asset.reassign", object_id=str(asset.uuid)).exists()
    from tests.conftest import PASSWORD

    assert not Client().login(username=leaving.email, password=PASSWORD)


def test_the_successor_must_be_someone_else_and_active(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    leaving = make_user(Role.RISK_OFFICER)
    admin = client_for(Role.ADMIN)
    response = admin.post(reverse("core:offboard", args=[leaving.uuid]), {"successor": leaving.pk})
    assert response.status_code == 400
    leaving.refresh_from_db()
    assert leaving.is_active


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR])
def test_only_admins_offboard(client_for, make_user, role: Role) -> None:  # type: ignore[no-untyped-def]
    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    response = client_for(role).post(
        reverse("core:offboard", args=[leaving.uuid]), {"successor": successor.pk}
    )
    assert response.status_code == 403
    leaving.refresh_from_db()
    assert leaving.is_active


def test_the_people_page_lists_users_for_admins(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.AUDITOR, email="someone@example.com")
    page = client_for(Role.ADMIN).get(reverse("core:people"), {"q": "someone"})
    assert "someone@example.com" in page.content.decode()
