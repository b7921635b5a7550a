"""Handing the open work someone owns to someone else (offboarding), in bulk.

Each app decides what of its own is "open" (a selector) and exposes an
`<entity>_reassign_owner` service that calls this; `riskhub.core.offboarding` calls the
services. The change is the same everywhere: the owner field, a history row per object
(so "as of" reports name the owner of the day) and one `<type>.reassign` audit event per
object, in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from riskhub.audit.services import EventSpec, record_events

M = TypeVar("M", bound=Model)


def reassign_owner(
    *,
    actor: Any,
    rows: QuerySet[M],
    from_user: Any,
    to_user: Any,
    object_type: str,
    also_update: Sequence[str] = (),
    touch: Callable[[M], None] | None = None,
) -> list[M]:
    """Give `to_user` every row of `rows` that `from_user` owns; returns those rows.

    Rows are locked first (in id order, so two offboardings cannot deadlock). `touch`
    may change more fields of each row (listed in `also_update`), say a version counter.
    Call inside a transaction (the services are atomic).
    """
    objects = list(rows.filter(owner=from_user).select_for_update().order_by("pk"))
    if not objects:
        return []
    now = timezone.now()
    fields = ["owner", *also_update]
    for obj in objects:
        obj.owner = to_user  # type: ignore[attr-defined]
        if touch is not None:
            touch(obj)
        if hasattr(obj, "updated_at"):
            obj.updated_at = now
    if hasattr(objects[0], "updated_at"):
        fields.append("updated_at")
    bulk_update_with_history(
        objects,
        type(objects[0]),
        fields,
        batch_size=1000,
        default_user=actor,
        default_date=now,
    )
    record_events(
        actor,
        [
            EventSpec(
                f"{object_type}.reassign",
                object_type,
                str(obj.uuid),  # type: ignore[attr-defined]
                before={"owner_id": from_user.pk},
                after={"owner_id": to_user.pk},
            )
            for obj in objects
        ],
    )
    return objects
