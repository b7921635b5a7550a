"""Each event RiskHub sends fires once, from the real service that causes it, with a
payload that names the object and carries no free text a person wrote."""

from __future__ import annotations

import io
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone

from riskhub.audit.models import AuditEvent
from riskhub.audit.services import record_event
from riskhub.incidents import services as incidents
from riskhub.inventory.models import Asset
from riskhub.reports import services as reports
from riskhub.reports.rendering import Rendered
from riskhub.risk import catalog_loader
from riskhub.risk import services as risk
from riskhub.webhooks import services
from riskhub.webhooks.events import EVENT_CODES
from riskhub.webhooks.models import Delivery
from tests.webhooks.conftest import deliver_all

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 1)


def _assessment(asset: Asset, officer: Any) -> Any:
    a = risk.assessment_start(actor=officer, asset=asset)
    a = risk.assessment_save(
        actor=officer,
        assessment=a,
        expected_revision=a.revision,
        summary="Prompt injection through the chat box.",
        risks=[
            {
                "title": "Prompt injection",
                "inherent_impact": 4,
                "inherent_likelihood": 4,
                "residual_impact": 3,
                "residual_likelihood": 3,
                "treatment": "mitigate",
                "owner": officer,
                "due_date": TODAY + timedelta(days=30),
            }
        ],
    )
    return risk.assessment_submit(actor=officer, assessment=a)


def _scan(asset: Asset, failed: int) -> AuditEvent:
    # What riskhub.scans records on an import (its own tests cover the import).
    return record_event(
        actor=None,
        action="scan.imported",
        object_type="scan_run",
        object_id=uuid.uuid4(),
        object_repr="garak run",
        after={"asset": asset.pk, "tool": "garak", "findings": 12, "failed": failed},
    )


def test_every_event_type_fires_once_with_its_payload(
    make_endpoint: Any, receiver: Any, officer: Any, executive: Any, enqueued: Any
) -> None:
    catalog_loader.load(stdout=io.StringIO())
    endpoint = make_endpoint()
    chatbot = Asset.objects.create(kind="endpoint", name="Support chatbot", exposure="public")
    scorer = Asset.objects.create(kind="model", name="Scorer", model_type="classifier")

    approved = risk.assessment_approve(
        actor=executive, assessment=_assessment(chatbot, officer), comments="Fine by me."
    )
    returned = risk.assessment_return(
        actor=executive, assessment=_assessment(scorer, officer), comments="Ask Jane Doe."
    )
    accepted = approved.risks.get()
    risk.acceptance_create(
        actor=executive,
        risk=accepted,
        rationale="Jane Doe monitors it daily.",
        expires_on=TODAY + timedelta(days=10),
        today=TODAY,
    )
    assert risk.acceptances_expire(today=TODAY + timedelta(days=20)) == 1
    aware = timezone.now() - timedelta(minutes=5)
    incident = incidents.incident_create(
        actor=officer,
        title="Customer emails exposed by Jane Doe",
        description="Jane's laptop",
        aware_at=aware,
        assets=[chatbot],
        personal_data_breach=True,
    )
    assert incidents.clock_alerts_send(now=aware + timedelta(hours=65)) >= 1  # 90%
    assert incidents.clock_alerts_send(now=aware + timedelta(hours=73)) >= 1  # missed
    report = reports.report_request(actor=officer, kind="risk-register", parameters={})
    claim = reports.claim(report.pk)
    rendered = Rendered(
        pages=3,
        pdf=b"%PDF-",
        size=5,
        sha256="a" * 64,
        data_sha256="b" * 64,
        signer="RiskHub",
        signer_fingerprint="c" * 64,
    )
    assert reports.complete(claim, rendered, "reports/test.pdf") == "succeeded"
    _scan(chatbot, failed=3)
    _scan(chatbot, failed=0)  # a clean scan is not an event

    created = services.events_dispatch()
    assert services.events_dispatch() == []  # dispatched once
    assert len(created) == Delivery.objects.count()
    assert set(deliver_all()) == {"succeeded"}
    received = receiver.events()
    assert len(received) == len(receiver.received)  # every request verified
    by_type: dict[str, list[dict[str, Any]]] = {}
    for document in received:
        by_type.setdefault(document["type"], []).append(document)
    assert set(by_type) == EVENT_CODES
    for code, documents in by_type.items():
        if code.startswith("incident.clock"):
            clocks = [d["data"]["clock"] for d in documents]
            assert len(clocks) == len(set(clocks)), code  # once per clock
        else:
            assert len(documents) == 1, code

    # Receivers dedupe on the id: the audit event's uuid, one per event.
    ids = [d["id"] for d in received]
    assert len(set(ids)) == len(ids)
    assert AuditEvent.objects.filter(uuid__in=ids).count() == len(ids)

    (doc,) = by_type["assessment.approved"]
    assert doc["object"]["type"] == "assessment" and doc["object"]["id"] == str(approved.uuid)
    assert doc["object"]["url"].endswith(f"/assessments/{approved.uuid}/")
    assert doc["data"]["asset"] == {
        "id": str(chatbot.uuid),
        "name": "Support chatbot",
        "kind": "endpoint",
    }
    assert doc["data"]["status"] == "approved" and doc["data"]["version"] == 1
    (doc,) = by_type["assessment.returned"]
    assert doc["object"]["id"] == str(returned.uuid) and doc["data"]["status"] == "returned"
    (doc,) = by_type["risk.accepted"]
    assert doc["object"] == {
        "type": "risk",
        "id": str(accepted.uuid),
        "url": f"http://127.0.0.1:8000/assessments/{approved.uuid}/",
    }
    assert doc["data"]["expires_on"] == "2026-03-11" and doc["data"]["status"] == "accepted"
    (doc,) = by_type["risk.acceptance_expired"]
    assert doc["object"]["id"] == str(accepted.uuid) and doc["data"]["status"] == "open"
    (doc,) = by_type["incident.opened"]
    assert doc["object"]["id"] == str(incident.uuid)
    assert doc["data"]["personal_data_breach"] is True
    assert doc["data"]["assets"] == [str(chatbot.uuid)]
    for doc in by_type["incident.clock_90"]:
        assert doc["data"]["threshold"] == "90" and doc["object"]["id"] == str(incident.uuid)
    for doc in by_type["incident.clock_missed"]:
        assert doc["data"]["threshold"] == "missed"
    (doc,) = by_type["report.ready"]
    assert doc["object"]["id"] == str(report.uuid)
    assert doc["data"]["sha256"] == "a" * 64 and doc["data"]["kind"] == "risk-register"
    (doc,) = by_type["scan.imported_with_failures"]
    assert doc["data"]["failed"] == 3 and doc["data"]["tool"] == "garak"
    assert doc["data"]["asset"]["id"] == str(chatbot.uuid)
    assert doc["object"]["url"].endswith(f"/inventory/{chatbot.uuid}/")

    # No free text a person wrote, no emails: "Jane" appears in comments, a rationale,
    # the incident's title and description, and in none of the bodies.
    for request in receiver.received:
        assert b"Jane" not in request.body and b"@" not in request.body
    assert endpoint.deliveries.count() == len(received)


def test_an_endpoint_receives_only_what_it_chose_from_when_it_existed(
    make_endpoint: Any, receiver: Any, officer: Any, enqueued: Any, admin_user: Any
) -> None:
    asset = Asset.objects.create(kind="model", name="Scorer", model_type="classifier")
    scans = make_endpoint(events=["scan.imported_with_failures"], name="Scans")
    incidents_only = make_endpoint(events=["incident.opened"], name="Incidents")
    off = make_endpoint(events=["scan.imported_with_failures"], name="Off", enabled=False)
    _scan(asset, failed=1)
    services.events_dispatch()
    later = make_endpoint(events=["scan.imported_with_failures"], name="Later")
    services.events_dispatch()
    assert scans.deliveries.count() == 1
    assert incidents_only.deliveries.count() == 0
    assert off.deliveries.count() == 0
    assert later.deliveries.count() == 0


def test_a_committed_audit_event_reaches_the_dispatcher_through_the_signal(
    make_endpoint: Any, receiver: Any, enqueued: Any, django_capture_on_commit_callbacks: Any
) -> None:
    asset = Asset.objects.create(kind="model", name="Scorer", model_type="classifier")
    endpoint = make_endpoint(events=["scan.imported_with_failures"])
    with django_capture_on_commit_callbacks(execute=True):
        event = _scan(asset, failed=2)
    (delivery,) = endpoint.deliveries.all()
    assert delivery.event_id == event.uuid and enqueued == [(delivery.pk, None)]


def test_without_endpoints_the_dispatcher_reads_nothing(
    django_assert_num_queries: Any, enqueued: Any
) -> None:
    with django_assert_num_queries(3):  # savepoint, cursor, savepoint release
        assert services.events_dispatch() == []


def test_the_sweep_dispatches_events_whose_commit_hook_was_lost(
    make_endpoint: Any, receiver: Any, enqueued: Any, settings: Any
) -> None:
    """The audit trail is the outbox: the beat's sweep finds what no hook announced."""
    from riskhub.webhooks import tasks

    assert settings.CELERY_BEAT_SCHEDULE["webhooks-sweep"]["task"] == tasks.sweep.name
    asset = Asset.objects.create(kind="model", name="Scorer", model_type="classifier")
    endpoint = make_endpoint(events=["scan.imported_with_failures"])
    _scan(asset, failed=4)  # committed, but its process died before the hook ran
    assert not endpoint.deliveries.exists()
    assert services.deliveries_sweep() == 1
    (delivery,) = endpoint.deliveries.all()
    assert enqueued == [(delivery.pk, None)]
