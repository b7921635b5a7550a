"""Thin Celery tasks: take ids, call the audit app's functions."""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model

from riskhub.audit import verification


@shared_task(name="riskhub.audit.tasks.verify_chain", ignore_result=True)
def verify_chain(actor_id: int | None, run: str) -> bool:
    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    return verification.chain_verify(actor=actor, run=run).intact
