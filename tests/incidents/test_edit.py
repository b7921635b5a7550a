"""Correcting an incident: who may, what the timeline and the audit trail say, the legal
clocks recomputed with the reason, and two editors who save at once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.audit.labels import ACTION_LABELS
from riskhub.audit.models import AuditEvent
from riskhub.common.updates import EditConflict
from riskhub.incidents import services
from riskhub.incidents.clocks import Code, zone_or_utc
from riskhub.incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _incident(officer: Any, **fields: Any) -> Incident:
    return services.incident_create(
        actor=officer,
        title="Model answered with other customers' data",
        aware_at=timezone.now() - timedelta(hours=2),
        **fields,
    )


def _zone() -> Any:
    return zone_or_utc(services.organisation().time_zone)


def _form(incident: Incident, **changes: Any) -> dict[str, Any]:
    """What the edit page posts: the incident as loaded, with changes."""
    incident.refresh_from_db()
    data: dict[str, Any] = {
        "title": incident.title,
        "description": incident.description,
        "aware_at": incident.aware_at.astimezone(_zone()).strftime("%Y-%m-%dT%H:%M"),
        "occurred_at": "",
        "assets": [str(a.pk) for a in incident.assets.all()],
        "categories": incident.categories,
        "threat": "",
        "california_residents": incident.california_residents,
        "serious_incident": incident.serious_incident,
        "severity": incident.severity,
        "owner": incident.owner_id or "",
        "version": incident.version,
    }
    if incident.personal_data_breach:
        data["personal_data_breach"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _actions(incident: Incident) -> list[str]:
    return list(
        incident.timeline.filter(kind=TimelineEntry.Kind.ACTION)
        .order_by("recorded_at", "id")
        .values_list("summary", flat=True)
    )


def test_setting_the_breach_flag_starts_the_gdpr_clock_and_says_why(officer: Any) -> None:
    incident = _incident(officer)
    assert incident.next_due_at is None
    services.incident_update(
        actor=officer,
        incident=incident,
        expected_version=incident.version,
        personal_data_breach=True,
    )
    incident.refresh_from_db()
    assert incident.version == 2
    assert incident.next_due_at == incident.aware_at + timedelta(hours=72)
    lines = _actions(incident)
    assert lines[0].startswith("Details changed: categories: AI malfunction → ")
    assert lines[0].endswith("; personal data breach: no → yes.")

    started = [line for line in lines if "GDPR Art. 33(1) 72-hour clock started" in line]
    assert started and started[0].endswith("personal data breach: no → yes.")

    # Recording the breach as unlikely to harm anyone withdraws the duty, with the rule.
    services.incident_update(
        actor=officer,
        incident=incident,
        expected_version=incident.version,
        breach_risk_unlikely=True,
    )
    withdrawn = [line for line in _actions(incident) if "clock withdrawn" in line]

    assert len(withdrawn) == 1
    assert withdrawn[0].startswith("GDPR Art. 33(1) 72-hour clock withdrawn")
    assert "unlikely to result in a risk" in withdrawn[0]
    assert "Art. 33(5)" in withdrawn[0]


def test_the_audit_event_carries_the_fields_and_the_duties_before_and_after(
    officer: Any,
) -> None:
    incident = _incident(officer)
    services.incident_update(
        actor=officer, incident=incident, severity="high", personal_data_breach=True
    )
    event = AuditEvent.objects.get(action="incident.update", object_id=str(incident.uuid))
    assert ACTION_LABELS[event.action] == "Incident edited"
    assert event.before["severity"] == "medium" and event.after["severity"] == "high"
    assert event.before["personal_data_breach"] is False
    assert event.before["duties"] == []
    assert "GDPR Art. 33(1): notify the supervisory authority" in event.after["duties"]


def test_california_residents_start_the_residents_clock(officer: Any) -> None:
    from riskhub.inventory.models import OrganisationProfile

    OrganisationProfile.objects.update(ca_conducts_business=True, ca_breach_role="owner")
    incident = _incident(officer, personal_data_breach=True)
    services.incident_update(actor=officer, incident=incident, california_residents=640)
    lines = _actions(incident)
    assert lines[0] == "Details changed: California residents affected: 0 → 640."
    assert any(
        "1798.82" in line and "clock started" in line and "0 → 640" in line for line in lines
    ), lines


def test_an_edit_through_the_page_recomputes_the_clocks_shown(officer: Any) -> None:
    incident = _incident(officer)
    client = _client(officer)
    url = reverse("incidents:edit", args=[incident.uuid])
    page = client.get(url)
    assert page.status_code == 200
    assert b"Save changes" in page.content
    response = client.post(url, _form(incident, personal_data_breach="on", severity="high"))
    assert response.status_code == 302
    detail = client.get(response["Location"]).content.decode()
    assert f"data-clock='{Code.GDPR_33}'" in detail or f'data-clock="{Code.GDPR_33}"' in detail
    assert "72-hour clock started" in detail
    assert "severity: Medium → High" in detail


def test_two_editors_at_once_the_second_is_told_and_nothing_is_lost(
    officer: Any, make_user: Any
) -> None:  # type: ignore[no-untyped-def]
    incident = _incident(officer, personal_data_breach=True)
    colleague = make_user(Role.RISK_OFFICER, "colleague@example.com")
    url = reverse("incidents:edit", args=[incident.uuid])
    mine = _form(incident, severity="critical")
    theirs = _form(incident, california_residents=12)
    assert _client(colleague).post(url, theirs).status_code == 302

    response = _client(officer).post(url, mine)
    assert response.status_code == 409
    html = response.content.decode()
    assert "colleague@example.com saved this incident" in html
    assert "Your changes were not saved." in html
    # What I typed is still in the form, and the version moved on for a deliberate retry.
    assert 'value="critical" selected' in html
    # The fields the colleague changed are listed: saved now, and mine.
    assert '<th scope="row">California residents affected</th><td>12</td><td>0</td>' in html
    assert '<th scope="row">Severity</th><td>Medium</td><td>Critical</td>' in html
    incident.refresh_from_db()
    assert incident.severity == "medium" and incident.california_residents == 12
    assert f'name="version" value="{incident.version}"' in html

    retry = _client(officer).post(url, {**mine, "version": incident.version})
    assert retry.status_code == 302
    incident.refresh_from_db()
    assert incident.severity == "critical"


def test_saving_other_fields_keeps_the_moment_of_awareness_to_the_second(officer: Any) -> None:
    incident = _incident(officer)
    aware = incident.aware_at
    response = _client(officer).post(
        reverse("incidents:edit", args=[incident.uuid]), _form(incident, severity="high")
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.aware_at == aware
    assert _actions(incident) == ["Details changed: severity: Medium → High."]


def test_the_service_refuses_a_stale_version_and_writes_nothing(officer: Any) -> None:
    incident = _incident(officer)
    services.incident_update(actor=officer, incident=incident, expected_version=1, severity="low")
    before = AuditEvent.objects.count()
    with pytest.raises(EditConflict):
        services.incident_update(
            actor=officer, incident=incident, expected_version=1, severity="high"
        )
    incident.refresh_from_db()
    assert incident.severity == "low"
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE])
def test_readers_who_do_not_own_it_may_not_edit(officer: Any, make_user: Any, role: Role) -> None:
    incident = _incident(officer)
    reader = make_user(role)
    url = reverse("incidents:edit", args=[incident.uuid])
    assert _client(reader).get(url).status_code == 403
    assert _client(reader).post(url, _form(incident, severity="low")).status_code == 403
    with pytest.raises(PermissionDenied):
        services.incident_update(actor=reader, incident=incident, severity="low")
    api = _client(reader).patch(
        f"/api/v1/incidents/{incident.uuid}/", {"severity": "low"}, content_type="application/json"
    )
    assert api.status_code == 403
    assert set(api.json()) == {"error"}
    incident.refresh_from_db()
    assert incident.severity == "medium"
    detail = _client(reader).get(reverse("incidents:detail", args=[incident.uuid]))
    assert b"Edit details" not in detail.content


def test_the_owner_edits_their_incident_whatever_their_role(officer: Any, make_user: Any) -> None:
    incident = _incident(officer)
    cto = make_user(Role.EXECUTIVE, "cto@example.com")
    Incident.objects.filter(pk=incident.pk).update(owner=cto)
    detail = _client(cto).get(reverse("incidents:detail", args=[incident.uuid]))
    assert b"Edit details" in detail.content
    api = _client(cto).patch(
        f"/api/v1/incidents/{incident.uuid}/",
        {"severity": "high", "version": 1},
        content_type="application/json",
    )
    assert api.status_code == 200, api.content
    assert api.json()["severity"] == "high" and api.json()["version"] == 2
    event = AuditEvent.objects.get(action="incident.update", object_id=str(incident.uuid))
    assert event.actor_id == cto.pk


def test_the_api_answers_a_stale_version_with_409_in_the_error_shape(officer: Any) -> None:
    incident = _incident(officer)
    client = _client(officer)
    url = f"/api/v1/incidents/{incident.uuid}/"
    first = client.patch(url, {"severity": "high", "version": 1}, content_type="application/json")
    assert first.status_code == 200
    second = client.patch(url, {"severity": "low", "version": 1}, content_type="application/json")
    assert second.status_code == 409
    assert "Your changes were not saved." in second.json()["error"]["message"]
    incident.refresh_from_db()
    assert incident.severity == "high"


def test_a_closed_incident_is_not_edited(officer: Any) -> None:
    incident = _incident(officer)
    services.incident_close(
        actor=officer, incident=incident, what_failed="Filter", what_changes="New filter"
    )
    client = _client(officer)
    response = client.get(reverse("incidents:edit", args=[incident.uuid]))
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert b"A closed incident cannot be changed." in page.content
    assert b"Edit details" not in page.content
