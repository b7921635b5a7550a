from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.policy import PERMISSIONS, Role
from riskhub.audit.models import AuditEvent
from riskhub.audit.services import EventSpec, record_event, record_events
from riskhub.celery import app as celery_app
from riskhub.inventory.models import OrganisationProfile
from tests.audit.tampering import tamper

pytestmark = pytest.mark.django_db


def _body(response: Any) -> str:
    html = response.content.decode()
    return html.split("<tbody>", 1)[1] if "<tbody>" in html else ""


def _csv(response: Any) -> list[dict[str, str]]:
    raw = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(raw)))


def _at(event: AuditEvent, moment: dt.datetime) -> None:
    tamper("UPDATE audit_auditevent SET timestamp = %s WHERE seq = %s", [moment, event.seq])


# --- filters -----------------------------------------------------------------------


def test_auditors_filter_the_trail_by_a_readable_action(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(
        actor=None,
        action="asset.create",
        object_type="asset",
        object_id="a1",
        object_repr="Scoring model",
    )
    record_event(
        actor=None,
        action="assessment.approve",
        object_type="assessment",
        object_id="r1",
        object_repr="Approved v1",
    )
    page = client_for(Role.AUDITOR).get(reverse("audit:list"), {"action": "asset.create"})
    html = page.content.decode()
    # The filter offers labels grouped by area, with the code as the value.
    assert '<optgroup label="Inventory">' in html
    assert '<option value="asset.create" selected>Asset registered</option>' in html
    assert "Scoring model" in _body(page) and "Approved v1" not in _body(page)
    assert "Asset registered" in _body(page)


def test_an_area_filter_shows_every_action_of_that_area(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(actor=None, action="asset.create", object_type="asset", object_repr="Model A")
    record_event(
        actor=None, action="asset_link.create", object_type="asset_link", object_repr="Link B"
    )
    record_event(actor=None, action="incident.create", object_type="incident", object_repr="Leak C")
    body = _body(client_for(Role.AUDITOR).get(reverse("audit:list"), {"action": "area:inventory"}))
    assert "Model A" in body and "Link B" in body and "Leak C" not in body


def test_an_unknown_action_is_an_error_next_to_the_field(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(actor=None, action="asset.create", object_repr="Model A")
    page = client_for(Role.AUDITOR).get(reverse("audit:list"), {"action": "asset.frobnicate"})
    assert page.status_code == 400
    assert 'id="id_action_error"' in page.content.decode() and "Model A" not in _body(page)


def test_auditors_filter_by_the_actors_email_in_any_case(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    olivia = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    other = make_user(Role.RISK_OFFICER, email="omar@example.com")
    record_event(actor=olivia, action="asset.create", object_repr="Olivia's model")
    record_event(actor=other, action="asset.create", object_repr="Omar's model")
    body = _body(
        client_for(Role.AUDITOR).get(reverse("audit:list"), {"actor": "Olivia@Example.com"})
    )
    assert "Olivia&#x27;s model" in body and "Omar" not in body


def test_an_unknown_email_is_an_error_next_to_the_field_not_an_empty_list(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(actor=None, action="asset.create", object_repr="Model A")
    page = client_for(Role.AUDITOR).get(reverse("audit:list"), {"actor": "nobody@example.com"})
    html = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_actor_error"' in html and "Nobody has this email address" in html
    assert "No events match" not in html and "Model A" not in html


def test_an_erased_person_is_still_found_by_their_events_link(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(actor=987654, action="asset.create", object_repr="Erased's model")
    record_event(actor=None, action="asset.create", object_repr="System model")
    client = client_for(Role.AUDITOR)
    body = _body(client.get(reverse("audit:list")))
    assert "user #987654 (erased)" in body and "?actor_id=987654" in body
    body = _body(client.get(reverse("audit:list"), {"actor_id": "987654"}))
    assert "Erased&#x27;s model" in body and "System model" not in body


def test_auditors_filter_by_object_and_see_its_history_link(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(
        actor=None, action="asset.create", object_type="asset", object_id="a1", object_repr="First"
    )
    record_event(
        actor=None,
        action="asset.update",
        object_type="asset",
        object_id="a1",
        object_repr="First again",
    )
    record_event(
        actor=None, action="asset.create", object_type="asset", object_id="a2", object_repr="Second"
    )
    record_event(
        actor=None, action="risk.create", object_type="risk", object_id="a1", object_repr="A risk"
    )
    client = client_for(Role.AUDITOR)
    body = _body(client.get(reverse("audit:list"), {"object_type": "asset", "object_id": "a1"}))
    assert (
        "First" in body and "First again" in body and "Second" not in body and "A risk" not in body
    )
    assert "?object_type=asset&amp;object_id=a1" in body


def test_object_types_that_read_the_same_filter_together(client_for) -> None:  # type: ignore[no-untyped-def]
    # Offboarding writes the model name "controlimplementation".
    record_event(
        actor=None,
        action="control_implementation.create",
        object_type="control_implementation",
        object_repr="Recorded",
    )
    record_event(
        actor=None,
        action="controlimplementation.reassign",
        object_type="controlimplementation",
        object_repr="Handed over",
    )
    body = _body(
        client_for(Role.AUDITOR).get(
            reverse("audit:list"), {"object_type": "control_implementation"}
        )
    )
    assert "Recorded" in body and "Handed over" in body


def test_the_date_range_is_whole_days_in_the_organisations_time_zone(client_for) -> None:  # type: ignore[no-untyped-def]
    OrganisationProfile.objects.update_or_create(
        id=1, defaults={"time_zone": "America/Los_Angeles"}
    )
    late = record_event(actor=None, action="asset.create", object_repr="Late on the 3rd in LA")
    early = record_event(actor=None, action="asset.create", object_repr="Early on the 4th in LA")
    utc = dt.UTC
    _at(late, dt.datetime(2026, 3, 4, 7, 30, tzinfo=utc))  # 23:30 on 3 March in LA
    _at(early, dt.datetime(2026, 3, 4, 8, 30, tzinfo=utc))  # 00:30 on 4 March in LA
    client = client_for(Role.AUDITOR)
    on_the_3rd = _body(
        client.get(reverse("audit:list"), {"since": "2026-03-03", "until": "2026-03-03"})
    )
    assert "Late on the 3rd" in on_the_3rd and "Early on the 4th" not in on_the_3rd
    on_the_4th = client.get(reverse("audit:list"), {"since": "2026-03-04"})
    assert "Early on the 4th" in _body(on_the_4th) and "Late on the 3rd" not in _body(on_the_4th)
    assert "America/Los_Angeles" in on_the_4th.content.decode()


def test_a_range_that_ends_before_it_starts_is_an_error(client_for) -> None:  # type: ignore[no-untyped-def]
    page = client_for(Role.AUDITOR).get(
        reverse("audit:list"), {"since": "2026-03-04", "until": "2026-03-01"}
    )
    assert (
        page.status_code == 400
        and "The end date is before the start date." in page.content.decode()
    )


def test_pages_keep_the_filters(client_for) -> None:  # type: ignore[no-untyped-def]
    record_events(None, [EventSpec("asset.create", "asset", str(i)) for i in range(60)])
    record_event(actor=None, action="risk.create", object_repr="Not an asset event")
    page = client_for(Role.AUDITOR).get(reverse("audit:list"), {"action": "asset.create"})
    html = page.content.decode()
    assert "of 60" in html and "action=asset.create&amp;page=2" in html


# --- readable differences ----------------------------------------------------------


def test_each_event_shows_a_field_by_field_difference_not_raw_dicts(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    owner = make_user(Role.RISK_OFFICER, email="owner@example.com")
    record_event(
        actor=None,
        action="asset.update",
        object_type="asset",
        object_id="a1",
        before={"name": "Old name", "personal_data": False, "owner": None, "lifecycle": "dev"},
        after={"name": "New name", "personal_data": True, "owner": owner.pk, "lifecycle": "dev"},
    )
    body = _body(client_for(Role.AUDITOR).get(reverse("audit:list")))
    assert "{&#x27;" not in body and "{'" not in body  # no Python dict on the page
    assert "<summary>3 fields</summary>" in body
    assert '<th scope="row">Name</th>' in body and "Old name" in body and "New name" in body
    assert '<th scope="row">Personal data</th>' in body and ">No<" in body and ">Yes<" in body
    assert '<th scope="row">Owner</th>' in body and "owner@example.com" in body
    assert ">Changed<" in body and ">Added<" in body
    assert "1 field recorded without a change." in body


def test_long_values_are_cut_short_with_the_full_value_at_hand(client_for) -> None:  # type: ignore[no-untyped-def]
    text = "A long description. " * 30
    record_event(actor=None, action="asset.create", after={"description": text})
    body = _body(client_for(Role.AUDITOR).get(reverse("audit:list")))
    assert "Show all" in body and f'<div class="rh-full">{text}</div>' in body


def test_the_audit_page_query_count_does_not_grow_with_events(
    client_for, make_user, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    people = [make_user(Role.RISK_OFFICER) for _ in range(5)]
    for i in range(120):
        record_event(
            actor=people[i % 5],
            action="asset.update",
            object_id=str(i),
            before={"owner": people[(i + 1) % 5].pk},
            after={"owner": people[(i + 2) % 5].pk},
        )
    with django_assert_max_num_queries(10):
        assert client.get(reverse("audit:list"), {"actor": people[0].email}).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("audit:list")).status_code == 200


# --- email suggestions -------------------------------------------------------------


def test_the_who_field_suggests_at_most_ten_matching_emails(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    for i in range(12):
        make_user(Role.RISK_OFFICER, email=f"team-{i:02}@example.com")
    make_user(Role.RISK_OFFICER, email="someone@else.org")
    html = (
        client_for(Role.AUDITOR)
        .get(reverse("audit:actor_options"), {"actor": "TEAM"})
        .content.decode()
    )
    assert html.count("<option") == 10 and 'value="team-00@example.com"' in html
    assert "else.org" not in html


@pytest.mark.parametrize("role", list(Role))
def test_only_who_may_read_the_trail_gets_email_suggestions(client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    response = client_for(role).get(reverse("audit:actor_options"), {"actor": "example"})
    assert response.status_code == (200 if role in PERMISSIONS["audit.view"] else 403)


# --- exports -----------------------------------------------------------------------


def test_the_trail_exports_as_csv_and_json_with_formulas_neutralised(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(
        actor=None,
        action="asset.create",
        object_type="asset",
        object_id="a1",
        object_repr='=HYPERLINK("x")',
    )
    client = client_for(Role.EXECUTIVE)
    exported = [
        r for r in _csv(client.get(reverse("audit:export_csv"))) if r["action"] == "asset.create"
    ][0]
    assert (
        exported["object_repr"].startswith("'=") and exported["action_label"] == "Asset registered"
    )
    data = json.loads(b"".join(client.get(reverse("audit:export_json")).streaming_content))
    assert any(r["action"] == "asset.create" and r["object_repr"].startswith("=") for r in data)


def test_the_csv_export_link_carries_the_filters_and_the_export_honours_them(
    client_for, make_user
) -> None:  # type: ignore[no-untyped-def]
    olivia = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    record_event(actor=olivia, action="asset.create", object_id="a1", object_repr="Kept")
    record_event(actor=olivia, action="risk.create", object_id="r1", object_repr="Other action")
    record_event(actor=None, action="asset.create", object_id="a2", object_repr="Other person")
    client = client_for(Role.AUDITOR)
    filters = {"actor": "olivia@example.com", "action": "asset.create"}
    html = client.get(reverse("audit:list"), filters).content.decode()
    link = reverse("audit:export_csv") + "?actor=olivia%40example.com&amp;action=asset.create"
    assert f'href="{link}"' in html
    rows = _csv(client.get(reverse("audit:export_csv"), filters))
    assert [r["object_repr"] for r in rows] == ["Kept"]


def test_an_export_with_a_wrong_filter_is_refused_not_the_whole_trail(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(actor=None, action="asset.create", object_repr="Secret-ish")
    client = client_for(Role.AUDITOR)
    for name in ("export_csv", "export_json"):
        response = client.get(reverse(f"audit:{name}"), {"actor": "nobody@example.com"})
        assert response.status_code == 400
        assert "Nobody has this email address" in response.content.decode()


# --- verifying the chain -----------------------------------------------------------


@pytest.fixture
def eager_tasks():  # type: ignore[no-untyped-def]
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def _verify(client, django_capture_on_commit_callbacks) -> Any:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("audit:verify"))
    assert response.status_code == 302
    return client.get(response["Location"])


def test_auditors_verify_an_intact_chain_from_the_browser(
    client_for, eager_tasks, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    record_events(None, [EventSpec("asset.create", "asset", str(i)) for i in range(5)])
    count = AuditEvent.objects.count()
    page = _verify(client, django_capture_on_commit_callbacks)
    assert f"Intact:</strong> {count} events verified" in page.content.decode()
    event = AuditEvent.objects.get(action="audit.verify")
    assert event.after["intact"] is True and event.after["events_verified"] == count
    assert event.actor_id is not None
    listing = client.get(reverse("audit:list")).content.decode()
    assert "Last verified" in listing and "Intact" in listing and "Audit chain verified" in listing


def test_a_broken_chain_lists_the_broken_events_and_their_reasons(
    client_for, eager_tasks, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.ADMIN)
    events = record_events(None, [EventSpec("asset.create", "asset", str(i)) for i in range(5)])
    tamper("UPDATE audit_auditevent SET object_repr = %s WHERE seq = %s", ["forged", events[2].seq])
    html = _verify(client, django_capture_on_commit_callbacks).content.decode()
    assert "Broken:</strong> 1 broken event found" in html
    assert f"#{events[2].seq}" in html and "content does not match its hash" in html
    recorded = AuditEvent.objects.get(action="audit.verify").after
    assert recorded["intact"] is False and recorded["problems"][0]["seq"] == events[2].seq


def test_the_result_page_waits_while_the_walk_runs(
    client_for, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    with django_capture_on_commit_callbacks(execute=False):  # the worker has not run yet
        response = client.post(reverse("audit:verify"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert (
        page.status_code == 200
        and "Verifying the chain" in html
        and 'hx-trigger="every 2s"' in html
    )
    assert not AuditEvent.objects.filter(action="audit.verify").exists()


def test_a_verification_nobody_started_is_not_found(client_for) -> None:  # type: ignore[no-untyped-def]
    url = reverse("audit:verify_result", args=["00000000-0000-0000-0000-000000000001"])
    assert client_for(Role.AUDITOR).get(url).status_code == 404


@pytest.mark.parametrize("role", list(Role))
def test_only_auditors_and_admins_may_verify(client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    allowed = role in (Role.AUDITOR, Role.ADMIN)
    response = client.post(reverse("audit:verify"))
    assert response.status_code == (302 if allowed else 403)
    if role in PERMISSIONS["audit.view"]:
        html = client.get(reverse("audit:list")).content.decode()
        assert ("Verify the chain" in html) is allowed


def test_executives_read_the_trail_but_do_not_verify_it() -> None:
    assert Role.EXECUTIVE in PERMISSIONS["audit.view"]
    assert PERMISSIONS["audit.verify"] == frozenset({Role.AUDITOR, Role.ADMIN})


# --- the API -----------------------------------------------------------------------


def test_the_api_lists_the_trail_paginated_for_auditors(client_for) -> None:  # type: ignore[no-untyped-def]
    for i in range(60):
        record_event(actor=None, action="bulk.test", object_id=str(i))
    body = client_for(Role.AUDITOR).get("/api/v1/audit-events/", {"action": "bulk."}).json()
    assert body["count"] == 60 and len(body["results"]) == 50 and body["next"]


def test_the_api_filters_by_actor_email(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    olivia = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    record_event(actor=olivia, action="asset.create", object_repr="Hers")
    record_event(actor=None, action="asset.create", object_repr="Not hers")
    body = (
        client_for(Role.AUDITOR)
        .get("/api/v1/audit-events/", {"actor_email": "OLIVIA@example.com"})
        .json()
    )
    assert [r["object_repr"] for r in body["results"]] == ["Hers"]


def test_timestamps_show_in_the_organisations_time_zone(client_for) -> None:  # type: ignore[no-untyped-def]
    OrganisationProfile.objects.update_or_create(id=1, defaults={"time_zone": "Asia/Tokyo"})
    event = record_event(actor=None, action="asset.create")
    _at(event, dt.datetime(2026, 3, 4, 22, 0, tzinfo=dt.UTC))
    assert "2026-03-05 07:00:00" in _body(client_for(Role.AUDITOR).get(reverse("audit:list")))
    assert timezone.get_current_timezone_name() == "UTC"  # the override ended with the request


def test_a_verification_without_a_worker_says_so_after_five_minutes(
    client_for, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    with django_capture_on_commit_callbacks(execute=False):
        location = client.post(reverse("audit:verify"))["Location"]
    assert "taking longer than it should" not in client.get(location).content.decode()
    session = client.session
    runs = session["audit_verify_runs"]
    run = next(iter(runs))
    runs[run] = (timezone.now() - dt.timedelta(minutes=6)).isoformat()
    session["audit_verify_runs"] = runs
    session.save()
    assert "taking longer than it should" in client.get(location).content.decode()
