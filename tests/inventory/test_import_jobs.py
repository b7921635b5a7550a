"""Large imports run as jobs on a worker: the upload returns at once, the job reports its
progress, imports all or nothing, and keeps its row errors as a downloadable CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory import io as inventory_io
from riskhub.inventory import jobs
from riskhub.inventory.models import Asset, AssetLink, ImportJob


def rows_csv(count: int, *, bad_line: int | None = None, prefix: str = "Bulk") -> bytes:
    """`count` datasets, each model below its dataset; `bad_line` gets an unknown kind."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "name", "description", "record_count", "model_type", "trained_on"])
    for i in range(count):
        line = i + 2
        if i % 2 == 0:
            row = ["dataset", f"{prefix} data {i:05d}", "generated", str(1000 + i), "", ""]
        else:
            name, upstream = f"{prefix} model {i:05d}", f"{prefix} data {i - 1:05d}"
            row = ["model", name, "", "", "classifier", upstream]
        if line == bad_line:
            row[0] = "spreadsheet"
        writer.writerow(row)
    return out.getvalue().encode()


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def enqueued(monkeypatch: Any) -> list[int]:
    """Jobs are recorded instead of sent; a test runs the task's function itself."""
    sent: list[int] = []
    monkeypatch.setattr(jobs, "_enqueue", lambda job_id, kind="import": sent.append(job_id))
    return sent


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, data: bytes, name: str = "assets.csv") -> Any:
    return client.post(
        reverse("inventory:import"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


@pytest.mark.django_db
def test_a_large_upload_returns_at_once_and_the_job_imports_everything(
    officer: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = _upload(client, rows_csv(1001))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("inventory:job", args=[job.uuid])
    assert enqueued == [job.pk]
    assert job.status == ImportJob.Status.QUEUED
    assert not Asset.objects.exists()  # nothing imported in the request
    assert job.upload.name.startswith(f"imports/{job.uuid}/")
    page = client.get(response["Location"])
    assert b"hx-get" in page.content and b"Queued" in page.content

    seen: list[int] = []
    original = jobs.Tracker.set_done
    jobs.Tracker.set_done = lambda self, rows: (seen.append(rows), original(self, rows))[1]  # type: ignore[method-assign]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert jobs.run_import(job.pk) == "succeeded"
    finally:
        jobs.Tracker.set_done = original  # type: ignore[method-assign]
    job.refresh_from_db()
    assert seen == [1000, 1001]  # progress after each chunk
    assert (job.status, job.rows_total, job.rows_done, job.created) == (
        "succeeded",
        1001,
        1001,
        1001,
    )
    assert job.summary == {"links_created": 500, "links_removed": 0}
    assert Asset.objects.count() == 1001
    assert AssetLink.objects.count() == 500
    event = AuditEvent.objects.get(action="inventory.imported")
    assert event.object_id == str(job.uuid)
    assert event.after["created"] == 1001 and event.after["errors"] == 0
    page = client.get(reverse("inventory:job", args=[job.uuid])).content.decode()
    assert "Succeeded" in page and "hx-get" not in page
    # A redelivered message finds the job finished and writes nothing twice.
    assert jobs.run_import(job.pk) == "skipped"
    assert Asset.objects.count() == 1001


@pytest.mark.django_db
def test_a_bad_row_in_a_later_chunk_writes_nothing_and_its_errors_download(
    officer: User, auditor: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(client, rows_csv(2500, bad_line=2400))
    job = ImportJob.objects.get()
    assert jobs.run_import(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.errors == 1 and job.created == 0
    assert "nothing was written" in job.error
    # The first two chunks were written inside the transaction, then rolled back.
    assert not Asset.objects.exists()
    assert not AssetLink.objects.exists()
    assert not AuditEvent.objects.filter(action="asset.create").exists()
    assert AuditEvent.objects.get(action="inventory.import_failed").after["errors"] == 1
    response = client.get(reverse("inventory:job_errors", args=[job.uuid]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert lines[0] == ["line", "column", "problem"]
    assert lines[1][:2] == ["2400", "kind"] and "spreadsheet" in lines[1][2]
    page = client.get(reverse("inventory:job", args=[job.uuid])).content.decode()
    assert "Download the 1 error (CSV)" in page
    # The auditor sees the job and its errors; another officer does not.
    assert _client(auditor).get(reverse("inventory:job_errors", args=[job.uuid])).status_code == 200


@pytest.mark.django_db
def test_small_uploads_still_import_in_the_request(officer: User, enqueued: list[int]) -> None:
    response = _upload(_client(officer), rows_csv(1000))
    assert response.status_code == 302 and response["Location"] == reverse("inventory:list")
    assert Asset.objects.count() == 1000
    assert not ImportJob.objects.exists() and not enqueued


@pytest.mark.django_db
def test_the_api_answers_202_with_the_job_and_polling_shows_the_outcome(
    officer: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/import-jobs/", {"file": SimpleUploadedFile("a.csv", rows_csv(1200))}
        )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["rows_total"] is None
    assert response["Location"] == body["url"]
    assert body["url"].endswith(f"/api/v1/import-jobs/{body['id']}/")
    job = ImportJob.objects.get(uuid=body["id"])
    assert enqueued == [job.pk]
    jobs.run_import(job.pk)
    polled = client.get(body["url"]).json()
    assert polled["status"] == "succeeded"
    assert (polled["rows_total"], polled["rows_done"], polled["percent"]) == (1200, 1200, 100)
    assert (polled["created"], polled["updated"], polled["errors"]) == (1200, 0, 0)
    assert polled["errors_url"] is None
    assert [j["id"] for j in client.get("/api/v1/import-jobs/").json()["results"]] == [body["id"]]


@pytest.mark.django_db
def test_the_api_job_of_a_bad_file_links_its_errors_csv(
    officer: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(officer)
    with django_capture_on_commit_callbacks(execute=True):
        body = client.post(
            "/api/v1/import-jobs/",
            {"file": SimpleUploadedFile("a.csv", rows_csv(10, bad_line=5))},
        ).json()
    jobs.run_import(ImportJob.objects.get(uuid=body["id"]).pk)
    polled = client.get(body["url"]).json()
    assert polled["status"] == "failed" and polled["errors"] == 1
    errors = client.get(polled["errors_url"])
    assert errors.status_code == 200
    assert b"\r\n5,kind," in b"".join(errors.streaming_content)
    assert not Asset.objects.exists()


@pytest.mark.django_db
def test_the_api_refuses_an_unknown_file_type_in_the_one_error_shape(officer: User) -> None:
    response = _client(officer).post(
        "/api/v1/import-jobs/", {"file": SimpleUploadedFile("a.txt", b"kind,name\n")}
    )
    assert response.status_code == 400
    body = response.json()["error"]
    assert body["status"] == 400 and "Unknown file type" in body["fields"]["file"][0]
    assert not ImportJob.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_only_officers_and_admins_import(
    make_user: Callable[..., User], role: Role, enqueued: list[int]
) -> None:
    client = _client(make_user(role))
    assert _upload(client, rows_csv(1001)).status_code == 403
    response = client.post("/api/v1/import-jobs/", {"file": SimpleUploadedFile("a.csv", b"x")})
    assert response.status_code == 403
    assert not ImportJob.objects.exists() and not enqueued


@pytest.mark.django_db
def test_a_job_is_seen_by_its_requester_auditors_and_admins_only(
    make_user: Callable[..., User], enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    owner = make_user(Role.RISK_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        _upload(_client(owner), rows_csv(1001))
    job = ImportJob.objects.get()
    expected = {
        "owner": (owner, 200),
        "auditor": (make_user(Role.AUDITOR), 200),
        "admin": (make_user(Role.ADMIN), 200),
        "other officer": (make_user(Role.RISK_OFFICER), 404),
        "executive": (make_user(Role.EXECUTIVE), 404),
    }
    for who, (user, status) in expected.items():
        client = _client(user)
        page = client.get(reverse("inventory:job", args=[job.uuid]))
        api = client.get(f"/api/v1/import-jobs/{job.uuid}/")
        listed = client.get("/api/v1/import-jobs/").json()["results"]
        assert (page.status_code, api.status_code) == (status, status), who
        assert len(listed) == (1 if status == 200 else 0), who


@pytest.mark.django_db
def test_a_job_whose_requester_lost_the_right_to_import_writes_nothing(
    officer: User, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _upload(_client(officer), rows_csv(1001))
    officer.is_active = False  # offboarded before the worker reached the job
    officer.save()
    job = ImportJob.objects.get()
    assert jobs.run_import(job.pk) == "failed"
    job.refresh_from_db()
    assert "may no longer import" in job.error and not Asset.objects.exists()


@pytest.mark.django_db
def test_an_xlsx_export_imports_back(officer: User, make_asset: Callable[..., Asset]) -> None:
    data = make_asset("dataset", "Claims history", record_count=12, personal_data=True)
    model = make_asset("model", "Claims scorer")
    AssetLink.objects.create(upstream=data, downstream=model, relation="trained_on")
    workbook = inventory_io.export_xlsx(Asset.objects.all())
    Asset.objects.update(description="changed")
    report = inventory_io.import_stream(
        actor=officer, name="inventory.xlsx", stream=io.BytesIO(workbook)
    )
    assert report.ok, report.errors
    assert (report.updated, report.created) == (2, 0)
    data.refresh_from_db()
    assert (data.description, data.record_count, data.personal_data) == ("", 12, True)


@pytest.mark.django_db
def test_a_json_document_over_its_limit_is_refused_with_the_reason(
    officer: User, settings: Any
) -> None:
    settings.IMPORT_DOCUMENT_MAX_BYTES = 100
    payload = b'[{"kind": "dataset", "name": "' + b"x" * 200 + b'"}]'
    report = inventory_io.import_stream(actor=officer, name="a.json", stream=io.BytesIO(payload))
    assert not report.ok
    assert "read whole" in report.errors[0].reason and report.line_label == "Record"


@pytest.mark.django_db
def test_a_stale_running_job_is_queued_again(officer: User, enqueued: list[int]) -> None:
    import datetime as dt

    from django.utils import timezone

    job = ImportJob.objects.create(
        source="a.csv",
        requested_by=officer,
        status=ImportJob.Status.RUNNING,
        attempt=1,
        heartbeat_at=timezone.now() - dt.timedelta(minutes=10),
    )
    assert jobs.requeue_stale() == [job.pk]
    job.refresh_from_db()
    assert job.status == ImportJob.Status.QUEUED


# The object rules of import and sync jobs (policy.OBJECT_RULES), each for every role:
# rule -> (the job's kind, whether the acting user requested it).
JOB_RULES: dict[str, tuple[str, bool]] = {
    "import_job.view_own": ("import", True),
    "import_job.view_others": ("import", False),
    "sync_job.view_any": ("sync", False),
}


@pytest.mark.django_db
@pytest.mark.parametrize("rule", sorted(JOB_RULES))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_job_object_rules_per_role(rule: str, role: Role, make_user: Callable[..., User]) -> None:
    from riskhub.accounts.policy import OBJECT_RULES
    from riskhub.inventory.mlflow.models import ModelRegistry

    kind, own = JOB_RULES[rule]
    actor = make_user(role)
    requester = actor if own else make_user(Role.RISK_OFFICER)
    registry = (
        ModelRegistry.objects.create(name="Prod", tracking_uri="https://m.example")
        if kind == "sync"
        else None
    )
    job = ImportJob.objects.create(
        kind=kind, source="Prod", registry=registry, requested_by=requester
    )
    allowed = role in OBJECT_RULES[rule]
    client = _client(actor)
    status = 200 if allowed else 404
    assert client.get(reverse("inventory:job", args=[job.uuid])).status_code == status
    assert client.get(f"/api/v1/import-jobs/{job.uuid}/").status_code == status
    listed = [j["id"] for j in client.get("/api/v1/import-jobs/").json()["results"]]
    assert (str(job.uuid) in listed) is allowed
