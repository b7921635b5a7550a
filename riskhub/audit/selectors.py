from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from riskhub.audit.models import AuditEvent


@dataclass
class AuditFilters:
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all().order_by("-seq")
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    tz = timezone.get_current_timezone()
    if filters.since:
        qs = qs.filter(timestamp__gte=datetime.combine(filters.since, time.min, tzinfo=tz))
    if filters.until:
        qs = qs.filter(timestamp__lte=datetime.combine(filters.until, time.max, tzinfo=tz))
    return qs


def actor_labels(events: list[AuditEvent]) -> dict[int, str]:
    """Labels for the actors on a page, in one query. An erased user shows by id."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    users = get_user_model().objects.filter(pk__in=ids).only("id", "email", "full_name")
    labels = {u.pk: str(u) for u in users}
    return {i: labels.get(i, f"user #{i} (erased)") for i in ids}


def distinct_actions() -> list[str]:
    return list(AuditEvent.objects.order_by("action").values_list("action", flat=True).distinct())


def event_row(event: AuditEvent, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "timestamp": event.timestamp.isoformat(),
        "actor_id": event.actor_id,
        "actor": labels.get(event.actor_id, "system") if event.actor_id else "system",
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "hash": event.hash,
    }
