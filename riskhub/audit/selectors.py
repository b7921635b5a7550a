from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from riskhub.audit.changes import people_referenced
from riskhub.audit.labels import OBJECT_TYPE_LABELS, action_label, area_codes
from riskhub.audit.models import AuditEvent

VERIFY_ACTION = "audit.verify"
SUGGESTIONS = 10


@dataclass
class AuditFilters:
    # A code; "area:<slug>" for every action of an area; a prefix ending in "." (the
    # API's and older links' form).
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor_id: int | None = None
    since: date | None = None
    until: date | None = None


def _day_start(day: date) -> datetime:
    """The first instant of `day` in the current time zone (the organisation's on the
    audit pages)."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all().order_by("-seq")
    if filters.action:
        codes = area_codes(filters.action)
        if codes is not None:
            qs = qs.filter(action__in=codes)
        elif filters.action.endswith("."):
            qs = qs.filter(action__startswith=filters.action)
        else:
            qs = qs.filter(action=filters.action)
    if filters.object_type:
        qs = qs.filter(object_type__in=same_kind_object_types(filters.object_type))
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.actor_id is not None:
        qs = qs.filter(actor_id=filters.actor_id)
    if filters.since:
        qs = qs.filter(timestamp__gte=_day_start(filters.since))
    if filters.until:
        # Half-open: up to the first instant of the next day, whatever its length.
        qs = qs.filter(timestamp__lt=_day_start(filters.until + timedelta(days=1)))
    return qs


def same_kind_object_types(object_type: str) -> list[str]:
    """The object type and its spellings that read the same ("control_implementation"
    and the model name "controlimplementation" that offboarding writes)."""
    label = OBJECT_TYPE_LABELS.get(object_type)
    if label is None:
        return [object_type]
    return [code for code, other in OBJECT_TYPE_LABELS.items() if other == label]


def email_suggestions(term: str, limit: int = SUGGESTIONS) -> list[tuple[str, str]]:
    """(email, name) of the people whose email or name contains `term` (one query)."""
    qs = get_user_model().objects.all()
    term = term.strip()
    if term:
        qs = qs.filter(Q(email__icontains=term) | Q(full_name__icontains=term))
    return list(qs.order_by("email").values_list("email", "full_name")[:limit])


def user_labels(ids: Iterable[int]) -> dict[int, str]:
    """Names for user ids, in one query. An erased user shows by id."""
    wanted = set(ids)
    users = get_user_model().objects.filter(pk__in=wanted).only("id", "email", "full_name")
    labels = {u.pk: str(u) for u in users}
    return {i: labels.get(i, f"user #{i} (erased)") for i in wanted}


def actor_labels(events: list[AuditEvent]) -> dict[int, str]:
    """Labels for the actors on a page, in one query. An erased user shows by id."""
    return user_labels(e.actor_id for e in events if e.actor_id is not None)


def people_on_page(events: list[AuditEvent]) -> dict[int, tuple[str, str]]:
    """(label, email) of every person a page names: the actors and the users that
    snapshot fields such as `owner` refer to (one query)."""
    ids = {e.actor_id for e in events if e.actor_id is not None}
    ids |= people_referenced(s for e in events for s in (e.before, e.after))
    users = get_user_model().objects.filter(pk__in=ids).only("id", "email", "full_name")
    found = {u.pk: (str(u), u.email) for u in users}
    return {i: found.get(i, (f"user #{i} (erased)", "")) for i in ids}


def last_verification() -> AuditEvent | None:
    """The newest chain verification run from the browser (one query)."""
    return AuditEvent.objects.filter(action=VERIFY_ACTION).order_by("-seq").first()


def verification_result(run: str) -> AuditEvent | None:
    """The event that recorded the verification run `run`, once it finished."""
    for event in AuditEvent.objects.filter(action=VERIFY_ACTION).order_by("-seq")[:50]:
        if isinstance(event.after, dict) and event.after.get("run") == run:
            return event
    return None


def event_row(event: AuditEvent, labels: dict[int, str]) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "timestamp": event.timestamp.isoformat(),
        "actor_id": event.actor_id,
        "actor": labels.get(event.actor_id, "system") if event.actor_id else "system",
        "action": event.action,
        "action_label": action_label(event.action),
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
        "ip_address": event.ip_address,
        "hash": event.hash,
    }
