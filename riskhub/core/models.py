from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """Written by a Celery task, so the health check can tell whether a worker runs."""

    hostname = models.CharField(max_length=200, unique=True)
    seen_at = models.DateTimeField()
    token = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"{self.hostname} at {self.seen_at:%Y-%m-%d %H:%M:%S}"
