"""Logins, logouts and failed logins are audit events."""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from riskhub.audit.services import record_event


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record_event(actor=user, action="auth.login", object_type="user", object_id=user.pk)
    if request is not None and hasattr(request, "session"):
        from riskhub.accounts.policy import OTP_CHECKED_SESSION_KEY, OTP_REQUIRED_SESSION_KEY
        from riskhub.accounts.services import totp_device

        # Remember for this session whether a second factor is due, so views need
        # not query the devices on every request.
        # (SecondFactorMiddleware looks again now and then, for changes made elsewhere.)
        now = int(time.time())
        request.session[OTP_REQUIRED_SESSION_KEY] = totp_device(user) is not None
        request.session[OTP_CHECKED_SESSION_KEY] = now
        # The session was just written with a fresh expiry (see SlidingSessionMiddleware).
        request.session["_touched"] = now


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record_event(actor=user, action="auth.logout", object_type="user", object_id=user.pk)


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    from riskhub.accounts.throttling import LOGIN_FAILED, failed_login_details, login_identifier

    email = str(credentials.get("username") or credentials.get("email") or "")
    record_event(
        actor=None,
        action=LOGIN_FAILED,
        object_type="login",
        object_id=login_identifier(email),
        # Whether the email was an account: throttling caps unknown emails per client
        # apart from real accounts (see riskhub/accounts/throttling.py).
        after=failed_login_details(email),
    )
