"""The incident register and page, per role."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.incidents import services
from riskhub.incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db


def _org_now() -> str:
    """Now, as a person in the organisation's time zone types it."""
    zone = ZoneInfo(services.organisation().time_zone)
    return timezone.localtime(timezone=zone).strftime("%Y-%m-%dT%H:%M")


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def _breach(officer, asset, title="Leak", hours_ago=1):  # type: ignore[no-untyped-def]
    return services.incident_create(
        actor=officer,
        title=title,
        aware_at=timezone.now() - timedelta(hours=hours_ago),
        assets=[asset],
        personal_data_breach=True,
    )


def test_the_empty_register_says_what_to_do(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(Role.RISK_OFFICER).get(reverse("incidents:index")).content.decode()
    assert "No incidents have been recorded" in page
    assert "Open an incident" in page
    reader = client_for(Role.AUDITOR).get(reverse("incidents:index")).content.decode()
    assert "No incidents have been recorded" in reader
    assert reverse("incidents:create") not in reader


def test_running_clocks_come_first_and_filters_narrow_the_register(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint")
    quiet = services.incident_create(
        actor=officer, title="Model drift", aware_at=timezone.now(), assets=[asset]
    )
    later = _breach(officer, asset, "Later breach", hours_ago=1)
    sooner = _breach(officer, asset, "Sooner breach", hours_ago=30)
    page = _client(officer).get(reverse("incidents:index")).content.decode()
    assert page.index(sooner.title) < page.index(later.title) < page.index(quiet.title)
    assert "Running" in page and "GDPR Art. 33(1)" in page and "hours left" in page
    filtered = (
        _client(officer)
        .get(reverse("incidents:index"), {"category": "personal-data-breach"})
        .content.decode()
    )
    assert quiet.title not in filtered and sooner.title in filtered
    none = _client(officer).get(reverse("incidents:index"), {"q": "zzz"}).content.decode()
    assert "No incidents match" in none


def test_the_register_costs_the_same_whatever_the_number_of_incidents(
    officer, make_asset, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint")
    client = _client(officer)
    for n in range(2):
        _breach(officer, asset, f"a{n}")
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("incidents:index")).status_code == 200
    for n in range(30):
        _breach(officer, asset, f"b{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("incidents:index")).content.decode()
    assert "Page 1 of 2" in page


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_incident_page_only_writers_get_the_forms(
    client_for, officer, make_asset, role
) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, make_asset("endpoint"))
    page = client_for(role).get(reverse("incidents:detail", args=[incident.uuid]))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Notify the supervisory authority" in text
    writes = role in (Role.RISK_OFFICER, Role.ADMIN)
    assert ("Record a notification" in text) == writes


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_readers_cannot_write(client_for, officer, make_asset, role) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, make_asset("endpoint"))
    client = client_for(role)
    assert client.get(reverse("incidents:create")).status_code == 403
    assert (
        client.post(
            reverse("incidents:notify", args=[incident.uuid]), {"clock": "gdpr:33"}
        ).status_code
        == 403
    )
    assert client.post(reverse("incidents:close", args=[incident.uuid]), {}).status_code == 403


def test_opening_an_incident_through_the_form(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint", "Support chat API")
    response = _client(officer).post(
        reverse("incidents:create"),
        {
            "title": "Transcripts exposed",
            "aware_at": _org_now(),
            "assets": [asset.pk],
            "personal_data_breach": "on",
            "california_residents": "0",
            "severity": "high",
        },
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:detail", args=[incident.uuid])
    assert incident.personal_data_breach and incident.severity == "high"


def test_form_errors_show_next_to_the_field(officer) -> None:  # type: ignore[no-untyped-def]
    response = _client(officer).post(
        reverse("incidents:create"),
        {"title": "", "aware_at": "", "california_residents": "3", "severity": "low"},
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="id_title_error"' in text and 'id="id_aware_at_error"' in text


def test_recording_a_notification_shows_the_clock_met(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, make_asset("endpoint"))
    client = _client(officer)
    response = client.post(
        reverse("incidents:notify", args=[incident.uuid]),
        {
            "clock": "gdpr:33",
            "recipient": "Data protection authority",
            "at": _org_now(),
            "reference": "DPA-42",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("incidents:detail", args=[incident.uuid])).content.decode()
    assert "Met" in page and "DPA-42" in page


def test_closing_asks_for_the_review(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, make_asset("endpoint"))
    client = _client(officer)
    url = reverse("incidents:close", args=[incident.uuid])
    assert "What failed" in client.get(url).content.decode()
    assert client.post(url, {"what_failed": "", "what_changes": ""}).status_code == 200
    response = client.post(url, {"what_failed": "Keys in a log", "what_changes": "Scrub logs"})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == "closed"
    assert incident.timeline.filter(kind=TimelineEntry.Kind.REVIEW).exists()
    page = client.get(reverse("incidents:detail", args=[incident.uuid])).content.decode()
    assert "Post-incident review" in page and "Record a notification" not in page


def test_an_action_and_a_status_change_join_the_timeline(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = _breach(officer, make_asset("endpoint"))
    client = _client(officer)
    client.post(reverse("incidents:action", args=[incident.uuid]), {"summary": "Rotated keys"})
    client.post(reverse("incidents:status", args=[incident.uuid]), {"status": "contained"})
    incident.refresh_from_db()
    assert incident.status == "contained"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert "action" in kinds and "status" in kinds
