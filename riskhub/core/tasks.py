from __future__ import annotations

import socket

from celery import shared_task
from django.utils import timezone

from riskhub.core.models import WorkerHeartbeat


@shared_task(name="riskhub.core.tasks.worker_heartbeat", ignore_result=True)
def worker_heartbeat(token: str = "") -> None:
    """Record that a worker is alive (beat sends it every minute; tests send a token)."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=socket.gethostname() + (f"/{token}" if token else ""),
        defaults={"seen_at": timezone.now(), "token": token},
    )
