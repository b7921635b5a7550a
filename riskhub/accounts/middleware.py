"""The second factor guards every page, the Django admin included.

A session that owes a step (see ``policy.second_factor_step``) is sent to the verify
page, or for an admin without a device under ``REQUIRE_2FA_FOR_ADMINS`` to the enrol
page, from every route except the few in ``policy.SECOND_FACTOR_OPEN_ROUTES``. The
API is left to ``riskhub.api.permissions.PolicyPermission``: only DRF knows whether a
request is authenticated by a token (not a session, so not asked) or by the session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from riskhub.accounts.policy import (
    OTP_CHECKED_SESSION_KEY,
    OTP_REQUIRED_SESSION_KEY,
    SECOND_FACTOR_OPEN_ROUTES,
    SECOND_FACTOR_PAGES,
    SecondFactorStep,
    second_factor_step,
)


class SecondFactorMiddleware:
    # Whether the user has a confirmed device is remembered in the session at sign-in
    # and looked up again at most this often, so that turning two-factor on (or off)
    # reaches the user's other sessions within a minute without a query per request.
    RECHECK_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self._refresh(request)
        return self.get_response(request)

    def _refresh(self, request: HttpRequest) -> None:
        session = getattr(request, "session", None)
        if session is None or not session.session_key or not request.user.is_authenticated:
            return
        if getattr(request.user, "is_verified", lambda: False)():
            return  # django-otp loaded the session's confirmed device: it exists
        now = int(time.time())
        if now - int(session.get(OTP_CHECKED_SESSION_KEY, 0)) >= self.RECHECK_SECONDS:
            self._look_up(request, now)

    @staticmethod
    def _look_up(request: HttpRequest, now: int) -> None:
        from riskhub.accounts.services import totp_device

        user: Any = request.user  # signed in: checked by the caller
        has_device = totp_device(user) is not None
        request.session[OTP_REQUIRED_SESSION_KEY] = has_device
        request.session[OTP_CHECKED_SESSION_KEY] = now

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        step = second_factor_step(request)
        if step == SecondFactorStep.ENROL and not request.session.get(OTP_REQUIRED_SESSION_KEY):
            # About to send an admin to enrol: make sure a device was not confirmed in
            # another session meanwhile (rare, so the lookup costs nothing in practice).
            self._look_up(request, int(time.time()))
            step = second_factor_step(request)
        if step is None:
            return None
        match = request.resolver_match
        if match is None or "api" in match.namespaces:
            return None
        if match.view_name in SECOND_FACTOR_OPEN_ROUTES[step]:
            return None
        return _send_to(request, step)


def _send_to(request: HttpRequest, step: SecondFactorStep) -> HttpResponse:
    response = redirect_to_login(request.get_full_path(), SECOND_FACTOR_PAGES[step])
    if getattr(request, "htmx", False):
        # A fragment request would swap the whole verify page into a table cell.
        from django_htmx.http import HttpResponseClientRedirect

        return HttpResponseClientRedirect(response["Location"])
    return response
