"""What the (read-only, see admin_site.py) admin shows: users, their role groups and
API tokens. Changes are made on RiskHub's own pages, through the audited services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.auth.models import Group
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from riskhub.accounts.admin_site import ReadOnlyModelAdmin
from riskhub.accounts.models import ApiToken, User


@admin.register(User)
class UserAdmin(ReadOnlyModelAdmin):
    # Not Django's UserAdmin: no password form, no add form, nothing that writes.
    ordering = ["email"]
    list_display = ["email", "full_name", "role_label", "is_active", "last_login"]
    list_filter = ["groups", "is_active"]
    search_fields = ["email", "full_name"]
    # Every group is listed, so a user put into two role groups shows as such.
    fields = ["email", "full_name", "groups", "is_active", "last_login", "date_joined"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "user", "prefix", "scope", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["scope"]
    list_select_related = ["user"]
    search_fields = ["name", "user__email", "prefix"]
    fields = [
        "name",
        "user",
        "prefix",
        "scope",
        "expires_at",
        "revoked_at",
        "created_at",
        "last_used_at",
    ]


# The roles are groups; RiskHub's permissions live in policy.py, not in Django's
# per-group permissions, so the group page shows names and head counts only.
try:
    admin.site.unregister(Group)
except NotRegistered:
    pass


@admin.register(Group)
class RoleGroupAdmin(ReadOnlyModelAdmin):
    list_display = ["name", "members"]
    fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Group]:
        return super().get_queryset(request).annotate(member_count=Count("user"))

    @admin.display(description="Members", ordering="member_count")
    def members(self, group: Any) -> int:
        return int(group.member_count)


def _unregister_otp_admin() -> None:
    """Each user manages their own second factor on their profile; django-otp's admin
    pages (with a QR view that fails on a missing device) are not offered."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    try:
        admin.site.unregister(TOTPDevice)
    except NotRegistered:
        pass


_unregister_otp_admin()
