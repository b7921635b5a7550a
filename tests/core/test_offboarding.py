from __future__ import annotations

import datetime
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
                "due_date": datetime.date(2099, 1, 31),
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


# --- every app hands its own work over, through its services --------------------------


def _everything_owned_by(leaving, executive):  # type: ignore[no-untyped-def]
    """An asset, a risk of an approved assessment, an open control implementation and
    an open incident, all owned by `leaving`."""
    from django.utils import timezone

    from riskhub.compliance import catalog_loader as compliance_catalogs
    from riskhub.compliance import services as compliance_services
    from riskhub.compliance.models import Control
    from riskhub.incidents import services as incidents_services

    asset, _ = _open_work(leaving)
    compliance_catalogs.load(stdout=io.StringIO())
    assessment = asset.assessments.get()
    services.assessment_submit(actor=leaving, assessment=assessment)
    services.assessment_approve(actor=executive, assessment=assessment)
    implementation = compliance_services.implementation_create(
        actor=leaving,
        control=Control.objects.get(code="CTL-AI-LITERACY"),
        scope="organisation",
        owner=leaving,
    )
    incident = incidents_services.incident_create(
        actor=leaving, title="Leaked prompts", aware_at=timezone.now(), owner=leaving
    )
    return asset, Risk.objects.get(assessment=assessment), implementation, incident


def test_offboarding_moves_each_apps_open_work_with_one_audit_event_each(
    make_user, admin_user, executive
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.core.offboarding import open_work_of, user_offboard

    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    asset, risk, implementation, incident = _everything_owned_by(leaving, executive)
    assert open_work_of(leaving) == {
        "assets": 1,
        "risks and treatments": 1,
        "control implementations": 1,
        "incidents": 1,
    }

    moved = user_offboard(actor=admin_user, user=leaving, successor=successor)

    assert moved == {
        "assets": 1,
        "risks and treatments": 1,
        "control implementations": 1,
        "incidents": 1,
    }
    assert set(open_work_of(leaving).values()) == {0}
    assert open_work_of(successor) == moved
    for action, obj in [
        ("asset.reassign", asset),
        ("risk.reassign", risk),
        ("controlimplementation.reassign", implementation),
        ("incident.reassign", incident),
    ]:
        obj.refresh_from_db()
        assert obj.owner == successor
        event = AuditEvent.objects.get(action=action, object_id=str(obj.uuid))
        assert event.actor_id == admin_user.pk
        assert event.object_type == action.split(".")[0]
        assert (event.before, event.after) == (
            {"owner_id": leaving.pk},
            {"owner_id": successor.pk},
        )
        # The history tables carry the handover, so a report "as of" today names the
        # successor, and says who handed it over.
        latest = type(obj).history.filter(id=obj.pk).first()
        assert (latest.owner_id, latest.history_user_id) == (successor.pk, admin_user.pk)
    offboard = AuditEvent.objects.get(action="user.offboard", object_id=str(leaving.pk))
    assert offboard.after == {"active": False, "successor_id": successor.pk, "moved": moved}


def test_a_risk_handed_over_keeps_its_approved_content_and_can_still_be_accepted(
    make_user, admin_user, executive
) -> None:  # type: ignore[no-untyped-def]
    """Owner is who follows the risk up, not what the assessment says about it: the
    handover changes no approved content and makes nobody its last changer, so the
    admin who handed it over may still accept it (segregation of duties)."""
    from django.utils import timezone

    from riskhub.core.offboarding import user_offboard

    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    _, risk, _, _ = _everything_owned_by(leaving, executive)
    before = {
        f: getattr(risk, f)
        for f in ("title", "residual_score", "treatment", "updated_by_id", "created_by_id")
    }
    assessment_revision = risk.assessment.revision

    user_offboard(actor=admin_user, user=leaving, successor=successor)

    risk.refresh_from_db()
    assert {f: getattr(risk, f) for f in before} == before
    assert risk.updated_by_id == leaving.pk
    assert risk.assessment.revision == assessment_revision
    assert services.acceptance_refusal(admin_user, risk) is None
    services.acceptance_create(
        actor=admin_user,
        risk=risk,
        rationale="Compensating controls in place.",
        expires_on=timezone.localdate() + datetime.timedelta(days=90),
    )
    risk.refresh_from_db()
    assert risk.status == Risk.Status.ACCEPTED


def test_an_asset_edit_started_before_the_handover_cannot_give_it_back(
    make_user, admin_user
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.common.updates import EditConflict
    from riskhub.core.offboarding import user_offboard
    from riskhub.inventory import services as inventory_services

    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    asset, _ = _open_work(leaving)
    started_from = asset.version

    user_offboard(actor=admin_user, user=leaving, successor=successor)

    with pytest.raises(EditConflict):
        inventory_services.asset_update(
            actor=successor, asset=asset, expected_version=started_from, owner=leaving
        )
    assert Asset.objects.get(pk=asset.pk).owner == successor


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR])
def test_only_admins_may_hand_over_someone_elses_work(make_user, role: Role) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    from riskhub.compliance.services import implementation_reassign_owner
    from riskhub.incidents.services import incident_reassign_owner
    from riskhub.inventory.services import asset_reassign_owner

    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    asset, _ = _open_work(leaving)
    actor = make_user(role)
    for reassign in (
        asset_reassign_owner,
        services.risk_reassign_owner,
        implementation_reassign_owner,
        incident_reassign_owner,
    ):
        with pytest.raises(PermissionDenied):
            reassign(actor=actor, from_user=leaving, to_user=successor)
    assert Asset.objects.get(pk=asset.pk).owner == leaving
    assert not AuditEvent.objects.filter(action__endswith=".reassign").exists()


def test_offboarding_the_last_admin_is_refused_and_moves_nothing(make_user, admin_user) -> None:  # type: ignore[no-untyped-def]
    """Two admins offboarding each other at once: the second to commit finds itself
    the last admin standing, and all of its handover is rolled back."""
    from django.core.exceptions import ValidationError

    from riskhub.core.offboarding import user_offboard

    other_admin = make_user(Role.ADMIN)
    successor = make_user(Role.RISK_OFFICER)
    asset = Asset.objects.create(kind="dataset", name="Admin's data", owner=other_admin)
    User = type(admin_user)
    User.objects.filter(pk=admin_user.pk).update(is_active=False)  # the other one won

    with pytest.raises(ValidationError, match="last active admin"):
        user_offboard(actor=admin_user, user=other_admin, successor=successor)

    assert Asset.objects.get(pk=asset.pk).owner == other_admin
    assert User.objects.get(pk=other_admin.pk).is_active
    assert not AuditEvent.objects.filter(action="asset.reassign").exists()
