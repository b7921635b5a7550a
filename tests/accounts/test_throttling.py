"""Sign-in throttling stops guessing without letting anyone lock real users out, and
the client address it keys on cannot be chosen by the client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.accounts.throttling import login_throttle
from riskhub.audit.middleware import client_ip
from riskhub.audit.models import AuditEvent
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ATTACKER = "198.51.100.7"
ELSEWHERE = "192.0.2.200"
THROTTLED = "Too many failed sign-in attempts"
INVALID = "do not match"


def _sign_in(
    email: str, password: str = PASSWORD, *, address: str = ATTACKER, **headers: str
) -> HttpResponse:
    client = Client(REMOTE_ADDR=address, **headers)
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


def _signed_in(response: HttpResponse) -> bool:
    return response.status_code == 302 and response["Location"] == reverse("dashboard:index")


def _failures() -> int:
    return AuditEvent.objects.filter(action="auth.login_failed").count()


# --- failures against other accounts never lock a real user out ---------------------


@pytest.mark.django_db
def test_twenty_failures_for_made_up_emails_do_not_lock_admin_and_cto_out(make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN, email="admin@example.com")
    cto = make_user(Role.EXECUTIVE, email="cto@example.com")
    for n in range(20):
        assert INVALID in _sign_in(f"nobody-{n}@example.com", "guess").content.decode()

    assert _signed_in(_sign_in(admin.email))
    assert _signed_in(_sign_in(cto.email))


@pytest.mark.django_db
def test_failures_against_other_real_accounts_do_not_lock_a_user_out(make_user) -> None:  # type: ignore[no-untyped-def]
    colleagues = [make_user(Role.RISK_OFFICER) for _ in range(6)]
    target = make_user(Role.ADMIN)
    for colleague in colleagues:
        for _ in range(5):  # each colleague's account is now refused from this address
            _sign_in(colleague.email, "wrong password")
    assert THROTTLED in _sign_in(colleagues[0].email).content.decode()

    assert _signed_in(_sign_in(target.email))


# --- a guessing client is stopped ---------------------------------------------------


@pytest.mark.django_db
def test_a_password_guessing_client_is_refused_for_that_account_only(officer, settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.LOGIN_FAILURE_LIMIT == 5
    for _ in range(5):
        assert INVALID in _sign_in(officer.email, "guess").content.decode()

    refused = _sign_in(officer.email)
    assert not _signed_in(refused) and THROTTLED in refused.content.decode()
    assert _failures() == 5  # refused before the check: nothing more to record
    assert _signed_in(_sign_in(officer.email, address=ELSEWHERE))


@pytest.mark.django_db
def test_an_account_under_distributed_attack_still_opens_from_a_clean_client(
    officer, settings
) -> None:  # type: ignore[no-untyped-def]
    assert settings.LOGIN_ACCOUNT_FAILURE_LIMIT == 20
    attackers = [f"198.51.100.{n}" for n in range(1, 6)]
    for address in attackers:  # 4 each: under the per-client limit, 20 in all
        for _ in range(4):
            _sign_in(officer.email, "guess", address=address)

    # Clients that failed against the account are refused for it, even the right password.
    assert THROTTLED in _sign_in(officer.email, address=attackers[0]).content.decode()
    # A new address gets one guess, then it is refused too.
    newcomer = "198.51.100.99"
    assert INVALID in _sign_in(officer.email, "guess", address=newcomer).content.decode()
    assert THROTTLED in _sign_in(officer.email, address=newcomer).content.decode()
    # The real user, from a client with no failures, signs in.
    assert _signed_in(_sign_in(officer.email, address=ELSEWHERE))


# --- unknown emails have their own cap per client -----------------------------------


@pytest.mark.django_db
def test_a_client_spraying_unknown_emails_is_refused_for_unknown_emails(settings) -> None:  # type: ignore[no-untyped-def]
    assert settings.LOGIN_UNKNOWN_EMAIL_FAILURE_LIMIT == 20
    for n in range(20):
        _sign_in(f"spray-{n}@example.com", "Summer2026!")

    assert THROTTLED in _sign_in("spray-20@example.com", "Summer2026!").content.decode()
    assert _failures() == 20  # refused attempts no longer fill the audit trail
    other = _sign_in("spray-20@example.com", "Summer2026!", address=ELSEWHERE)
    assert INVALID in other.content.decode()


@pytest.mark.django_db
def test_a_spraying_client_cannot_tell_real_emails_from_made_up_ones(officer) -> None:  # type: ignore[no-untyped-def]
    for n in range(20):
        _sign_in(f"spray-{n}@example.com", "guess")

    made_up = _sign_in("spray-99@example.com", "guess").content.decode()
    real = _sign_in(officer.email, "guess").content.decode()
    assert THROTTLED in made_up and THROTTLED in real and INVALID not in real
    # ...while the real user's password from that address still works.
    assert _signed_in(_sign_in(officer.email))


@pytest.mark.django_db
def test_failed_sign_ins_record_whether_the_email_was_an_account(officer) -> None:  # type: ignore[no-untyped-def]
    _sign_in(officer.email, "guess")
    _sign_in("nobody@example.com", "guess")
    recorded = list(
        AuditEvent.objects.filter(action="auth.login_failed")
        .order_by("seq")
        .values_list("after", "ip_address")
    )
    assert recorded == [({"account": "known"}, ATTACKER), ({"account": "unknown"}, ATTACKER)]


@pytest.mark.django_db
def test_the_throttle_check_is_one_query_however_many_failures(  # type: ignore[no-untyped-def]
    officer, django_assert_num_queries
) -> None:
    for n in range(12):
        _sign_in(f"spray-{n}@example.com", "guess")
        _sign_in(officer.email, "guess", address=f"192.0.2.{n}")
    with django_assert_num_queries(1):
        assert not login_throttle(officer.email, ATTACKER).refused


# --- the client address comes from trusted proxies only -----------------------------


@pytest.mark.django_db
def test_rotating_the_leftmost_forwarded_for_does_not_escape_throttling(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXY_HOPS = 1
    proxy, client = "10.0.0.2", "203.0.113.9"

    def through_proxy(n: int) -> HttpResponse:
        forged = f"192.0.2.{n}, {client}"
        return _sign_in(
            f"spray-{n}@example.com", "guess", address=proxy, HTTP_X_FORWARDED_FOR=forged
        )

    for n in range(20):
        through_proxy(n)
    assert THROTTLED in through_proxy(20).content.decode()
    recorded = set(AuditEvent.objects.values_list("ip_address", flat=True))
    assert recorded == {client}


@pytest.mark.django_db
def test_rotating_the_leftmost_forwarded_for_does_not_reset_a_guessing_limit(  # type: ignore[no-untyped-def]
    officer, settings
) -> None:
    settings.TRUSTED_PROXY_HOPS = 1
    for n in range(5):
        headers = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}, 203.0.113.9"}
        _sign_in(officer.email, "guess", address="10.0.0.2", **headers)
    headers = {"HTTP_X_FORWARDED_FOR": "192.0.2.77, 203.0.113.9"}
    assert THROTTLED in _sign_in(officer.email, address="10.0.0.2", **headers).content.decode()
    headers = {"HTTP_X_FORWARDED_FOR": "203.0.113.10"}  # another user behind the proxy
    assert _signed_in(_sign_in(officer.email, address="10.0.0.2", **headers))


def _address(settings, hops: int, forwarded: str | None, remote: str = "10.0.0.2") -> str | None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_HOPS = hops
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_without_trusted_hops_forwarded_for_is_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert _address(settings, 0, "192.0.2.1, 203.0.113.9") == "10.0.0.2"


def test_the_nth_forwarded_address_from_the_right_is_the_client(settings) -> None:  # type: ignore[no-untyped-def]
    chain = "192.0.2.1, 203.0.113.9, 172.16.0.5"  # forged, client, outer proxy
    assert _address(settings, 1, chain) == "172.16.0.5"
    assert _address(settings, 2, chain) == "203.0.113.9"
    assert _address(settings, 2, " 203.0.113.9 ,172.16.0.5, ") == "203.0.113.9"


def test_a_short_forwarded_for_falls_back_to_its_leftmost_entry_then_the_connection(  # type: ignore[no-untyped-def]
    settings,
) -> None:
    assert _address(settings, 3, "203.0.113.9, 172.16.0.5") == "203.0.113.9"
    assert _address(settings, 1, "") == "10.0.0.2"
    assert _address(settings, 1, None) == "10.0.0.2"


def test_invalid_addresses_are_ignored(settings) -> None:  # type: ignore[no-untyped-def]
    assert _address(settings, 1, "192.0.2.1, unknown") == "10.0.0.2"
    assert _address(settings, 1, "192.0.2.1, 203.0.113.9; drop table") == "10.0.0.2"
    assert _address(settings, 1, "fe80::1%eth0") == "10.0.0.2"
    assert _address(settings, 0, None, remote="not an address") is None
    assert _address(settings, 1, "203.0.113.9:4711") == "203.0.113.9"
    assert _address(settings, 1, "[2001:DB8::1]:443") == "2001:db8::1"


@pytest.mark.django_db
def test_an_invalid_forwarded_address_is_never_stored(officer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_HOPS = 1
    _sign_in(officer.email, "guess", address="10.0.0.2", HTTP_X_FORWARDED_FOR="<script>")
    assert AuditEvent.objects.get(action="auth.login_failed").ip_address == "10.0.0.2"


def _setting(name: str, **env: str) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "RISKHUB_DEV_SECRETS": "1", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_behind_a_proxy_one_hop_is_trusted_unless_configured() -> None:
    assert _setting("TRUSTED_PROXY_HOPS") == "0"
    assert _setting("TRUSTED_PROXY_HOPS", BEHIND_PROXY="true") == "1"
    assert _setting("TRUSTED_PROXY_HOPS", BEHIND_PROXY="true", TRUSTED_PROXY_HOPS="2") == "2"
