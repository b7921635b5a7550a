"""A real Celery worker imports a 1,001-row CSV in the background: the upload returns at
once, the job shows its progress while it runs, then its counts; a file with one bad row
writes nothing and leaves its errors as a CSV to download."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.inventory.models import Asset, ImportJob
from tests.inventory.test_import_jobs import rows_csv
from tests.support import start_worker, stop, wait_for


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_imports_a_large_csv_with_live_progress_and_refuses_a_bad_one(
    officer: User, settings: Any, tmp_path: Path
) -> None:
    queue = f"test-imports-{uuid.uuid4().hex[:12]}"
    settings.IMPORT_QUEUE = queue
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    log = tmp_path / "worker.log"
    # The worker pauses 1.5 s after each chunk of 1,000 rows so the progress is visible.
    worker = start_worker(
        queue, log, {"MEDIA_ROOT": str(media), "RISKHUB_IMPORT_TEST_DELAY": "1.5"}
    )
    try:
        client = Client()
        client.force_login(officer)
        response = client.post(
            reverse("inventory:import"),
            {"file": SimpleUploadedFile("bulk.csv", rows_csv(1001), "text/csv")},
        )
        assert response.status_code == 302
        job = ImportJob.objects.get()
        status_url = reverse("inventory:job_status", args=[job.uuid])
        api_url = f"/api/v1/import-jobs/{job.uuid}/"

        seen: list[tuple[str, Any, int]] = []
        pages: list[str] = []

        def finished() -> bool:
            body = client.get(api_url).json()
            seen.append((body["status"], body["rows_total"], body["rows_done"]))
            if body["status"] == "running" and body["rows_total"]:
                pages.append(client.get(status_url).content.decode())
            return body["status"] in ("succeeded", "failed")

        assert wait_for(finished, timeout=180, interval=0.2), log.read_text(errors="replace")[
            -4000:
        ]
        assert seen[-1] == ("succeeded", 1001, 1001), seen
        # While it ran, the job knew its total (and, where the database lets a second
        # connection write during the import, the rows done so far).
        assert ("running", 1001) in {(s, t) for s, t, _ in seen}, seen
        assert any("of 1001 rows" in page for page in pages)
        if connection.vendor == "postgresql":
            assert any(s == "running" and 0 < d < 1001 for s, _, d in seen), seen
            assert any("1000 of 1001 rows" in page for page in pages)
        assert Asset.objects.count() == 1001
        job.refresh_from_db()
        assert (job.created, job.updated, job.errors, job.attempt) == (1001, 0, 0, 1)
        done = client.get(reverse("inventory:job", args=[job.uuid])).content.decode()
        assert "Succeeded" in done and "hx-trigger" not in done

        # A second file whose last row is wrong: nothing of it is written.
        api = client.post(
            "/api/v1/import-jobs/",
            {"file": SimpleUploadedFile("bad.csv", rows_csv(1001, bad_line=1002, prefix="Bad"))},
        )
        assert api.status_code == 202
        body = api.json()

        def failed() -> bool:
            return client.get(body["url"]).json()["status"] in ("succeeded", "failed")

        assert wait_for(failed, timeout=180, interval=0.5), log.read_text(errors="replace")[-4000:]
        result = client.get(body["url"]).json()
        assert result["status"] == "failed" and result["errors"] == 1, result
        assert Asset.objects.count() == 1001
        assert not Asset.objects.filter(name__startswith="Bad").exists()
        errors = client.get(result["errors_url"])
        assert errors.status_code == 200
        text = b"".join(errors.streaming_content).decode()
        assert text.splitlines()[1].startswith("1002,kind,")
        assert worker.poll() is None, "the worker died"
    finally:
        stop(worker)
