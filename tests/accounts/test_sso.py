"""Single sign-on against a real OIDC provider that the test starts on loopback."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from urllib.error import HTTPError
from urllib.parse import urlparse

import pytest
from django.test import Client

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from tests.oidc_provider import Provider, RunningProvider

pytestmark = pytest.mark.django_db


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


@pytest.fixture
def idp(settings) -> Iterator[Provider]:  # type: ignore[no-untyped-def]
    with RunningProvider(Provider()) as provider:
        settings.OIDC_ENABLED = True
        settings.OIDC_RP_CLIENT_ID = provider.client_id
        settings.OIDC_RP_CLIENT_SECRET = provider.client_secret
        for name, value in provider.endpoints().items():
            setattr(settings, name, value)
        settings.OIDC_ROLE_MAP = {
            "ai-risk": "risk-officer",
            "cto-office": "executive",
            "audit": "auditor",
        }
        yield provider


def _sign_in(client: Client) -> str:
    """Walk the authorization code flow; return where RiskHub sends the browser."""
    start = client.get("/accounts/sso/start/?next=/inventory/")
    assert start.status_code == 302 and start["Location"].startswith("http://127.0.0.1")
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(start["Location"])
        raise AssertionError("the provider should redirect back")
    except HTTPError as redirect:
        assert redirect.code == 302
        callback = urlparse(redirect.headers["Location"])
    response = client.get(f"{callback.path}?{callback.query}")
    assert response.status_code == 302
    return response["Location"]


def test_a_new_user_signs_in_with_sso_and_gets_the_role_of_their_group(idp: Provider) -> None:
    idp.user = {
        "email": "Grace@Example.com",
        "name": "Grace Hopper",
        "groups": ["staff", "cto-office"],
    }
    client = Client()
    assert _sign_in(client) == "/inventory/"
    user = User.objects.get(email="grace@example.com")
    assert user.role == Role.EXECUTIVE and user.full_name == "Grace Hopper"
    assert not user.has_usable_password()
    assert client.get("/dashboard/").status_code == 200
    assert AuditEvent.objects.filter(action="user.sso_provision", object_id=str(user.pk)).exists()
    assert AuditEvent.objects.filter(action="auth.login", actor_id=user.pk).exists()


def test_a_changed_idp_group_changes_the_role_at_the_next_sign_in(idp: Provider, make_user) -> None:  # type: ignore[no-untyped-def]
    existing = make_user(Role.RISK_OFFICER, email="sam@example.com")
    idp.user = {"email": "sam@example.com", "name": "Sam", "groups": ["audit"]}
    _sign_in(Client())
    existing.refresh_from_db()
    existing.__dict__.pop("role", None)
    assert existing.role == Role.AUDITOR
    assert AuditEvent.objects.filter(action="user.sso_sync", object_id=str(existing.pk)).exists()


def test_a_user_without_a_mapped_group_is_refused(idp: Provider) -> None:
    idp.user = {"email": "mallory@example.com", "name": "Mallory", "groups": ["contractors"]}
    client = Client()
    assert _sign_in(client) == "/accounts/login/?sso=failed"
    assert not User.objects.filter(email="mallory@example.com").exists()
    page = client.get("/accounts/login/?sso=failed").content.decode()
    assert "no RiskHub role" in page


def test_sso_routes_are_404_when_not_configured(settings) -> None:  # type: ignore[no-untyped-def]
    settings.OIDC_ENABLED = False
    assert Client().get("/accounts/sso/start/").status_code == 404
