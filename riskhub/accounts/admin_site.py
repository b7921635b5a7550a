"""Django's admin, read-only: a window on the data for admins, never a door around the
audited services.

Users, roles, tokens and groups change only through the services (from RiskHub's own
pages), which write the audit trail. The site enforces that for every model anyone
registers, not per ModelAdmin: each registration is made read-only, and the site
refuses every request that could write (any method but GET/HEAD/OPTIONS, except
signing out) with 403. Only admins who have passed their second factor get in.
"""

from __future__ import annotations

from functools import update_wrapper
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from riskhub.accounts.policy import (
    NAMESPACE_PERMISSIONS,
    SECOND_FACTOR_PAGES,
    has_perm,
    second_factor_step,
)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
READ_ONLY_MESSAGE = (
    "The admin site is read-only: users, roles and tokens change on RiskHub's own pages."
)


def is_admin(request: HttpRequest) -> bool:
    """Holds the permission policy.py declares for the admin namespace (users.manage)."""
    return has_perm(request.user, NAMESPACE_PERMISSIONS["admin"])


class ReadOnlyModelAdmin(admin.ModelAdmin):
    """View permission for admins; nobody may add, change or delete, no actions."""

    actions = None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_admin(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}


class RiskHubAdminSite(admin.AdminSite):
    site_header = "RiskHub administration (read-only)"
    site_title = "RiskHub admin"
    index_title = "Read-only view of accounts and tokens"

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)
        self.disable_action("delete_selected")

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, ReadOnlyModelAdmin):
            # A third-party or careless registration still gets no write permission.
            admin_class = type(
                f"ReadOnly{admin_class.__name__}", (ReadOnlyModelAdmin, admin_class), {}
            )
        super().register(model_or_iterable, admin_class, **options)

    def has_permission(self, request: HttpRequest) -> bool:
        # The second-factor middleware already stops a pending session; asking here
        # too keeps the admin closed should that middleware ever be left out.
        return is_admin(request) and second_factor_step(request) is None

    def admin_view(self, view: Any, cacheable: bool = False) -> Any:
        is_logout = view == self.logout

        def read_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method not in READ_METHODS and not is_logout:
                raise PermissionDenied(READ_ONLY_MESSAGE)
            return view(request, *args, **kwargs)

        return super().admin_view(update_wrapper(read_only, view), cacheable)

    def login(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        """One sign-in page for the whole product (throttled, audited): the admin
        site's own login form is never shown."""
        from django.contrib.auth.views import redirect_to_login

        next_url = request.GET.get("next") or "/admin/"
        step = second_factor_step(request)
        if step is not None:
            return redirect_to_login(next_url, SECOND_FACTOR_PAGES[step])
        if is_admin(request):
            return redirect("admin:index")
        if request.user.is_authenticated:
            # Signed in with another role: sending them to sign in again would loop.
            raise PermissionDenied("The admin site is for admins.")
        return redirect_to_login(next_url)

    def password_change(  # type: ignore[override]  # a redirect, not the admin's form
        self, request: HttpRequest, extra_context: Any = None
    ) -> HttpResponse:
        # The audited page, not the admin's own form.
        return redirect("accounts:password_change")
