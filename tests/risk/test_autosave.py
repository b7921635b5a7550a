"""The assessment editor saves drafts as one edits (static/js/autosave.js posts the
form with a header and reads JSON back), through the same revision check as Save."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.risk import services
from riskhub.risk.views import AUTOSAVE_HEADER

pytestmark = pytest.mark.django_db
HEADERS = {"headers": {AUTOSAVE_HEADER: "1"}}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _draft(revision: int, summary: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "revision": revision,
        "summary": summary,
        "risk-TOTAL_FORMS": len(rows),
        "risk-INITIAL_FORMS": 0,
        "risk-MIN_NUM_FORMS": 0,
        "risk-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"risk-{i}-{k}": v for k, v in row.items()})
    return data


def _row(title: str, uuid: str = "", residual_impact: int = 2) -> dict[str, Any]:
    return {
        "uuid": uuid,
        "title": title,
        "inherent_impact": 3,
        "inherent_likelihood": 3,
        "residual_impact": residual_impact,
        "residual_likelihood": 2,
        "treatment": "mitigate",
        "status": "open",
    }


def test_an_autosave_saves_the_draft_and_tells_the_page_its_revision_and_risk_ids(
    make_asset: Any, catalogs: Any, officer: Any
) -> None:
    a = services.assessment_start(actor=officer, asset=make_asset("dataset"))
    url = reverse("risk:edit", args=[a.uuid])
    client = _client(officer)
    answer = client.post(url, _draft(a.revision, "Typed so far", [_row("Leak")]), **HEADERS)
    assert answer.status_code == 200
    body = answer.json()
    a.refresh_from_db()
    risk = a.risks.get()
    assert body["saved"] is True and body["revision"] == a.revision
    assert body["risks"] == {"risk-0": str(risk.uuid)} and body["at"].count(":") == 1
    assert a.summary == "Typed so far" and a.status == "draft"  # never submitted
    assert AuditEvent.objects.filter(action="assessment.update", object_id=a.uuid).exists()
    # The next autosave names the row by the UUID it got: updated, not duplicated.
    again = _draft(body["revision"], "Typed more", [_row("Leak of records", str(risk.uuid))])
    assert client.post(url, again, **HEADERS).json()["saved"] is True
    assert [r.title for r in a.risks.all()] == ["Leak of records"]


def test_an_autosave_overtaken_by_another_editor_is_refused_and_overwrites_nothing(
    make_asset: Any, catalogs: Any, make_user: Any
) -> None:
    first, second = make_user(Role.RISK_OFFICER), make_user(Role.RISK_OFFICER)
    a = services.assessment_start(actor=first, asset=make_asset("dataset"))
    loaded = a.revision
    services.assessment_save(actor=first, assessment=a, expected_revision=loaded, summary="Mine")
    answer = _client(second).post(
        reverse("risk:edit", args=[a.uuid]), _draft(loaded, "Theirs", []), **HEADERS
    )
    assert answer.status_code == 409
    body = answer.json()
    assert body["saved"] is False and body["conflict"] is True
    assert "while you were editing" in body["errors"][0]
    a.refresh_from_db()
    assert a.summary == "Mine"


def test_an_autosave_with_errors_says_why_in_words(
    make_asset: Any, catalogs: Any, officer: Any
) -> None:
    a = services.assessment_start(actor=officer, asset=make_asset("dataset"))
    row = _row("Leak", residual_impact=5)  # above the inherent impact
    answer = _client(officer).post(
        reverse("risk:edit", args=[a.uuid]), _draft(a.revision, "", [row]), **HEADERS
    )
    assert answer.status_code == 422
    errors = answer.json()["errors"]
    assert any("The residual impact cannot be above the inherent impact." in e for e in errors)
    assert all("_" not in e for e in errors)  # no field code
    assert not a.risks.exists()


def test_the_editor_page_has_the_autosave_status_region(
    make_asset: Any, catalogs: Any, officer: Any
) -> None:
    a = services.assessment_start(actor=officer, asset=make_asset("dataset"))
    page = _client(officer).get(reverse("risk:edit", args=[a.uuid])).content.decode()
    assert "data-autosave" in page and 'aria-live="polite"' in page
    assert "data-unsaved-on-load" not in page
    # A save that came back with errors re-arms the leave warning on the page it renders.
    row = _row("Leak", residual_impact=5)
    page = (
        _client(officer)
        .post(reverse("risk:edit", args=[a.uuid]), _draft(a.revision, "", [row]))
        .content.decode()
    )
    assert "data-unsaved-on-load" in page and "Not saved" in page
