"""Offboarding: deactivate a person and hand their open work to a successor.

This lives in `core`, the composition layer above every domain app, because it touches
the work of all of them. Each entry says which model, which owner field, and what
"open" means for it; a model whose app is not installed is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import require
from riskhub.accounts.services import ensure_an_admin_remains
from riskhub.audit.services import EventSpec, record_events


@dataclass(frozen=True)
class OpenWork:
    label: str
    model: str
    owner_field: str
    open_filter: Q


OPEN_WORK = [
    OpenWork("assets", "inventory.Asset", "owner", Q(archived_at__isnull=True)),
    OpenWork("risks and treatments", "risk.Risk", "owner", Q(status__in=["open", "accepted"])),
    OpenWork(
        "control implementations",
        "compliance.ControlImplementation",
        "owner",
        ~Q(status__in=["implemented", "not-applicable"]),
    ),
    OpenWork("incidents", "incidents.Incident", "owner", ~Q(status="closed")),
]


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def open_work_of(user: User) -> dict[str, int]:
    counts = {}
    for work in OPEN_WORK:
        model = _model(work.model)
        if model is not None:
            counts[work.label] = model.objects.filter(
                work.open_filter, **{work.owner_field: user}
            ).count()
    return counts


@transaction.atomic
def user_offboard(*, actor: User, user: User, successor: User) -> dict[str, int]:
    """Deactivate `user`, revoke their tokens and reassign their open work."""
    require(actor, "users.manage")
    if successor.pk == user.pk:
        raise ValidationError({"successor": "Choose someone other than the person leaving."})
    if not successor.is_active:
        raise ValidationError({"successor": "The successor's account is deactivated."})
    if actor.pk == user.pk:
        raise ValidationError({"successor": "You cannot offboard yourself."})
    if not user.is_active:
        raise ValidationError({"successor": f"{user.email} is already deactivated."})
    ensure_an_admin_remains(user)
    specs: list[EventSpec] = []
    moved: dict[str, int] = {}
    for work in OPEN_WORK:
        model = _model(work.model)
        if model is None:
            continue
        rows = model.objects.select_for_update().filter(
            work.open_filter, **{work.owner_field: user}
        )
        ids = list(rows.values_list("uuid", flat=True))
        model.objects.filter(uuid__in=ids).update(**{work.owner_field: successor})
        moved[work.label] = len(ids)
        object_type = model._meta.model_name
        specs += [
            EventSpec(
                f"{object_type}.reassign",
                object_type,
                str(i),
                before={"owner_id": user.pk},
                after={"owner_id": successor.pk},
            )
            for i in ids
        ]
    tokens = list(
        ApiToken.objects.filter(user=user, revoked_at__isnull=True).values_list("uuid", "name")
    )
    ApiToken.objects.filter(uuid__in=[i for i, _ in tokens]).update(revoked_at=timezone.now())
    specs += [EventSpec("api_token.revoke", "api_token", str(i), name) for i, name in tokens]
    user.is_active = False
    user.save(update_fields=["is_active"])
    specs.append(
        EventSpec(
            "user.offboard",
            "user",
            str(user.pk),
            before={"active": True},
            after={"active": False, "successor_id": successor.pk, "moved": moved},
        )
    )
    record_events(actor, specs)
    return moved
