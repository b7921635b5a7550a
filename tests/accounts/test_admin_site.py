"""The Django admin is a read-only window: every write through it is refused with 403
and changes nothing, so users, roles, groups and tokens change only through the
audited services."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import path
from django.utils import timezone

from riskhub.accounts.admin_site import RiskHubAdminSite
from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create, api_token_revoke
from riskhub.audit.models import AuditEvent
from riskhub.compliance.models import Framework
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


# Another app's model, registered the way a careless future change might: with a
# ModelAdmin that grants every permission and an action. The site must still refuse.
class _GenerousAdmin(admin.ModelAdmin):
    actions = ["rename_all"]

    def has_add_permission(self, request: Any) -> bool:
        return True

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return True

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return True

    @admin.action(description="Rename all")
    def rename_all(self, request: Any, queryset: Any) -> None:
        queryset.update(name="renamed")


other_site = RiskHubAdminSite(name="other")
other_site.register(Framework, _GenerousAdmin)


def _urlpatterns() -> list[Any]:
    from riskhub.urls import urlpatterns as real

    return [path("other-admin/", other_site.urls), *real]


urlpatterns = _urlpatterns()


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


def _refused(response: Any) -> bool:
    return response.status_code == 403


def test_an_admin_sees_users_groups_and_tokens_without_any_way_to_change_them(
    admin_client: Client, officer: User
) -> None:
    for url in (
        "/admin/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{officer.pk}/change/",
        "/admin/auth/group/",
        "/admin/accounts/apitoken/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert 'name="_save"' not in html and "/add/" not in html, url
        assert 'name="action"' not in html, url
    user_page = admin_client.get(f"/admin/accounts/user/{officer.pk}/change/").content.decode()
    assert officer.email in user_page and Role.RISK_OFFICER.value in user_page
    # No password hash, and no link to Django's password form.
    assert officer.password not in user_page and "algorithm" not in user_page
    assert f"/admin/accounts/user/{officer.pk}/password/" not in user_page


def test_a_user_cannot_be_changed_reactivated_or_given_a_password_in_the_admin(
    admin_client: Client, make_user: Any
) -> None:
    target = make_user(Role.AUDITOR)
    target.is_active = False
    target.save(update_fields=["is_active"])
    admin_group = Group.objects.get(name=Role.ADMIN.value)
    events = AuditEvent.objects.count()
    users = User.objects.count()
    base = f"/admin/accounts/user/{target.pk}"
    attempts = [
        (f"{base}/change/", {"email": target.email, "is_active": "on", "groups": [admin_group.pk]}),
        (
            f"{base}/password/",
            {"password1": "a new passphrase 123", "password2": "a new passphrase 123"},
        ),
        (f"{base}/delete/", {"post": "yes"}),
        (
            "/admin/accounts/user/add/",
            {"email": "new@example.com", "password1": "x" * 20, "password2": "x" * 20},
        ),
        (
            "/admin/accounts/user/",
            {"action": "delete_selected", "_selected_action": [target.pk], "index": 0},
        ),
    ]
    for url, data in attempts:
        assert _refused(admin_client.post(url, data)), url
    # The password form is not even offered for reading.
    assert admin_client.get(f"{base}/password/").status_code != 200
    target.refresh_from_db()
    assert not target.is_active and target.check_password(PASSWORD)
    assert list(target.groups.values_list("name", flat=True)) == [Role.AUDITOR.value]
    assert User.objects.count() == users and AuditEvent.objects.count() == events


def test_groups_cannot_be_renamed_added_or_deleted_in_the_admin(admin_client: Client) -> None:
    group = Group.objects.get(name=Role.ADMIN.value)
    events = AuditEvent.objects.count()
    base = f"/admin/auth/group/{group.pk}"
    for url, data in [
        (f"{base}/change/", {"name": "renamed"}),
        (f"{base}/delete/", {"post": "yes"}),
        ("/admin/auth/group/add/", {"name": Role.ADMIN.value + "-2"}),
        (
            "/admin/auth/group/",
            {"action": "delete_selected", "_selected_action": [group.pk], "index": 0},
        ),
    ]:
        assert _refused(admin_client.post(url, data)), url
    assert set(Group.objects.values_list("name", flat=True)) <= set(Role.values)
    assert Group.objects.filter(pk=group.pk, name=Role.ADMIN.value).exists()
    assert AuditEvent.objects.count() == events


def test_a_revoked_token_cannot_be_revived_in_the_admin(
    admin_client: Client, officer: User
) -> None:
    token, _ = api_token_create(actor=officer, owner=officer, name="ci")
    api_token_revoke(actor=officer, token=token)
    events = AuditEvent.objects.count()
    base = f"/admin/accounts/apitoken/{token.pk}"
    for url, data in [
        (
            f"{base}/change/",
            {"name": "ci", "scope": token.scope, "revoked_at_0": "", "revoked_at_1": ""},
        ),
        (f"{base}/delete/", {"post": "yes"}),
        ("/admin/accounts/apitoken/add/", {"name": "sneaky", "user": officer.pk}),
        (
            "/admin/accounts/apitoken/",
            {"action": "delete_selected", "_selected_action": [token.pk], "index": 0},
        ),
    ]:
        assert _refused(admin_client.post(url, data)), url
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_at <= timezone.now()
    assert ApiToken.objects.count() == 1 and AuditEvent.objects.count() == events


def test_the_admins_own_password_form_sends_to_the_audited_page(
    admin_client: Client, admin_user: User
) -> None:
    page = admin_client.get("/admin/password_change/")
    assert page.status_code == 302 and page["Location"] == "/accounts/password/"
    new = "another long passphrase 77"
    refused = admin_client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert _refused(refused)
    admin_user.refresh_from_db()
    assert admin_user.check_password(PASSWORD)


@pytest.mark.urls("tests.accounts.test_admin_site")
def test_any_model_registered_on_the_site_is_read_only_whatever_its_model_admin_says(
    admin_client: Client,
) -> None:
    framework = Framework.objects.create(slug="t", name="Test framework", version="1")
    base = f"/other-admin/compliance/framework/{framework.pk}"
    assert admin_client.get(f"{base}/change/").status_code == 200
    for url, data in [
        (f"{base}/change/", {"slug": "t", "name": "edited", "version": "2", "position": 0}),
        (f"{base}/delete/", {"post": "yes"}),
        (
            "/other-admin/compliance/framework/add/",
            {"slug": "n", "name": "N", "version": "1", "position": 0},
        ),
        (
            "/other-admin/compliance/framework/",
            {"action": "rename_all", "_selected_action": [framework.pk], "index": 0},
        ),
    ]:
        assert _refused(admin_client.post(url, data)), url
    framework.refresh_from_db()
    assert (framework.name, framework.version) == ("Test framework", "1")
    assert Framework.objects.count() == 1


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR])
def test_other_roles_are_refused_the_admin(client_for: Any, role: Role) -> None:
    client = client_for(role)
    for url in ("/admin/", "/admin/accounts/user/"):
        response = client.get(url, follow=True)
        assert response.status_code == 403, (role, url)
