"""The impact assessment pages and API: the form saves drafts, a stale save answers 409
with what was typed kept, reviewers sign off, contributors cannot, and the API uses the
one error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.impact import services
from riskhub.impact.models import ImpactAssessment

from .conftest import CREDIT_SCORING, GDPR_ONLY
from .test_workflow import ANSWERS, fill

pytestmark = pytest.mark.django_db


def login(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_data(item: ImpactAssessment, **override: str) -> dict[str, str]:
    return {"version": str(item.version), **ANSWERS, **override}


def test_the_form_shows_the_sections_of_the_laws_that_apply(system_with, officer) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(GDPR_ONLY))
    html = login(officer).get(reverse("impact:edit", args=[item.uuid])).content.decode()
    assert 'data-section="necessity"' in html and "Art 35(7)(b)" in html
    assert 'data-section="oversight"' not in html and 'data-section="benefits"' not in html
    assert "GDPR" in html and 'id="impact-laws"' in html


def test_officer_saves_a_draft_then_a_stale_tab_gets_409_with_its_text_kept(
    system_with, officer, make_user
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(CREDIT_SCORING))
    url = reverse("impact:edit", args=[item.uuid])
    first = login(officer).post(url, form_data(item, period="Three years"))
    assert first.status_code == 302
    item.refresh_from_db()
    assert item.answers["period"] == "Three years" and item.version == 2
    other = make_user(email="second-officer@example.com")
    stale = login(other).post(url, {**form_data(item, period="Two years"), "version": "1"})
    assert stale.status_code == 409
    html = stale.content.decode()
    # Who saved first, from the history the request middleware records.
    assert f"{officer} saved this impact assessment" in html
    assert "Your changes were not saved" in html
    assert "Two years" in html  # what they typed is still in the form
    item.refresh_from_db()
    assert item.answers["period"] == "Three years"


def test_save_and_submit_marks_missing_answers_beside_the_questions(system_with, officer) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(CREDIT_SCORING))
    response = login(officer).post(
        reverse("impact:edit", args=[item.uuid]),
        {**form_data(item, oversight=""), "submit": "1"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_oversight_error"' in html and "EU AI Act asks for it" in html
    item.refresh_from_db()
    assert item.status == "draft" and item.answers["period"] == ANSWERS["period"]


def test_reviewer_approves_in_the_browser_contributor_sees_why_not(
    system_with, officer, executive, admin_user, media
) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=admin_user, asset=system_with(CREDIT_SCORING))
    item = fill(officer, item)
    item = services.assessment_submit(actor=officer, assessment=item)
    page = login(admin_user).get(reverse("impact:detail", args=[item.uuid])).content.decode()
    assert 'id="review-refusal"' in page and "segregation of duties" in page
    refused = login(admin_user).post(reverse("impact:approve", args=[item.uuid]))
    assert refused.status_code == 302
    item.refresh_from_db()
    assert item.status == "in_review"
    assert login(officer).post(reverse("impact:approve", args=[item.uuid])).status_code == 403
    done = login(executive).post(reverse("impact:approve", args=[item.uuid]), {"comments": "OK"})
    assert done.status_code == 302
    item.refresh_from_db()
    assert item.status == "approved" and item.evidence is not None
    page = login(officer).get(reverse("impact:detail", args=[item.uuid])).content.decode()
    assert item.evidence.sha256 in page


def test_lists_and_asset_page(system_with, officer, auditor) -> None:  # type: ignore[no-untyped-def]
    system = system_with(CREDIT_SCORING, name="Loan scorer")
    client = login(auditor)
    empty = client.get(reverse("impact:index")).content.decode()
    assert "No impact assessments" in empty
    page = client.get(reverse("impact:asset", args=[system.uuid])).content.decode()
    assert "EU AI Act" in page and "Start the integrated" not in page  # auditors read only
    started = login(officer).post(reverse("impact:start", args=[system.uuid]))
    assert started.status_code == 302
    listing = client.get(reverse("impact:index") + "?status=draft&q=Loan").content.decode()
    assert "Loan scorer" in listing
    assert (
        "Loan scorer"
        not in client.get(reverse("impact:index") + "?status=approved").content.decode()
    )


# --- API ------------------------------------------------------------------------------


def api(client_for: Any, role: Role) -> Client:
    return client_for(role)


def test_api_workflow_and_error_shape(system_with, client_for, executive, media) -> None:  # type: ignore[no-untyped-def]
    system = system_with(CREDIT_SCORING)
    officer = api(client_for, Role.RISK_OFFICER)
    created = officer.post(
        "/api/v1/impact-assessments/", {"asset": str(system.uuid)}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["applicable_laws"] == ["eu-ai-act", "gdpr", "ccpa"]
    assert {s["key"] for s in body["sections"]} >= {"system", "oversight", "benefits"}
    url = f"/api/v1/impact-assessments/{body['id']}/"
    saved = officer.patch(
        url, {"version": body["version"], "answers": ANSWERS}, content_type="application/json"
    )
    assert saved.status_code == 200 and saved.json()["version"] == 2
    stale = officer.patch(
        url, {"version": 1, "answers": {"period": "x"}}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert set(stale.json()) == {"error"} and stale.json()["error"]["status"] == 409
    bad = officer.patch(
        url, {"version": 2, "answers": {"decision": "maybe"}}, content_type="application/json"
    )
    assert bad.status_code == 400 and "error" in bad.json()
    submitted = officer.post(url + "submit/", {"version": 2}, content_type="application/json")
    assert submitted.status_code == 200 and submitted.json()["status"] == "in_review"
    # The submitter (a contributor) cannot review; role aside, an auditor cannot either.
    assert api(client_for, Role.AUDITOR).post(url + "approve/").status_code == 403
    assert api(client_for, Role.AUDITOR).get(url).status_code == 200
    reviewer = Client()
    reviewer.force_login(executive)
    approved = reviewer.post(
        url + "approve/", {"comments": "Fine"}, content_type="application/json"
    )
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "approved" and approved.json()["evidence"]


def test_api_contributor_cannot_approve(system_with, admin_user, media) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=admin_user, asset=system_with(CREDIT_SCORING))
    item = fill(admin_user, item)
    item = services.assessment_submit(actor=admin_user, assessment=item)
    client = login(admin_user)
    response = client.post(f"/api/v1/impact-assessments/{item.uuid}/approve/")
    assert response.status_code == 403
    assert "segregation of duties" in response.json()["error"]["message"]


def test_submit_from_the_detail_page_names_the_missing_questions(system_with, officer) -> None:  # type: ignore[no-untyped-def]
    item = services.assessment_start(actor=officer, asset=system_with(GDPR_ONLY))
    client = login(officer)
    response = client.post(reverse("impact:submit", args=[item.uuid]), follow=True)
    html = response.content.decode()
    assert "Not submitted: answer" in html and "Necessity and proportionality" in html
    item.refresh_from_db()
    assert item.status == "draft"
