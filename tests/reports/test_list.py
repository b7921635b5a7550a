"""The reports list: filters (kind, status, requester, requested dates), 25 a page,
sortable columns, newest first, and a query count that does not grow with reports."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.reports.models import Kind, Report, ScheduledReport

pytestmark = pytest.mark.django_db
URL = reverse("reports:index")


def _report(
    title: str,
    *,
    by: Any = None,
    kind: str = Kind.RISK_REGISTER,
    status: str = "queued",
    day: dt.date | None = None,
    schedule: Any = None,
) -> Report:
    report = Report.objects.create(
        title=title,
        kind=kind,
        status=status,
        requested_by=by,
        schedule=schedule,
        sha256="ab" * 32 if status == Report.Status.SUCCEEDED else "",
    )
    if day is not None:
        moment = dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)
        Report.objects.filter(pk=report.pk).update(created_at=moment)
    return report


def _titles(response: Any) -> list[str]:
    html = response.content.decode()
    body = (
        html.split('id="reports-table"', 1)[1].split("</table>", 1)[0]
        if 'id="reports-table"' in html
        else ""
    )
    return re.findall(r'<a href="/reports/[0-9a-f-]+/">([^<]+)</a>', body)


def test_the_list_is_newest_first_25_a_page_with_pages_keeping_filters(client_for) -> None:  # type: ignore[no-untyped-def]
    start = dt.date(2026, 1, 1)
    for i in range(30):
        _report(f"Register {i:02}", day=start + dt.timedelta(days=i))
    client = client_for(Role.AUDITOR)
    first = client.get(URL, {"kind": Kind.RISK_REGISTER})
    titles = _titles(first)
    assert len(titles) == 25 and titles[0] == "Register 29" and titles[-1] == "Register 05"
    assert "Reports 1–25 of 30" in first.content.decode()
    assert "?kind=risk-register&amp;page=2" in first.content.decode()
    second = client.get(URL, {"kind": Kind.RISK_REGISTER, "page": 2})
    assert _titles(second) == [f"Register {i:02}" for i in range(4, -1, -1)]


def test_reports_filter_by_kind_and_status(client_for) -> None:  # type: ignore[no-untyped-def]
    _report("Register queued")
    _report("Register done", status=Report.Status.SUCCEEDED)
    _report("Summary done", kind=Kind.EXECUTIVE_SUMMARY, status=Report.Status.SUCCEEDED)
    client = client_for(Role.RISK_OFFICER)
    assert _titles(client.get(URL, {"kind": Kind.EXECUTIVE_SUMMARY})) == ["Summary done"]
    done = _titles(client.get(URL, {"status": "succeeded"}))
    assert sorted(done) == ["Register done", "Summary done"]
    both = _titles(client.get(URL, {"status": "succeeded", "kind": Kind.RISK_REGISTER}))
    assert both == ["Register done"]


def test_reports_filter_by_requester_email_or_schedule(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    olivia = make_user(Role.RISK_OFFICER, email="olivia@example.com")
    ada = make_user(Role.AUDITOR, email="ada@example.com")
    schedule = ScheduledReport.objects.create(
        name="Weekly", kind=Kind.RISK_REGISTER, cadence="weekly", recipient_roles=["auditor"]
    )
    _report("Olivia's", by=olivia)
    _report("Ada's", by=ada)
    _report("Scheduled", schedule=schedule)
    client = client_for(Role.EXECUTIVE)
    page = client.get(URL, {"requester": "OLIVIA@example.com"})
    assert _titles(page) == ["Olivia&#x27;s"]
    assert '<option value="olivia@example.com">' in page.content.decode()  # suggestions
    assert _titles(client.get(URL, {"requester": "schedule"})) == ["Scheduled"]


def test_an_unknown_requester_is_an_error_next_to_the_field(client_for) -> None:  # type: ignore[no-untyped-def]
    _report("Someone's")
    page = client_for(Role.AUDITOR).get(URL, {"requester": "nobody@example.com"})
    html = page.content.decode()
    assert page.status_code == 400
    assert 'id="id_requester_error"' in html and "Nobody has this email address" in html
    assert _titles(page) == [] and "No report matches" not in html


def test_reports_filter_by_requested_dates_inclusive(client_for) -> None:  # type: ignore[no-untyped-def]
    for day in (1, 2, 3, 4):
        _report(f"March {day}", day=dt.date(2026, 3, day))
    titles = _titles(
        client_for(Role.AUDITOR).get(URL, {"since": "2026-03-02", "until": "2026-03-03"})
    )
    assert titles == ["March 3", "March 2"]


def test_columns_sort_both_ways(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    _report("Bravo", day=dt.date(2026, 3, 1))
    _report("Alpha", day=dt.date(2026, 3, 2))
    _report("Charlie", day=dt.date(2026, 3, 3))
    client = client_for(Role.AUDITOR)
    assert _titles(client.get(URL)) == ["Charlie", "Alpha", "Bravo"]
    page = client.get(URL, {"sort": "title"})
    assert _titles(page) == ["Alpha", "Bravo", "Charlie"]
    html = page.content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-title">' in html
    assert _titles(client.get(URL, {"sort": "-title"})) == ["Charlie", "Bravo", "Alpha"]
    assert _titles(client.get(URL, {"sort": "requested"})) == ["Bravo", "Alpha", "Charlie"]
    assert _titles(client.get(URL, {"sort": "nonsense"})) == ["Charlie", "Alpha", "Bravo"]


def test_empty_states_tell_no_reports_from_no_match(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.RISK_OFFICER)
    assert "No reports have been generated yet." in client.get(URL).content.decode()
    _report("Register")
    html = client.get(URL, {"kind": Kind.EXECUTIVE_SUMMARY}).content.decode()
    assert "No report matches these filters." in html


@pytest.mark.parametrize("role", list(Role))
def test_every_role_filters_the_list(client_for, role: Role) -> None:  # type: ignore[no-untyped-def]
    _report("Register")
    response = client_for(role).get(URL, {"kind": Kind.RISK_REGISTER, "status": "queued"})
    assert response.status_code == 200 and _titles(response) == ["Register"]


def _queries(client: Any, params: dict[str, str]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(URL, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_list_query_count_does_not_grow_with_reports(client_for, make_user) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    people = [make_user(Role.RISK_OFFICER) for _ in range(3)]
    _report("One", by=people[0])
    few = _queries(client, {}), _queries(client, {"requester": people[0].email})
    for i in range(40):
        _report(f"Report {i}", by=people[i % 3], status="succeeded" if i % 2 else "queued")
    many = _queries(client, {}), _queries(client, {"requester": people[0].email})
    assert many == few
    assert many[0] <= 12
