"""Offboarding: deactivate a person and hand their open work to a successor.

This lives in `core`, the composition layer above every domain app, because it touches
the work of all of them; it writes nothing itself. Each app says what of its work is
still open (a selector) and hands it over through its own audited service; accounts
revokes the tokens and deactivates the account. All of it is one transaction: either
everything moves and the person is deactivated, or nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from riskhub.accounts import services as accounts_services
from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.compliance import selectors as compliance_selectors
from riskhub.compliance import services as compliance_services
from riskhub.incidents import selectors as incidents_selectors
from riskhub.incidents import services as incidents_services
from riskhub.inventory import selectors as inventory_selectors
from riskhub.inventory import services as inventory_services
from riskhub.risk import selectors as risk_selectors
from riskhub.risk import services as risk_services


@dataclass(frozen=True)
class OpenWork:
    label: str
    open_owned_by: Callable[[User], QuerySet[Any]]
    reassign: Callable[..., int]


OPEN_WORK = [
    OpenWork(
        "assets",
        inventory_selectors.open_assets_owned_by,
        inventory_services.asset_reassign_owner,
    ),
    OpenWork(
        "risks and treatments",
        risk_selectors.open_risks_owned_by,
        risk_services.risk_reassign_owner,
    ),
    OpenWork(
        "control implementations",
        compliance_selectors.open_implementations_owned_by,
        compliance_services.implementation_reassign_owner,
    ),
    OpenWork(
        "incidents",
        incidents_selectors.open_incidents_owned_by,
        incidents_services.incident_reassign_owner,
    ),
]


def open_work_of(user: User) -> dict[str, int]:
    return {work.label: work.open_owned_by(user).count() for work in OPEN_WORK}


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
    moved = {
        work.label: work.reassign(actor=actor, from_user=user, to_user=successor)
        for work in OPEN_WORK
    }
    accounts_services.api_tokens_revoke_all(actor=actor, user=user)
    accounts_services.user_deactivate(actor=actor, user=user, successor=successor, moved=moved)
    return moved
