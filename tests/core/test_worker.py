from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from riskhub.core.models import WorkerHeartbeat
from riskhub.core.tasks import worker_heartbeat
from tests.support import start_worker, stop, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_runs_a_task_that_writes_to_the_database(tmp_path: Path) -> None:
    queue = f"test-{uuid.uuid4().hex[:12]}"
    token = uuid.uuid4().hex
    worker = start_worker(queue, tmp_path / "worker.log")
    try:
        worker_heartbeat.apply_async(kwargs={"token": token}, queue=queue)
        ran = wait_for(lambda: WorkerHeartbeat.objects.filter(token=token).exists(), timeout=90)
        log = (tmp_path / "worker.log").read_text(errors="replace")
        assert ran, f"the worker did not run the task; its log:\n{log[-4000:]}"
        assert worker.poll() is None, "the worker died"
    finally:
        stop(worker)
