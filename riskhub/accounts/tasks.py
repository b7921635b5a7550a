"""Celery tasks of accounts: thin, they take ids and call services."""

from __future__ import annotations

from celery import shared_task

from riskhub.accounts import services


@shared_task(name="riskhub.accounts.tasks.send_password_link", ignore_result=True)
def send_password_link(user_id: int, purpose: str) -> None:
    """Email a set-password link (an invitation or a reset)."""
    services.password_link_send(user_id=user_id, purpose=purpose)
