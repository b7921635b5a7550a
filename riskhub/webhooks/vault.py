"""Endpoint secrets, kept encrypted at rest.

RiskHub needs each secret back to sign deliveries, so it cannot keep only a hash (as
it does for API tokens). It is encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under
a key derived from SECRET_KEY for this one purpose: a copy of the database, or of a
backup, does not reveal the secrets. SECRET_KEY_FALLBACKS still decrypt, so rotating
SECRET_KEY the Django way keeps endpoints working; an endpoint whose secret no key
opens any more needs "Rotate secret". The full secret is shown once, when it is
created or rotated; afterwards pages show only its last four characters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

PREFIX = "whsec_"
_PURPOSE = b"riskhub.webhooks.endpoint-secret"


class SecretUnreadable(Exception):
    """No configured key decrypts the stored secret (SECRET_KEY changed)."""


def _fernet(key: str) -> Fernet:
    digest = hmac.new(key.encode("utf-8"), _PURPOSE, hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def seal(secret: str) -> str:
    return _keys().encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(token: str) -> str:
    try:
        return _keys().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as exc:
        raise SecretUnreadable(
            "The endpoint's secret cannot be decrypted with the current SECRET_KEY "
            "(or its fallbacks): rotate the secret."
        ) from exc


def hint(secret: str) -> str:
    return secret[-4:]
