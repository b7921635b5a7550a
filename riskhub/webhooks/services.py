"""Every write of the webhooks app: endpoints (admins only, audited), the dispatcher
that turns committed audit events into deliveries, and the delivery attempts.

Delivery is at least once: a receiver dedupes on the payload's `id`. Each attempt is
claimed under a row lock before the request and recorded under it after, so a task
message the broker delivers twice sends nothing twice while an attempt is in flight,
and nothing after the delivery succeeded.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.models import AuditEvent, ChainHead
from riskhub.audit.services import record_event
from riskhub.common.updates import guarded_update
from riskhub.webhooks import events as catalog
from riskhub.webhooks import network, signing, vault
from riskhub.webhooks.models import Delivery, DispatchCursor, Endpoint

logger = logging.getLogger(__name__)

PERMISSION = "webhooks.manage"
FIELDS = ["name", "url", "events", "enabled"]
# Audit events read per dispatch pass; a longer backlog is read by the next pass.
DISPATCH_BATCH = 500
SWEEP_BATCH = 500


def _snapshot(endpoint: Endpoint) -> dict[str, Any]:
    return {name: getattr(endpoint, name) for name in FIELDS}


def _validate(endpoint: Endpoint) -> None:
    errors: dict[str, str] = {}
    endpoint.name = endpoint.name.strip()
    endpoint.url = endpoint.url.strip()
    try:
        network.check(endpoint.url)
    except network.UnsafeDestination as exc:
        errors["url"] = str(exc)
    chosen = endpoint.events if isinstance(endpoint.events, list) else []
    unknown = sorted(set(chosen) - catalog.EVENT_CODES)
    if unknown:
        errors["events"] = f"Unknown event types: {', '.join(unknown)}."
    elif not chosen:
        errors["events"] = "Choose at least one event."
    endpoint.events = sorted(set(chosen))
    if errors:
        raise ValidationError(errors)


def _start_cursor() -> None:
    """The dispatcher reads the trail from here on (the first endpoint's creation)."""
    if not DispatchCursor.objects.filter(id=1).exists():
        head = ChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
        DispatchCursor.objects.get_or_create(id=1, defaults={"seq": head})


@transaction.atomic
def endpoint_create(
    *, actor: User, name: str, url: str, events: list[str], enabled: bool = True
) -> tuple[Endpoint, str]:
    """Register an endpoint; returns it and its secret, which nobody sees again."""
    require(actor, PERMISSION)
    secret = vault.new_secret()
    endpoint = Endpoint(
        name=name,
        url=url,
        events=list(events),
        enabled=enabled,
        secret_encrypted=vault.seal(secret),
        secret_hint=vault.hint(secret),
        secret_rotated_at=timezone.now(),
        created_by=actor,
    )
    _validate(endpoint)
    endpoint.full_clean()
    _start_cursor()
    endpoint.save()
    record_event(
        actor=actor,
        action="webhook_endpoint.create",
        object_type="webhook_endpoint",
        object_id=endpoint.uuid,
        object_repr=endpoint.name,
        after={**_snapshot(endpoint), "secret_hint": endpoint.secret_hint},
    )
    return endpoint, secret


def endpoint_update(*, actor: User, endpoint: Endpoint, **changes: Any) -> Endpoint:
    require(actor, PERMISSION)
    return guarded_update(
        endpoint,
        actor=actor,
        changes={k: v for k, v in changes.items() if k in FIELDS},
        allowed=FIELDS,
        action="webhook_endpoint.update",
        version_field=None,
        snapshot=_snapshot,
        validate=_validate,
    ).instance


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: Endpoint) -> None:
    """Delete the endpoint and its delivery log (the trail keeps that it existed)."""
    require(actor, PERMISSION)
    current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    record_event(
        actor=actor,
        action="webhook_endpoint.delete",
        object_type="webhook_endpoint",
        object_id=current.uuid,
        object_repr=current.name,
        before={**_snapshot(current), "deliveries": current.deliveries.count()},
    )
    current.delete()


@transaction.atomic
def endpoint_rotate_secret(*, actor: User, endpoint: Endpoint) -> tuple[Endpoint, str]:
    """A new secret at once (the old one stops signing); returned to be shown once."""
    require(actor, PERMISSION)
    current = Endpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = current.secret_hint
    secret = vault.new_secret()
    current.secret_encrypted = vault.seal(secret)
    current.secret_hint = vault.hint(secret)
    current.secret_rotated_at = timezone.now()
    current.save(update_fields=["secret_encrypted", "secret_hint", "secret_rotated_at"])
    record_event(
        actor=actor,
        action="webhook_endpoint.rotate_secret",
        object_type="webhook_endpoint",
        object_id=current.uuid,
        object_repr=current.name,
        before={"secret_hint": before},
        after={"secret_hint": current.secret_hint},
    )
    return current, secret


@transaction.atomic
def endpoint_send_test(*, actor: User, endpoint: Endpoint, now: datetime | None = None) -> Delivery:
    """Queue a `webhook.test` event to this endpoint alone (enabled or not)."""
    require(actor, PERMISSION)
    now = now or timezone.now()
    document = catalog.test_payload(endpoint_name=endpoint.name, now=now)
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        event_id=uuid.UUID(document["id"]),
        event_type=catalog.TEST_EVENT,
        body=_encode(document),
        next_attempt_at=now,
        created_at=now,
    )
    record_event(
        actor=actor,
        action="webhook_endpoint.test",
        object_type="webhook_endpoint",
        object_id=endpoint.uuid,
        object_repr=endpoint.name,
        after={"event_id": document["id"]},
    )
    transaction.on_commit(lambda: enqueue(delivery.pk))
    return delivery


def _encode(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


# --- dispatch: committed audit events -> deliveries ----------------------------------------


def on_events_committed(sender: Any, actions: frozenset[str], **kwargs: Any) -> None:
    """Receiver of riskhub.audit.signals.events_committed. Free for the many events no
    webhook is about (a set intersection); the others trigger one dispatch pass."""
    if actions & catalog.AUDIT_ACTIONS:
        events_dispatch()


def events_dispatch(*, now: datetime | None = None) -> list[int]:
    """Read the trail from the cursor and create one delivery per (event, subscribed
    endpoint). The cursor row lock makes concurrent passes take turns, so each event
    is dispatched once; the sweep runs this too, catching events whose commit hook was
    lost with its process. Returns the new deliveries' ids."""
    now = now or timezone.now()
    with transaction.atomic():
        cursor = DispatchCursor.objects.select_for_update().filter(id=1).first()
        if cursor is None:  # no endpoint was ever registered
            return []
        head = ChainHead.objects.filter(id=1).values_list("seq", flat=True).first() or 0
        if head <= cursor.seq:
            return []
        relevant = list(
            AuditEvent.objects.filter(
                seq__gt=cursor.seq, seq__lte=head, action__in=catalog.AUDIT_ACTIONS
            ).order_by("seq")[:DISPATCH_BATCH]
        )
        reached = relevant[-1].seq if len(relevant) == DISPATCH_BATCH else head
        endpoints = list(Endpoint.objects.filter(enabled=True))
        deliveries = []
        for event in relevant:
            event_type = catalog.event_type_for(event)
            if event_type is None:
                continue
            receivers = [
                e
                for e in endpoints
                if event_type.code in e.events and e.created_at <= event.timestamp
            ]
            if not receivers:
                continue
            body = _encode(catalog.payload(event, event_type))
            deliveries += [
                Delivery(
                    endpoint=endpoint,
                    event_id=event.uuid,
                    event_type=event_type.code,
                    body=body,
                    next_attempt_at=now,
                    created_at=now,
                )
                for endpoint in receivers
            ]
        created = Delivery.objects.bulk_create(deliveries)
        cursor.seq = reached
        cursor.save(update_fields=["seq"])
        ids = [d.pk for d in created]

        def enqueue_all() -> None:
            for pk in ids:
                enqueue(pk)

        transaction.on_commit(enqueue_all)
    return ids


def enqueue(delivery_id: int, countdown: float | None = None) -> None:
    """Hand a delivery to a worker. A broker that is down costs nothing here: the sweep
    finds every pending delivery that is due."""
    from riskhub.webhooks import tasks

    options: dict[str, Any] = {}
    if countdown:
        options["countdown"] = countdown
    try:
        tasks.deliver.apply_async(args=[delivery_id], **options)
    except Exception:  # noqa: BLE001 - the broker's trouble must not reach the writer
        logger.exception("Webhook delivery %s not queued; the sweep will retry", delivery_id)


# --- delivery --------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the n-th failed attempt: base x 2^(n-1), at most the maximum."""
    base = int(getattr(settings, "WEBHOOK_RETRY_BASE_SECONDS", 30))
    ceiling = int(getattr(settings, "WEBHOOK_RETRY_MAX_SECONDS", 3600))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), ceiling))


def _claim(delivery_id: int, now: datetime) -> tuple[Delivery | None, str]:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None:
            return None, "gone"
        if delivery.status != Delivery.Status.PENDING:
            return None, "finished"
        if delivery.claimed_until is not None and delivery.claimed_until > now:
            return None, "in flight"
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            return None, "not due"
        if not delivery.endpoint.enabled and delivery.event_type != catalog.TEST_EVENT:
            delivery.status = Delivery.Status.CANCELLED
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "next_attempt_at"])
            return None, "cancelled"
        timeout = int(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))
        delivery.attempts += 1
        delivery.claimed_until = now + timedelta(seconds=3 * timeout + 30)
        delivery.save(update_fields=["attempts", "claimed_until"])
    return delivery, "claimed"


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """One attempt of one delivery (the task's body): claim, send, record."""
    now = now or timezone.now()
    delivery, outcome = _claim(delivery_id, now)
    if delivery is None:
        return outcome
    endpoint = delivery.endpoint
    body = delivery.body.encode("utf-8")
    answer: network.Answer | None = None
    error = ""
    try:
        secret = vault.unseal(endpoint.secret_encrypted)
        target = network.check(endpoint.url)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "RiskHub-Webhooks/1",
            signing.HEADER: signing.header_value(secret, int(now.timestamp()), body),
            "RiskHub-Event": delivery.event_type,
            "RiskHub-Delivery": str(delivery.uuid),
        }
        answer = network.post(target, body, headers)
    except (network.UnsafeDestination, network.DeliveryFailed, vault.SecretUnreadable) as exc:
        error = str(exc)
    else:
        if 300 <= answer.status < 400:
            error = f"HTTP {answer.status}: redirects are not followed."
        elif not 200 <= answer.status < 300:
            error = f"HTTP {answer.status}"
    return _record(delivery.pk, delivery.attempts, answer, error, now)


def _record(
    delivery_id: int, attempt: int, answer: network.Answer | None, error: str, now: datetime
) -> str:
    max_attempts = int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.attempts != attempt:
            return "superseded"
        delivery.last_attempt_at = now
        delivery.claimed_until = None
        delivery.error = error[:500]
        delivery.response_status = answer.status if answer else None
        delivery.response_excerpt = answer.excerpt if answer else ""
        delivery.duration_ms = answer.duration_ms if answer else None
        if not error:
            delivery.status = Delivery.Status.SUCCEEDED
            delivery.next_attempt_at = None
        elif delivery.attempts >= max_attempts:
            delivery.status = Delivery.Status.FAILED
            delivery.next_attempt_at = None
        else:
            wait = backoff(delivery.attempts)
            delivery.next_attempt_at = now + wait
            transaction.on_commit(lambda: enqueue(delivery_id, wait.total_seconds()))
        delivery.save()
    return delivery.status


def deliveries_sweep(*, now: datetime | None = None) -> int:
    """The beat's job: dispatch what the commit hooks missed, and queue again every
    pending delivery that is due and not in flight (a lost or expired task message).
    Returns how many were queued."""
    now = now or timezone.now()
    events_dispatch(now=now)
    due = list(
        Delivery.objects.filter(status=Delivery.Status.PENDING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lte=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_BATCH]
    )
    for pk in due:
        enqueue(pk)
    return len(due)
