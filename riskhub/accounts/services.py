"""Writes to accounts: users, roles, API tokens. Each is audited."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role, require
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


@transaction.atomic
def user_set_role(*, actor: User, user: User, role: Role) -> User:
    require(actor, "users.manage")
    before = _user_snapshot(user)
    _set_role(user, role)
    record_event(
        actor=actor,
        action="user.set_role",
        object_type="user",
        object_id=user.pk,
        before=before,
        after=_user_snapshot(user),
    )
    return user


@transaction.atomic
def user_change_password(*, actor: User, user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record_event(actor=actor, action="user.change_password", object_type="user", object_id=user.pk)


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


def login_identifier(email: str) -> str:
    """What the trail records for a failed login: a keyed digest, never the email."""
    import hashlib
    import hmac

    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, email.strip().lower().encode(), hashlib.sha256).hexdigest()[:32]


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
    record_event(actor=actor, action="user.2fa_enable", object_type="user", object_id=actor.pk)
    return True


@transaction.atomic
def totp_disable(*, actor: User) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    deleted, _ = TOTPDevice.objects.filter(user=actor).delete()
    if deleted:
        record_event(actor=actor, action="user.2fa_disable", object_type="user", object_id=actor.pk)


def totp_verify(*, user: User, token: str) -> Any:
    """The confirmed device if the token is right (django-otp throttles failures)."""
    device = totp_device(user)
    if device is None:
        return None
    allowed, _ = device.verify_is_allowed()
    if allowed and device.verify_token(token.strip()):
        record_event(actor=user, action="auth.2fa_verified", object_type="user", object_id=user.pk)
        return device
    record_event(actor=user, action="auth.2fa_failed", object_type="user", object_id=user.pk)
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
            before=before,
            after=after,
        )
    return user
