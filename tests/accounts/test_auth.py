from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import ApiToken
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create, api_token_revoke
from riskhub.accounts.throttling import login_identifier
from riskhub.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def test_a_user_signs_in_with_email_and_reaches_the_dashboard(officer) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    response = _login(client, officer.email)
    assert response.status_code == 302 and response["Location"] == reverse("dashboard:index")
    page = client.get(reverse("dashboard:index"))
    assert page.status_code == 200 and officer.email in page.content.decode()


def test_login_and_logout_are_audited_by_user_id(officer) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    _login(client, officer.email)
    client.post(reverse("accounts:logout"))
    events = list(AuditEvent.objects.filter(actor_id=officer.pk).values_list("action", flat=True))
    assert "auth.login" in events and "auth.logout" in events
    assert not AuditEvent.objects.filter(object_id=officer.email).exists()


def test_a_wrong_password_is_refused_and_audited_without_the_email(officer) -> None:  # type: ignore[no-untyped-def]
    response = _login(Client(), officer.email, "wrong password")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.object_id == login_identifier(officer.email)
    assert officer.email not in str(failed.after) + failed.object_id


def test_repeated_failures_from_one_client_throttle_even_the_right_password(
    officer, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        _login(client, officer.email, "nope nope")
    response = _login(client, officer.email)
    assert response.status_code == 200
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Only for that client: the same account opens from another address.
    assert _login(Client(REMOTE_ADDR="192.0.2.10"), officer.email).status_code == 302


def test_each_role_sees_only_the_navigation_it_may_use(client_for) -> None:  # type: ignore[no-untyped-def]
    officer_page = client_for(Role.RISK_OFFICER).get(reverse("dashboard:index")).content.decode()
    auditor_page = client_for(Role.AUDITOR).get(reverse("dashboard:index")).content.decode()
    for label in ("Dashboard", "Inventory", "Assessments", "Compliance", "Reports"):
        assert f">{label}</a>" in officer_page
    assert ">Audit trail</a>" not in officer_page
    assert ">Audit trail</a>" in auditor_page


def test_api_tokens_are_stored_hashed_and_shown_once(officer) -> None:  # type: ignore[no-untyped-def]
    token, secret = api_token_create(actor=officer, owner=officer, name="ci")
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (
        stored.key_hash,
        stored.prefix,
    ) and stored.key_hash == ApiToken.hash_secret(secret)
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(officer.uuid),
        "email": officer.email,
        "full_name": "",
        "role": "risk-officer",
    }


def test_a_revoked_token_gets_401_in_the_error_shape(officer) -> None:  # type: ignore[no-untyped-def]
    token, secret = api_token_create(actor=officer, owner=officer, name="ci")
    api_token_revoke(actor=officer, token=token)
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 401
    assert response.json()["error"]["status"] == 401
    assert "revoked" in response.json()["error"]["message"]


def test_an_alerts_scoped_token_cannot_read_the_api(officer) -> None:  # type: ignore[no-untyped-def]
    _, secret = api_token_create(
        actor=officer, owner=officer, name="am", scope=ApiToken.Scope.ALERTS
    )
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code == 403


def test_tokens_are_created_and_revoked_in_the_ui(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    page = client.post(
        reverse("accounts:token_create"),
        {"name": "laptop", "scope": "read-write", "expires_in_days": "30"},
    )
    assert page.status_code == 200
    token = ApiToken.objects.get(name="laptop")
    secret = page.context["new_secret"]
    assert secret in page.content.decode() and token.key_hash == ApiToken.hash_secret(secret)
    client.post(reverse("accounts:token_revoke", args=[token.uuid]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.uuid)).exists()


def test_a_token_name_is_required_with_the_error_beside_the_field(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(Role.AUDITOR).post(
        reverse("accounts:token_create"), {"name": "", "scope": "read-write"}
    )
    assert page.status_code == 400
    assert 'id="id_name_error"' in page.content.decode()
    assert not ApiToken.objects.exists()


def test_someone_elses_token_cannot_be_revoked_through_the_ui(make_user) -> None:  # type: ignore[no-untyped-def]
    owner, other = make_user(Role.RISK_OFFICER), make_user(Role.RISK_OFFICER)
    token, _ = api_token_create(actor=owner, owner=owner, name="mine")
    client = Client()
    client.force_login(other)
    assert client.post(reverse("accounts:token_revoke", args=[token.uuid])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_create_api_token_command_prints_a_working_secret(officer, capsys) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    call_command("create_api_token", officer.email, "--name", "cli")
    secret = capsys.readouterr().out.strip()
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {secret}").status_code == 200


def test_password_change_requires_the_old_password_and_keeps_the_session(officer) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(officer)
    bad = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": "nope",
            "new_password1": "a much longer passphrase 9",
            "new_password2": "a much longer passphrase 9",
        },
    )
    assert bad.status_code == 200 and "old password" in bad.content.decode().lower()
    ok = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 9",
            "new_password2": "a much longer passphrase 9",
        },
    )
    assert ok.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    officer.refresh_from_db()
    assert officer.check_password("a much longer passphrase 9")


def test_the_admin_site_is_for_admins_only(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for(Role.ADMIN).get("/admin/").status_code == 200
    executive = client_for(Role.EXECUTIVE)
    first = executive.get("/admin/")
    assert first.status_code == 302 and first["Location"].startswith("/admin/login/")
    assert executive.get(first["Location"]).status_code == 403
    anonymous = Client().get("/admin/login/?next=/admin/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")


def test_seed_demo_creates_the_four_demo_users(settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", "--password", "demo password 2026", "--users-only")
    client = Client()
    for email in (
        "officer@example.com",
        "cto@example.com",
        "auditor@example.com",
        "admin@example.com",
    ):
        assert client.login(username=email, password="demo password 2026"), email


def test_seed_demo_refuses_without_debug_unless_forced(settings) -> None:  # type: ignore[no-untyped-def]
    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG off"):
        call_command("seed_demo", "--password", "x", "--users-only")
    call_command("seed_demo", "--password", "demo password 2026", "--users-only", "--force")
