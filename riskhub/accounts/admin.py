"""The admin site is for admins only: users, roles and tokens. Domain models appear
read-only (every domain write goes through services and the audit trail)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role, role_of


def _is_admin(request: HttpRequest) -> bool:
    return role_of(request.user) == Role.ADMIN


admin.site.has_permission = _is_admin  # type: ignore[method-assign]
admin.site.site_header = "RiskHub administration"
admin.site.site_title = "RiskHub admin"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "role_label", "is_active", "last_login"]
    list_filter = ["groups", "is_active"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        ("Role", {"fields": ("groups", "is_active")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    filter_horizontal = ("groups",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    search_fields = ["name", "user__email", "prefix"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at", "user"]
    fields = [
        "name",
        "user",
        "prefix",
        "key_hash",
        "scope",
        "expires_at",
        "revoked_at",
        "created_at",
        "last_used_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are created in the UI or with create_api_token


def _admin_login(request: HttpRequest, extra_context: Any = None) -> Any:
    """One sign-in page for the whole product (throttled, audited): the admin site's
    own login form is never shown."""
    from django.contrib.auth.views import redirect_to_login
    from django.shortcuts import redirect

    if _is_admin(request):
        return redirect("admin:index")
    if request.user.is_authenticated:
        # Signed in with another role: sending them to sign in again would loop.
        raise PermissionDenied("The admin site is for admins.")
    return redirect_to_login(request.GET.get("next") or "/admin/")


admin.site.login = _admin_login  # type: ignore[method-assign]


def _unregister_otp_admin() -> None:
    """Each user manages their own second factor on their profile; django-otp's admin
    pages (with a QR view that fails on a missing device) are not offered."""
    from django.contrib.admin.exceptions import NotRegistered
    from django_otp.plugins.otp_totp.models import TOTPDevice

    try:
        admin.site.unregister(TOTPDevice)
    except NotRegistered:
        pass


_unregister_otp_admin()
