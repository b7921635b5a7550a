"""Every write of the reports app: requesting, rendering, completing, re-queueing,
retention and schedules.

The lifecycle of a report row (DESIGN.md "Reliable jobs"):

    queued --claim--> running --complete--> succeeded
                         |  \\--fail------> failed
                         \\-- heartbeat stops --> (beat) queued again, attempt + 1

`claim` and `complete` take a row lock (select_for_update), so however many times the
broker delivers a message, one attempt renders at a time and one file is kept: a late
attempt that finds the report already complete deletes its own file.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import secrets
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import OBJECT_RULES, has_perm, require, role_of
from riskhub.audit.services import EventSpec, record_event, record_events
from riskhub.common.mail import absolute_url, send_templated_mail
from riskhub.env import env_int
from riskhub.reports import chunks, kinds, pdf
from riskhub.reports.models import Kind, Report, ReportChunk, ScheduledReport

log = logging.getLogger(__name__)

# A running report whose heartbeat is older than this is presumed orphaned.
STALE_AFTER = dt.timedelta(seconds=env_int("REPORT_HEARTBEAT_STALE_SECONDS", 120, minimum=10))
# A queued report nobody claimed for this long lost its message.
QUEUED_STALE_AFTER = dt.timedelta(minutes=15)
HEARTBEAT_EVERY = 5.0
CHUNK_RETRY_SECONDS = 5
MAX_ATTEMPTS = 3
SOFT_TIME_LIMIT = 600
HARD_TIME_LIMIT = 660
FRAMEWORKS = ("eu-ai-act", "gdpr", "ccpa")


def _test_delay() -> int:
    """Seconds to stall the render (only a test's worker sets this), to kill it mid-way."""
    return env_int("RISKHUB_REPORT_TEST_DELAY", 0, minimum=0)


# --- requesting ---------------------------------------------------------------------


def clean_parameters(kind: str, raw: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise the parameters of a report request: every one is checked
    now, so a report that would describe nothing (an unknown business unit) or ignore
    what it was asked (a framework given to a kind that takes none) is refused with a
    field error instead of being rendered or failing later in the worker."""
    if kind not in Kind.values:
        raise ValidationError({"kind": [f"Choose one of {', '.join(Kind.values)}."]})
    errors: dict[str, list[str]] = {}
    params: dict[str, Any] = {}
    framework = str(raw.get("framework") or "").strip()
    if kind == Kind.FRAMEWORK_COMPLIANCE:
        if framework not in FRAMEWORKS:
            errors["framework"] = [f"Choose one of {', '.join(FRAMEWORKS)}."]
        params["framework"] = framework
    elif framework:
        errors["framework"] = [
            f"The {Kind(kind).label.lower()} covers every framework; leave the framework empty."
        ]
    for key in ("business_unit", "system"):
        value = str(raw.get(key) or "").strip()
        if value:
            try:
                params[key] = str(UUID(value))
            except ValueError:
                errors[key] = ["Give an identifier (UUID)."]
    assets = raw.get("assets") or []
    if isinstance(assets, str):
        assets = [a for a in assets.replace(",", " ").split() if a]
    try:
        if assets:
            params["assets"] = sorted({str(UUID(str(a))) for a in assets})
    except ValueError:
        errors["assets"] = ["Give asset identifiers (UUIDs)."]
    if kind == Kind.SYSTEM_DOSSIER and "system" not in params and "system" not in errors:
        errors["system"] = ["A dossier describes one AI system: choose it."]
    as_of = raw.get("as_of")
    moment = None
    if as_of not in (None, ""):
        try:
            moment = kinds.parse_as_of(as_of)
            params["as_of"] = str(as_of).strip()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    errors.update(_unknown_references(params, moment, errors))
    if errors:
        raise ValidationError(errors)
    return params


def _unknown_references(
    params: dict[str, Any], moment: dt.datetime | None, errors: dict[str, list[str]]
) -> dict[str, list[str]]:
    """The scope's identifiers name things that exist (at the as-of moment, for an AI
    system): otherwise the report would print a scope nobody asked for."""
    from riskhub.inventory.models import Asset, BusinessUnit

    found: dict[str, list[str]] = {}
    unit = params.get("business_unit")
    if (
        unit
        and "business_unit" not in errors
        and not BusinessUnit.objects.filter(uuid=unit).exists()
    ):
        found["business_unit"] = ["No business unit has this identifier."]
    system_id = params.get("system")
    if system_id and "system" not in errors:
        system = Asset.objects.filter(uuid=system_id).first()
        if system is None:
            found["system"] = ["No asset has this identifier."]
        elif system.kind != Asset.Kind.SYSTEM:
            found["system"] = [
                f"“{system.name}” is a {system.get_kind_display().lower()}, not an AI system."
            ]
        elif moment is not None and system.created_at > moment:
            found["system"] = [f"“{system.name}” was not registered yet on that date."]
        elif moment is None and system.archived_at is not None:
            found["system"] = [
                f"“{system.name}” is archived; give an as-of date before it was archived."
            ]
    wanted = set(params.get("assets") or ())
    if wanted and "assets" not in errors:
        known = {
            str(u) for u in Asset.objects.filter(uuid__in=wanted).values_list("uuid", flat=True)
        }
        if unknown := sorted(wanted - known):
            found["assets"] = [f"No asset has the identifier {', '.join(unknown)}."]
    return found


def _enqueue(report_id: int) -> None:
    from riskhub.reports import tasks

    options: dict[str, Any] = {}
    queue = getattr(settings, "REPORT_QUEUE", None)
    if queue:
        options["queue"] = queue
    tasks.render_report.apply_async(args=[report_id], **options)


def _title(kind: str, params: dict[str, Any]) -> str:
    label = Kind(kind).label
    if kind == Kind.FRAMEWORK_COMPLIANCE:
        label = {"eu-ai-act": "EU AI Act", "gdpr": "GDPR", "ccpa": "CCPA/CPRA"}[
            params["framework"]
        ] + " compliance"
    if params.get("as_of"):
        label += f" as of {params['as_of']}"
    return label


def report_request(
    *,
    actor: User | None,
    kind: str,
    parameters: dict[str, Any],
    schedule: ScheduledReport | None = None,
) -> Report:
    """Record a report request and enqueue its rendering once the transaction commits."""
    if actor is not None:
        require(actor, "reports.request")
    params = clean_parameters(kind, parameters)
    with transaction.atomic():
        report = Report(
            requested_by=actor,
            kind=kind,
            parameters=params,
            title=_title(kind, params),
            schedule=schedule,
            queued_at=timezone.now(),
        )
        report.full_clean()
        report.save()
        record_event(
            actor=actor,
            action="report.requested",
            object_type="report",
            object_id=report.uuid,
            object_repr=report.title,
            after={"kind": kind, "parameters": params},
        )
        transaction.on_commit(lambda: _enqueue(report.pk))
    return report


def report_rerun(*, actor: User, report: Report) -> Report:
    """A new report with the same kind and parameters (the original stays as filed)."""
    return report_request(actor=actor, kind=report.kind, parameters=dict(report.parameters))


def report_may_approve(user: User, report: Report) -> bool:
    """Executives and admins approve (policy "reports.approve"), never a report they
    requested or whose schedule they own (segregation of duties, OBJECT_RULES)."""
    if not has_perm(user, "reports.approve"):
        return False
    return role_of(user) in OBJECT_RULES[_approval_rule(user, report)]


def _approval_rule(user: User, report: Report) -> str:
    requester = report.requested_by_id
    if requester is None and report.schedule_id is not None:
        requester = (
            ScheduledReport.objects.filter(pk=report.schedule_id)
            .values_list("created_by", flat=True)
            .first()
        )
    own = requester is not None and requester == user.pk
    return "report.approve_own" if own else "report.approve_others"


def report_approve(*, actor: User, report: Report) -> Report:
    """Sign off a generated report: re-issue its signed PDF with the approver and the
    date in the sign-off block, from the same embedded data (its SHA-256 unchanged),
    and keep the prepared issue (the approved one names its SHA-256). Audited."""
    require(actor, "reports.approve")
    if not report_may_approve(actor, report):
        raise PermissionDenied(
            "Nobody approves a report they requested (segregation of duties): "
            "another executive or an admin approves it."
        )
    if report.status != Report.Status.SUCCEEDED or not report.file:
        raise ValidationError("Only a generated report whose file is kept can be approved.")
    if report.approved_at is not None:
        raise ValidationError("This report is already approved.")
    from riskhub.reports.kinds.common import read_embedded
    from riskhub.reports.rendering import render

    prepared_sha256 = report.sha256
    data = read_embedded(str(report.file.name))
    approved_at = timezone.now()
    # The template reads the sign-off from the row: fill it in memory, then render.
    report.approved_by, report.approved_at = actor, approved_at
    report.prepared_sha256 = prepared_sha256
    rendered = render(report, data)
    stored = default_storage.save(_unique_name(report), rendered.content())
    try:
        with transaction.atomic():
            locked = Report.objects.select_for_update().get(pk=report.pk)
            if locked.approved_at is not None or locked.sha256 != prepared_sha256:
                raise ValidationError("Someone approved this report meanwhile.")
            if rendered.data_sha256 != locked.data_sha256:
                raise ValidationError("The report's embedded data no longer reads the same.")
            locked.prepared_file.name = locked.file.name
            locked.prepared_sha256 = prepared_sha256
            locked.file.name = stored
            locked.sha256 = rendered.sha256
            locked.size = rendered.size
            locked.pages = rendered.pages
            locked.signer = rendered.signer
            locked.signer_fingerprint = rendered.signer_fingerprint
            locked.signed_at = approved_at
            locked.approved_by = actor
            locked.approved_at = approved_at
            locked.save()
            record_event(
                actor=actor,
                action="report.approved",
                object_type="report",
                object_id=locked.uuid,
                object_repr=locked.title,
                before={"sha256": prepared_sha256},
                after={
                    "sha256": locked.sha256,
                    "prepared_sha256": prepared_sha256,
                    "data_sha256": locked.data_sha256,
                },
            )
    except Exception:
        _delete_file(stored)
        raise
    return locked


def report_record_download(*, actor: User, report: Report) -> None:
    require(actor, "reports.download")
    if not report.has_file:
        raise ValidationError("This report has no file to download.")
    record_event(
        actor=actor,
        action="report.downloaded",
        object_type="report",
        object_id=report.uuid,
        object_repr=report.title,
        after={"sha256": report.sha256},
    )


# --- rendering (called by the task) -------------------------------------------------


@dataclass(frozen=True)
class Claim:
    report_id: int
    attempt: int


def _worker_name() -> str:
    return f"{socket.gethostname()}:{threading.get_native_id()}"[:200]


def _held(running: bool, heartbeat_at: dt.datetime | None, now: dt.datetime) -> bool:
    """Another attempt holds the job: it runs and its worker is still beating."""
    return running and heartbeat_at is not None and now - heartbeat_at < STALE_AFTER


def claim(report_id: int, *, now: dt.datetime | None = None) -> Claim | None:
    """Take the report for this attempt, or None when there is nothing to do: it is
    finished, or another worker holds it and is still beating."""
    now = now or timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.is_finished:
            return None
        if _held(report.status == Report.Status.RUNNING, report.heartbeat_at, now):
            return None
        report.status = Report.Status.RUNNING
        report.attempt += 1
        report.started_at = now
        report.heartbeat_at = now
        report.progress = 5
        report.stage = "Started"
        report.worker = _worker_name()
        report.error = ""
        report.save(
            update_fields=[
                "status",
                "attempt",
                "started_at",
                "heartbeat_at",
                "progress",
                "stage",
                "worker",
                "error",
            ]
        )
        return Claim(report.pk, report.attempt)


def beat(claimed: Claim, progress: int | None = None, stage: str = "") -> bool:
    """Record that this attempt is alive (and how far it got). False when the report is
    no longer ours (re-queued and claimed by another attempt)."""
    fields: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if progress is not None:
        fields["progress"] = max(0, min(progress, 99))
    if stage:
        fields["stage"] = stage[:100]
    return bool(
        Report.objects.filter(
            pk=claimed.report_id, attempt=claimed.attempt, status=Report.Status.RUNNING
        ).update(**fields)
    )


class _Heartbeat(threading.Thread):
    """Beats every few seconds while the worker is busy in one long call (WeasyPrint).
    It dies with the process, which is exactly the signal the beat task reads."""

    def __init__(self, claimed: Claim) -> None:
        super().__init__(daemon=True, name=f"report-heartbeat-{claimed.report_id}")
        self.claimed = claimed
        self.stopped = threading.Event()

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopped.wait(HEARTBEAT_EVERY):
                try:
                    beat(self.claimed)
                except Exception:  # noqa: BLE001 - a missed beat is not fatal
                    log.exception("report heartbeat failed")
        finally:
            connection.close()


def _unique_name(report: Report) -> str:
    # Nobody can guess it: 192 random bits, no report id or title in the path.
    return f"reports/{timezone.now():%Y/%m}/{secrets.token_urlsafe(24)}.pdf"


def _delete_file(name: str) -> None:
    if name:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - a missing file is already gone
            log.warning("could not delete report file %s", name)


def run(report_id: int) -> str:
    """Plan one report: claim it, build its data, write the chunks' contexts and the
    embedded files through the storage API, and send the chunks to the workers. The
    last chunk to finish sends the merge (run_merge), which completes the report."""
    claimed = claim(report_id)
    if claimed is None:
        return "skipped"
    report = Report.objects.select_related("requested_by").get(pk=report_id)
    heart = _Heartbeat(claimed)
    heart.start()
    written: list[str] = []
    try:
        data = kinds.build(report.kind, report.parameters, lambda p, s: beat(claimed, p, s))
        delay = _test_delay()
        for _ in range(delay * 2):
            time.sleep(0.5)
            beat(claimed, 70, "Rendering (slowed for a test)")
        beat(claimed, 8, "Splitting the report into chunks")
        indexes = _plan_chunks(report, claimed, data, written)
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        _report_failure(report, exc)
        chunks.delete(*written)
        fail(claimed, exc)
        return "failed"
    finally:
        heart.stopped.set()
    if not indexes:
        return "superseded"
    if not _eager():
        return "planned"
    # No worker to hand the chunks to (tests, CELERY_TASK_ALWAYS_EAGER): render them
    # here, in order, then merge, and say how the report ended.
    from riskhub.reports import tasks

    for index in indexes:
        tasks.render_chunk.apply(args=[report_id, index])
    run_merge(report_id)
    status = Report.objects.values_list("status", flat=True).get(pk=report_id)
    outcomes: dict[str, str] = {"succeeded": "succeeded", "failed": "failed"}
    return outcomes.get(str(status), "planned")


def _eager() -> bool:
    from riskhub.celery import app

    return bool(app.conf.task_always_eager)


def _report_failure(report: Report, exc: BaseException) -> None:
    if isinstance(exc, ValidationError):  # its parameters: the reason says it all
        log.warning("report %s refused: %s", report.uuid, readable_error(exc))
    else:
        log.exception("report %s failed", report.uuid)


def _plan_chunks(
    report: Report, claimed: Claim, data: dict[str, Any], written: list[str]
) -> list[int]:
    from riskhub.reports.rendering import data_bytes, write_data

    # The full data and the listing's CSV go to storage as they are written: planning
    # holds the data once, never its 70 MB of JSON beside it (60,000 risks).
    folder = chunks.work_dir(report.uuid, claimed.attempt)
    name, data_sha256 = chunks.save_written(
        f"{folder}/{pdf.DATA_ATTACHMENT}", functools.partial(write_data, data)
    )
    written.append(name)
    listing = kinds.LISTINGS.get(report.kind)
    if listing is not None:
        name, _ = chunks.save_written(
            f"{folder}/{listing.csv_name}",
            functools.partial(chunks.write_listing_csv, listing, data.get(listing.key) or []),
        )
        written.append(name)
    parts = chunks.plan(report.kind, data)
    rows = []
    for index, part in enumerate(parts):
        context = {"role": part.role, **part.context}
        if part.role in ("whole", "head"):
            context["attachments"] = written[:]
            context["data_sha256"] = data_sha256
        name = chunks.save(f"{folder}/chunk-{index:04d}.json", data_bytes(context))
        written.append(name)
        rows.append((index, part.role, part.label, name))
    del data, parts
    now = timezone.now()
    with transaction.atomic():
        row = Report.objects.select_for_update().get(pk=claimed.report_id)
        if row.is_finished or row.attempt != claimed.attempt:
            chunks.delete(*written)
            return []
        _discard_chunks(row)
        ReportChunk.objects.bulk_create(
            ReportChunk(
                report=row,
                report_attempt=claimed.attempt,
                index=index,
                role=role,
                label=label,
                context_file=name,
                queued_at=now,
            )
            for index, role, label, name in rows
        )
        row.chunks_total = len(rows)
        row.chunks_done = 0
        row.progress = CHUNKS_FROM
        row.stage = f"Rendering: 0 of {len(rows)} chunk{'s' if len(rows) != 1 else ''} done"
        row.heartbeat_at = now
        row.save(update_fields=["chunks_total", "chunks_done", "progress", "stage", "heartbeat_at"])
        indexes = [row_[0] for row_ in rows]
        if not _eager():
            transaction.on_commit(lambda: _enqueue_chunks(row.pk, indexes))
    return indexes


def _discard_chunks(report: Report) -> None:
    """Forget the chunks of an earlier attempt, and their files."""
    old = list(report.chunks.values_list("context_file", "pdf_file"))
    report.chunks.all().delete()
    names = [name for pair in old for name in pair if name]
    if names:
        transaction.on_commit(lambda: chunks.delete(*names))


# Progress: building the data up to CHUNKS_FROM, the chunks up to MERGE_FROM, then the
# merge and the signature.
CHUNKS_FROM = 10
MERGE_FROM = 90


def _options() -> dict[str, Any]:
    """The report's queue: REPORT_QUEUE, else the queue of the task sending (a report's
    chunks and merge follow the report's own message)."""
    from celery import current_task

    queue = getattr(settings, "REPORT_QUEUE", None)
    # current_task is a proxy: it is never None itself, it is falsy outside a task.
    if not queue and current_task:
        queue = (current_task.request.delivery_info or {}).get("routing_key")
    return {"queue": queue} if queue else {}


def _enqueue_chunks(report_id: int, indexes: list[int]) -> None:
    """The chunks of one report as one group: any idle worker takes the next one."""
    from celery import group

    from riskhub.reports import tasks

    group(tasks.render_chunk.si(report_id, index) for index in indexes).apply_async(**_options())


def _enqueue_merge(report_id: int) -> None:
    from riskhub.reports import tasks

    tasks.merge_report.apply_async(args=[report_id], **_options())


@dataclass(frozen=True)
class ChunkClaim:
    chunk_id: int
    report: Claim
    attempt: int


def claim_chunk(report_id: int, index: int, *, now: dt.datetime | None = None) -> ChunkClaim | None:
    """Take one chunk, or None: done already, its report finished or re-planned, or
    another worker holds it and is still beating."""
    now = now or timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.is_finished or report.status != Report.Status.RUNNING:
            return None
        chunk = report.chunks.filter(index=index, report_attempt=report.attempt).first()
        if chunk is None or chunk.status == ReportChunk.Status.DONE:
            return None
        if _held(chunk.status == ReportChunk.Status.RUNNING, chunk.heartbeat_at, now):
            return None
        chunk.status = ReportChunk.Status.RUNNING
        chunk.attempt += 1
        chunk.heartbeat_at = now
        chunk.worker = _worker_name()
        chunk.save(update_fields=["status", "attempt", "heartbeat_at", "worker"])
        report.heartbeat_at = now
        report.save(update_fields=["heartbeat_at"])
        return ChunkClaim(chunk.pk, Claim(report.pk, report.attempt), chunk.attempt)


class _ChunkHeartbeat(_Heartbeat):
    def __init__(self, claimed: ChunkClaim) -> None:
        super().__init__(claimed.report)
        self.chunk = claimed

    def run(self) -> None:
        from django.db import connection

        try:
            while not self.stopped.wait(HEARTBEAT_EVERY):
                try:
                    if beat(self.claimed):
                        ReportChunk.objects.filter(
                            pk=self.chunk.chunk_id, attempt=self.chunk.attempt
                        ).update(heartbeat_at=timezone.now())
                except Exception:  # noqa: BLE001 - a missed beat is not fatal
                    log.exception("report chunk heartbeat failed")
        finally:
            connection.close()


def run_chunk(report_id: int, index: int) -> str:
    """Render one chunk to a PDF in storage; the last chunk done sends the merge."""
    claimed = claim_chunk(report_id, index)
    if claimed is None:
        return "skipped"
    report = Report.objects.select_related("requested_by").get(pk=report_id)
    chunk = ReportChunk.objects.get(pk=claimed.chunk_id)
    heart = _ChunkHeartbeat(claimed)
    heart.start()
    stored = ""
    try:
        import json

        from riskhub.reports.rendering import attachments_for, render_part

        context = json.loads(chunks.read(chunk.context_file))
        role = context.pop("role")
        files = context.pop("attachments", [])
        context.pop("data_sha256", None)
        attachments: list[tuple[str, bytes, str]] = []
        if files:
            payload = chunks.read(files[0])
            csv = chunks.read(files[1]) if len(files) > 1 else None
            attachments = attachments_for(report, payload, csv)
            del payload, csv
        document = render_part(report, role, context, attachments)
        del context, attachments
        folder = chunks.work_dir(report.uuid, claimed.report.attempt)
        stored = chunks.save(f"{folder}/chunk-{index:04d}.pdf", document.pdf)
        return _complete_chunk(claimed, document, stored)
    except Exception as exc:  # noqa: BLE001 - the chunk is re-run; the row says why
        log.exception("report %s chunk %s failed", report.uuid, index)
        chunks.delete(stored)
        _release_chunk(claimed, exc)
        raise
    finally:
        heart.stopped.set()


def _complete_chunk(claimed: ChunkClaim, document: pdf.Document, stored: str) -> str:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=claimed.report.report_id)
        chunk = ReportChunk.objects.select_for_update().get(pk=claimed.chunk_id)
        if (
            report.is_finished
            or report.attempt != claimed.report.attempt
            or chunk.status == ReportChunk.Status.DONE
            or chunk.attempt != claimed.attempt
        ):
            transaction.on_commit(lambda: chunks.delete(stored))
            return "superseded"
        now = timezone.now()
        chunk.status = ReportChunk.Status.DONE
        chunk.pdf_file = stored
        chunk.pages = document.pages
        chunk.headings = document.headings
        chunk.render_seconds = document.seconds
        chunk.finished_at = now
        chunk.heartbeat_at = now
        chunk.save()
        done = report.chunks.filter(status=ReportChunk.Status.DONE).count()
        total = report.chunks_total
        report.chunks_done = done
        report.progress = CHUNKS_FROM + (MERGE_FROM - CHUNKS_FROM) * done // max(total, 1)
        report.stage = f"Rendering: {done} of {total} chunk{'s' if total != 1 else ''} done"
        report.heartbeat_at = now
        if done == total:
            report.stage = f"All {total} chunk{'s' if total != 1 else ''} done; merging next"
            pk = report.pk
            if not _eager():
                transaction.on_commit(lambda: _enqueue_merge(pk))
        report.save(update_fields=["chunks_done", "progress", "stage", "heartbeat_at"])
    return "rendered"


def _release_chunk(claimed: ChunkClaim, exc: BaseException) -> None:
    """A failed chunk goes back to the queue (the task retries it); after
    MAX_ATTEMPTS its report fails with the reason."""
    with transaction.atomic():
        chunk = ReportChunk.objects.select_for_update().filter(pk=claimed.chunk_id).first()
        if chunk is None or chunk.attempt != claimed.attempt:
            return
        if chunk.attempt >= MAX_ATTEMPTS:
            fail(claimed.report, exc)
            return
        chunk.status = ReportChunk.Status.QUEUED
        chunk.queued_at = timezone.now()
        chunk.heartbeat_at = None
        chunk.save(update_fields=["status", "queued_at", "heartbeat_at"])


def run_merge(report_id: int) -> str:
    """Merge the chunks into one file, sign it once, store it, complete the report."""
    with transaction.atomic():
        report = Report.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.is_finished or report.status != Report.Status.RUNNING:
            return "skipped"
        pieces = list(report.chunks.filter(report_attempt=report.attempt).order_by("index"))
        if not pieces or any(p.status != ReportChunk.Status.DONE for p in pieces):
            return "skipped"
        now = timezone.now()
        if _held(report.stage == MERGING, report.heartbeat_at, now):
            return "skipped"  # another merge of this report is running
        report.stage = MERGING
        report.progress = MERGE_FROM
        report.heartbeat_at = now
        report.save(update_fields=["stage", "progress", "heartbeat_at"])
        claimed = Claim(report.pk, report.attempt)
    report = Report.objects.select_related("requested_by").get(pk=report_id)
    heart = _Heartbeat(claimed)
    heart.start()
    stored = ""
    try:
        import json

        from riskhub.reports import merge
        from riskhub.reports.rendering import finish

        head = json.loads(chunks.read(pieces[0].context_file))
        header = {key: head["data"][key] for key in chunks.HEADER_KEYS if key in head["data"]}
        data_sha256 = head["data_sha256"]
        del head
        # The chunks are read from local copies as the merge needs them, never all
        # at once in memory.
        with tempfile.TemporaryDirectory(prefix="riskhub-chunks-") as folder:
            documents = [
                merge.Piece(
                    role=piece.role,
                    label=piece.label,
                    pdf=chunks.copy_to(piece.pdf_file, Path(folder) / f"{piece.index:05d}.pdf"),
                    pages=piece.pages or 0,
                    headings=piece.headings,
                )
                for piece in pieces
            ]
            rendered = finish(report, documents, header, data_sha256, Path(folder))
            del documents
            beat(claimed, 97, "Storing the signed PDF")
            with rendered.content() as content:
                stored = default_storage.save(_unique_name(report), content)
        outcome = complete(claimed, rendered, stored)
        if outcome != "succeeded":
            _delete_file(stored)
        else:
            names = [n for p in pieces for n in (p.context_file, p.pdf_file)]
            folder = chunks.work_dir(report.uuid, claimed.attempt)
            names += [f"{folder}/{pdf.DATA_ATTACHMENT}"]
            listing = kinds.LISTINGS.get(report.kind)
            if listing is not None:
                names.append(f"{folder}/{listing.csv_name}")
            chunks.delete(*names)
        return outcome
    except Exception as exc:  # noqa: BLE001 - every failure is recorded on the row
        _report_failure(report, exc)
        _delete_file(stored)
        fail(claimed, exc)
        return "failed"
    finally:
        heart.stopped.set()


MERGING = "Merging the chunks and signing"


def complete(claimed: Claim, rendered: Any, stored: str) -> str:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=claimed.report_id)
        if report.is_finished or report.attempt != claimed.attempt:
            return "superseded"
        old = report.file.name if report.file else ""
        report.file.name = stored
        report.status = Report.Status.SUCCEEDED
        report.progress = 100
        report.stage = "Done"
        report.finished_at = timezone.now()
        report.heartbeat_at = report.finished_at
        report.pages = rendered.pages
        report.size = rendered.size
        report.sha256 = rendered.sha256
        report.data_sha256 = rendered.data_sha256
        report.signer = rendered.signer
        report.signer_fingerprint = rendered.signer_fingerprint
        report.signed_at = report.finished_at
        report.save()
        record_event(
            actor=None,
            action="report.generated",
            object_type="report",
            object_id=report.uuid,
            object_repr=report.title,
            after={"sha256": report.sha256, "pages": report.pages, "attempt": report.attempt},
        )
        if old and old != stored:
            transaction.on_commit(lambda: _delete_file(old))
        if report.schedule_id:
            transaction.on_commit(lambda: notify_schedule_recipients(report.pk))
    return "succeeded"


def readable_error(exc: BaseException) -> str:
    from celery.exceptions import SoftTimeLimitExceeded
    from django.template import TemplateSyntaxError

    if isinstance(exc, SoftTimeLimitExceeded):
        return f"The report took longer than {SOFT_TIME_LIMIT} seconds and was stopped."
    if isinstance(exc, ValidationError):
        return "The report's parameters are invalid: " + "; ".join(exc.messages)
    if isinstance(exc, TemplateSyntaxError):
        return f"The report template is broken: {exc}"
    return f"Rendering failed ({type(exc).__name__}): {exc}"[:2000]


def fail(claimed: Claim, exc: BaseException) -> None:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=claimed.report_id)
        if report.is_finished or report.attempt != claimed.attempt:
            return
        report.status = Report.Status.FAILED
        report.error = readable_error(exc)
        report.finished_at = timezone.now()
        report.stage = "Failed"
        report.save(update_fields=["status", "error", "finished_at", "stage"])
        record_event(
            actor=None,
            action="report.failed",
            object_type="report",
            object_id=report.uuid,
            object_repr=report.title,
            after={"error": report.error},
        )


def requeue_stale(
    *, now: dt.datetime | None = None, stale_after: dt.timedelta | None = None
) -> list[UUID]:
    """Re-queue reports whose worker stopped beating (or whose message was lost); fail
    them after MAX_ATTEMPTS. Called by beat every minute."""
    now = now or timezone.now()
    stale_after = stale_after or STALE_AFTER
    requeued: list[UUID] = []
    with transaction.atomic():
        # A report split into chunks is watched chunk by chunk (requeue_stale_chunks).
        running = Report.objects.select_for_update().filter(
            status=Report.Status.RUNNING, heartbeat_at__lt=now - stale_after, chunks_total=0
        )
        lost = Report.objects.select_for_update().filter(
            status=Report.Status.QUEUED, queued_at__lt=now - QUEUED_STALE_AFTER
        )
        for report in [*running, *lost]:
            if report.attempt >= MAX_ATTEMPTS:
                report.status = Report.Status.FAILED
                report.finished_at = now
                report.stage = "Failed"
                report.error = (
                    f"The worker rendering this report stopped {report.attempt} times; "
                    "the report is too large or a worker is unhealthy. Re-run it."
                )
                report.save(update_fields=["status", "finished_at", "stage", "error"])
                continue
            report.status = Report.Status.QUEUED
            report.chunks_total = report.chunks_done = 0
            report.progress = 0
            report.stage = "Re-queued: the worker stopped responding"
            report.queued_at = now
            report.heartbeat_at = None
            report.save(
                update_fields=[
                    "status",
                    "chunks_total",
                    "chunks_done",
                    "progress",
                    "stage",
                    "queued_at",
                    "heartbeat_at",
                ]
            )
            pk = report.pk
            transaction.on_commit(lambda pk=pk: _enqueue(pk))  # type: ignore[misc]
            requeued.append(report.uuid)
        # One event per report: an event names one object (its id field is short).
        record_events(
            None,
            [
                EventSpec("report.requeued", "report", str(u), after={"attempt_requeued": True})
                for u in requeued
            ],
        )
    return requeued


def requeue_stale_chunks(
    *, now: dt.datetime | None = None, stale_after: dt.timedelta | None = None
) -> list[tuple[UUID, int | None]]:
    """Send again the chunks whose worker stopped beating or whose message was lost,
    and the merge of a report whose chunks are all done but that nobody is merging.
    (report uuid, chunk index or None for the merge) of each; a chunk that stopped
    MAX_ATTEMPTS times fails its report. Called by beat with requeue_stale."""
    now = now or timezone.now()
    stale_after = stale_after or STALE_AFTER
    sent: list[tuple[UUID, int | None]] = []
    with transaction.atomic():
        reports = Report.objects.select_for_update().filter(
            status=Report.Status.RUNNING, chunks_total__gt=0
        )
        for report in reports:
            current = report.chunks.filter(report_attempt=report.attempt)
            stopped = current.filter(
                status=ReportChunk.Status.RUNNING, heartbeat_at__lt=now - stale_after
            )
            lost = current.filter(
                status=ReportChunk.Status.QUEUED, queued_at__lt=now - QUEUED_STALE_AFTER
            )
            again: list[int] = []
            for chunk in [*stopped, *lost]:
                if chunk.attempt >= MAX_ATTEMPTS:
                    fail(
                        Claim(report.pk, report.attempt),
                        RuntimeError(
                            f"chunk {chunk.index + 1} ({chunk.label}) stopped {chunk.attempt} "
                            "times; a worker is unhealthy or the chunk too large"
                        ),
                    )
                    again = []
                    break
                chunk.status = ReportChunk.Status.QUEUED
                chunk.queued_at = now
                chunk.heartbeat_at = None
                chunk.save(update_fields=["status", "queued_at", "heartbeat_at"])
                again.append(chunk.index)
            if again:
                pk = report.pk
                transaction.on_commit(lambda pk=pk, again=again: _enqueue_chunks(pk, again))  # type: ignore[misc]
                sent.extend((report.uuid, index) for index in again)
            elif (
                current.exists()
                and not current.exclude(status=ReportChunk.Status.DONE).exists()
                and report.heartbeat_at is not None
                and report.heartbeat_at < now - stale_after
            ):
                pk = report.pk
                transaction.on_commit(lambda pk=pk: _enqueue_merge(pk))  # type: ignore[misc]
                sent.append((report.uuid, None))
        record_events(
            None,
            [
                EventSpec(
                    "report.requeued",
                    "report",
                    str(u),
                    after={"chunk": index} if index is not None else {"merge": True},
                )
                for u, index in sent
            ],
        )
    return sent


def delete_expired(*, now: dt.datetime | None = None) -> int:
    """Delete report files older than REPORT_RETENTION_DAYS; the row (with its
    checksum) stays so a verifier still learns RiskHub produced the file."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.REPORT_RETENTION_DAYS)
    expired = list(
        Report.objects.filter(finished_at__lt=cutoff, file_deleted_at__isnull=True).exclude(file="")
    )
    for report in expired:
        names = [report.file.name, report.prepared_file.name]  # and a superseded issue
        with transaction.atomic():
            Report.objects.filter(pk=report.pk).update(
                file="", prepared_file="", file_deleted_at=now
            )
            for name in names:
                transaction.on_commit(lambda name=name: _delete_file(name))  # type: ignore[misc]
    if expired:
        record_event(
            actor=None,
            action="report.files_expired",
            object_type="report",
            object_id=str(len(expired)),
            after={"reports": [str(r.uuid) for r in expired][:500]},
        )
    return len(expired)


# --- schedules ----------------------------------------------------------------------


def schedule_create(
    *,
    actor: User,
    name: str,
    kind: str,
    parameters: dict[str, Any],
    cadence: str,
    recipient_roles: list[str],
) -> ScheduledReport:
    require(actor, "reports.request")
    from riskhub.accounts.policy import Role

    roles = sorted(set(recipient_roles))
    if not roles or any(r not in Role.values for r in roles):
        raise ValidationError({"recipient_roles": ["Choose at least one role."]})
    params = clean_parameters(kind, parameters)
    params.pop("as_of", None)  # a schedule always reports the present
    with transaction.atomic():
        schedule = ScheduledReport(
            name=name,
            kind=kind,
            parameters=params,
            cadence=cadence,
            recipient_roles=roles,
            created_by=actor,
        )
        schedule.full_clean()
        schedule.save()
        record_event(
            actor=actor,
            action="report_schedule.created",
            object_type="scheduled_report",
            object_id=schedule.uuid,
            object_repr=name,
            after={"kind": kind, "cadence": cadence, "roles": roles, "parameters": params},
        )
    return schedule


def schedule_may_delete(user: User, schedule: ScheduledReport) -> bool:
    """Only the schedule's owner or an admin (policy.OBJECT_RULES). A schedule whose
    owner was erased (created_by null) is nobody's own: an admin's to delete."""
    if not has_perm(user, "reports.request"):
        return False
    own = schedule.created_by_id is not None and schedule.created_by_id == user.pk
    rule = "report_schedule.delete_own" if own else "report_schedule.delete_others"
    return role_of(user) in OBJECT_RULES[rule]


def schedule_delete(*, actor: User, schedule: ScheduledReport) -> None:
    if not schedule_may_delete(actor, schedule):
        raise PermissionDenied("Only the schedule's owner or an admin may delete it.")
    with transaction.atomic():
        record_event(
            actor=actor,
            action="report_schedule.deleted",
            object_type="scheduled_report",
            object_id=schedule.uuid,
            object_repr=schedule.name,
            before={
                "kind": schedule.kind,
                "cadence": schedule.cadence,
                "roles": schedule.recipient_roles,
                "parameters": schedule.parameters,
                "owner": schedule.created_by_id,
            },
        )
        schedule.delete()


def run_due_schedules(*, today: dt.date | None = None) -> list[Report]:
    """Request the reports whose schedule falls today (beat, daily)."""
    today = today or timezone.localdate()
    started = []
    with transaction.atomic():
        for schedule in ScheduledReport.objects.select_for_update().filter(active=True):
            if not schedule.is_due(today):
                continue
            started.append(
                report_request(
                    actor=None,
                    kind=schedule.kind,
                    parameters=schedule.parameters,
                    schedule=schedule,
                )
            )
            schedule.last_run_on = today
            schedule.save(update_fields=["last_run_on"])
    return started


def notify_schedule_recipients(report_id: int) -> int:
    report = Report.objects.select_related("schedule").get(pk=report_id)
    if report.schedule is None:
        return 0
    recipients = sorted(
        set(
            User.objects.filter(
                is_active=True, groups__name__in=report.schedule.recipient_roles
            ).values_list("email", flat=True)
        )
    )
    if not recipients:
        return 0
    context = {
        "report": report,
        "schedule": report.schedule,
        "url": absolute_url(reverse("reports:detail", args=[report.uuid])),
        "verify_url": absolute_url(reverse("reports:verify")),
    }
    return send_templated_mail("reports/email/scheduled", context, recipients)
