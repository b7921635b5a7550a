"""Incident services: consequences, the append-only timeline, closing, clock alerts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from riskhub.audit.models import AuditEvent
from riskhub.compliance.models import Control, ControlImplementation
from riskhub.incidents import services
from riskhub.incidents.clocks import Code
from riskhub.incidents.models import ClockAlert, TimelineEntry
from riskhub.risk.models import Assessment

pytestmark = pytest.mark.django_db


def _breach(officer, assets, **fields):  # type: ignore[no-untyped-def]
    return services.incident_create(
        actor=officer,
        title="Customer emails exposed",
        aware_at=fields.pop("aware_at", timezone.now() - timedelta(hours=1)),
        assets=assets,
        personal_data_breach=True,
        **fields,
    )


def test_opening_starts_draft_reassessments_for_affected_and_downstream_assets(
    officer, catalogs, make_asset, link
) -> None:  # type: ignore[no-untyped-def]
    dataset = make_asset("dataset", "Support tickets")
    model = make_asset("model", "Ticket classifier")
    endpoint = make_asset("endpoint", "Triage API")
    unrelated = make_asset("endpoint", "Other API")
    link(dataset, model, "trained_on")
    link(model, endpoint, "serves")
    incident = _breach(officer, [dataset])
    drafts = set(
        Assessment.objects.filter(status=Assessment.Status.DRAFT).values_list(
            "asset__name", flat=True
        )
    )
    assert drafts == {"Support tickets", "Ticket classifier", "Triage API"}
    assert unrelated.name not in drafts
    consequence = incident.timeline.get(kind=TimelineEntry.Kind.CONSEQUENCE)
    assert "Draft reassessment started for Support tickets" in consequence.summary
    assert [a["name"] for a in incident.facts_snapshot["possibly_affected"]] == [
        "Ticket classifier",
        "Triage API",
    ]


def test_an_assessment_already_in_progress_is_noted_not_duplicated(
    officer, catalogs, make_asset
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.risk import services as risk_services

    endpoint = make_asset("endpoint")
    risk_services.assessment_start(actor=officer, asset=endpoint)
    incident = _breach(officer, [endpoint])
    assert Assessment.objects.filter(asset=endpoint).count() == 1
    assert (
        "already has an assessment in progress"
        in incident.timeline.get(kind=TimelineEntry.Kind.CONSEQUENCE).summary
    )


def test_opening_flags_the_affected_assets_controls_for_re_verification(
    officer, catalogs, make_asset
) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_asset("endpoint")
    other = make_asset("endpoint")
    control = Control.objects.create(
        code="SEC-01", name="Rate limiting", default_scope="asset", catalog_version="1"
    )
    mine = ControlImplementation.objects.create(control=control, scope="asset", asset=endpoint)
    theirs = ControlImplementation.objects.create(control=control, scope="asset", asset=other)
    _breach(officer, [endpoint])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.needs_review and "Customer emails exposed" in mine.review_reason
    assert not theirs.needs_review
    assert AuditEvent.objects.filter(
        action="control_implementation.flag_for_review", object_id=str(mine.uuid)
    ).exists()


def test_roles_and_tiers_of_downstream_systems_decide_the_ai_act_clock(
    officer, make_asset, link
) -> None:  # type: ignore[no-untyped-def]
    model = make_asset("model")
    system = make_asset("system", facts=["tier:high", "role:provider"], tier="high")
    link(model, system, "part_of")
    incident = services.incident_create(
        actor=officer,
        title="Wrong scores",
        aware_at=timezone.now(),
        assets=[model],
        serious_incident="health",
    )
    found, _ = services.evaluate(incident, services.organisation(), incident.timeline.all())
    assert [c.code for c in found] == [Code.AI_ACT_73]
    assert incident.categories == ["serious-incident"]


def test_recording_the_notification_meets_the_clock_and_clears_next_due(
    officer, make_asset
) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, [make_asset("endpoint")])
    assert incident.next_due_at == incident.aware_at + timedelta(hours=72)
    services.notification_record(
        actor=officer,
        incident=incident,
        clock=Code.GDPR_33,
        recipient="CNIL",
        at=timezone.now(),
        reference="CNIL-2026-0042",
    )
    incident.refresh_from_db()
    found, _ = services.evaluate(incident, services.organisation(), incident.timeline.all())
    assert found[0].status == "met"
    assert incident.next_due_at is None
    entry = incident.timeline.get(kind=TimelineEntry.Kind.NOTIFICATION)
    assert (entry.recipient, entry.reference, entry.notified_by) == (
        "CNIL",
        "CNIL-2026-0042",
        str(officer),
    )


def test_a_notification_must_name_a_duty_that_applies(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, [make_asset("endpoint")])
    with pytest.raises(ValidationError) as exc:
        services.notification_record(
            actor=officer,
            incident=incident,
            clock=Code.AI_ACT_73,
            recipient="MSA",
            at=timezone.now(),
        )
    assert "clock" in exc.value.message_dict


def test_the_timeline_is_append_only(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, [make_asset("endpoint")])
    entry = incident.timeline.first()
    entry.summary = "rewritten"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(incident=incident).update(summary="x")
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(incident=incident).delete()


def test_closing_requires_the_post_incident_review(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, [make_asset("endpoint")])
    with pytest.raises(ValidationError) as exc:
        services.incident_close(actor=officer, incident=incident, what_failed="", what_changes="")
    assert set(exc.value.message_dict) == {"what_failed", "what_changes"}
    with pytest.raises(ValidationError):
        services.incident_set_status(actor=officer, incident=incident, status="closed")
    closed = services.incident_close(
        actor=officer,
        incident=incident,
        what_failed="No egress filter on the bucket.",
        what_changes="Bucket policy review in CI; owner: platform team.",
    )
    assert closed.status == "closed" and closed.reviewed_by == officer
    assert closed.timeline.filter(kind=TimelineEntry.Kind.REVIEW).exists()
    with pytest.raises(ValidationError):
        services.incident_update(actor=officer, incident=closed, title="changed")


def test_only_writers_may_open_incidents(executive, auditor) -> None:  # type: ignore[no-untyped-def]
    for user in (executive, auditor):
        with pytest.raises(PermissionDenied):
            services.incident_create(actor=user, title="x", aware_at=timezone.now())


def test_contradictory_breach_flags_are_refused(officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.incident_create(
            actor=officer,
            title="x",
            aware_at=timezone.now(),
            personal_data_breach=True,
            breach_risk_unlikely=True,
            high_risk_to_individuals=True,
        )
    assert "breach_risk_unlikely" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.incident_create(
            actor=officer, title="x", aware_at=timezone.now() + timedelta(days=1)
        )


# --- clock alerts -------------------------------------------------------------------------


def test_clock_alerts_go_once_per_threshold_to_owner_and_executives(
    officer, executive, auditor, make_asset
) -> None:  # type: ignore[no-untyped-def]
    aware = timezone.now() - timedelta(minutes=5)
    incident = _breach(officer, [make_asset("endpoint")], aware_at=aware)
    mail.outbox.clear()

    assert services.clock_alerts_send(now=aware + timedelta(hours=30)) == 0
    assert services.clock_alerts_send(now=aware + timedelta(hours=37)) == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == sorted([officer.email, executive.email])
    assert "50% elapsed" in message.subject and "Art. 33(1)" in message.subject
    # Idempotent: the same run again sends nothing.
    assert services.clock_alerts_send(now=aware + timedelta(hours=38)) == 0
    assert services.clock_alerts_send(now=aware + timedelta(hours=65)) == 1
    assert "90% elapsed" in mail.outbox[-1].subject
    assert services.clock_alerts_send(now=aware + timedelta(hours=73)) == 1
    assert mail.outbox[-1].subject.startswith("Missed")
    assert services.clock_alerts_send(now=aware + timedelta(hours=80)) == 0
    assert len(mail.outbox) == 3
    assert set(
        ClockAlert.objects.filter(incident=incident).values_list("threshold", flat=True)
    ) == {
        "50",
        "90",
        "missed",
    }


def test_a_late_run_sends_one_mail_for_the_highest_threshold(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    aware = timezone.now()
    _breach(officer, [make_asset("endpoint")], aware_at=aware)
    mail.outbox.clear()
    assert services.clock_alerts_send(now=aware + timedelta(hours=100)) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Missed")
    assert ClockAlert.objects.count() == 3


def test_no_alert_once_the_notification_is_recorded(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    aware = timezone.now() - timedelta(minutes=1)
    incident = _breach(officer, [make_asset("endpoint")], aware_at=aware)
    services.notification_record(
        actor=officer, incident=incident, clock=Code.GDPR_33, recipient="DPA", at=timezone.now()
    )
    mail.outbox.clear()
    assert services.clock_alerts_send(now=aware + timedelta(hours=100)) == 0
    assert mail.outbox == []


def test_the_beat_schedule_runs_the_alert_task() -> None:
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["incidents-send-clock-alerts"]
    assert entry["task"] == "riskhub.incidents.tasks.send_clock_alerts"


def test_an_edit_of_the_affected_assets_is_audited_added_or_removed(
    officer, catalogs, make_asset
) -> None:  # type: ignore[no-untyped-def]
    first, second = make_asset("endpoint", "Triage API"), make_asset("endpoint", "Chat API")
    incident = _breach(officer, [first])
    services.incident_update(actor=officer, incident=incident, assets=[first, second])
    services.incident_update(actor=officer, incident=incident, assets=[second])
    # Sending the same set again (in any order) is no change.
    services.incident_update(actor=officer, incident=incident, assets=[second])
    events = AuditEvent.objects.filter(action="incident.update").order_by("seq")
    assert [(e.before, e.after) for e in events] == [
        ({"assets": [str(first.uuid)]}, {"assets": [str(first.uuid), str(second.uuid)]}),
        ({"assets": [str(first.uuid), str(second.uuid)]}, {"assets": [str(second.uuid)]}),
    ]
    changes = incident.timeline.filter(kind=TimelineEntry.Kind.ACTION).order_by("at")
    assert [e.summary for e in changes] == [
        "Details changed: affected assets: added Chat API.",
        "Details changed: affected assets: removed Triage API.",
    ]
    assert list(incident.assets.all()) == [second]


def test_a_closed_incident_refuses_an_edit_before_looking_at_the_fields(
    officer, make_asset
) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, [])
    services.incident_close(
        actor=officer, incident=incident, what_failed="Filter", what_changes="New filter"
    )
    with pytest.raises(ValidationError, match="A closed incident cannot be changed"):
        services.incident_update(actor=officer, incident=incident, created_by=None)
    with pytest.raises(ValidationError) as caught:
        services.incident_update(actor=officer, incident=_breach(officer, []), created_by=None)
    assert caught.value.message_dict == {"created_by": ["This field cannot be changed here."]}
