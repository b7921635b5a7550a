""" "Sync now" runs on a real Celery worker process against the real MLflow server; the
run row the page polls carries its progress and summary."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import user_create
from riskhub.inventory.mlflow import services
from riskhub.inventory.models import Asset, ImportJob
from tests.conftest import PASSWORD
from tests.support import start_worker, stop, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sync_now_runs_on_a_worker_and_the_page_shows_its_summary(
    tmp_path: Path, settings: Any, mlflow_server: Any, train, register, prefix: str
) -> None:  # type: ignore[no-untyped-def]
    queue = f"test-mlflow-{uuid.uuid4().hex[:10]}"
    settings.MLFLOW_SYNC_QUEUE = queue
    officer: User = user_create(
        actor=None, email=f"{queue}@example.com", role=Role.RISK_OFFICER, password=PASSWORD
    )
    registry = services.registry_create(
        actor=officer, name="Worker MLflow", tracking_uri=mlflow_server.url
    )
    run_id = train(f"{prefix}-exp", metrics={"auc": 0.8}, training=f"{prefix}-data")
    for name in ("a", "b", "c"):
        register(f"{prefix}-{name}", run_id)
    client = Client()
    client.force_login(officer)
    worker = start_worker(queue, tmp_path / "worker.log")
    try:
        response = client.post(reverse("mlflow:sync_now", args=[registry.uuid]))
        assert response.status_code == 302
        run = ImportJob.objects.get(registry=registry)

        def finished() -> bool:
            run.refresh_from_db()
            return run.is_finished

        done = wait_for(finished, timeout=120)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert done, f"the worker did not finish the sync; its log:\n{log[-4000:]}"
    finally:
        stop(worker)
    assert run.status == ImportJob.Status.SUCCEEDED, run.problems
    assert run.rows_done == run.rows_total >= 3 and run.created >= 3
    assert run.started_at is not None and run.finished_at >= run.started_at
    assert Asset.objects.filter(kind="model", name__startswith=f"{prefix}-").count() == 3
    page = client.get(reverse("inventory:job", args=[run.uuid])).content.decode()
    assert "Succeeded" in page and f"{run.rows_done} model versions synced" in page
