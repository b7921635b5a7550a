"""The chunks of one report shared by two real worker processes (a module of its own:
a test that commits cannot run inside the module-wide world of test_chunks.py)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from riskhub.reports import services, signing
from riskhub.reports.models import Report, ReportChunk
from tests.reports.test_chunks import CHUNK, _page_texts, add_many_risks


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_workers_render_the_chunks_and_merge_them(
    fresh_world: Any, settings: Any, tmp_path: Any
) -> None:
    """Two worker processes share one report's chunks through the broker and the
    storage; the last chunk sends the merge; the report completes once."""
    add_many_risks(fresh_world)
    import uuid

    from tests.support import start_worker, stop, wait_for

    queue = f"test-chunks-{uuid.uuid4().hex[:12]}"
    settings.REPORT_QUEUE = queue
    media = tmp_path / "media"
    env = {"MEDIA_ROOT": str(media), "REPORT_CHUNK_ROWS": str(CHUNK)}
    log = tmp_path / "worker.log"
    workers = [start_worker(queue, log, env), start_worker(queue, log, env)]
    try:
        report = services.report_request(
            actor=fresh_world.officer, kind="risk-register", parameters={}
        )

        def done() -> bool:
            return Report.objects.get(pk=report.pk).status in Report.FINISHED

        assert wait_for(done, timeout=300), log.read_text(errors="replace")[-4000:]
        row = Report.objects.get(pk=report.pk)
        assert row.status == Report.Status.SUCCEEDED, row.error
        assert row.chunks_total == row.chunks_done == 5 and row.attempt == 1
        parts = list(ReportChunk.objects.filter(report=row))
        assert all(p.status == "done" and p.attempt == 1 for p in parts)
        with default_storage.open(row.file.name, "rb") as handle:
            raw = handle.read()
        assert signing.check_signature(raw).valid
        reader = PdfReader(io.BytesIO(raw))
        assert len(reader.pages) == row.pages
        texts = _page_texts(reader)
        assert f"Page {row.pages} of {row.pages}" in texts[-1]
        # Only the signed report is left in storage: the chunks' work files are gone.
        assert [p.relative_to(media).as_posix() for p in media.rglob("*.pdf")] == [row.file.name]
        assert not list(media.rglob("*.json"))
        assert all(w.poll() is None for w in workers), "a worker died"
    finally:
        for worker in workers:
            stop(worker)
