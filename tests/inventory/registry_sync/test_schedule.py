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
from riskhub.inventory import jobs
from riskhub.inventory.mlflow import services
from riskhub.inventory.mlflow.models import ModelRegistry
from riskhub.inventory.models import ImportJob
from tests.support import own_callbacks

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
    assert runs[0].trigger == ImportJob.Trigger.SCHEDULE and runs[0].requested_by is None
    assert runs[0].kind == ImportJob.Kind.SYNC and runs[0].source == "On"
    assert again.pk == runs[0].pk, "a second request joins the queued run"
    assert len(own_callbacks(queued)) == 1 and ImportJob.objects.count() == 1
    requested = AuditEvent.objects.get(action="import_job.requested")
    assert requested.after["kind"] == "sync" and requested.after["trigger"] == "schedule"


def test_a_sync_whose_worker_stopped_runs_again_and_fails_after_its_attempts(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    registry = ModelRegistry.objects.create(name="Prod", tracking_uri="https://a.example")
    long_ago = timezone.now() - dt.timedelta(hours=1)
    stuck = ImportJob.objects.create(
        kind="sync",
        registry=registry,
        source="Prod",
        status="running",
        attempt=1,
        heartbeat_at=long_ago,
    )
    with django_capture_on_commit_callbacks(execute=False) as queued:
        runs = services.sync_due()
    stuck.refresh_from_db()
    # Chunks are idempotent: the stopped sync is sent again, and the beat joins it.
    assert stuck.status == ImportJob.Status.QUEUED and len(queued) == 1
    assert runs[0].pk == stuck.pk

    ImportJob.objects.filter(pk=stuck.pk).update(
        status="running", attempt=jobs.MAX_ATTEMPTS, heartbeat_at=long_ago
    )
    with django_capture_on_commit_callbacks(execute=False):
        runs = services.sync_due()
    stuck.refresh_from_db()
    assert stuck.status == ImportJob.Status.FAILED and stuck.finished_at is not None
    assert "worker stopped" in stuck.error
    assert AuditEvent.objects.filter(action="import_job.failed", object_id=str(stuck.uuid)).exists()
    assert runs[0].pk != stuck.pk and runs[0].status == ImportJob.Status.QUEUED


def test_a_queued_sync_whose_message_was_lost_is_sent_again_once(
    officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    registry = ModelRegistry.objects.create(name="Prod", tracking_uri="https://a.example")
    with django_capture_on_commit_callbacks(execute=False):
        job = services.sync_request(actor=officer, registry=registry)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert jobs.requeue_stale() == [job.pk]
        assert jobs.requeue_stale() == []  # not again before the stale time passes
    assert len(own_callbacks(queued)) == 1
