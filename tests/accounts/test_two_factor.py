from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, offset: int = 0) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=offset):06d}"


def _enable(client: Client, user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    assert client.get(reverse("accounts:otp_setup")).status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(reverse("accounts:otp_setup"), {"token": _code(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    return device


def test_an_executive_turns_on_two_factor_and_is_asked_for_a_code_at_sign_in(make_user) -> None:  # type: ignore[no-untyped-def]
    cto = make_user(Role.EXECUTIVE)
    client = Client()
    client.login(username=cto.email, password=PASSWORD)
    device = _enable(client, cto)
    assert AuditEvent.objects.filter(action="user.2fa_enable", actor_id=cto.pk).exists()

    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": cto.email, "password": PASSWORD})
    blocked = fresh.get(reverse("dashboard:index"))
    assert blocked.status_code == 302 and reverse("accounts:otp_verify") in blocked["Location"]
    assert fresh.get("/api/v1/me/").status_code == 403

    wrong = fresh.post(reverse("accounts:otp_verify"), {"token": "000000", "next": "/dashboard/"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    # django-otp throttles after a failure (tested by django-otp); lift it to go on.
    device.refresh_from_db()
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    ok = fresh.post(
        reverse("accounts:otp_verify"), {"token": _code(device, 1), "next": "/dashboard/"}
    )
    assert ok.status_code == 302 and ok["Location"] == "/dashboard/"
    assert fresh.get(reverse("dashboard:index")).status_code == 200
    assert fresh.get("/api/v1/me/").status_code == 200


def test_a_wrong_code_does_not_turn_two_factor_on(officer) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(officer)
    client.get(reverse("accounts:otp_setup"))
    response = client.post(reverse("accounts:otp_setup"), {"token": "123456"})
    assert response.status_code == 400
    assert not TOTPDevice.objects.filter(user=officer, confirmed=True).exists()


def test_turning_two_factor_off_lets_the_password_suffice_again(make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    client = Client()
    client.login(username=admin.email, password=PASSWORD)
    _enable(client, admin)
    client.post(reverse("accounts:otp_disable"))
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": admin.email, "password": PASSWORD})
    assert fresh.get(reverse("dashboard:index")).status_code == 200


def test_the_verify_page_refuses_an_offsite_next(make_user) -> None:  # type: ignore[no-untyped-def]
    user = make_user(Role.AUDITOR)
    client = Client()
    client.login(username=user.email, password=PASSWORD)
    device = _enable(client, user)
    fresh = Client()
    fresh.post(reverse("accounts:login"), {"username": user.email, "password": PASSWORD})
    response = fresh.post(
        reverse("accounts:otp_verify"), {"token": _code(device, 1), "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"


# --- the second factor on every page, the admin and the API included ----------------


def _confirmed_device(user) -> TOTPDevice:  # type: ignore[no-untyped-def]
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def _password_only(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    response = client.post(
        reverse("accounts:login"), {"username": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def _verify(client: Client, device: TOTPDevice) -> None:
    response = client.post(reverse("accounts:otp_verify"), {"token": _code(device), "next": "/"})
    assert response.status_code == 302


def _sent_to(response, url_name: str) -> bool:  # type: ignore[no-untyped-def]
    return response.status_code == 302 and response["Location"].startswith(reverse(url_name))


def test_a_password_only_session_cannot_use_the_admin_until_the_code_is_given(make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    victim = make_user(Role.RISK_OFFICER)
    device = _confirmed_device(admin)
    client = _password_only(admin)

    listing = client.get("/admin/accounts/user/")
    assert _sent_to(listing, "accounts:otp_verify")
    assert "next=/admin/accounts/user/" in listing["Location"]
    new = "chosen by the attacker 2026"
    for url, data in [
        (f"/admin/accounts/user/{victim.pk}/password/", {"password1": new, "password2": new}),
        (f"/admin/accounts/user/{victim.pk}/change/", {"email": victim.email, "is_active": "on"}),
    ]:
        assert _sent_to(client.post(url, data), "accounts:otp_verify"), url
    victim.refresh_from_db()
    assert victim.check_password(PASSWORD) and victim.role == Role.RISK_OFFICER

    _verify(client, device)
    assert client.get("/admin/accounts/user/").status_code == 200


def test_a_password_only_session_is_sent_to_the_code_from_every_page(make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.policy import SECOND_FACTOR_OPEN_ROUTES, SecondFactorStep
    from tests.test_permission_matrix import ROUTES

    admin = make_user(Role.ADMIN)
    _confirmed_device(admin)
    client = _password_only(admin)
    open_routes = SECOND_FACTOR_OPEN_ROUTES[SecondFactorStep.VERIFY]
    pages = [r for r in ROUTES if r.namespace != "api" and r.name.lstrip(":") not in open_routes]
    assert len(pages) > 50 and any(r.url.startswith("/people/") for r in pages)
    for route in pages:
        response = client.get(route.url)
        assert _sent_to(response, "accounts:otp_verify"), f"{route.name} {route.url}"
    # An htmx fragment request is told to load the page instead of swapping it in.
    fragment = client.get(reverse("dashboard:index"), HTTP_HX_REQUEST="true")
    assert reverse("accounts:otp_verify") in fragment["HX-Redirect"]
    # What stays open: the code itself, signing out and the health check.
    assert client.get(reverse("accounts:otp_verify")).status_code == 200
    assert client.get(reverse("healthz")).status_code in (200, 503)
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_api_refuses_a_password_only_session_in_the_one_error_shape(make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.services import api_token_create

    officer = make_user(Role.RISK_OFFICER)
    device = _confirmed_device(officer)
    client = _password_only(officer)
    for url in ("/api/v1/me/", "/api/v1/audit-events/"):
        response = client.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["code"] == "two_factor_verify", url
    # A token is not a session login: it was created from a verified session.
    _, secret = api_token_create(actor=officer, owner=officer, name="ci")
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    _verify(client, device)
    assert client.get("/api/v1/me/").status_code == 200


def test_a_session_older_than_the_second_factor_is_asked_for_it_within_a_minute(make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.policy import OTP_CHECKED_SESSION_KEY

    officer = make_user(Role.RISK_OFFICER)
    stale = _password_only(officer)  # e.g. a stolen password, signed in before 2FA
    _confirmed_device(officer)  # the owner turns two-factor on elsewhere
    assert stale.get(reverse("dashboard:index")).status_code == 200  # within the minute
    session = stale.session
    session[OTP_CHECKED_SESSION_KEY] -= 61
    session.save()
    assert _sent_to(stale.get(reverse("dashboard:index")), "accounts:otp_verify")
    assert stale.get("/api/v1/me/").status_code == 403


def test_turning_two_factor_off_elsewhere_does_not_strand_a_waiting_session(make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.policy import OTP_CHECKED_SESSION_KEY

    officer = make_user(Role.RISK_OFFICER)
    _confirmed_device(officer)
    waiting = _password_only(officer)
    TOTPDevice.objects.filter(user=officer).delete()
    session = waiting.session
    session[OTP_CHECKED_SESSION_KEY] -= 61
    session.save()
    assert waiting.get(reverse("dashboard:index")).status_code == 200


# --- REQUIRE_2FA_FOR_ADMINS -----------------------------------------------------------


def test_an_admin_without_a_device_is_sent_to_enrol_when_required(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUIRE_2FA_FOR_ADMINS = True
    admin = make_user(Role.ADMIN)
    client = _password_only(admin)
    for url in (reverse("dashboard:index"), "/admin/", "/admin/accounts/user/", "/people/"):
        assert _sent_to(client.get(url), "accounts:otp_setup"), url
    api = client.get("/api/v1/me/")
    assert api.status_code == 403 and api.json()["error"]["code"] == "two_factor_enrol"
    assert "/accounts/2fa/setup/" in api.json()["error"]["message"]

    page = client.get(reverse("accounts:otp_setup") + "?next=/admin/")
    assert page.status_code == 200 and "Admins must use two-factor" in page.content.decode()
    device = TOTPDevice.objects.get(user=admin, confirmed=False)
    enrolled = client.post(
        reverse("accounts:otp_setup"), {"token": _code(device), "next": "/admin/"}
    )
    assert enrolled.status_code == 302 and enrolled["Location"] == "/admin/"
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/api/v1/me/").status_code == 200

    # The next sign-in asks for the code, not for enrolment.
    again = _password_only(admin)
    assert _sent_to(again.get("/admin/"), "accounts:otp_verify")


def test_only_admins_must_enrol_and_only_when_required(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    settings.REQUIRE_2FA_FOR_ADMINS = True
    officer = _password_only(make_user(Role.RISK_OFFICER))
    assert officer.get(reverse("dashboard:index")).status_code == 200
    settings.REQUIRE_2FA_FOR_ADMINS = False
    admin = _password_only(make_user(Role.ADMIN))
    assert admin.get(reverse("dashboard:index")).status_code == 200
    assert admin.get("/admin/accounts/user/").status_code == 200
    assert admin.get("/api/v1/me/").status_code == 200


def test_an_admin_token_still_works_when_enrolment_is_required(make_user, settings) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.services import api_token_create

    settings.REQUIRE_2FA_FOR_ADMINS = True
    admin = make_user(Role.ADMIN)
    _, secret = api_token_create(actor=admin, owner=admin, name="automation")
    assert Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200


def _setting_with(**env: str) -> str:
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "import riskhub.settings as s; print(s.REQUIRE_2FA_FOR_ADMINS)"
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "REQUIRE_2FA_FOR_ADMINS")}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**clean, "RISKHUB_DEV_SECRETS": "1", **env},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return result.stdout.strip()


def test_admins_must_enrol_by_default_in_production_but_not_on_a_developer_machine() -> None:
    assert _setting_with(DEBUG="false") == "True"
    assert _setting_with(DEBUG="true") == "False"
    assert _setting_with(DEBUG="false", REQUIRE_2FA_FOR_ADMINS="false") == "False"
