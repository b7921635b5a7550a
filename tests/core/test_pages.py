from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.policy import Role

pytestmark = pytest.mark.django_db

PAGES = [
    "dashboard:index",
    "inventory:list",
    "risk:index",
    "compliance:index",
    "incidents:index",
    "reports:index",
    "audit:list",
    "accounts:profile",
]


def test_every_response_carries_a_strict_content_security_policy(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).get(reverse("dashboard:index"))
    csp = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp).group(1)  # type: ignore[union-attr]
    assert script_src.strip() == "'self'"
    assert "unsafe-eval" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("name", PAGES)
def test_pages_have_no_inline_script_and_load_nothing_from_other_hosts(
    client_for, name: str
) -> None:  # type: ignore[no-untyped-def]
    html = client_for(Role.ADMIN).get(reverse(name)).content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        # json_script data blocks are not executed; anything else must be a file.
        assert "src=" in tag or 'type="application/json"' in tag, f"inline script on {name}: {tag}"
    assert not re.search(r"<script>\s*\S", html)
    assert not re.search(r"""(src|href)=["']https?://""", html), name
    assert not re.search(r"\son[a-z]+=", html), f"inline event handler on {name}"


def test_unknown_page_gets_the_product_404_not_a_stack_trace(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get("/no/such/page/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in body and "Traceback" not in body and "RiskHub" in body


def test_unknown_api_path_gets_the_json_error_shape() -> None:
    response = Client().get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not found."}
    }


def test_forbidden_page_is_the_product_403(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).get(reverse("audit:list"))
    assert response.status_code == 403 and "Not allowed" in response.content.decode()


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(reverse("inventory:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_server_errors_render_the_product_500_page(client_for, settings) -> None:  # type: ignore[no-untyped-def]
    from django.test import RequestFactory

    from riskhub.core.views import error_500

    response = error_500(RequestFactory().get("/dashboard/"))
    assert response.status_code == 500 and b"Something went wrong" in response.content


def test_healthz_reports_database_and_broker() -> None:
    response = Client().get(reverse("healthz"))
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["database"]["ok"] and body["broker"]["ok"]


def test_healthz_answers_503_when_the_broker_is_unreachable(settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = Client().get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False


def test_openapi_schema_documents_the_error_shape() -> None:
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    me = schema["paths"]["/api/v1/me/"]["get"]["responses"]
    assert {"200", "401", "403"} <= set(me)
    assert "Error" in schema["components"]["schemas"]


def test_swagger_ui_is_served_without_inline_script() -> None:
    html = Client().get("/api/docs/").content.decode()
    assert "swagger-ui" in html
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag


def test_an_active_session_is_renewed_but_not_rewritten_on_every_request(client_for) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.sessions.models import Session

    client = client_for(Role.AUDITOR)
    client.get(reverse("dashboard:index"))
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    client.get(reverse("dashboard:index"))
    assert Session.objects.get(session_key=key).expire_date == first  # not written again
    session = client.session
    session["_touched"] = 0  # the last renewal was long ago
    session.save()
    client.get(reverse("dashboard:index"))
    assert Session.objects.get(session_key=key).expire_date > first


def test_an_unreachable_database_answers_503_with_retry_after(client_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from django.db import OperationalError

    from riskhub.audit import views as audit_views

    client = client_for(Role.AUDITOR)

    def down(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OperationalError("connection refused")

    monkeypatch.setattr(audit_views, "audit_events", down)
    page = client.get(reverse("audit:list"))
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "Back in a moment" in page.content.decode()
    monkeypatch.setattr("riskhub.audit.api.AuditEventViewSet.get_queryset", down)
    api = client.get("/api/v1/audit-events/")
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "database_unavailable"
