from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from riskhub.core.memory import PEAK_LINE
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


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_pool_process_past_its_memory_limit_is_replaced_and_logs_its_peak(
    tmp_path: Path,
) -> None:
    """WORKER_MAX_MEMORY_MIB reaches the prefork pool: with a limit every process passes,
    each task's process is replaced once the task ends, and says how much it reached."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    log = tmp_path / "worker.log"
    worker = start_worker(queue, log, {"WORKER_MAX_MEMORY_MIB": "1"}, pool="prefork")

    def peaks() -> list[tuple[str, str]]:
        return PEAK_LINE.findall(log.read_text(errors="replace"))

    try:
        for _ in range(2):
            token = uuid.uuid4().hex
            worker_heartbeat.apply_async(kwargs={"token": token}, queue=queue)
            assert wait_for(
                lambda token=token: WorkerHeartbeat.objects.filter(token=token).exists(),
                timeout=90,
            ), log.read_text(errors="replace")[-4000:]
        # Both processes left while the worker runs on: neither waited for a shutdown.
        assert wait_for(lambda: len(peaks()) >= 2, timeout=30), log.read_text()[-4000:]
        assert worker.poll() is None, "the worker died"
    finally:
        stop(worker)
    found = peaks()
    assert len({pid for pid, _ in found}) == len(found) >= 2
    # A Django process is far past 1 MiB: the figure is the process's own, in MiB.
    assert all(50 < int(mib) < 2000 for _, mib in found), found
