"""Sign-in throttling that an attacker cannot turn against real users.

Every failed sign-in is an audit event (`auth.login_failed`) that carries a keyed
digest of the email tried (`object_id`, see `login_identifier`), the client address
(`ip_address`, from `riskhub.audit.middleware.client_ip`) and whether the email belonged
to an active account (`after["account"]`: "known" or "unknown"). Before a password is
checked we count those events over the last LOGIN_FAILURE_WINDOW_SECONDS:

1. **Per account and client.** LOGIN_FAILURE_LIMIT failures for one email from one
   client refuse that email from that client, whether or not the email is an account
   (so the answer says nothing about which emails exist). A guessing client stops; the
   account still works from every other client.
2. **Per account, from every client.** LOGIN_ACCOUNT_FAILURE_LIMIT failures for one
   email in all mark the account as under attack. We then refuse it only to clients
   that have themselves failed against it in the window. A client with no recent
   failure against it still has its password checked, so the real user's correct
   password from a clean client works; the first wrong password makes that client a
   refused one. A distributed attack therefore gets one guess per address per window
   instead of LOGIN_FAILURE_LIMIT - 1.
   Decision: we do not lock an account for every client. That would hand anyone who
   knows an email a switch to keep its owner out (the lockout issue 12 reported). The
   price is that an attacker with many addresses keeps one guess per address per
   window; privileged accounts should use a second factor, which the attacker must
   also pass.
3. **Unknown emails, per client.** LOGIN_UNKNOWN_EMAIL_FAILURE_LIMIT failures for emails
   that are not active accounts mark the client as spraying. Its attempts for unknown
   emails are refused (and, being refused before the check, no longer fill the audit
   trail). Its attempts for real accounts still have their password checked: a correct
   password signs in, a wrong one is answered with the same "too many attempts" message
   an unknown email gets, so the spraying client cannot tell real emails from made-up
   ones. The login form spends the time of a password check on a refused unknown email
   for the same reason.

Failures against other accounts, known or unknown, never refuse a real user's correct
password: rules 1 and 2 count only the account's own failures, and rule 3 refuses only
emails that are not accounts. Clients sharing one address (a NAT, or a proxy whose hops
are not configured) share rule 1 for each account, and only for that account.

The counts are one query over the audit table: the account's failures come from the
(action, object_id, timestamp) index; the client's unknown-email failures are the
window's failed sign-ins (action and timestamp are indexed) filtered by address.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.audit.models import AuditEvent

LOGIN_FAILED = "auth.login_failed"
PASSWORD_RESET_REQUEST = "auth.password_reset_request"  # noqa: S105 - an action name
KNOWN_ACCOUNT = "known"
UNKNOWN_ACCOUNT = "unknown"


class Refusal(enum.StrEnum):
    ACCOUNT_FROM_CLIENT = "account-from-client"
    ACCOUNT_UNDER_ATTACK = "account-under-attack"
    UNKNOWN_EMAIL = "unknown-email"


@dataclass(frozen=True)
class LoginThrottle:
    """What to do with one sign-in attempt before and after its password is checked."""

    refusal: Refusal | None = None
    # The client passed the unknown-email cap: a failed check is answered as throttled.
    spraying_client: bool = False

    @property
    def refused(self) -> bool:
        return self.refusal is not None


def is_active_account(email: str) -> bool:
    """Whether `email` is an account that could sign in (what a failure records)."""
    return User.objects.filter(email=email.strip().lower(), is_active=True).exists()


def failed_login_details(email: str) -> dict[str, str]:
    """The `after` of a failed sign-in's audit event; never the email itself."""
    return {"account": KNOWN_ACCOUNT if is_active_account(email) else UNKNOWN_ACCOUNT}


def login_throttle(email: str, ip_address: str | None) -> LoginThrottle:
    """The throttle rules of the module docstring for one attempt of `email` from the
    client at `ip_address` (a canonical address from `client_ip`, or None)."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    account = Q(object_id=login_identifier(email))
    client = Q(ip_address=ip_address) if ip_address else Q(ip_address__isnull=True)
    unknown = Q(after__account=UNKNOWN_ACCOUNT)
    counts = (
        AuditEvent.objects.filter(action=LOGIN_FAILED, timestamp__gte=since)
        .filter(account | (client & unknown))
        .aggregate(
            account=Count("pk", filter=account),
            account_from_client=Count("pk", filter=account & client),
            unknown_from_client=Count("pk", filter=client & unknown),
        )
    )
    if counts["account_from_client"] >= settings.LOGIN_FAILURE_LIMIT:
        return LoginThrottle(Refusal.ACCOUNT_FROM_CLIENT)
    if counts["account"] >= settings.LOGIN_ACCOUNT_FAILURE_LIMIT and counts["account_from_client"]:
        return LoginThrottle(Refusal.ACCOUNT_UNDER_ATTACK)
    if counts["unknown_from_client"] >= settings.LOGIN_UNKNOWN_EMAIL_FAILURE_LIMIT:
        if not is_active_account(email):
            return LoginThrottle(Refusal.UNKNOWN_EMAIL, spraying_client=True)
        return LoginThrottle(spraying_client=True)
    return LoginThrottle()


def login_is_throttled(email: str, ip_address: str | None) -> bool:
    """Whether an attempt for `email` from `ip_address` is refused before its password
    is checked."""
    return login_throttle(email, ip_address).refused


def login_identifier(email: str) -> str:
    """What the trail records for a sign-in failure or a password-reset request: a
    keyed digest of the email, never the email."""
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


def password_reset_is_throttled(email: str, ip_address: str | None) -> bool:
    """Too many "forgot password" requests for this email, or from this address, in
    the window. Counted whether or not the email has an account, so being throttled
    reveals nothing either."""
    since = timezone.now() - timedelta(seconds=settings.PASSWORD_RESET_WINDOW_SECONDS)
    requests = AuditEvent.objects.filter(action=PASSWORD_RESET_REQUEST, timestamp__gte=since)
    if requests.filter(object_id=login_identifier(email)).count() >= (
        settings.PASSWORD_RESET_ACCOUNT_LIMIT
    ):
        return True
    return bool(ip_address) and requests.filter(ip_address=ip_address).count() >= (
        settings.PASSWORD_RESET_ADDRESS_LIMIT
    )
