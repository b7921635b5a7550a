"""What waits for me: each role's queue on the dashboard and its count in the navigation,
built through the services (real rows), each item landing where the work is done."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance
from riskhub.compliance.models import Control
from riskhub.dashboard import queue
from riskhub.incidents import services as incidents
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset, OrganisationProfile
from riskhub.reports.models import Report
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk import services as risk
from riskhub.risk.models import Assessment

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
URL = "/dashboard/"


@pytest.fixture
def catalogs(db: None) -> None:
    risk_catalogs.load(stdout=io.StringIO())
    compliance_catalogs.load(stdout=io.StringIO())


def _asset(actor: User, name: str) -> Asset:
    return inventory.asset_create(
        actor=actor, kind="system", name=name, intended_purpose="Decide loans"
    )


def _row(owner: User, title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": title,
        "inherent_impact": 4,
        "inherent_likelihood": 4,
        "residual_impact": 3,
        "residual_likelihood": 3,
        "treatment": "mitigate",
        "owner": owner,
        "due_date": timezone.localdate() + dt.timedelta(days=60),
        **extra,
    }


def _submitted(author: User, asset: Asset, rows: list[dict[str, Any]]) -> Assessment:
    a = risk.assessment_start(actor=author, asset=asset)
    a = risk.assessment_save(actor=author, assessment=a, expected_revision=a.revision, risks=rows)
    return risk.assessment_submit(actor=author, assessment=a)


@pytest.fixture
def world(
    catalogs: None,
    make_user: Callable[..., User],
    django_capture_on_commit_callbacks: Any,
) -> dict[str, Any]:
    """A CTO with 3 assessments to review and a risk to accept; an officer with a
    returned draft, a treatment overdue, expiring evidence, an incident whose GDPR
    clock runs and a report ready."""
    cto = make_user(Role.EXECUTIVE, "cto@example.com")
    other_exec = make_user(Role.EXECUTIVE, "cfo@example.com")
    officer = make_user(Role.RISK_OFFICER, "officer@example.com")
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        approved_asset = _asset(officer, "Loan scorer")
        a = _submitted(
            officer,
            approved_asset,
            [
                _row(officer, "Bias against applicants", due_date=today - dt.timedelta(days=3)),
                _row(officer, "Vendor lock-in", treatment="accept"),
            ],
        )
        risk.assessment_approve(actor=other_exec, assessment=a)
        for name in ("Chatbot", "Fraud model", "CV screener"):
            _submitted(officer, _asset(officer, name), [_row(officer, f"{name} risk")])
        returned = _submitted(officer, _asset(officer, "Pricing engine"), [_row(officer, "Drift")])
        risk.assessment_return(
            actor=cto, assessment=returned, comments="Add the drift monitoring control."
        )
        control = Control.objects.filter(retired=False).order_by("position").first()
        assert control is not None
        implementation = compliance.implementation_create(
            actor=officer,
            control=control,
            scope="system",
            asset=approved_asset,
            status="implemented",
            owner=officer,
        )
        compliance.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url="https://example.com/audit.pdf",
            description="Bias audit",
            valid_until=today + dt.timedelta(days=5),
        )
        OrganisationProfile.objects.update(eu_established=True)
        incident = incidents.incident_create(
            actor=officer,
            title="Applicant data leaked",
            aware_at=timezone.now() - dt.timedelta(hours=51),
            assets=[approved_asset],
            personal_data_breach=True,
            owner=officer,
        )
    report = Report.objects.create(
        requested_by=officer,
        kind="risk-register",
        title="Risk register, Q4",
        status=Report.Status.SUCCEEDED,
        finished_at=timezone.now() - dt.timedelta(hours=2),
        sha256="ab" * 32,
        file="reports/q4.pdf",
        size=1000,
    )
    return {
        "cto": cto,
        "officer": officer,
        "returned": returned,
        "implementation": implementation,
        "incident": incident,
        "report": report,
        "approved": a,
    }


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sections(html: str) -> dict[str, str]:
    blocks = re.findall(r'data-queue="([a-z]+)"(.*?)(?=data-queue="|</section>)', html, re.S)
    return dict(blocks)


def test_the_cto_is_told_what_waits_for_a_decision(world: dict[str, Any]) -> None:
    html = _client(world["cto"]).get(URL).content.decode()
    sections = _sections(html)
    assert set(sections) == {"reviews", "acceptances"}
    reviews = sections["reviews"]
    for name in ("Chatbot", "Fraud model", "CV screener"):
        assert name in reviews
    assert "data-queue-total>3<" in reviews
    assert "Vendor lock-in" in sections["acceptances"]
    # The navigation says so on every page, not only the dashboard.
    other_page = _client(world["cto"]).get("/incidents/").content.decode()
    assert 'data-queue-count="4"' in other_page
    assert 'data-queue-count="4"' in html


def test_the_officer_sees_their_own_work_with_the_clock_left(world: dict[str, Any]) -> None:
    html = _client(world["officer"]).get(URL).content.decode()
    sections = _sections(html)
    assert set(sections) == {"clocks", "returned", "treatments", "evidence", "reports"}
    clock = sections["clocks"]
    assert "Applicant data leaked" in clock
    # 72 hours from awareness 51 hours ago: about 21 hours left.
    assert re.search(r"Notify the supervisory authority, (20|21) hours( \d+ minutes)? left", clock)
    assert "Add the drift monitoring control." in sections["returned"]
    assert "Bias against applicants" in sections["treatments"]
    assert "Overdue" in sections["treatments"]
    assert "Bias audit" in sections["evidence"]
    assert "Risk register, Q4" in sections["reports"]
    assert 'data-queue-count="5"' in html
    # Officers decide no review: the CTO's items are not theirs.
    assert "Chatbot" not in "".join(sections.values())


def test_an_auditor_with_nothing_waiting_sees_the_empty_state(
    world: dict[str, Any], make_user: Callable[..., User]
) -> None:
    html = _client(make_user(Role.AUDITOR)).get(URL).content.decode()
    assert "data-queue-empty" in html
    assert "data-queue-count" not in html


def test_each_item_lands_where_the_work_is_done(world: dict[str, Any]) -> None:
    for who, expected in (
        ("cto", {"reviews": b"Approve", "acceptances": b"Accept"}),
        (
            "officer",
            {
                "returned": b"Save",
                "clocks": b"Record a notification",
                "evidence": b"Add evidence",
                "reports": b"Download",
            },
        ),
    ):
        client = _client(world[who])
        html = client.get(URL).content.decode()
        for key, words in expected.items():
            block = _sections(html)[key]
            href = re.search(r'<li class="rh-queue-item[^"]*">\s*<a href="([^"]+)"', block)
            assert href, key
            page = client.get(href.group(1).replace("&amp;", "&"))
            assert page.status_code == 200, (key, href.group(1))
            assert words in page.content, (key, href.group(1))


def test_the_navigation_count_is_one_query_and_matches_the_queue(
    world: dict[str, Any], django_assert_num_queries: Any
) -> None:
    officer = world["officer"]
    with django_assert_num_queries(1):
        badge = queue.badge(officer)
    assert (
        badge
        == str(sum(queue.counts(officer).values()))
        == str(sum(s.count for s in queue.queue(officer)))
    )
    assert badge == "5"


def _approve_risks_to_accept(world: dict[str, Any], n: int, on_commit: Any) -> None:
    """An approved assessment whose n risks all wait for the CTO's acceptance."""
    officer = world["officer"]
    with on_commit(execute=True):
        many = _submitted(
            officer,
            _asset(officer, "Claims triage"),
            [_row(officer, f"Accepted risk {i}", treatment="accept") for i in range(n)],
        )
        risk.assessment_approve(actor=world["cto"], assessment=many)


def test_past_ninety_nine_the_navigation_says_99_plus_and_the_dashboard_counts_exactly(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    officer = world["officer"]
    _approve_risks_to_accept(world, 99, django_capture_on_commit_callbacks)
    # 3 reviews + 1 + 99 risks to accept = 103 for the CTO.
    sections = {s.key: s.count for s in queue.queue(world["cto"])}
    assert sections == {"reviews": 3, "acceptances": 100}
    assert queue.badge(world["cto"]) == "99+"
    html = _client(world["cto"]).get("/incidents/").content.decode()
    assert 'data-queue-count="99+"' in html
    dashboard = _client(world["cto"]).get(URL).content.decode()
    assert "data-queue-total>100<" in _sections(dashboard)["acceptances"]
    assert 'data-queue-count="99+"' in dashboard  # the navigation reads the same everywhere
    assert queue.badge(officer) == "5"


def test_the_queue_costs_the_same_with_more_items(
    world: dict[str, Any],
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    officer = world["officer"]
    with django_assert_max_num_queries(30) as few:
        queue.queue(officer)
    with django_capture_on_commit_callbacks(execute=True):
        for n in range(4):
            incidents.incident_create(
                actor=officer,
                title=f"Leak {n}",
                aware_at=timezone.now() - dt.timedelta(hours=n),
                personal_data_breach=True,
            )
    with django_assert_max_num_queries(len(few.captured_queries)):
        sections = queue.queue(officer)
    assert next(s for s in sections if s.key == "clocks").count == 5


def test_a_notified_clock_leaves_the_queue(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    officer, incident = world["officer"], world["incident"]
    with django_capture_on_commit_callbacks(execute=True):
        incidents.notification_record(
            actor=officer,
            incident=incident,
            clock="gdpr:33",
            recipient="CNIL",
            at=timezone.now(),
        )
    incident.refresh_from_db()
    keys = {s.key for s in queue.queue(officer)}
    assert ("clocks" in keys) == (incident.next_due_at is not None)


def test_past_its_cap_a_dashboard_section_says_so(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    """Each section counts at most SECTION_CAP items (an inventory of 100,000 assets
    has 150,000 risks waiting for acceptance); past it the count reads "N+"."""
    _approve_risks_to_accept(world, 12, django_capture_on_commit_callbacks)
    monkeypatch.setattr(queue, "SECTION_CAP", 10)
    sections = {s.key: s for s in queue.queue(world["cto"])}
    assert sections["acceptances"].count == 11  # 13 waiting, counted up to cap + 1
    assert sections["reviews"].shown == "3"
    html = _sections(_client(world["cto"]).get(URL).content.decode())["acceptances"]
    assert "data-queue-total>10+<" in html
    assert "(all 10+)" in html
