"""The API reads the same policy module as the HTML views.

A viewset declares ``read_permission`` and ``write_permission`` (and optionally
``action_permissions`` for workflow actions); a function view is wrapped with
``@policy("perm")``. A view that declares nothing is refused (fail closed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from rest_framework import exceptions, permissions
from rest_framework.request import Request

from riskhub.accounts.models import ApiToken
from riskhub.accounts.policy import (
    PERMISSIONS,
    SECOND_FACTOR_PAGES,
    has_perm,
    second_factor_step,
)


def permission_for(view: Any, method: str, action: str | None) -> str | None:
    action_permissions = getattr(view, "action_permissions", None) or {}
    if action and action in action_permissions:
        return action_permissions[action]
    if method in permissions.SAFE_METHODS:
        return getattr(view, "read_permission", None)
    return getattr(view, "write_permission", None)


class PolicyPermission(permissions.BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if not request.user or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated()
        token = request.auth if isinstance(request.auth, ApiToken) else None
        # A token is not a session login (it was created from a verified session);
        # a session owes its second factor here as on every page.
        step = second_factor_step(request) if token is None else None
        if step is not None:
            page = reverse(SECOND_FACTOR_PAGES[step])
            raise exceptions.PermissionDenied(
                f"{step.label} Open {page} in the browser.", code=f"two_factor_{step.value}"
            )
        allowed_scopes = getattr(view, "token_scopes", (ApiToken.Scope.READ_WRITE,))
        if token is not None and token.scope not in allowed_scopes:
            raise exceptions.PermissionDenied("This token's scope does not allow this endpoint.")
        permission = permission_for(view, request.method or "GET", getattr(view, "action", None))
        if permission is None:
            return False
        if not has_perm(request.user, permission):
            raise exceptions.PermissionDenied(f"Your role may not do this ({permission}).")
        return True


def policy(read: str, write: str | None = None) -> Callable[[Any], Any]:
    """Declare the permissions of an ``@api_view`` function (put it above @api_view)."""
    for name in (read, write):
        if name is not None and name not in PERMISSIONS:
            raise KeyError(f"Unknown permission {name!r}")

    def decorator(callback: Any) -> Any:
        callback.cls.read_permission = read
        callback.cls.write_permission = write or read
        return callback

    return decorator
