"""User management on /people/: invitations, roles, set-password links, deactivation and
reactivation, API tokens. Admins only, every change audited."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create
from riskhub.audit.models import AuditEvent
from riskhub.celery import app as celery_app
from riskhub.core.offboarding import user_offboard
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 2026"


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """The email task runs in-process when the transaction commits."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def admin(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/set/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def _post(client: Client, url: str, data: dict[str, object], capture) -> object:  # type: ignore[no-untyped-def]
    with capture(execute=True):
        return client.post(url, data)


def _events(action: str, user: User) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, object_id=str(user.pk)))


# --- who may -------------------------------------------------------------------------


def _people_requests(person: User, token: ApiToken) -> list[tuple[str, str, dict[str, str]]]:
    return [
        ("get", reverse("core:people"), {}),
        ("get", reverse("core:invite"), {}),
        ("post", reverse("core:invite"), {"email": "x@example.com", "role": "admin"}),
        ("get", reverse("core:person", args=[person.uuid]), {}),
        ("post", reverse("core:person_role", args=[person.uuid]), {"role": "admin"}),
        ("post", reverse("core:person_password_link", args=[person.uuid]), {}),
        ("post", reverse("core:person_reactivate", args=[person.uuid]), {}),
        ("post", reverse("core:person_token_revoke", args=[person.uuid, token.uuid]), {}),
    ]


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR])
def test_only_admins_manage_people(client_for, make_user, role: Role) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.AUDITOR)
    token, _ = api_token_create(actor=person, owner=person, name="laptop")
    client = client_for(role)
    before = AuditEvent.objects.count()
    for method, url, data in _people_requests(person, token):
        response = getattr(client, method)(url, data)
        assert response.status_code == 403, f"{method} {url}"
    person.refresh_from_db()
    token.refresh_from_db()
    assert person.role == Role.AUDITOR and token.revoked_at is None
    assert not User.objects.filter(email="x@example.com").exists()
    assert AuditEvent.objects.count() == before and not mail.outbox


def test_anonymous_visitors_are_sent_to_sign_in(make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.AUDITOR)
    token, _ = api_token_create(actor=person, owner=person, name="laptop")
    for method, url, data in _people_requests(person, token):
        response = getattr(Client(), method)(url, data)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
    assert not User.objects.filter(email="x@example.com").exists()


# --- invitations -----------------------------------------------------------------------


def test_an_admin_invites_a_person_who_sets_a_password_once(
    admin, admin_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    response = _post(
        admin,
        reverse("core:invite"),
        {"email": "New.Person@Example.com", "full_name": "New Person", "role": "executive"},
        django_capture_on_commit_callbacks,
    )
    person = User.objects.get(email="new.person@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("core:person", args=[person.uuid])
    assert person.role == Role.EXECUTIVE and person.groups.count() == 1
    assert not person.has_usable_password() and person.is_active
    invite = _events("user.invite", person)
    assert len(invite) == 1 and invite[0].actor_id == admin_user.pk
    assert invite[0].after == {"id": person.pk, "role": "executive", "active": True}
    assert _events("user.create", person)[0].actor_id == admin_user.pk

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.com"] and "invited" in message.subject
    link = _link_in(message)
    page = Client().get(link)
    assert page.status_code == 200 and "Choose your password" in page.content.decode()

    done = Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    assert Client().login(username="new.person@example.com", password=NEW_PASSWORD)
    password_set = _events("user.password_set", person)
    assert len(password_set) == 1 and password_set[0].actor_id == person.pk
    assert password_set[0].after == {"first_password": True}

    again = Client().get(link)
    assert again.status_code == 400 and "no longer works" in again.content.decode()


def test_inviting_an_email_that_has_an_account_says_so_beside_the_field(
    admin, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.AUDITOR, email="taken@example.com")
    response = _post(
        admin,
        reverse("core:invite"),
        {"email": "TAKEN@example.com", "role": "admin"},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html and "already has an account" in html
    assert User.objects.get(email="taken@example.com").role == Role.AUDITOR
    assert not AuditEvent.objects.filter(action="user.invite").exists() and not mail.outbox


def test_an_invitation_needs_an_email_and_a_known_role(admin) -> None:  # type: ignore[no-untyped-def]
    response = admin.post(reverse("core:invite"), {"email": "not an email", "role": "superuser"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_email_error"' in html and 'id="id_role_error"' in html
    assert User.objects.count() == 1


# --- roles -----------------------------------------------------------------------------


def test_an_admin_changes_someones_one_role(admin, admin_user, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.RISK_OFFICER)
    response = admin.post(reverse("core:person_role", args=[person.uuid]), {"role": "auditor"})
    assert response.status_code == 302
    person = User.objects.get(pk=person.pk)
    assert person.role == Role.AUDITOR
    assert list(person.groups.values_list("name", flat=True)) == ["auditor"]
    event = _events("user.set_role", person)[0]
    assert event.actor_id == admin_user.pk
    assert (event.before["role"], event.after["role"]) == ("risk-officer", "auditor")
    page = admin.get(response["Location"])
    assert "is now Auditor" in page.content.decode()


def test_choosing_the_same_role_records_nothing(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.EXECUTIVE)
    response = admin.post(reverse("core:person_role", args=[person.uuid]), {"role": "executive"})
    assert response.status_code == 302
    assert not _events("user.set_role", person)
    assert "already has the role" in admin.get(response["Location"]).content.decode()


def test_the_last_active_admin_cannot_demote_themselves(admin, admin_user) -> None:  # type: ignore[no-untyped-def]
    response = admin.post(
        reverse("core:person_role", args=[admin_user.uuid]), {"role": "executive"}
    )
    assert response.status_code == 400
    assert "last active admin" in response.content.decode()
    assert User.objects.get(pk=admin_user.pk).role == Role.ADMIN
    assert not _events("user.set_role", admin_user)


def test_an_admin_may_step_down_when_another_admin_remains(admin, admin_user, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.ADMIN)
    response = admin.post(
        reverse("core:person_role", args=[admin_user.uuid]), {"role": "executive"}
    )
    assert response.status_code == 302
    assert User.objects.get(pk=admin_user.pk).role == Role.EXECUTIVE
    # Their next request is an executive's.
    assert admin.get(reverse("core:people")).status_code == 403


def test_a_deactivated_admin_does_not_count_as_the_remaining_admin(
    admin, admin_user, make_user
) -> None:  # type: ignore[no-untyped-def]
    other = make_user(Role.ADMIN)
    User.objects.filter(pk=other.pk).update(is_active=False)
    response = admin.post(reverse("core:person_role", args=[admin_user.uuid]), {"role": "auditor"})
    assert response.status_code == 400
    assert User.objects.get(pk=admin_user.pk).role == Role.ADMIN


# --- set-password links ----------------------------------------------------------------


def test_an_admin_emails_a_reset_link(
    admin, admin_user, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.AUDITOR)
    response = _post(
        admin,
        reverse("core:person_password_link", args=[person.uuid]),
        {},
        django_capture_on_commit_callbacks,
    )
    assert response.status_code == 302
    assert "A reset link was sent" in admin.get(response["Location"]).content.decode()
    event = _events("user.password_reset_link", person)[0]
    assert event.actor_id == admin_user.pk and event.after == {"purpose": "reset"}
    assert [m.to for m in mail.outbox] == [[person.email]]
    assert "Reset your password" in mail.outbox[0].subject
    # The old password keeps working until the person chooses a new one.
    assert User.objects.get(pk=person.pk).check_password(PASSWORD)
    link = _link_in(mail.outbox[0])
    Client().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert not Client().login(username=person.email, password=PASSWORD)
    assert Client().login(username=person.email, password=NEW_PASSWORD)


def test_an_invited_person_gets_the_invitation_again(
    admin, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    _post(
        admin,
        reverse("core:invite"),
        {"email": "slow@example.com", "role": "auditor"},
        django_capture_on_commit_callbacks,
    )
    person = User.objects.get(email="slow@example.com")
    page = admin.get(reverse("core:person", args=[person.uuid])).content.decode()
    assert "Send the invitation again" in page
    _post(
        admin,
        reverse("core:person_password_link", args=[person.uuid]),
        {},
        django_capture_on_commit_callbacks,
    )
    assert len(mail.outbox) == 2 and "invited" in mail.outbox[1].subject
    assert _events("user.password_reset_link", person)[0].after == {"purpose": "invite"}


def test_a_deactivated_person_gets_no_link(
    admin, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.AUDITOR)
    User.objects.filter(pk=person.pk).update(is_active=False)
    response = _post(
        admin,
        reverse("core:person_password_link", args=[person.uuid]),
        {},
        django_capture_on_commit_callbacks,
    )
    assert "Reactivate them first" in admin.get(response["Location"]).content.decode()
    assert not mail.outbox and not _events("user.password_reset_link", person)


# --- deactivation and reactivation -------------------------------------------------------


def test_deactivating_revokes_each_token_with_an_audit_event(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    leaving = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    token, secret = api_token_create(actor=leaving, owner=leaving, name="ci")
    response = admin.post(
        reverse("core:offboard", args=[leaving.uuid]), {"successor": successor.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("core:person", args=[leaving.uuid])
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.uuid)).exists()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_an_admin_reactivates_a_deactivated_person_whose_tokens_stay_revoked(
    admin, admin_user, make_user
) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    token, secret = api_token_create(actor=person, owner=person, name="ci")
    user_offboard(actor=admin_user, user=person, successor=successor)
    assert not Client().login(username=person.email, password=PASSWORD)

    page = admin.get(reverse("core:person", args=[person.uuid])).content.decode()
    assert "Reactivate" in page and "Deactivated" in page
    response = admin.post(reverse("core:person_reactivate", args=[person.uuid]))
    assert response.status_code == 302
    assert User.objects.get(pk=person.pk).is_active
    assert Client().login(username=person.email, password=PASSWORD)
    event = _events("user.reactivate", person)[0]
    assert event.actor_id == admin_user.pk
    assert (event.before["active"], event.after["active"]) == (False, True)
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_reactivating_an_active_person_changes_nothing(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.AUDITOR)
    response = admin.post(reverse("core:person_reactivate", args=[person.uuid]))
    assert "already active" in admin.get(response["Location"]).content.decode()
    assert not _events("user.reactivate", person)


def test_an_already_deactivated_person_cannot_be_offboarded_again(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.RISK_OFFICER)
    successor = make_user(Role.RISK_OFFICER)
    User.objects.filter(pk=person.pk).update(is_active=False)
    response = admin.post(reverse("core:offboard", args=[person.uuid]), {"successor": successor.pk})
    assert response.status_code == 400 and "already deactivated" in response.content.decode()
    assert not _events("user.offboard", person)


# --- API tokens -----------------------------------------------------------------------


def test_an_admin_revokes_a_persons_api_token(admin, admin_user, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.RISK_OFFICER)
    token, secret = api_token_create(actor=person, owner=person, name="nightly export")
    page = admin.get(reverse("core:person", args=[person.uuid])).content.decode()
    assert "nightly export" in page and "data-confirm" in page

    response = admin.post(reverse("core:person_token_revoke", args=[person.uuid, token.uuid]))
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    event = AuditEvent.objects.get(action="api_token.revoke", object_id=str(token.uuid))
    assert event.actor_id == admin_user.pk
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401


def test_a_token_is_revoked_only_through_its_owners_page(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    person = make_user(Role.RISK_OFFICER)
    other = make_user(Role.RISK_OFFICER)
    token, _ = api_token_create(actor=person, owner=person, name="ci")
    response = admin.post(reverse("core:person_token_revoke", args=[other.uuid, token.uuid]))
    assert response.status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


# --- the list ---------------------------------------------------------------------------


def test_the_list_filters_by_role_status_and_search(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user(Role.AUDITOR, email="ada@example.com")
    make_user(Role.EXECUTIVE, email="cto@example.com")
    gone = make_user(Role.AUDITOR, email="gone@example.com")
    User.objects.filter(pk=gone.pk).update(is_active=False)
    invited = make_user(Role.AUDITOR, email="invited@example.com")
    invited.set_unusable_password()
    invited.save()

    def emails(**params: str) -> set[str]:
        html = admin.get(reverse("core:people"), params).content.decode()
        return set(re.findall(r">([a-z]+@example\.com)</a>", html))

    assert emails(role="auditor") == {"ada@example.com", "gone@example.com", "invited@example.com"}
    assert emails(role="auditor", status="active") == {"ada@example.com"}
    assert emails(status="deactivated") == {"gone@example.com"}
    assert emails(status="invited") == {"invited@example.com"}
    assert emails(q="CTO") == {"cto@example.com"}
    assert emails(role="nonsense") >= {"ada@example.com", "cto@example.com"}


def test_the_list_costs_the_same_queries_for_many_people(admin, make_user) -> None:  # type: ignore[no-untyped-def]
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(reverse("core:people")).status_code == 200
        return len(captured)

    for role in Role:
        make_user(role)
    few = queries()
    for _ in range(3):
        for role in Role:
            make_user(role)
    assert queries() == few
