"""Reads of accounts: the people list and a person's tokens."""

from __future__ import annotations

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import F, Q, QuerySet

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role


class PersonStatus:
    ACTIVE = "active"
    INVITED = "invited"
    DEACTIVATED = "deactivated"
    CHOICES = [
        (ACTIVE, "Active"),
        (INVITED, "Invited, no password yet"),
        (DEACTIVATED, "Deactivated"),
    ]


def _invited() -> Q:
    # Never signed in and no password: an invitation not yet taken up. (Single sign-on
    # accounts have no password either, but they are created by signing in.)
    return Q(password__startswith=UNUSABLE_PASSWORD_PREFIX, last_login__isnull=True)


def user_list(*, query: str = "", role: str = "", status: str = "") -> QuerySet[User]:
    """People for the admin's list, active first; the roles come in one more query."""
    users = User.objects.prefetch_related("groups").order_by("-is_active", "email")
    if query:
        users = users.filter(Q(email__icontains=query) | Q(full_name__icontains=query))
    if role in Role.values:
        users = users.filter(groups__name=role)
    if status == PersonStatus.ACTIVE:
        users = users.filter(is_active=True).exclude(_invited())
    elif status == PersonStatus.INVITED:
        users = users.filter(_invited(), is_active=True)
    elif status == PersonStatus.DEACTIVATED:
        users = users.filter(is_active=False)
    return users


def user_is_invited(user: User) -> bool:
    return user.is_active and not user.has_usable_password() and user.last_login is None


def user_tokens(user: User) -> QuerySet[ApiToken]:
    """Live tokens first, newest first."""
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").asc(nulls_first=True), "-created_at"
    )


def user_id_by_email(email: str) -> int | None:
    """The id of the person with this email (any case), or None: list filters take a
    person by email (the audit trail's "who", the reports' requester)."""
    user = User.objects.filter(email__iexact=email.strip()).only("id").first()
    return None if user is None else user.pk
