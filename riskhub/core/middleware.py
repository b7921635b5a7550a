"""Refuse malformed input at the door: NUL bytes and invalid UTF-8 get a 400, never a
500 from deep inside a database driver (PostgreSQL rejects NUL in text)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError

_FORM_TYPES = ("application/x-www-form-urlencoded", "application/json", "text/")


def _bad(raw: bytes) -> str | None:
    if b"\x00" in raw:
        return "NUL bytes are not allowed."
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "The request is not valid UTF-8."
    if "\\u0000" in text:
        return "NUL characters are not allowed."
    return None


class InputSanityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = self._problem(request)
        if problem is not None:
            from riskhub.core.views import bad_request

            return bad_request(request, problem)
        return self.get_response(request)

    def _problem(self, request: HttpRequest) -> str | None:
        raw_path = request.META.get("PATH_INFO", "").encode("latin-1", errors="replace")
        for raw in (
            unquote_to_bytes(raw_path),
            unquote_to_bytes(request.META.get("QUERY_STRING", "").replace("+", " ")),
        ):
            problem = _bad(raw)
            if problem:
                return problem
        content_type = request.META.get("CONTENT_TYPE", "")
        if request.method in ("POST", "PUT", "PATCH") and content_type.startswith(_FORM_TYPES):
            body = request.body
            if content_type.startswith("application/x-www-form-urlencoded"):
                body = unquote_to_bytes(body.replace(b"+", b" "))
            return _bad(body)
        if request.method == "POST" and content_type.startswith("multipart/form-data"):
            return _bad_multipart(request)
        return None


def _bad_multipart(request: HttpRequest) -> str | None:
    """Multipart fields are decoded by Django with errors="replace", so invalid UTF-8
    arrives as U+FFFD and would be stored silently: refuse it, and NUL, like the other
    body types. (File contents are binary and not checked here; the upload code
    sanitises file names.)"""
    try:
        fields = request.POST
    except MultiPartParserError:
        return "The multipart body is malformed."
    for values in fields.lists():
        for value in (values[0], *values[1]):
            if "\x00" in value:
                return "NUL bytes are not allowed."
            if "\ufffd" in value:
                return "The request is not valid UTF-8."
    return None


class SlidingSessionMiddleware:
    """Idle timeout without a session write on every request: the session's expiry is
    pushed forward at most once a minute (SESSION_COOKIE_AGE is the idle limit)."""

    TOUCH_EVERY_SECONDS = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        session = getattr(request, "session", None)
        if session is not None and session.session_key and request.user.is_authenticated:
            now = int(time.time())
            if now - int(session.get("_touched", 0)) >= self.TOUCH_EVERY_SECONDS:
                session["_touched"] = now  # marks the session modified: saved, expiry renewed
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """While the database is unreachable (restart, failover) answer 503 with
    Retry-After instead of a 500: clients and load balancers know to try again, and
    the transaction was rolled back, so nothing was half written."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import InterfaceError, OperationalError

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        import logging

        from riskhub.core.views import error_response

        logging.getLogger("riskhub").warning("database unavailable: %s", exception)
        response = error_response(
            request,
            503,
            "database_unavailable",
            "The database is unavailable for a moment; try again shortly.",
            "503.html",
            standalone=True,
        )
        response["Retry-After"] = "5"
        return response
