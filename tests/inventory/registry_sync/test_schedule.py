"""The beat's part: every enabled registry is queued once, a second request joins the
run already queued, and a run whose worker stopped is failed with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.audit.models import AuditEvent
from riskhub.inventory.mlflow import services
from riskhub.inventory.mlflow.models import ModelRegistry, SyncRun

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_syncs_the_enabled_registries_once(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    assert "inventory-mlflow-sync" in settings.CELERY_BEAT_SCHEDULE
    on = services.registry_create(actor=officer, name="On", tracking_uri="https://a.example")
    services.registry_create(
        actor=officer, name="Off", tracking_uri="https://b.example", enabled=False
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runs = services.sync_due()
        again = services.sync_request(actor=officer, registry=on)  # "Sync now" meanwhile
    assert [r.registry.name for r in runs] == ["On"]
    assert runs[0].trigger == SyncRun.Trigger.SCHEDULE and runs[0].requested_by is None
    assert again.pk == runs[0].pk, "a second request joins the queued run"
    assert len(queued) == 1 and SyncRun.objects.count() == 1
    assert AuditEvent.objects.filter(action="mlflow_sync.request").count() == 1


def test_a_run_whose_worker_stopped_is_failed_and_the_next_one_starts(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    registry = ModelRegistry.objects.create(name="Prod", tracking_uri="https://a.example")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    stuck = SyncRun.objects.create(
        registry=registry, trigger="manual", status="running", heartbeat_at=long_ago
    )
    with django_capture_on_commit_callbacks(execute=False):
        runs = services.sync_due()
    stuck.refresh_from_db()
    assert stuck.status == SyncRun.Status.FAILED and stuck.finished_at is not None
    assert "worker stopped" in stuck.errors[-1]["message"]
    assert AuditEvent.objects.filter(
        action="mlflow_sync.fail_stale", object_id=str(stuck.uuid)
    ).exists()
    assert runs[0].pk != stuck.pk and runs[0].status == SyncRun.Status.QUEUED
