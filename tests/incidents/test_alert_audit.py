"""Every alert the monitoring webhook puts on an incident's timeline (the first firing,
a re-delivery, a resolution) is in the audit trail, written by the webhook token's
user in the same transaction as the timeline entry."""

from __future__ import annotations

from typing import Any

import pytest

from riskhub.accounts.models import ApiToken
from riskhub.audit.models import AuditEvent
from riskhub.audit.services import verify_chain
from riskhub.incidents import services
from riskhub.incidents.models import Incident, TimelineEntry
from tests.incidents.test_api import HOOK, _payload, _token_client

pytestmark = pytest.mark.django_db


def _alert_events(incident: Incident) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="incident",
            object_id=str(incident.uuid),
            action__startswith="incident.alert.",
        ).order_by("seq")
    )


def test_re_deliveries_and_resolutions_of_an_alert_are_audited(
    officer: Any, make_asset: Any
) -> None:
    asset = make_asset("endpoint", "Credit scoring API")
    client = _token_client(officer, ApiToken.Scope.ALERTS)
    for status in ("firing", "firing", "resolved", "firing"):
        response = client.post(
            HOOK, _payload(str(asset.uuid), status), content_type="application/json"
        )
        assert response.status_code == 200, response.json()

    incident = Incident.objects.get()
    entries = list(incident.timeline.filter(kind=TimelineEntry.Kind.ALERT).order_by("at", "id"))
    events = _alert_events(incident)
    assert len(entries) == 4
    assert [e.action for e in events] == [
        "incident.alert.firing",
        "incident.alert.firing",
        "incident.alert.resolved",
        "incident.alert.firing",
    ]
    assert {e.after["entry"] for e in events} == {str(entry.uuid) for entry in entries}
    assert {e.actor_id for e in events} == {officer.pk}
    assert all(e.after["fingerprint"] == "c5a1b2d3e4f50617" for e in events)
    resolution = next(e for e in events if e.action == "incident.alert.resolved")
    assert resolution.after["summary"].startswith("Alert resolved:")
    assert verify_chain() is None


def test_a_timeline_entry_is_not_kept_when_its_audit_event_cannot_be_written(
    officer: Any, make_asset: Any, monkeypatch: Any
) -> None:
    asset = make_asset("endpoint", "Credit scoring API")
    client = _token_client(officer, ApiToken.Scope.ALERTS)
    client.post(HOOK, _payload(str(asset.uuid)), content_type="application/json")
    incident = Incident.objects.get()
    before = incident.timeline.count()

    real = services.record_event

    def failing(**kwargs: Any) -> Any:
        if kwargs["action"].startswith("incident.alert."):
            raise RuntimeError("audit trail unavailable")
        return real(**kwargs)

    monkeypatch.setattr(services, "record_event", failing)
    with pytest.raises(RuntimeError):
        services.alertmanager_ingest(actor=officer, payload=_payload(str(asset.uuid), "resolved"))
    assert incident.timeline.count() == before
