"""Segregation of duties covers co-authors (issue 12, item 4).

Nobody approves an assessment version they contributed to, nor accepts a risk they wrote
or last changed (DESIGN.md). The issue's scenario: an admin added a risk to an officer's
draft and wrote its summary; after the officer submitted it, the admin approved it and
accepted the risk it had written. Both must be refused, and change nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.risk import services
from riskhub.risk.models import Assessment, AssessmentContribution, Risk, RiskAcceptance
from tests.risk.conftest import risk_row

pytestmark = pytest.mark.django_db

IN_90_DAYS = (date.today() + timedelta(days=90)).isoformat()


def api(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def contributions(assessment: Assessment) -> set[tuple[str, str]]:
    return {
        (c.user.email, c.what)
        for c in AssessmentContribution.objects.filter(assessment=assessment).select_related("user")
    }


def accept_body(risk_id: str) -> dict[str, Any]:
    return {"risk": risk_id, "rationale": "Within appetite.", "expires_on": IN_90_DAYS}


# --- the scenario, through the API and through the pages ----------------------


def test_a_co_author_admin_can_neither_approve_nor_accept_through_the_api(
    make_asset, catalogs, officer, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    admin, cto = make_user(Role.ADMIN), make_user(Role.EXECUTIVE)
    asset = make_asset("endpoint")
    draft = api(officer).post("/api/v1/assessments/", {"asset": str(asset.uuid)}, format="json")
    a = draft.json()
    # the admin adds a risk and writes the summary of the officer's draft
    risk = api(admin).post(
        "/api/v1/risks/",
        {
            "assessment": a["id"],
            "revision": a["revision"],
            "title": "Prompt injection",
            "inherent_impact": 4,
            "inherent_likelihood": 4,
            "residual_impact": 3,
            "residual_likelihood": 2,
            "treatment": "accept",
            "owner": officer.pk,
        },
        format="json",
    )
    assert risk.status_code == 201, risk.json()
    assert (risk.json()["created_by"], risk.json()["updated_by"]) == (admin.pk, admin.pk)
    summary = api(admin).patch(
        f"/api/v1/assessments/{a['id']}/",
        {"revision": a["revision"] + 1, "summary": "Public endpoint; the admin's view."},
        format="json",
    )
    assert summary.status_code == 200, summary.json()
    submitted = api(officer).post(f"/api/v1/assessments/{a['id']}/submit/", {}, format="json")
    assert submitted.json()["status"] == "in_review"
    assert {(c["user"], c["what"]) for c in submitted.json()["contributions"]} == {
        (officer.pk, "started"),
        (admin.pk, "risks"),
        (admin.pk, "summary"),
        (officer.pk, "submitted"),
    }

    refused = api(admin).post(f"/api/v1/assessments/{a['id']}/approve/", {}, format="json")
    assert refused.status_code == 403
    message = refused.json()["error"]["message"]
    assert "wrote the summary" in message and "segregation of duties" in message
    returned = api(admin).post(
        f"/api/v1/assessments/{a['id']}/return/", {"comments": "x"}, format="json"
    )
    assert returned.status_code == 403
    assessment = Assessment.objects.get(uuid=a["id"])
    assert (assessment.status, assessment.reviewer, assessment.is_current) == (
        "in_review",
        None,
        False,
    )
    assert not AuditEvent.objects.filter(
        action__in=["assessment.approve", "assessment.return"]
    ).exists()

    # a third person, who contributed nothing, approves
    with django_capture_on_commit_callbacks(execute=True):
        approved = api(cto).post(f"/api/v1/assessments/{a['id']}/approve/", {}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"

    # the admin may not accept the risk it wrote
    refused = api(admin).post(
        "/api/v1/risk-acceptances/", accept_body(risk.json()["id"]), format="json"
    )
    assert refused.status_code == 403
    assert "You wrote this risk" in refused.json()["error"]["message"]
    assert Risk.objects.get(uuid=risk.json()["id"]).status == "open"
    assert not RiskAcceptance.objects.exists()
    # the CTO, who only reviewed, may
    accepted = api(cto).post(
        "/api/v1/risk-acceptances/", accept_body(risk.json()["id"]), format="json"
    )
    assert accepted.status_code == 201


def _editor_post(assessment: Assessment, owner: User, **extra: Any) -> dict[str, Any]:
    data = {
        "revision": assessment.revision,
        "summary": "Written by the admin.",
        "risk-TOTAL_FORMS": 1,
        "risk-INITIAL_FORMS": 0,
        "risk-MIN_NUM_FORMS": 0,
        "risk-MAX_NUM_FORMS": 1000,
        "risk-0-title": "Training data poisoning",
        "risk-0-inherent_impact": 4,
        "risk-0-inherent_likelihood": 3,
        "risk-0-residual_impact": 3,
        "risk-0-residual_likelihood": 2,
        "risk-0-treatment": "accept",
        "risk-0-owner": owner.pk,
        "risk-0-status": "open",
    }
    data.update(extra)
    return data


def test_a_co_author_admin_can_neither_approve_nor_accept_in_the_pages(
    make_asset, catalogs, officer, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    admin, cto = make_user(Role.ADMIN), make_user(Role.EXECUTIVE)
    a = services.assessment_start(actor=officer, asset=make_asset("dataset", "Claims"))
    saved = browser(admin).post(reverse("risk:edit", args=[a.uuid]), _editor_post(a, officer))
    assert saved.status_code == 302
    assert browser(officer).post(reverse("risk:submit", args=[a.uuid])).status_code == 302
    a.refresh_from_db()
    assert a.status == "in_review"

    # the admin's queue says why it may not decide, and offers no review
    queue = browser(admin).get(reverse("risk:review_queue")).content.decode()
    assert "You contributed to this version (wrote the summary, wrote or changed risks)" in queue
    assert ">Review<" not in queue and ">View<" in queue
    assert ">Review<" in browser(cto).get(reverse("risk:review_queue")).content.decode()

    admin_browser = browser(admin)
    page = admin_browser.get(reverse("risk:assessment", args=[a.uuid])).content.decode()
    assert "segregation of duties" in page and ">Approve</button>" not in page
    assert str(admin) in page.split('id="contributors"')[1].split("</dd>")[0]
    response = admin_browser.post(reverse("risk:approve", args=[a.uuid]), {"comments": ""})
    assert response.status_code == 302
    a.refresh_from_db()
    assert (a.status, a.reviewer_id) == ("in_review", None)
    assert "segregation of duties" in admin_browser.get(response.url).content.decode()

    # a third person approves
    with django_capture_on_commit_callbacks(execute=True):
        browser(cto).post(reverse("risk:approve", args=[a.uuid]), {"comments": "ok"})
    a.refresh_from_db()
    assert a.status == "approved"

    risk = a.risks.get()
    page = browser(admin).get(reverse("risk:assessment", args=[a.uuid])).content.decode()
    assert "You wrote this risk" in page
    assert reverse("risk:accept", args=[risk.uuid]) not in page
    form = browser(admin).get(reverse("risk:accept", args=[risk.uuid])).content.decode()
    assert "You wrote this risk" in form and "Accept until this date" not in form
    refused = browser(admin).post(
        reverse("risk:accept", args=[risk.uuid]),
        {"rationale": "Fine.", "expires_on": IN_90_DAYS},
    )
    assert refused.status_code == 200 and "You wrote this risk" in refused.content.decode()
    risk.refresh_from_db()
    assert risk.status == "open" and not risk.acceptances.exists()
    page = browser(cto).get(reverse("risk:assessment", args=[a.uuid])).content.decode()
    assert reverse("risk:accept", args=[risk.uuid]) in page


# --- what is recorded ---------------------------------------------------------------


def test_every_content_write_records_its_contributor_and_nothing_else_does(
    catalogs, make_asset, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    helper, other, admin = (
        make_user(Role.RISK_OFFICER),
        make_user(Role.RISK_OFFICER),
        make_user(Role.ADMIN),
    )
    cto = make_user(Role.EXECUTIVE)
    a = services.assessment_start(actor=officer, asset=make_asset())
    assert contributions(a) == {(officer.email, "started")}
    # saving without a change contributes nothing
    a = services.assessment_save(actor=helper, assessment=a, expected_revision=a.revision)
    assert contributions(a) == {(officer.email, "started")}
    a = services.assessment_save(
        actor=helper, assessment=a, expected_revision=a.revision, summary="Scope."
    )
    risk = services.risk_create(
        actor=other, assessment=a, expected_revision=a.revision, **risk_row((3, 3, 2, 2), officer)
    )
    assert (risk.created_by, risk.updated_by) == (other, other)
    a.refresh_from_db()
    risk = services.risk_update(actor=admin, risk=risk, expected_revision=a.revision, title="New")
    assert (risk.created_by, risk.updated_by) == (other, admin)
    a.refresh_from_db()
    a = services.assessment_submit(actor=officer, assessment=a)
    assert contributions(a) == {
        (officer.email, "started"),
        (helper.email, "summary"),
        (other.email, "risks"),
        (admin.email, "risks"),
        (officer.email, "submitted"),
    }
    # returning is reviewing, not contributing; a later edit refreshes the same row
    a = services.assessment_return(actor=cto, assessment=a, comments="Lower the residual.")
    first = AssessmentContribution.objects.get(assessment=a, user=admin)
    services.risk_delete(actor=admin, risk=risk, expected_revision=a.revision)
    again = AssessmentContribution.objects.get(assessment=a, user=admin)
    assert (again.pk, again.first_at) == (first.pk, first.first_at)
    assert again.last_at >= first.last_at
    assert (cto.email, "started") not in contributions(a)
    assert not AssessmentContribution.objects.filter(user=cto).exists()


def test_the_editor_names_the_last_changer_only_of_the_risks_it_changed(
    catalogs, make_asset, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    helper = make_user(Role.RISK_OFFICER)
    a = services.assessment_start(actor=officer, asset=make_asset())
    a = services.assessment_save(
        actor=officer,
        assessment=a,
        expected_revision=a.revision,
        risks=[risk_row((3, 3, 2, 2), officer), risk_row((4, 4, 3, 3), officer)],
    )
    first, second = a.risks.all()
    rows = [
        {**risk_row((3, 3, 2, 2), officer, title=first.title), "uuid": first.uuid},
        {**risk_row((4, 4, 3, 3), officer, title=second.title), "uuid": second.uuid},
    ]
    rows[1]["description"] = "Only the description changes: still a change."
    rows[0]["due_date"] = first.due_date
    rows[1]["due_date"] = second.due_date
    services.assessment_save(actor=helper, assessment=a, expected_revision=a.revision, risks=rows)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.created_by, first.updated_by) == (officer, officer)
    assert (second.created_by, second.updated_by) == (officer, helper)
    assert (helper.email, "risks") in contributions(a)
    event = AuditEvent.objects.filter(action="assessment.update").order_by("-seq").first()
    assert event is not None and event.actor_id == helper.pk
    assert "Only the description changes" in str(event.after)


def test_accepting_revoking_and_expiry_do_not_make_anyone_a_risks_changer(
    assess, make_asset, officer, executive
) -> None:  # type: ignore[no-untyped-def]
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer, reviewer=executive)
    risk = a.risks.get()
    acceptance = services.acceptance_create(
        actor=executive,
        risk=risk,
        rationale="Fine for now.",
        expires_on=date.today() + timedelta(days=10),
    )
    services.acceptance_revoke(actor=executive, acceptance=acceptance)
    risk.refresh_from_db()
    assert (risk.created_by, risk.updated_by) == (officer, officer)
    assert not AssessmentContribution.objects.filter(user=executive).exists()


# --- the rule in the services ------------------------------------------------------------


@pytest.mark.parametrize("what", ["summary", "risk", "submit"])
def test_any_contributor_is_refused_approval_and_a_third_person_approves(
    catalogs, make_asset, officer, make_user, what
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    a = services.assessment_start(actor=officer, asset=make_asset())
    a = services.assessment_save(
        actor=officer,
        assessment=a,
        expected_revision=a.revision,
        risks=[risk_row((3, 3, 2, 2), officer)],
    )
    if what == "summary":
        a = services.assessment_save(
            actor=admin, assessment=a, expected_revision=a.revision, summary="Admin's words"
        )
    elif what == "risk":
        services.risk_create(
            actor=admin,
            assessment=a,
            expected_revision=a.revision,
            **risk_row((2, 2, 1, 1), officer),
        )
    a.refresh_from_db()
    a = services.assessment_submit(actor=admin if what == "submit" else officer, assessment=a)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_approve(actor=admin, assessment=a)
    a.refresh_from_db()
    assert a.status == "in_review"
    services.assessment_approve(actor=make_user(Role.ADMIN), assessment=a)


def test_a_reviewer_who_contributed_to_an_earlier_version_may_approve_the_next(
    assess, make_asset, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    """Copying counts as contributing for the copier of the new version only: the old
    version's contributors were reviewed by someone else when it was approved."""
    admin, cto = make_user(Role.ADMIN), make_user(Role.EXECUTIVE)
    asset = make_asset()
    v1 = services.assessment_start(actor=officer, asset=asset)
    services.risk_create(
        actor=admin, assessment=v1, expected_revision=v1.revision, **risk_row((4, 4, 3, 3), officer)
    )
    v1.refresh_from_db()
    v1 = services.assessment_submit(actor=officer, assessment=v1)
    v1 = services.assessment_approve(actor=cto, assessment=v1)
    v1_contributors = contributions(v1)

    copier = make_user(Role.ADMIN)
    v2 = services.assessment_start(actor=copier, asset=asset)
    assert contributions(v2) == {(copier.email, "started")}
    assert contributions(v1) == v1_contributors  # the copier is not a v1 contributor
    copy = v2.risks.get()
    # the copy keeps its writer: the admin may never accept it
    assert (copy.created_by, copy.updated_by) == (admin, admin)
    v2 = services.assessment_submit(actor=copier, assessment=v2)
    with pytest.raises(PermissionDenied, match="started it, submitted it"):
        services.assessment_approve(actor=copier, assessment=v2)
    v2 = services.assessment_approve(actor=admin, assessment=v2)  # not a v2 contributor
    copy.refresh_from_db()
    with pytest.raises(PermissionDenied, match="You wrote this risk"):
        services.acceptance_create(
            actor=admin,
            risk=copy,
            rationale="Mine.",
            expires_on=date.today() + timedelta(days=9),
        )
    with pytest.raises(PermissionDenied, match="contributed to this assessment"):
        services.acceptance_create(
            actor=copier,
            risk=copy,
            rationale="Copied it.",
            expires_on=date.today() + timedelta(days=9),
        )
    services.acceptance_create(
        actor=cto, risk=copy, rationale="Fine.", expires_on=date.today() + timedelta(days=9)
    )


def test_the_last_changer_of_a_risk_may_not_accept_it(
    catalogs, make_asset, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    admin, cto = make_user(Role.ADMIN), make_user(Role.EXECUTIVE)
    asset = make_asset()
    v1 = services.assessment_start(actor=officer, asset=asset)
    risk = services.risk_create(
        actor=officer,
        assessment=v1,
        expected_revision=v1.revision,
        **risk_row((4, 4, 3, 3), officer),
    )
    v1.refresh_from_db()
    services.risk_update(actor=admin, risk=risk, expected_revision=v1.revision, title="Sharper")
    v1.refresh_from_db()
    v1 = services.assessment_submit(actor=officer, assessment=v1)
    services.assessment_approve(actor=cto, assessment=v1)
    # the next version carries the risk; the admin contributes nothing to it
    v2 = services.assessment_start(actor=officer, asset=asset)
    v2 = services.assessment_submit(actor=officer, assessment=v2)
    services.assessment_approve(actor=cto, assessment=v2)
    with pytest.raises(PermissionDenied, match="You last changed this risk"):
        services.acceptance_create(
            actor=admin,
            risk=v2.risks.get(),
            rationale="x",
            expires_on=date.today() + timedelta(days=9),
        )


# --- the pages show who contributed ----------------------------------------------------


def test_the_assessment_page_lists_its_contributors_for_every_role(
    catalogs, make_asset, officer, make_user, client_for
) -> None:  # type: ignore[no-untyped-def]
    helper = make_user(Role.ADMIN)
    a = services.assessment_start(actor=officer, asset=make_asset())
    services.assessment_save(
        actor=helper, assessment=a, expected_revision=a.revision, summary="Helped."
    )
    for role in Role:
        page = client_for(role).get(reverse("risk:assessment", args=[a.uuid])).content.decode()
        listed = page.split('id="contributors"')[1].split("</dd>")[0]
        assert str(officer) in listed and "(started it)" in listed
        assert str(helper) in listed and "(wrote the summary)" in listed


def test_the_review_queue_query_count_does_not_grow_with_contributions(
    catalogs, make_asset, assess, officer, make_user, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    client = browser(admin)
    for _ in range(2):
        a = services.assessment_start(actor=officer, asset=make_asset())
        a = services.assessment_save(
            actor=admin,
            assessment=a,
            expected_revision=a.revision,
            risks=[risk_row((3, 3, 2, 2), officer)],
        )
        services.assessment_submit(actor=officer, assessment=a)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("risk:review_queue")).content.decode().count(">View<") == 2
    for _ in range(4):
        assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    with django_assert_max_num_queries(11):
        page = client.get(reverse("risk:review_queue")).content.decode()
    assert page.count(">View<") == 2 and page.count(">Review<") == 4


# --- the upgrade --------------------------------------------------------------------------


def test_the_upgrade_rebuilds_contributors_and_risk_writers_from_the_audit_trail(
    catalogs, make_asset, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    """An assessment co-written before the upgrade is in review when it runs: the admin
    who co-wrote it must be a contributor afterwards, or it could approve it."""
    import importlib

    backfill = importlib.import_module(
        "riskhub.risk.migrations.0004_backfill_contributors"
    ).backfill
    admin = make_user(Role.ADMIN)
    a = services.assessment_start(actor=officer, asset=make_asset())
    a = services.assessment_save(
        actor=admin,
        assessment=a,
        expected_revision=a.revision,
        summary="Admin's words.",
        risks=[risk_row((3, 3, 2, 2), officer)],
    )
    added = services.risk_create(
        actor=officer, assessment=a, expected_revision=a.revision, **risk_row((2, 2, 1, 1), officer)
    )
    a.refresh_from_db()
    services.risk_update(actor=admin, risk=added, expected_revision=a.revision, title="Changed")
    a.refresh_from_db()
    a = services.assessment_submit(actor=officer, assessment=a)
    expected = contributions(a)
    writers = dict(a.risks.values_list("uuid", "created_by"))
    changers = dict(a.risks.values_list("uuid", "updated_by"))
    # the state before the upgrade: nothing recorded
    AssessmentContribution.objects.all().delete()
    Risk.objects.update(created_by=None, updated_by=None)

    backfill(django_apps, None)

    assert contributions(a) == expected
    assert dict(a.risks.values_list("uuid", "created_by")) == writers
    assert dict(a.risks.values_list("uuid", "updated_by")) == changers
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_approve(actor=admin, assessment=a)


def test_the_upgrade_falls_back_to_the_author_where_nothing_else_is_known(
    catalogs, make_asset, officer, executive
) -> None:  # type: ignore[no-untyped-def]
    import importlib

    backfill = importlib.import_module(
        "riskhub.risk.migrations.0004_backfill_contributors"
    ).backfill
    from tests.test_object_rules import _assessment

    a = _assessment(officer, executive, "approved", "other")  # built without services
    AssessmentContribution.objects.all().delete()
    Risk.objects.update(created_by=None, updated_by=None)
    backfill(django_apps, None)
    assert contributions(a) == {(executive.email, "started")}
    risk = a.risks.get()
    assert (risk.created_by, risk.updated_by) == (executive, executive)


def test_reviewers_who_contributed_are_not_asked_to_review(
    catalogs, make_asset, officer, make_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    from django.core import mail

    helper, cto = make_user(Role.ADMIN), make_user(Role.EXECUTIVE)
    a = services.assessment_start(actor=officer, asset=make_asset())
    a = services.assessment_save(
        actor=helper, assessment=a, expected_revision=a.revision, summary="Helped."
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.assessment_submit(actor=officer, assessment=a)
    assert [m.to for m in mail.outbox] == [[cto.email]]
