"""The bytes an audit event's HMAC covers, one encoding version per event.

Encoding 1 (events written before issue 12) hashed the snapshots with ``json.dumps``
as Python held them. PostgreSQL's jsonb stores a number as an exact decimal and prints
it without an exponent, so a float written as ``3.8e+25`` comes back as the integer
``38000000000000000000000000`` and ``-0.0`` as ``0.0``: the hash of such a row could
not be recomputed from what the database returns, and verification reported an edit.

Encoding 2 hashes every number by its value, spelled the one way both engines agree
on: an integral value (an int, or a float such as 1.0, -0.0 or 3.8e25) as its decimal
integer digits, taken from the float's shortest repr because that is the decimal text
the database stored; any other float as its shortest repr, which is what Python prints
again after reading the database's decimal back. Keys sorted, no insignificant
whitespace, UTF-8. So ``1.0`` and ``1`` hash alike, as they are the same JSON number.
Values no engine can give back faithfully (NaN, infinities, NUL characters, lone
surrogates) are refused when the event is written, instead of being stored unverifiable.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import math
from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from riskhub.audit.models import AuditEvent

LEGACY_ENCODING = 1
CURRENT_ENCODING = 2

# Above this, Python's repr of a float switches to an exponent, which jsonb turns into
# an integer; below it, jsonb keeps the float's "N.0" text and gives back a float.
_EXPONENT_FLOATS_FROM = 1e16
# How many ambiguous numbers in one legacy row we try both ways (2**n HMACs at most).
_LEGACY_AMBIGUITY_LIMIT = 10


class UnverifiableSnapshot(ValueError):
    """A value the audit trail cannot store in a way that verifies on every engine."""


def _text(value: str) -> str:
    if "\x00" in value:
        raise UnverifiableSnapshot(
            "The audit trail refuses a NUL character (PostgreSQL cannot store it)."
        )
    return value


def _number(value: float) -> int | float:
    if not math.isfinite(value):
        raise UnverifiableSnapshot(f"The audit trail refuses the non-finite number {value!r}.")
    if value.is_integer():
        return int(Decimal(repr(value)))
    return value


def _normalise(value: Any) -> Any:
    # Exact type checks first: this walk runs on every audited write, and snapshots
    # are plain JSON types (to_jsonable made them so); subclasses take the slow path.
    kind = type(value)
    if kind is str:
        return _text(value)
    if kind is dict:
        return {
            _text(key) if type(key) is str else _text(str(key)): (
                item if item is None or type(item) is int else _normalise(item)
            )
            for key, item in value.items()
        }
    if kind is list:
        return [_normalise(item) for item in value]
    if kind is float:
        return _number(value)
    if value is None or kind is int or kind is bool:
        return value
    if isinstance(value, str):
        return _text(str(value))
    if isinstance(value, bool | int):
        return int(value) if not isinstance(value, bool) else bool(value)
    if isinstance(value, float):
        return _number(float(value))
    if isinstance(value, list | tuple):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return _normalise(dict(value))
    raise UnverifiableSnapshot(f"The audit trail cannot hash a {type(value).__name__}.")


def encode(fields: dict[str, Any], encoding: int) -> bytes:
    """The canonical bytes of an event's fields under the given encoding version."""
    if encoding == LEGACY_ENCODING:
        return json.dumps(
            fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()
    if encoding != CURRENT_ENCODING:
        raise UnverifiableSnapshot(f"Unknown audit encoding {encoding}.")
    text = json.dumps(
        _normalise(fields),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    try:
        return text.encode()
    except UnicodeEncodeError as exc:
        raise UnverifiableSnapshot(
            "The audit trail refuses text with a lone surrogate (not valid Unicode)."
        ) from exc


def hashed_fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "uuid": str(event.uuid),
        "timestamp": event.timestamp.astimezone(UTC).isoformat(),
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "prev_hash": event.prev_hash,
    }


def _hmac(payload: bytes) -> str:
    return hmac.new(settings.AUDIT_HMAC_KEY.encode(), payload, hashlib.sha256).hexdigest()


def compute_hash(event: AuditEvent) -> str:
    return _hmac(encode(hashed_fields(event), event.encoding))


def hash_matches(event: AuditEvent) -> bool:
    """Whether the stored hash covers the event's content as the database returns it."""
    fields = hashed_fields(event)
    if hmac.compare_digest(_hmac(encode(fields, event.encoding)), event.hash):
        return True
    if event.encoding != LEGACY_ENCODING:
        return False
    # A legacy row written on PostgreSQL hashed the floats Python held; jsonb gave back
    # an integer for a float >= 1e16 and 0.0 for -0.0. Try the numbers that may have
    # been such floats as floats again: the same values, so nothing an editor changed
    # can pass, and without the key no other content can match.
    return any(
        hmac.compare_digest(_hmac(encode(variant, LEGACY_ENCODING)), event.hash)
        for variant in _legacy_variants(fields)
    )


def _was_float(value: Any) -> bool:
    if isinstance(value, float):
        return value == 0.0
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) < _EXPONENT_FLOATS_FROM:
            return False
        try:
            as_float = float(value)
        except OverflowError:
            return False
        return int(Decimal(repr(as_float))) == value
    return False


def _as_float(value: int | float) -> float:
    return -0.0 if value == 0 else float(value)


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*path, index))
    elif _was_float(value):
        yield path


def _replaced(value: Any, paths: set[tuple[Any, ...]], path: tuple[Any, ...] = ()) -> Any:
    if isinstance(value, dict):
        return {key: _replaced(item, paths, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [_replaced(item, paths, (*path, index)) for index, item in enumerate(value)]
    return _as_float(value) if path in paths else value


def _legacy_variants(fields: dict[str, Any]) -> Iterator[dict[str, Any]]:
    snapshots = {"before": fields["before"], "after": fields["after"]}
    candidates = list(_paths(snapshots))
    if not candidates:
        return
    if len(candidates) > _LEGACY_AMBIGUITY_LIMIT:
        subsets: Iterator[tuple[tuple[Any, ...], ...]] = iter([tuple(candidates)])
    else:
        # Most likely first: every candidate was a float.
        subsets = (
            subset
            for size in range(len(candidates), 0, -1)
            for subset in itertools.combinations(candidates, size)
        )
    for subset in subsets:
        yield {**fields, **_replaced(snapshots, set(subset))}
