from __future__ import annotations

import pytest
from django.test import Client

from riskhub.accounts.policy import Role

pytestmark = pytest.mark.django_db


def test_a_nul_byte_in_an_api_filter_is_a_400_in_the_error_shape(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get("/api/v1/audit-events/?action=abc%00def")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "NUL bytes are not allowed."


def test_invalid_utf8_in_a_query_is_a_400(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get("/audit/?action=%ff%fe")
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()


def test_an_escaped_nul_in_a_json_body_is_a_400(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        "/api/v1/me/", data='{"name": "a\\u0000b"}', content_type="application/json"
    )
    assert response.status_code == 400


def test_a_nul_in_a_posted_form_is_a_400_not_a_500() -> None:
    response = Client().post(
        "/accounts/login/",
        data="username=a%00b%40example.com&password=x",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()


def test_ordinary_unicode_passes(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get("/audit/?object_id=%C3%A9v%C3%A9nement")
    assert response.status_code == 200


def test_script_payloads_in_the_audit_trail_render_escaped(client_for) -> None:  # type: ignore[no-untyped-def]
    from riskhub.audit.services import record_event

    record_event(actor=None, action="x.create", object_repr="<script>alert(1)</script>")
    html = client_for(Role.AUDITOR).get("/audit/").content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
