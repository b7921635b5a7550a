"""Single sign-on with OpenID Connect (mozilla-django-oidc), mapping an IdP group
claim to a RiskHub role. Enabled when OIDC_RP_CLIENT_ID is set."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role, public
from riskhub.accounts.services import user_sync_from_idp


def role_from_claims(claims: dict[str, Any]) -> Role | None:
    """The most privileged role any of the user's IdP groups maps to, or None."""
    groups = claims.get(settings.OIDC_GROUP_CLAIM) or []
    if isinstance(groups, str):
        groups = [groups]
    mapped = {settings.OIDC_ROLE_MAP[g] for g in groups if g in settings.OIDC_ROLE_MAP}
    for role in (Role.ADMIN, Role.EXECUTIVE, Role.RISK_OFFICER, Role.AUDITOR):
        if role.value in mapped:
            return role
    return None


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        email = (claims.get("email") or "").strip().lower()
        return User.objects.filter(email=email) if email else User.objects.none()

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # A person whose groups map to no role does not get in.
        return bool(claims.get("email")) and role_from_claims(claims) is not None

    def create_user(self, claims: dict[str, Any]) -> User:
        return user_sync_from_idp(
            user=None,
            email=claims["email"],
            role=role_from_claims(claims),  # type: ignore[arg-type]
            full_name=str(claims.get("name") or ""),
        )

    def update_user(self, user: User, claims: dict[str, Any]) -> User:
        return user_sync_from_idp(
            user=user,
            email=user.email,
            role=role_from_claims(claims),  # type: ignore[arg-type]
            full_name=str(claims.get("name") or user.full_name),
        )


def _enabled_only(view: Any) -> Any:
    def wrapper(request: HttpRequest) -> HttpResponse:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        return view(request)

    return wrapper


sso_start = public(_enabled_only(OIDCAuthenticationRequestView.as_view()))
sso_callback = public(_enabled_only(OIDCAuthenticationCallbackView.as_view()))
