"""Writing and verifying the audit trail."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from riskhub.audit.context import current_request_meta
from riskhub.audit.models import AuditEvent, ChainHead

GENESIS = "0" * 64


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"Cannot serialise {type(value).__name__} for the audit trail")


def to_jsonable(value: Any) -> Any:
    """Make before/after snapshots JSON-safe once, so the stored value and the hashed
    value are the same."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_json_default))


def canonical(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def compute_hash(event: AuditEvent) -> str:
    fields = {
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
    key = settings.AUDIT_HMAC_KEY.encode()
    return hmac.new(key, canonical(fields), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class EventSpec:
    action: str
    object_type: str = ""
    object_id: str = ""
    object_repr: str = ""
    before: Any = None
    after: Any = None


def _lock_head() -> ChainHead:
    # The UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before
    # we read the head, so two writers can never read the same previous hash.
    if not ChainHead.objects.filter(id=1).update(seq=F("seq")):
        ChainHead.objects.get_or_create(id=1)  # the very first event
        ChainHead.objects.filter(id=1).update(seq=F("seq"))
    return ChainHead.objects.get(id=1)


def record_events(actor: Any, specs: Iterable[EventSpec]) -> list[AuditEvent]:
    """Append several events under one lock of the chain head (bulk writes)."""
    specs = list(specs)
    if not specs:
        return []
    meta = current_request_meta()
    actor_id = getattr(actor, "pk", actor) if actor is not None else None
    with transaction.atomic():
        head = _lock_head()
        events = []
        prev = head.hash
        seq = head.seq
        now = timezone.now()
        for spec in specs:
            seq += 1
            event = AuditEvent(
                seq=seq,
                timestamp=now,
                actor_id=actor_id,
                action=spec.action,
                object_type=spec.object_type,
                object_id=str(spec.object_id),
                object_repr=str(spec.object_repr)[:200],
                before=to_jsonable(spec.before),
                after=to_jsonable(spec.after),
                request_id=meta.request_id,
                ip_address=meta.ip_address,
                prev_hash=prev,
            )
            event.hash = compute_hash(event)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=prev)
    return events


def record_event(
    *,
    actor: Any,
    action: str,
    object_type: str = "",
    object_id: Any = "",
    object_repr: str = "",
    before: Any = None,
    after: Any = None,
) -> AuditEvent:
    """Append one event. Call it inside the transaction of the change it records."""
    spec = EventSpec(action, object_type, str(object_id), object_repr, before, after)
    return record_events(actor, [spec])[0]


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None
    reason: str


def verify_chain(batch_size: int = 2000) -> ChainProblem | None:
    """Walk the chain in order; return the first problem or None when intact."""
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    for event in _iter_events(batch_size):
        if event.seq != expected_seq:
            return ChainProblem(
                event.seq,
                f"sequence jumps from {expected_seq - 1} to {event.seq}: "
                f"event {expected_seq} was deleted",
            )
        if event.prev_hash != expected_prev:
            return ChainProblem(
                event.seq, "previous-hash link broken: rows were deleted or reordered"
            )
        if not hmac.compare_digest(compute_hash(event), event.hash):
            return ChainProblem(event.seq, "content does not match its hash: row was edited")
        expected_prev = event.hash
        expected_seq += 1
        last_seq = event.seq
    head = ChainHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        return ChainProblem(
            last_seq + 1 if head.seq > last_seq else head.seq,
            f"chain ends at event {last_seq} but the head records {head.seq}: "
            "the newest events were deleted",
        )
    return None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
