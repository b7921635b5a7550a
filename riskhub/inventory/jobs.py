"""Bulk changes of the register on a worker: import jobs (a file) and sync jobs (an
outside registry such as MLflow), with live progress.

The lifecycle of a job row follows the reports' (DESIGN.md "Reliable jobs"):

    queued --claim--> running --complete--> succeeded | failed
                         \\-- heartbeat stops --> (beat) queued again, attempt + 1

`claim` takes a row lock, so one attempt runs at a time. A side thread writes the rows
done and the heartbeat on its own database connection while the work runs in one long
transaction (on PostgreSQL the page sees every step; SQLite allows one writer, so there
the page sees the total and the outcome). An import marks its job succeeded inside the
import's own transaction: the data and "succeeded" commit together, so a redelivered
message finds the job finished and writes nothing twice.

A sync (riskhub.inventory.mlflow.sync) runs through the same pieces: `claim`, a
`Tracker` for the versions done and the heartbeat, `complete` or `fail`. It commits
chunk by chunk (each chunk is idempotent), so a sync whose worker stopped is simply run
again by `requeue_stale`: what was written is found unchanged the second time.
"""

from __future__ import annotations

import csv
import datetime as dt
import io as stdio
import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile, File
from django.db import DatabaseError, reset_queries, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import get_valid_filename

from riskhub.accounts.models import User
from riskhub.accounts.policy import OBJECT_RULES, has_perm, require, role_of
from riskhub.audit.services import record_event
from riskhub.common.exports import neutralise
from riskhub.inventory import io
from riskhub.inventory.models import ImportJob

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 1.0
MAX_ATTEMPTS = 3


def stale_after() -> dt.timedelta:
    return dt.timedelta(seconds=settings.IMPORT_JOB_STALE_SECONDS)


def _test_delay() -> float:
    """Seconds to pause after each chunk (only a test's worker sets this, to watch the
    progress move)."""
    return float(os.environ.get("RISKHUB_IMPORT_TEST_DELAY", "0") or 0)


# --- visibility -----------------------------------------------------------------------


def can_view(user: Any, job: ImportJob) -> bool:
    """The object rules of policy.OBJECT_RULES: the requester sees their import,
    auditors and admins every job, every reader a registry sync."""
    if not has_perm(user, "inventory.view"):
        return False
    if job.kind == ImportJob.Kind.SYNC:
        rule = "sync_job.view_any"
    elif job.requested_by_id == user.pk:
        rule = "import_job.view_own"
    else:
        rule = "import_job.view_others"
    return role_of(user) in OBJECT_RULES[rule]


def jobs_visible_to(user: User) -> Any:
    """The jobs `can_view` lets the user see, as one query."""
    jobs = ImportJob.objects.select_related("requested_by", "registry")
    role = role_of(user)
    if not has_perm(user, "inventory.view"):
        return jobs.none()
    if role in OBJECT_RULES["import_job.view_others"]:
        return (
            jobs
            if role in OBJECT_RULES["sync_job.view_any"]
            else jobs.exclude(kind=ImportJob.Kind.SYNC)
        )
    seen = Q(pk__in=[])
    if role in OBJECT_RULES["import_job.view_own"]:
        seen |= Q(requested_by=user, kind=ImportJob.Kind.IMPORT)
    if role in OBJECT_RULES["sync_job.view_any"]:
        seen |= Q(kind=ImportJob.Kind.SYNC)
    return jobs.filter(seen)


# --- requesting -----------------------------------------------------------------------


def job_create(
    *,
    actor: User | None,
    kind: str,
    source: str,
    file_format: str = "",
    upload: File | None = None,
    registry: Any = None,
    trigger: str = ImportJob.Trigger.MANUAL,
) -> ImportJob:
    """Record a job (storing its file through the storage API, so a worker on another
    host reads it); the caller enqueues it."""
    job = ImportJob(
        kind=kind,
        source=source[:300],
        file_format=file_format,
        requested_by=actor,
        stage="Queued",
        registry=registry,
        trigger=trigger,
    )
    if upload is not None:
        name = get_valid_filename(os.path.basename(source)) or "upload"
        job.upload.save(f"imports/{job.uuid}/{name}", upload, save=False)
    job.save()
    record_event(
        actor=actor,
        action="import_job.requested",
        object_type="import_job",
        object_id=job.uuid,
        object_repr=str(job),
        after={
            "kind": kind,
            "source": job.source,
            "format": file_format,
            **({"trigger": trigger} if kind == ImportJob.Kind.SYNC else {}),
        },
    )
    return job


def import_job_request(*, actor: User, upload: File, name: str, file_format: str) -> ImportJob:
    """Queue the import of an uploaded file on a worker; returns at once."""
    require(actor, "inventory.edit")
    with transaction.atomic():
        job = job_create(
            actor=actor,
            kind=ImportJob.Kind.IMPORT,
            source=name,
            file_format=file_format,
            upload=upload,
        )
        transaction.on_commit(lambda: _enqueue(job.pk))
    return job


def _enqueue(job_id: int, kind: str = ImportJob.Kind.IMPORT) -> None:
    """Send the job to its worker queue (IMPORT_QUEUE, or MLFLOW_SYNC_QUEUE for a sync)."""
    options: dict[str, Any] = {}
    if kind == ImportJob.Kind.SYNC:
        from riskhub.inventory.mlflow import tasks as sync_tasks

        task: Any = sync_tasks.sync_registry
        queue = getattr(settings, "MLFLOW_SYNC_QUEUE", None)
    else:
        from riskhub.inventory import tasks

        task = tasks.run_import_job
        queue = getattr(settings, "IMPORT_QUEUE", None)
    if queue:
        options["queue"] = queue
    task.apply_async(args=[job_id], **options)


# --- running (the worker) ---------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    job_id: int
    attempt: int


def claim(job_id: int, *, now: dt.datetime | None = None) -> Claim | None:
    """Take the job for this attempt, or None: finished, or another worker holds it and
    still beats."""
    now = now or timezone.now()
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if (
            job.status == ImportJob.Status.RUNNING
            and job.heartbeat_at is not None
            and now - job.heartbeat_at < stale_after()
        ):
            return None
        job.status = ImportJob.Status.RUNNING
        job.attempt += 1
        job.started_at = job.heartbeat_at = now
        job.rows_done = 0
        job.stage = "Started"
        job.worker = f"{socket.gethostname()}:{threading.get_native_id()}"[:200]
        job.error = ""
        job.save(
            update_fields=[
                "status",
                "attempt",
                "started_at",
                "heartbeat_at",
                "rows_done",
                "stage",
                "worker",
                "error",
            ]
        )
        return Claim(job.pk, job.attempt)


def _mine(claimed: Claim) -> Any:
    return ImportJob.objects.filter(
        pk=claimed.job_id, attempt=claimed.attempt, status=ImportJob.Status.RUNNING
    )


class Tracker(threading.Thread):
    """Counts the work done and writes it, with the heartbeat, every second from its own
    database connection (the work itself may hold one long transaction)."""

    def __init__(self, claimed: Claim) -> None:
        super().__init__(daemon=True, name=f"import-job-{claimed.job_id}")
        self.claimed = claimed
        self.done = 0
        self.stage = ""
        self._written: tuple[int, str] | None = None
        self._stopped = threading.Event()

    # the worker's side
    def total(self, rows: int) -> None:
        """Record the total at once (called before the long transaction starts)."""
        _mine(self.claimed).update(rows_total=rows, heartbeat_at=timezone.now())

    def advance(self, rows: int = 1) -> None:
        self.done += rows

    def set_done(self, rows: int) -> None:
        self.done = rows
        # With DEBUG on, Django keeps every statement's SQL (bulk inserts of a thousand
        # rows each) until a request starts, which never happens on a worker.
        reset_queries()
        delay = _test_delay()
        if delay:
            time.sleep(delay)

    def set_stage(self, stage: str) -> None:
        self.stage = stage[:100]

    def __enter__(self) -> Tracker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._stopped.is_set():
            self._stopped.set()
            if self.is_alive():
                self.join(timeout=30)

    # the thread's side
    def run(self) -> None:
        from django.db import connection as own

        try:
            own.ensure_connection()
            if own.vendor == "sqlite":
                # Another connection holds the write lock for the whole import: give up
                # quickly and try again at the next beat instead of queueing behind it.
                own.connection.execute("PRAGMA busy_timeout = 50")
            elif own.vendor == "postgresql":
                # Likewise when a transaction holds the job's row (the import marks it
                # done inside its own): a beat is skipped, never queued.
                with own.cursor() as cursor:
                    cursor.execute("SET lock_timeout = '500ms'")
            while not self._stopped.wait(HEARTBEAT_EVERY):
                self.write()
        finally:
            own.close()

    def write(self) -> None:
        fields: dict[str, Any] = {"heartbeat_at": timezone.now(), "rows_done": self.done}
        if self.stage:
            fields["stage"] = self.stage
        try:
            _mine(self.claimed).update(**fields)
        except DatabaseError:  # locked (SQLite) or a passing outage: the next beat retries
            log.debug("import job %s: progress not written this time", self.claimed.job_id)


def _counts(report: io.ImportReport) -> dict[str, Any]:
    return {
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "archived": 0,
        "errors": len(report.errors),
    }


def complete(
    claimed: Claim,
    *,
    created: int = 0,
    updated: int = 0,
    unchanged: int = 0,
    archived: int = 0,
    errors: int = 0,
    rows_done: int | None = None,
    summary: dict[str, Any] | None = None,
) -> bool:
    """Mark the job succeeded with its counts (call it inside the work's transaction, so
    both commit together). False when the job is no longer this attempt's."""
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": ImportJob.Status.SUCCEEDED,
        "stage": "Done",
        "created": created,
        "updated": updated,
        "unchanged": unchanged,
        "archived": archived,
        "errors": errors,
        "summary": summary or {},
        "finished_at": now,
        "heartbeat_at": now,
    }
    if rows_done is not None:
        fields["rows_done"] = rows_done
    return bool(_mine(claimed).update(**fields))


def fail(
    claimed: Claim,
    message: str,
    *,
    errors: Iterable[io.RowError] = (),
    line_label: str = "Line",
    summary: dict[str, Any] | None = None,
    stage: str = "Nothing was written",
) -> None:
    """Mark the job failed (for an import: nothing was written), keeping the row errors
    as a CSV."""
    errors = list(errors)
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .filter(pk=claimed.job_id, attempt=claimed.attempt)
            .first()
        )
        if job is None or job.is_finished:
            return
        if errors:
            job.errors_file.save(
                f"imports/{job.uuid}/errors.csv", ContentFile(errors_csv(errors, line_label)), False
            )
        job.status = ImportJob.Status.FAILED
        job.stage = stage
        job.errors = len(errors) or len((summary or {}).get("problems", []))
        job.error = message[:2000]
        job.summary = summary or {}
        job.finished_at = job.heartbeat_at = timezone.now()
        job.save()
        record_event(
            actor=job.requested_by,
            action="inventory.import_failed"
            if job.kind == ImportJob.Kind.IMPORT
            else "import_job.failed",
            object_type="import_job",
            object_id=job.uuid,
            object_repr=str(job),
            after={"source": job.source, "errors": len(errors), "message": job.error},
        )


def errors_csv(errors: Iterable[io.RowError], line_label: str = "Line") -> bytes:
    """The row errors as a spreadsheet-safe CSV: where, which column, why."""
    buffer = stdio.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([line_label.lower(), "column", "problem"])
    for error in errors:
        writer.writerow([error.line, neutralise(error.column), neutralise(error.reason)])
    return buffer.getvalue().encode("utf-8")


def run_import(job_id: int) -> str:
    """The task's body: import the job's file with live progress."""
    claimed = claim(job_id)
    if claimed is None:
        return "skipped"
    job = ImportJob.objects.select_related("requested_by").get(pk=job_id)
    actor = job.requested_by
    if actor is None or not actor.is_active or not has_perm(actor, "inventory.edit"):
        fail(claimed, "The person who uploaded the file may no longer import; nothing was written.")
        return "failed"
    label = io.line_label(job.file_format)
    with Tracker(claimed) as tracker:
        with job.upload.open("rb") as stream:
            tracker.set_stage("Counting the rows")
            tracker.write()
            try:
                tracker.total(io.count_rows(job.source, stream))
            except io.FileError as exc:
                tracker.stop()
                fail(claimed, exc.reason, errors=[io.RowError(exc.line, exc.column, exc.reason)])
                return "failed"
            tracker.set_stage("Checking and writing the rows")

            def finish(report: io.ImportReport) -> None:
                tracker.stop()
                if not complete(
                    claimed,
                    created=report.created,
                    updated=report.updated,
                    unchanged=report.unchanged,
                    rows_done=tracker.done,
                    summary=_summary(report),
                ):
                    raise PermissionDenied("The job was taken over by another attempt.")
                record_event(
                    actor=actor,
                    action="inventory.imported",
                    object_type="import_job",
                    object_id=job.uuid,
                    object_repr=str(job),
                    after={"source": job.source, **_counts(report), **_summary(report)},
                )

            try:
                report = io.import_stream(
                    actor=actor,
                    name=job.source,
                    stream=stream,
                    progress=tracker.set_done,
                    before_commit=finish,
                )
            except PermissionDenied:
                return "superseded"
    if report.ok:
        return "succeeded"
    fail(
        claimed,
        f"{len(report.errors)} problem{'s' if len(report.errors) != 1 else ''} found; "
        "nothing was written. Download the errors, fix the file and upload it again.",
        errors=report.errors,
        line_label=label,
        summary=_summary(report),
    )
    return "failed"


def _summary(report: io.ImportReport) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    if report.links or report.links_removed:
        summary["links_created"] = report.links
        summary["links_removed"] = report.links_removed
    if report.skipped:
        summary["skipped"] = dict(sorted(report.skipped.items()))
    return summary


STOPPED = {
    ImportJob.Kind.IMPORT: "The worker stopped; nothing was written. Upload the file again.",
    ImportJob.Kind.SYNC: "The worker stopped answering during this sync; the next sync "
    "starts again (what was already synced is kept).",
}


def requeue_stale(*, now: dt.datetime | None = None) -> list[int]:
    """Running jobs whose worker stopped beating are queued again, or failed after
    MAX_ATTEMPTS: an import's transaction died with the worker (nothing was written);
    a sync commits idempotent chunks, so running it again finishes the work. A job
    still queued after the stale time (its message lost) is sent again: `claim` makes
    a duplicate message harmless. Failing is audited."""
    now = now or timezone.now()
    requeued = []
    stale = ImportJob.objects.filter(
        Q(status=ImportJob.Status.RUNNING, heartbeat_at__lt=now - stale_after())
        | Q(status=ImportJob.Status.QUEUED, created_at__lt=now - stale_after())
        & (Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale_after()))
    ).values_list("pk", flat=True)
    for job_id in list(stale):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
            if job is None or job.is_finished:
                continue
            if job.heartbeat_at and now - job.heartbeat_at < stale_after():
                continue
            if job.status == ImportJob.Status.QUEUED:
                job.heartbeat_at = now  # sent again at most once per stale period
                job.save(update_fields=["heartbeat_at"])
            elif job.attempt >= MAX_ATTEMPTS:
                job.status = ImportJob.Status.FAILED
                job.error = STOPPED[ImportJob.Kind(job.kind)]
                job.finished_at = now
                job.save(update_fields=["status", "error", "finished_at"])
                record_event(
                    actor=None,
                    action="import_job.failed",
                    object_type="import_job",
                    object_id=job.uuid,
                    object_repr=str(job),
                    after={"source": job.source, "message": job.error},
                )
                continue
            else:
                job.status = ImportJob.Status.QUEUED
                job.stage = "Queued again after a stopped worker"
                job.save(update_fields=["status", "stage"])
            transaction.on_commit(
                lambda pk=job.pk, kind=job.kind: _enqueue(pk, kind)  # type: ignore[misc]
            )
            requeued.append(job.pk)
    return requeued
