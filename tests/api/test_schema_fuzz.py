"""schemathesis against /api/schema/, bounded in examples: no 5xx, responses conform to
the schema (status codes, content types, bodies), and every error uses the one shape."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create, user_create
from riskhub.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():  # type: ignore[no-untyped-def]
    """The WSGI handler closes old connections after each request, which would close
    the test's transaction; Django's own test client unhooks this the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def error_shape(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert {"status", "code", "message"} <= set(body["error"]), body
        assert body["error"]["status"] == response.status_code


@pytest.mark.django_db
@schema.parametrize()
@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case) -> None:  # type: ignore[no-untyped-def]
    admin = user_create(
        actor=None, email=f"fuzz-{uuid.uuid4().hex}@example.com", role=Role.ADMIN, password="x" * 16
    )
    _, secret = api_token_create(actor=admin, owner=admin, name="fuzz")
    case.call_and_validate(
        headers={"Authorization": f"Bearer {secret}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            error_shape,
        ],
    )
