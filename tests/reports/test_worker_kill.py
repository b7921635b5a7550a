"""A real worker process killed mid-render: the beat's re-queue hands the report to a
new worker, and it completes once, with one file."""

from __future__ import annotations

import datetime as dt
import os
import signal
import uuid
from pathlib import Path
from typing import Any

import pytest

from riskhub.reports import services
from riskhub.reports.models import Report
from tests.support import start_worker, stop, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_report_whose_worker_was_killed_completes_once_on_a_new_worker(
    fresh_world: Any, settings: Any, tmp_path: Path
) -> None:
    queue = f"test-reports-{uuid.uuid4().hex[:12]}"
    settings.REPORT_QUEUE = queue
    media = tmp_path / "media"
    env = {"MEDIA_ROOT": str(media), "REPORT_HEARTBEAT_STALE_SECONDS": "10"}
    log = tmp_path / "worker.log"
    slow = start_worker(queue, log, {**env, "RISKHUB_REPORT_TEST_DELAY": "120"})
    fresh = None
    try:
        report = services.report_request(
            actor=fresh_world.officer,
            kind="framework-compliance",
            parameters={"framework": "eu-ai-act"},
        )

        def stalled() -> bool:
            row = Report.objects.get(pk=report.pk)
            return row.status == Report.Status.RUNNING and row.progress >= 70

        assert wait_for(stalled, timeout=120), log.read_text(errors="replace")[-4000:]
        os.kill(slow.pid, signal.SIGKILL)
        slow.wait(timeout=30)
        assert Report.objects.get(pk=report.pk).status == Report.Status.RUNNING

        fresh = start_worker(queue, log, env)
        # The beat task's function, called directly once the heartbeat is stale.
        requeued: list[Any] = []

        def requeue() -> bool:
            requeued.extend(services.requeue_stale(stale_after=dt.timedelta(seconds=3)))
            return bool(requeued)

        assert wait_for(requeue, timeout=60)
        assert requeued == [report.uuid]

        def done() -> bool:
            return Report.objects.get(pk=report.pk).status in Report.FINISHED

        assert wait_for(done, timeout=180), log.read_text(errors="replace")[-4000:]
        row = Report.objects.get(pk=report.pk)
        assert row.status == Report.Status.SUCCEEDED, row.error
        assert row.attempt == 2
        files = sorted(media.rglob("*.pdf"))
        assert [f.relative_to(media).as_posix() for f in files] == [row.file.name]
        # Whatever the broker redelivers now, the report stays complete once.
        assert services.run(report.pk) == "skipped"
        assert Report.objects.get(pk=report.pk).sha256 == row.sha256
        assert fresh.poll() is None, "the new worker died"
    finally:
        stop(slow)
        if fresh is not None:
            stop(fresh)
