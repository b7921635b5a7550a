"""The Celery application. Tasks are thin: they take ids and call services."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from celery import Celery
from celery.signals import worker_process_shutdown

from riskhub.core.memory import PEAK_MESSAGE, peak_rss_mib

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskhub.settings")

app = Celery("riskhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger("riskhub.worker")


@worker_process_shutdown.connect
def log_peak_memory(pid: int, exitcode: int, **_: object) -> None:
    """Each pool process says how much memory it reached (WORKER_MAX_MEMORY_MIB replaces
    one that passed the limit; the benchmarks read these lines)."""
    logger.info(PEAK_MESSAGE, pid, exitcode, peak_rss_mib())


def ensure_broker_folders() -> None:
    """kombu's filesystem transport expects its folders to exist."""
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(options[key]).mkdir(parents=True, exist_ok=True)
