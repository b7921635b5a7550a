from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone

from riskhub.accounts.policy import public
from riskhub.api.errors import json_error


@public
def home(request: HttpRequest) -> HttpResponse:
    return redirect("dashboard:index" if request.user.is_authenticated else "accounts:login")


def _check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:  # noqa: BLE001 - any failure means unreachable
        return {"ok": False, "error": exc.__class__.__name__}


def _check_broker() -> dict[str, Any]:
    from django.conf import settings
    from kombu import Connection

    from riskhub.celery import ensure_broker_folders

    try:
        ensure_broker_folders()
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            connect_timeout=2,
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
        return {"ok": True, "transport": str(transport)}
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": exc.__class__.__name__}


def _worker_seen() -> str | None:
    from riskhub.core.models import WorkerHeartbeat

    try:
        latest = WorkerHeartbeat.objects.order_by("-seen_at").first()
    except Exception:  # noqa: BLE001 - reported by the database check
        return None
    if latest is None or timezone.now() - latest.seen_at > timedelta(minutes=5):
        return None
    return latest.seen_at.isoformat()


@public
def healthz(request: HttpRequest) -> JsonResponse:
    database = _check_database()
    broker = _check_broker()
    ok = database["ok"] and broker["ok"]
    body = {
        "status": "ok" if ok else "unavailable",
        "database": database,
        "broker": broker,
        "worker_last_seen": _worker_seen() if database["ok"] else None,
    }
    return JsonResponse(body, status=200 if ok else 503)


def _wants_json(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def error_response(
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    template: str,
    *,
    context: dict[str, Any] | None = None,
    standalone: bool = False,
) -> HttpResponse:
    """The one error shape under /api/, the product's page elsewhere. A standalone page
    renders without context processors, so it still works when the database is down."""
    if _wants_json(request):
        return json_error(request, status, code, message)
    if standalone:
        return HttpResponse(render_to_string(template, context), status=status)
    return render(request, template, context, status=status)


def bad_request(request: HttpRequest, message: str) -> HttpResponse:
    return error_response(
        request, 400, "bad_request", message, "400.html", context={"reason": message}
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return bad_request(request, "The request could not be read.")


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(
        request,
        403,
        "permission_denied",
        "Your role may not do this.",
        "403.html",
        context={"reason": str(exception or "")},
    )


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(request, 404, "not_found", "Not found.", "404.html")


def error_500(request: HttpRequest) -> HttpResponse:
    return error_response(
        request,
        500,
        "server_error",
        "Something went wrong on our side.",
        "500.html",
        standalone=True,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return error_response(request, 403, "csrf_failed", "CSRF check failed.", "403_csrf.html")
