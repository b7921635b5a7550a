"""Forgot password and set-password links: single use, expiring, throttled, audited,
and never a hint whether an email has an account."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import password_link_path
from riskhub.accounts.throttling import login_identifier
from riskhub.audit.models import AuditEvent
from riskhub.celery import app as celery_app
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a brand new passphrase 2026"
FORGOT = "/accounts/password/forgot/"


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    """The email task runs in-process when the transaction commits."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def forgot(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """POST the forgot-password form as a visitor from `address`, sending the mail."""

    def post(email: str, address: str = "203.0.113.7"):  # type: ignore[no-untyped-def]
        with django_capture_on_commit_callbacks(execute=True):
            return Client(REMOTE_ADDR=address).post(FORGOT, {"email": email})

    return post


def _link_in(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://[^/\s]+(/accounts/password/set/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def _set(link: str, password: str = NEW_PASSWORD, again: str | None = None):  # type: ignore[no-untyped-def]
    return Client().post(link, {"new_password1": password, "new_password2": again or password})


def test_the_sign_in_page_links_to_forgot_password() -> None:
    page = Client().get(reverse("accounts:login")).content.decode()
    assert f'href="{FORGOT}"' in page
    form = Client().get(FORGOT)
    assert form.status_code == 200 and 'for="id_email"' in form.content.decode()


def test_forgot_password_emails_a_working_link_to_an_active_account(officer, forgot) -> None:  # type: ignore[no-untyped-def]
    response = forgot(officer.email.upper())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_forgot_sent")
    assert [m.to for m in mail.outbox] == [[officer.email]]
    link = _link_in(mail.outbox[0])
    assert Client().get(link).status_code == 200

    done = _set(link)
    assert done.status_code == 302 and done["Location"] == reverse("accounts:login")
    assert Client().login(username=officer.email, password=NEW_PASSWORD)
    assert not Client().login(username=officer.email, password=PASSWORD)
    event = AuditEvent.objects.get(action="user.password_set")
    assert event.actor_id == officer.pk and event.object_id == str(officer.pk)


def test_an_unknown_email_gets_the_same_answer_and_no_mail(officer, forgot) -> None:  # type: ignore[no-untyped-def]
    known = forgot(officer.email)
    unknown = forgot("nobody@example.com")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert len(mail.outbox) == 1
    sent = Client().get(unknown["Location"]).content.decode()
    assert "If an active account uses that address" in sent
    assert "nobody@example.com" not in sent


def test_known_and_unknown_emails_cost_the_same_work_on_the_request(officer) -> None:  # type: ignore[no-untyped-def]
    # The email itself goes out from a worker, so the answer's timing does not depend
    # on the mail server; the queries of the request are the same either way.
    def queries(email: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            Client(REMOTE_ADDR="198.51.100.2").post(FORGOT, {"email": email})
        return [re.sub(r"'[^']*'|\d+", "?", q["sql"]) for q in captured]

    assert queries(officer.email) == queries("nobody@example.com")


@pytest.mark.parametrize("state", ["deactivated", "invited"])
def test_no_link_goes_to_a_deactivated_or_passwordless_account(officer, forgot, state: str) -> None:  # type: ignore[no-untyped-def]
    if state == "deactivated":
        User.objects.filter(pk=officer.pk).update(is_active=False)
    else:
        officer.set_unusable_password()
        officer.save()
    response = forgot(officer.email)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:password_forgot_sent")
    assert not mail.outbox


def test_requests_are_audited_with_a_keyed_digest_never_the_email(officer, forgot) -> None:  # type: ignore[no-untyped-def]
    forgot(officer.email)
    forgot("nobody@example.com")
    events = list(AuditEvent.objects.filter(action="auth.password_reset_request").order_by("seq"))
    assert [e.object_id for e in events] == [
        login_identifier(officer.email),
        login_identifier("nobody@example.com"),
    ]
    assert [e.after for e in events] == [{"outcome": "sent"}, {"outcome": "no-account"}]
    assert all(e.ip_address == "203.0.113.7" and e.actor_id is None for e in events)
    stored = " ".join(f"{e.object_id} {e.object_repr} {e.before} {e.after}" for e in events)
    assert officer.email not in stored and "nobody@" not in stored


def test_requests_for_one_account_are_throttled(officer, forgot, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_RESET_ACCOUNT_LIMIT = 2
    answers = [forgot(officer.email, address=f"203.0.113.{i}") for i in range(4)]
    assert {(a.status_code, a["Location"]) for a in answers} == {
        (302, reverse("accounts:password_forgot_sent"))
    }
    assert len(mail.outbox) == 2
    outcomes = AuditEvent.objects.filter(action="auth.password_reset_request").order_by("seq")
    assert [e.after["outcome"] for e in outcomes] == ["sent", "sent", "throttled", "throttled"]


def test_requests_from_one_address_are_throttled(officer, forgot, settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 3
    for i in range(3):
        forgot(f"guess-{i}@example.com", address="192.0.2.9")
    throttled = forgot(officer.email, address="192.0.2.9")
    assert throttled["Location"] == reverse("accounts:password_forgot_sent")
    assert not mail.outbox
    forgot(officer.email, address="192.0.2.10")
    assert [m.to for m in mail.outbox] == [[officer.email]]


def test_a_link_works_once(officer) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    assert _set(link).status_code == 302
    again = _set(link, "yet another passphrase 99")
    assert again.status_code == 400 and "no longer works" in again.content.decode()
    assert Client().login(username=officer.email, password=NEW_PASSWORD)
    assert AuditEvent.objects.filter(action="user.password_set").count() == 1


def test_an_expired_link_gives_a_clear_page(officer, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    monkeypatch.setattr(default_token_generator, "_now", lambda: later)
    for response in (Client().get(link), _set(link)):
        assert response.status_code == 400
        assert "This link no longer works" in response.content.decode()
    assert Client().login(username=officer.email, password=PASSWORD)


def test_signing_in_meanwhile_cancels_the_link(officer) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    assert Client().login(username=officer.email, password=PASSWORD)
    assert _set(link).status_code == 400


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/set/00000000-0000-0000-0000-000000001234/x/",
        "/accounts/password/set/00000000-0000-0000-0000-000000001234/dj504e-0123abcd/",
    ],
)
def test_a_made_up_link_gives_the_same_clear_page(path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 400 and "This link no longer works" in response.content.decode()


def test_a_deactivated_persons_link_stops_working(officer) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    User.objects.filter(pk=officer.pk).update(is_active=False)
    assert _set(link).status_code == 400


def test_password_rules_apply_and_errors_sit_beside_the_fields(officer) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    weak = _set(link, "short")
    assert weak.status_code == 400
    assert 'id="id_new_password2_error"' in weak.content.decode()
    mismatch = _set(link, NEW_PASSWORD, "something else entirely 1")
    assert mismatch.status_code == 400 and "didn" in mismatch.content.decode()
    assert User.objects.get(pk=officer.pk).check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action="user.password_set").exists()
    assert _set(link).status_code == 302  # the link survives a failed attempt


def test_the_set_password_page_is_reachable_signed_in_as_anyone(client_for, officer) -> None:  # type: ignore[no-untyped-def]
    link = password_link_path(officer)
    response = client_for(Role.AUDITOR).get(link)
    assert response.status_code == 200 and officer.email in response.content.decode()
