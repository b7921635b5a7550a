"""The request type of a view behind ``@requires``.

``HttpRequest.user`` is ``User | AnonymousUser``; ``@requires`` sends anonymous users
to the login page before the view runs, so inside such a view the user is a ``User``.
Annotating the view's request with this type says so once, instead of a
``type: ignore`` at every call that passes ``request.user`` to a service (the pattern
django-stubs recommends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from riskhub.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """An ``HttpRequest`` whose user has signed in (only as a type: never built)."""

    user: User
