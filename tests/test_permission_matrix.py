"""Every route x every role x every method it accepts, against the policy module.

Routes are discovered from the URL configuration, so a new route without a declared
permission fails here. Expected outcomes come from riskhub.accounts.policy only.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from riskhub.accounts.policy import (
    NAMESPACE_PERMISSIONS,
    PERMISSIONS,
    PUBLIC_ROUTE_NAMES,
    Role,
)
from riskhub.accounts.services import user_create
from riskhub.api.permissions import permission_for
from tests.support import module_transaction

ROLES: list[Role | None] = [None, *Role]
SAMPLE = {"uuid": str(uuid.UUID(int=0x1234)), "int": "987654", "slug": "x", "str": "x", "path": "x"}


@dataclass(frozen=True)
class Route:
    name: str
    url: str
    namespace: str
    callback: Any


def _walk(resolvers: list[Any], prefix: str = "", namespace: str = "") -> list[Route]:
    routes = []
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            ns = entry.namespace or namespace
            routes += _walk(entry.url_patterns, prefix + _fill(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            routes.append(
                Route(
                    f"{namespace}:{entry.name}",
                    "/" + prefix + _fill(entry.pattern),
                    namespace,
                    entry.callback,
                )
            )
    return routes


def _fill(pattern: Any) -> str:
    text = str(pattern).lstrip("^").rstrip("$").replace("\\Z", "").replace("\\", "")
    converters = getattr(pattern, "converters", {})
    for name, conv in converters.items():
        kind = type(conv).__name__.replace("Converter", "").lower()
        text = text.replace(f"<{kind}:{name}>", SAMPLE.get(kind, "x")).replace(f"<{name}>", "x")
    if "(?P<" in text:  # regex routes (admin): give any named group a harmless value
        import re

        text = re.sub(r"\(\?P<[^>]+>[^)]*\)", "1", text)
        text = re.sub(r"[()?*+]", "", text)
    return text


ROUTES = [r for r in _walk(get_resolver().url_patterns) if not r.url.startswith("/static/")]


def _rule(route: Route) -> tuple[str, Any]:
    """('public', None) | ('html', perm) | ('api', view class) | ('namespace', perm)."""
    callback = route.callback
    if route.name in PUBLIC_ROUTE_NAMES:
        return "public", None
    if hasattr(callback, "cls") and route.namespace not in NAMESPACE_PERMISSIONS:
        cls = callback.cls
        if getattr(cls, "riskhub_permission", "missing") is None:
            return "public", None
        if callback.__dict__.get("riskhub_permission", "missing") is None:
            return "public", None
        return "api", cls
    if route.namespace in NAMESPACE_PERMISSIONS:
        return "namespace", NAMESPACE_PERMISSIONS[route.namespace]
    declared = getattr(callback, "riskhub_permission", "missing")
    if declared == "missing":
        return "undeclared", None
    return ("public", None) if declared is None else ("html", declared)


def _methods(route: Route, kind: str, target: Any) -> list[str]:
    if kind == "api":
        actions = getattr(route.callback, "actions", None)
        if actions:
            return sorted(m.upper() for m in actions)
        return sorted(
            m.upper()
            for m in target.http_method_names
            if hasattr(target, m) and m not in ("options", "head")
        )
    return ["GET", "POST"]


def test_every_route_declares_a_permission() -> None:
    undeclared = [r.name + " " + r.url for r in ROUTES if _rule(r)[0] == "undeclared"]
    assert not undeclared, f"Routes without a rule in the policy: {undeclared}"


def test_every_declared_permission_exists() -> None:
    for route in ROUTES:
        kind, target = _rule(route)
        if kind == "html" or kind == "namespace":
            assert target in PERMISSIONS, route.name
        if kind == "api":
            for attr in ("read_permission", "write_permission"):
                assert getattr(target, attr, None) in PERMISSIONS, f"{route.name}.{attr}"


def _cases() -> list[Any]:
    cases = []
    for route in ROUTES:
        kind, target = _rule(route)
        if kind == "undeclared":
            continue
        for method in _methods(route, kind, target):
            cases.append(pytest.param(route, kind, target, method, id=f"{route.name}-{method}"))
    return cases


@pytest.fixture(scope="module")
def sessions(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[Role, str]]:
    """One user per role, signed in once for the module, in a transaction rolled back at
    the end: each test runs in a savepoint inside it, so whatever a request changes (a
    sign-out included) is undone before the next test signs in with the same session."""
    with module_transaction(django_db_blocker):
        keys = {}
        for role in Role:
            client = Client()
            client.force_login(
                user_create(
                    actor=None, email=f"matrix-{role.value}@example.com", role=role, password=None
                )
            )
            keys[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
        yield keys


def _client(sessions: dict[Role, str], role: Role | None) -> Client:
    client = Client()
    if role is not None:
        client.cookies[settings.SESSION_COOKIE_NAME] = sessions[role]
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "kind", "target", "method"), _cases())
def test_route_outcome_per_role(
    sessions: dict[Role, str], route: Route, kind: str, target: Any, method: str
) -> None:
    for role in ROLES:
        client = _client(sessions, role)
        call = getattr(client, method.lower())
        response = call(
            route.url,
            data={} if method == "GET" else "{}",
            **({} if method == "GET" else {"content_type": "application/json"}),
        )
        status = response.status_code
        location = response.get("Location", "")
        where = f"{method} {route.url} as {role.value if role else 'anonymous'}"
        assert status < 500, f"{where}: server error {status}"
        if kind == "public":
            assert status not in (401, 403), where
            continue
        if kind == "api":
            permission = permission_for(target, method, _action(route, method))
        else:
            permission = target
        allowed = role is not None and role in PERMISSIONS[permission]
        if role is None:
            if kind == "api":
                assert status == 401, f"{where}: expected 401, got {status}"
            else:
                assert status == 302 and "login" in location, (
                    f"{where}: expected login redirect, got {status}"
                )
        elif allowed and kind == "namespace":
            # Django's admin answers its own 403/404 for malformed sample requests
            # (autocomplete without parameters); what matters is it let the role in.
            assert "login" not in location, f"{where}: allowed but sent to login"
        elif allowed:
            assert status not in (401, 403) and "login" not in location, (
                f"{where}: allowed but got {status}"
            )
        elif kind == "namespace":
            assert status == 403 or (status == 302 and "login" in location), (
                f"{where}: expected 403 or the admin login redirect, got {status}"
            )
        else:
            assert status == 403, f"{where}: expected 403, got {status}"
        if kind == "api" and status >= 400:
            body = response.json()
            assert set(body) == {"error"} and {"status", "code", "message"} <= set(body["error"]), (
                where
            )


def _action(route: Route, method: str) -> str | None:
    actions = getattr(route.callback, "actions", None) or {}
    return actions.get(method.lower())


def test_the_impact_assessment_routes_are_walked() -> None:
    """The integrated impact assessment's pages and API are in the walk above (issue 15,
    item 9): reading for every role, writing for officers and admins, review for
    executives and admins."""
    names = {route.name for route in ROUTES}
    assert {
        "impact:index",
        "impact:asset",
        "impact:start",
        "impact:detail",
        "impact:edit",
        "impact:submit",
        "impact:approve",
        "impact:return",
        "api:impact-assessment-list",
        "api:impact-assessment-detail",
        "api:impact-assessment-submit",
        "api:impact-assessment-approve",
        "api:impact-assessment-return",
    } <= names
    assert PERMISSIONS["impact.review"] == frozenset({Role.EXECUTIVE, Role.ADMIN})
