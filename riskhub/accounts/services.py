"""Writes to accounts: users, roles, passwords, API tokens. Each is audited."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role, require
from riskhub.accounts.throttling import (
    PASSWORD_RESET_REQUEST,
    login_identifier,
    password_reset_is_throttled,
)
from riskhub.audit.services import record_event

TOKEN_PREFIX = "rh_"  # noqa: S105 - a public prefix, not a secret


def _user_snapshot(user: User) -> dict[str, object]:
    # Users are referenced by id in the trail; no email, so erasure keeps the chain.
    return {"id": user.pk, "role": user.role.value if user.role else None, "active": user.is_active}


@transaction.atomic
def user_create(
    *, actor: User | None, email: str, role: Role, password: str | None, full_name: str = ""
) -> User:
    user = User(email=email.strip().lower(), full_name=full_name)
    user.set_password(password)
    user.full_clean()
    user.save()
    _set_role(user, role)
    record_event(
        actor=actor,
        action="user.create",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        after=_user_snapshot(user),
    )
    return user


def _set_role(user: User, role: Role) -> None:
    group, _ = Group.objects.get_or_create(name=role.value)
    user.groups.set([group])
    user.is_staff = role == Role.ADMIN
    user.is_superuser = role == Role.ADMIN
    user.save(update_fields=["is_staff", "is_superuser"])
    user.__dict__.pop("role", None)


def ensure_an_admin_remains(user: User) -> None:
    """Refuse to demote or deactivate the last active admin: nobody could manage users
    afterwards. Call it inside the transaction of the change."""
    if not user.is_active or user.role != Role.ADMIN:
        return
    # Locking the active admins' rows serialises two admins demoting or deactivating
    # each other at the same moment, so they cannot both succeed (PostgreSQL).
    admins = list(
        User.objects.select_for_update()
        .filter(is_active=True, groups__name=Role.ADMIN.value)
        .values_list("pk", flat=True)
    )
    if not [pk for pk in admins if pk != user.pk]:
        raise ValidationError(
            {"role": f"{user.email} is the last active admin. Make someone else an admin first."}
        )


@transaction.atomic
def user_invite(*, actor: User, email: str, full_name: str, role: Role) -> User:
    """Create an account without a password and email its owner a set-password link."""
    require(actor, "users.manage")
    email = email.strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone already has an account with this email."})
    user = user_create(actor=actor, email=email, role=role, password=None, full_name=full_name)
    record_event(
        actor=actor,
        action="user.invite",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        after=_user_snapshot(user),
    )
    _send_password_link_after_commit(user, PasswordLink.INVITE)
    return user


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: Role) -> User:
    require(actor, "users.manage")
    if user.role == role:
        return user  # nothing changes, so nothing to record
    if role != Role.ADMIN:
        ensure_an_admin_remains(user)
    before = _user_snapshot(user)
    _set_role(user, role)
    record_event(
        actor=actor,
        action="user.set_role",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        before=before,
        after=_user_snapshot(user),
    )
    return user


@transaction.atomic
def user_change_password(*, actor: User, user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_event(
        actor=actor,
        action="user.change_password",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
    )


@transaction.atomic
def user_deactivate(*, actor: User, user: User, successor: User, moved: Mapping[str, int]) -> User:
    """Stop a person signing in: the last step of offboarding (riskhub.core.offboarding),
    once `successor` has their open work (`moved` counts it by kind) and their API
    tokens are revoked. Recorded as `user.offboard`. Refused for the last active admin;
    whether the handover itself is allowed is the offboarding's business."""
    require(actor, "users.manage")
    ensure_an_admin_remains(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="user.offboard",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        before={"active": True},
        after={"active": False, "successor_id": successor.pk, "moved": dict(moved)},
    )
    return user


@transaction.atomic
def api_tokens_revoke_all(*, actor: User, user: User) -> int:
    """Revoke every API token the user still has (one audited revocation each);
    returns how many."""
    tokens = list(
        ApiToken.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
    )
    for token in tokens:
        api_token_revoke(actor=actor, token=token)
    return len(tokens)


@transaction.atomic
def user_reactivate(*, actor: User, user: User) -> User:
    """Let a deactivated person sign in again. Their API tokens stay revoked."""
    require(actor, "users.manage")
    if user.is_active:
        raise ValidationError(f"{user.email} is already active.")
    before = _user_snapshot(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    record_event(
        actor=actor,
        action="user.reactivate",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        before=before,
        after=_user_snapshot(user),
    )
    return user


# --- set-password links: invitations, resets, "forgot password" --------------------


class PasswordLink:
    """What a set-password email says: the first password, or a new one."""

    INVITE = "invite"
    RESET = "reset"


def password_link_path(user: User) -> str:
    """A single-use link: the token covers the password hash and the last login, so it
    stops working once a password is set (or the person signs in), and after
    PASSWORD_RESET_TIMEOUT."""
    token = default_token_generator.make_token(user)
    return reverse("accounts:password_set", kwargs={"user_uuid": user.uuid, "token": token})


def password_link_is_valid(user: User | None, token: str) -> bool:
    return bool(
        user is not None and user.is_active and default_token_generator.check_token(user, token)
    )


def _send_password_link_after_commit(user: User, purpose: str) -> None:
    # The worker sends the email, so a slow mail server costs the request nothing (and
    # "forgot password" answers as fast for an unknown email as for a known one). A
    # broker outage is logged instead of failing the request after the commit.
    from riskhub.accounts.tasks import send_password_link

    user_id = user.pk
    transaction.on_commit(lambda: send_password_link.delay(user_id, purpose), robust=True)


def password_link_send(*, user_id: int, purpose: str) -> int:
    """Email an active person their set-password link (the Celery task's body)."""
    from riskhub.common.mail import absolute_url, send_templated_mail

    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return 0
    template = "invite" if purpose == PasswordLink.INVITE else "password_reset"
    context = {
        "user": user,
        "link": absolute_url(password_link_path(user)),
        "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
        "sign_in": absolute_url(reverse("accounts:login")),
    }
    return send_templated_mail(f"accounts/email/{template}", context, [user.email])


@transaction.atomic
def user_send_password_reset(*, actor: User, user: User) -> str:
    """An admin emails someone a set-password link: a new invitation if they never set a
    password, a reset link otherwise. Returns which one was sent."""
    require(actor, "users.manage")
    if not user.is_active:
        raise ValidationError(f"{user.email} is deactivated. Reactivate them first.")
    purpose = PasswordLink.RESET if user.has_usable_password() else PasswordLink.INVITE
    record_event(
        actor=actor,
        action="user.password_reset_link",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
        after={"purpose": purpose},
    )
    _send_password_link_after_commit(user, purpose)
    return purpose


@transaction.atomic
def user_request_password_reset(*, email: str, ip_address: str | None) -> None:
    """Forgot password: email a reset link to the active account with this email, if
    there is one and the request is not throttled. The caller learns nothing: same
    return, same work on the request path; the trail records a keyed digest of the
    email, never the email, and what happened."""
    if password_reset_is_throttled(email, ip_address):
        outcome = "throttled"
    else:
        user = User.objects.filter(email=email.strip().lower(), is_active=True).first()
        # Like Django's own reset form: no link to an account without a password
        # (single sign-on only, or an invitation not yet taken up: an admin resends it).
        if user is not None and user.has_usable_password():
            outcome = "sent"
            _send_password_link_after_commit(user, PasswordLink.RESET)
        else:
            outcome = "no-account"
    record_event(
        actor=None,
        action=PASSWORD_RESET_REQUEST,
        object_type="login",
        object_id=login_identifier(email),
        after={"outcome": outcome},
    )


@transaction.atomic
def user_set_password(*, user: User, token: str, new_password: str) -> User:
    """Set a password from a set-password link, once."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not password_link_is_valid(locked, token):
        raise ValidationError("This link has expired or was already used.", code="invalid_link")
    password_validation.validate_password(new_password, locked)
    first_password = not locked.has_usable_password()
    locked.set_password(new_password)
    locked.save(update_fields=["password"])
    record_event(
        actor=locked,
        action="user.password_set",
        object_type="user",
        object_id=locked.pk,
        object_repr=locked.email,
        after={"first_password": first_password},
    )
    return locked


@transaction.atomic
def api_token_create(
    *,
    actor: User,
    owner: User,
    name: str,
    scope: str = ApiToken.Scope.READ_WRITE,
    expires_in_days: int | None = None,
) -> tuple[ApiToken, str]:
    """Create a token and return it with its secret, which is never stored."""
    if owner.pk != actor.pk:
        require(actor, "tokens.manage_all")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        user=owner,
        name=name.strip() or "API token",
        prefix=prefix,
        key_hash=ApiToken.hash_secret(secret),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    token.full_clean()
    token.save()
    record_event(
        actor=actor,
        action="api_token.create",
        object_type="api_token",
        object_id=token.uuid,
        object_repr=token.name,
        after={"owner_id": owner.pk, "prefix": prefix, "scope": scope},
    )
    return token, secret


@transaction.atomic
def api_token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if token.user_id != actor.pk:
        require(actor, "tokens.manage_all")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action="api_token.revoke",
            object_type="api_token",
            object_id=token.uuid,
            object_repr=token.name,
        )
    return token


def api_token_authenticate(secret: str) -> ApiToken | None:
    if not secret.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_secret(secret))
        .first()
    )
    if token is None or not token.is_usable or not token.user.is_active:
        return None
    now = timezone.now()
    # Touch at most once a minute: avoids a write on every API call.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# --- two-factor authentication (TOTP, django-otp) ----------------------------------


def totp_device(user: User, *, confirmed: bool = True) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


@transaction.atomic
def totp_start(*, actor: User) -> Any:
    """A fresh, unconfirmed device whose secret the user scans into an app."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=actor, confirmed=False).delete()
    return TOTPDevice.objects.create(user=actor, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_confirm(*, actor: User, token: str) -> bool:
    device = totp_device(actor, confirmed=False)
    if device is None or not device.verify_token(token.strip()):
        return False
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=actor, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    record_event(
        actor=actor,
        action="user.2fa_enable",
        object_type="user",
        object_id=actor.pk,
        object_repr=actor.email,
    )
    return True


@transaction.atomic
def totp_disable(*, actor: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _ = TOTPDevice.objects.filter(user=actor).delete()
    if deleted:
        record_event(
            actor=actor,
            action="user.2fa_disable",
            object_type="user",
            object_id=actor.pk,
            object_repr=actor.email,
        )


def totp_verify(*, user: User, token: str) -> Any:
    """The confirmed device if the token is right (django-otp throttles failures)."""
    device = totp_device(user)
    if device is None:
        return None
    allowed, _ = device.verify_is_allowed()
    if allowed and device.verify_token(token.strip()):
        record_event(
            actor=user,
            action="auth.2fa_verified",
            object_type="user",
            object_id=user.pk,
            object_repr=user.email,
        )
        return device
    record_event(
        actor=user,
        action="auth.2fa_failed",
        object_type="user",
        object_id=user.pk,
        object_repr=user.email,
    )
    return None


@transaction.atomic
def user_sync_from_idp(*, user: User | None, email: str, role: Role, full_name: str) -> User:
    """Create or update a user from the identity provider's claims (SSO). The role
    follows the IdP group on every sign-in; each change is audited."""
    if user is None:
        user = user_create(actor=None, email=email, role=role, password=None, full_name=full_name)
        record_event(
            actor=None,
            action="user.sso_provision",
            object_type="user",
            object_id=user.pk,
            object_repr=user.email,
            after=_user_snapshot(user),
        )
        return user
    before = _user_snapshot(user)
    if user.role != role:
        _set_role(user, role)
    if full_name and user.full_name != full_name:
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    after = _user_snapshot(user)
    if before != after:
        record_event(
            actor=None,
            action="user.sso_sync",
            object_type="user",
            object_id=user.pk,
            object_repr=user.email,
            before=before,
            after=after,
        )
    return user
