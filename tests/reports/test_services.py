"""The job's lifecycle: claim once, complete once, re-queue on a stopped heartbeat,
one file per report, retention, schedules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.reports import services
from riskhub.reports.models import Report, ScheduledReport


def _pdfs(tmp_path: Any) -> list[Any]:
    return sorted((tmp_path / "media").rglob("*.pdf"))


def test_a_request_only_enqueues_after_commit_and_is_audited(
    world: Any, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    assert report.status == Report.Status.QUEUED and report.progress == 0
    assert enqueued == [report.pk]
    assert AuditEvent.objects.filter(action="report.requested", object_id=str(report.uuid)).exists()


@pytest.mark.parametrize(
    ("kind", "parameters", "field"),
    [
        ("framework-compliance", {}, "framework"),
        ("framework-compliance", {"framework": "hipaa"}, "framework"),
        ("system-dossier", {}, "system"),
        ("risk-register", {"as_of": "last tuesday"}, "as_of"),
        ("risk-register", {"as_of": "2999-01-01"}, "as_of"),
        ("nonsense", {}, "kind"),
    ],
)
def test_invalid_requests_are_refused_with_the_field_named(
    world: Any, kind: str, parameters: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        services.report_request(actor=world.officer, kind=kind, parameters=parameters)
    assert field in caught.value.message_dict
    assert not Report.objects.exists()


def test_a_redelivered_message_does_not_render_a_finished_report_again(
    world: Any, render: Any, tmp_path: Any
) -> None:
    report = render("risk-register")
    assert services.run(report.pk) == "skipped"
    again = Report.objects.get(pk=report.pk)
    assert again.attempt == 1 and again.sha256 == report.sha256
    assert len(_pdfs(tmp_path)) == 1


def test_a_second_delivery_while_the_first_beats_is_skipped(world: Any) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    first = services.claim(report.pk)
    assert first is not None
    assert services.claim(report.pk) is None  # fresh heartbeat: someone is on it
    assert services.run(report.pk) == "skipped"


def test_a_report_whose_worker_stopped_beating_is_requeued_and_completes_once(
    world: Any, enqueued: list[int], tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    lost = services.claim(report.pk)  # a worker took it, then died
    assert lost is not None
    later = timezone.now() + services.STALE_AFTER + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        requeued = services.requeue_stale(now=later)
    assert requeued == [report.uuid]
    row = Report.objects.get(pk=report.pk)
    assert row.status == Report.Status.QUEUED and "stopped responding" in row.stage
    assert enqueued[-1] == report.pk

    assert services.run(report.pk) == "succeeded"
    # The dead attempt cannot complete it a second time.
    assert services.complete(lost, object(), "reports/x.pdf") == "superseded"
    row.refresh_from_db()
    assert row.status == Report.Status.SUCCEEDED and row.attempt == 2
    assert len(_pdfs(tmp_path)) == 1


def test_several_lost_reports_are_requeued_together_each_audited(
    world: Any, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    """Found by the Redis-restart fault check: many reports lost at once (their
    messages gone with the broker) are all re-queued, one audit event each."""
    from riskhub.audit.models import AuditEvent

    reports = [
        services.report_request(actor=world.officer, kind="risk-register", parameters={})
        for _ in range(4)
    ]
    later = timezone.now() + services.QUEUED_STALE_AFTER + dt.timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        requeued = services.requeue_stale(now=later)
    assert sorted(requeued) == sorted(r.uuid for r in reports)
    assert sorted(enqueued[-4:]) == sorted(r.pk for r in reports)
    events = AuditEvent.objects.filter(action="report.requeued")
    assert sorted(events.values_list("object_id", flat=True)) == sorted(
        str(r.uuid) for r in reports
    )


def test_a_fresh_heartbeat_is_not_requeued(world: Any) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    services.claim(report.pk)
    assert services.requeue_stale() == []


def test_a_report_that_keeps_losing_its_worker_fails_with_a_message(world: Any) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    Report.objects.filter(pk=report.pk).update(
        status="running",
        attempt=services.MAX_ATTEMPTS,
        heartbeat_at=timezone.now() - dt.timedelta(hours=1),
    )
    assert services.requeue_stale() == []
    row = Report.objects.get(pk=report.pk)
    assert row.status == Report.Status.FAILED and "stopped 3 times" in row.error


def test_a_retried_render_replaces_the_previous_file(
    world: Any, render: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    stale = default_storage.save("reports/old/leftover.pdf", ContentFile(b"%PDF-old"))
    Report.objects.filter(pk=report.pk).update(file=stale)
    with django_capture_on_commit_callbacks(execute=True):
        services.run(report.pk)
    assert not default_storage.exists(stale)
    assert len(_pdfs(tmp_path)) == 1


def test_file_names_cannot_be_guessed(world: Any, render: Any) -> None:
    a, b = render("risk-register"), render("risk-register")
    for report in (a, b):
        assert str(report.uuid) not in report.file.name and "risk" not in report.file.name
    assert a.file.name != b.file.name and len(a.file.name.rsplit("/", 1)[1]) >= 32


def test_retention_deletes_old_files_and_keeps_the_checksum(
    world: Any, render: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REPORT_RETENTION_DAYS = 30
    report = render("risk-register")
    name = report.file.name
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delete_expired(now=timezone.now() + dt.timedelta(days=29)) == 0
        assert services.delete_expired(now=timezone.now() + dt.timedelta(days=31)) == 1
    row = Report.objects.get(pk=report.pk)
    assert not row.file and row.file_deleted_at and row.sha256 == report.sha256
    assert not default_storage.exists(name)


def test_a_monthly_schedule_requests_a_report_and_emails_a_link_to_the_roles(
    world: Any, make_user: Any, enqueued: list[int], django_capture_on_commit_callbacks: Any
) -> None:
    cto = make_user(Role.EXECUTIVE, email="cto@example.com")
    schedule = services.schedule_create(
        actor=world.officer,
        name="Board pack",
        kind="executive-summary",
        parameters={},
        cadence=ScheduledReport.Cadence.MONTHLY,
        recipient_roles=[Role.EXECUTIVE],
    )
    assert services.run_due_schedules(today=dt.date(2026, 3, 2)) == []
    with django_capture_on_commit_callbacks(execute=True):
        started = services.run_due_schedules(today=dt.date(2026, 3, 1))
    assert len(started) == 1 and started[0].schedule == schedule
    assert services.run_due_schedules(today=dt.date(2026, 3, 1)) == []  # once a day
    with django_capture_on_commit_callbacks(execute=True):
        services.run(started[0].pk)
    ours = [m for m in mail.outbox if m.subject.startswith("RiskHub report ready")]
    assert len(ours) == 1
    message = ours[0]
    assert cto.email in message.to and world.executive.email in message.to
    assert world.officer.email not in message.to
    assert f"/reports/{started[0].uuid}/" in message.body
