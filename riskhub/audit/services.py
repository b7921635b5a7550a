"""Writing and verifying the audit trail."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from riskhub.audit.context import current_request_meta
from riskhub.audit.hashing import CURRENT_ENCODING, UnverifiableSnapshot, compute_hash, hash_matches
from riskhub.audit.models import AuditEvent, ChainHead
from riskhub.audit.signals import events_committed

logger = logging.getLogger(__name__)

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
    value are the same. NaN and infinities are refused: no engine stores them as JSON."""
    if value is None:
        return None
    try:
        text = json.dumps(value, default=_json_default, allow_nan=False)
    except ValueError as exc:  # NaN/Infinity, or an integer too long to print
        raise UnverifiableSnapshot(f"The audit trail refuses this snapshot: {exc}") from exc
    return json.loads(text)


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
                encoding=CURRENT_ENCODING,
            )
            event.hash = compute_hash(event)
            prev = event.hash
            events.append(event)
        AuditEvent.objects.bulk_create(events)
        ChainHead.objects.filter(id=1).update(seq=seq, hash=prev)
        # Only the action codes travel to the hook (a long import's transaction keeps
        # no event objects alive until it commits); receivers read the trail itself.
        actions = frozenset(spec.action for spec in specs)
        transaction.on_commit(lambda: _announce(actions, seq))
    return events


def _announce(actions: frozenset[str], last_seq: int) -> None:
    """Tell receivers (webhooks) what was committed; their failure is theirs alone."""
    replies = events_committed.send_robust(sender=AuditEvent, actions=actions, last_seq=last_seq)
    for receiver, result in replies:
        if isinstance(result, Exception):
            logger.error(
                "Receiver %r of committed audit events failed",
                receiver,
                exc_info=(type(result), result, result.__traceback__),
            )


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


def chain_problems(limit: int | None = None, batch_size: int = 2000) -> list[ChainProblem]:
    """Walk the whole chain in order and name every broken event (at most ``limit``).

    Each row is judged on its own: a row whose content no longer matches its hash was
    edited or moved; a row after a gap in the sequence follows deleted events; a row
    whose previous-hash link is broken, after a row that itself verifies, follows
    deleted or reordered rows. A link broken only because the row before it is already
    named is not named again, so one tampered row is one problem.
    """
    problems: list[ChainProblem] = []

    def found(seq: int | None, reason: str) -> bool:
        problems.append(ChainProblem(seq, reason))
        return limit is not None and len(problems) >= limit

    expected_prev = GENESIS
    expected_seq = 1
    previous_intact = True
    for event in _iter_events(batch_size):
        intact, reason = _judge(event, expected_seq, expected_prev, previous_intact)
        if reason is not None and found(event.seq, reason):
            return problems
        previous_intact = intact
        expected_prev = event.hash
        expected_seq = event.seq + 1
    last_seq = expected_seq - 1
    head = ChainHead.objects.filter(id=1).first()
    if head is None:
        return problems
    if head.seq > last_seq:
        found(
            last_seq + 1,
            f"chain ends at event {last_seq} but the head records {head.seq}: "
            "the newest events were deleted",
        )
    elif head.seq < last_seq:
        found(
            head.seq + 1,
            f"the head records event {head.seq} but the chain goes on to {last_seq}: "
            "rows were added behind the writers' back",
        )
    elif head.hash != expected_prev and previous_intact:
        found(last_seq, "the newest hash differs from the head's: the head was edited")
    return problems


def _judge(
    event: AuditEvent, expected_seq: int, expected_prev: str, previous_intact: bool
) -> tuple[bool, str | None]:
    """Whether the row's content verifies, and what is wrong with it (None: nothing)."""
    try:
        intact = hash_matches(event)
    except UnverifiableSnapshot:
        intact = False
    reasons = []
    if not intact:
        reasons.append("content does not match its hash: row was edited or moved")
    if event.seq != expected_seq:
        missing = (
            f"event {expected_seq} was"
            if event.seq == expected_seq + 1
            else f"events {expected_seq} to {event.seq - 1} were"
        )
        reasons.append(f"sequence jumps from {expected_seq - 1} to {event.seq}: {missing} deleted")
    elif intact and previous_intact and event.prev_hash != expected_prev:
        reasons.append("previous-hash link broken: rows were deleted or reordered")
    return intact, "; ".join(reasons) or None


def verify_chain(batch_size: int = 2000) -> ChainProblem | None:
    """The first problem in the chain, or None when it is intact."""
    problems = chain_problems(limit=1, batch_size=batch_size)
    return problems[0] if problems else None


def _iter_events(batch_size: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        batch = list(AuditEvent.objects.filter(seq__gt=last).order_by("seq")[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq
