from __future__ import annotations

from datetime import date, timedelta

import pytest
from rest_framework.test import APIClient

from riskhub.accounts.policy import Role
from riskhub.risk.models import Assessment

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user)
    return client


def risk_body(assessment: str, revision: int, **extra) -> dict:  # type: ignore[no-untyped-def]
    body = {
        "assessment": assessment,
        "revision": revision,
        "threat": "THR-PROMPT-INJECTION",
        "title": "Prompt injection",
        "inherent_impact": 4,
        "inherent_likelihood": 4,
        "residual_impact": 3,
        "residual_likelihood": 2,
        "treatment": "mitigate",
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
    }
    body.update(extra)
    return body


def test_the_whole_workflow_through_the_api(
    make_asset, catalogs, officer, executive, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint")
    o, e = api(officer), api(executive)
    created = o.post("/api/v1/assessments/", {"asset": str(asset.uuid)}, format="json")
    assert created.status_code == 201, created.json()
    a = created.json()
    assert a["status"] == "draft" and a["version"] == 1
    r = o.post("/api/v1/risks/", risk_body(a["id"], a["revision"], owner=officer.pk), format="json")
    assert r.status_code == 201, r.json()
    assert (r.json()["residual_score"], r.json()["residual_band"]) == (6, "medium")
    assert e.post(f"/api/v1/assessments/{a['id']}/submit/", {}, format="json").status_code == 403
    submitted = o.post(f"/api/v1/assessments/{a['id']}/submit/", {}, format="json")
    assert submitted.json()["status"] == "in_review"
    assert o.post(f"/api/v1/assessments/{a['id']}/approve/", {}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        approved = e.post(
            f"/api/v1/assessments/{a['id']}/approve/", {"comments": "ok"}, format="json"
        )
    assert approved.status_code == 200 and approved.json()["is_current"]
    # approved: risk writes are refused with the one error shape
    risk_id = r.json()["id"]
    refused = o.patch(
        f"/api/v1/risks/{risk_id}/",
        {"title": "x", "revision": approved.json()["revision"]},
        format="json",
    )
    assert refused.status_code == 400 and "approved" in str(refused.json()["error"])
    accepted = e.post(
        "/api/v1/risk-acceptances/",
        {
            "risk": risk_id,
            "rationale": "ok",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
        format="json",
    )
    assert accepted.status_code == 201 and accepted.json()["active"]
    assert o.post("/api/v1/risk-acceptances/", {}, format="json").status_code == 403


def test_the_author_cannot_approve_through_the_api(make_asset, assess, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    a = assess(make_asset(), [(3, 3, 2, 2)], author=admin)
    response = api(admin).post(f"/api/v1/assessments/{a.uuid}/approve/", {}, format="json")
    assert response.status_code == 403 and "segregation" in response.json()["error"]["message"]
    returned = api(make_user(Role.EXECUTIVE)).post(
        f"/api/v1/assessments/{a.uuid}/return/", {"comments": "More"}, format="json"
    )
    assert returned.json()["status"] == "returned"


def test_a_stale_revision_answers_409_and_changes_nothing(make_asset, catalogs, officer) -> None:  # type: ignore[no-untyped-def]
    client = api(officer)
    a = client.post("/api/v1/assessments/", {"asset": str(make_asset().uuid)}, format="json").json()
    first = client.patch(
        f"/api/v1/assessments/{a['id']}/",
        {"revision": a["revision"], "summary": "first"},
        format="json",
    )
    assert first.status_code == 200
    second = client.patch(
        f"/api/v1/assessments/{a['id']}/",
        {"revision": a["revision"], "summary": "second"},
        format="json",
    )
    assert second.status_code == 409 and second.json()["error"]["code"] == "conflict"
    assert second.json()["error"]["message"] == (
        f"{officer} saved this assessment (now revision 2) while you were editing revision 1."
        " Your changes were not saved."
    )
    r = client.post("/api/v1/risks/", risk_body(a["id"], a["revision"]), format="json")
    assert r.status_code == 409
    assert Assessment.objects.get(uuid=a["id"]).summary == "first"


def test_residual_above_inherent_is_a_400_with_fields(make_asset, catalogs, officer) -> None:  # type: ignore[no-untyped-def]
    client = api(officer)
    a = client.post("/api/v1/assessments/", {"asset": str(make_asset().uuid)}, format="json").json()
    r = client.post(
        "/api/v1/risks/", risk_body(a["id"], a["revision"], residual_impact=5), format="json"
    )
    assert r.status_code == 400 and "residual_impact" in r.json()["error"]["fields"]


def test_matrices_and_threats_are_readable_and_only_admins_add_matrices(
    client_for, catalogs, admin_user, officer
) -> None:  # type: ignore[no-untyped-def]
    threats = api(officer).get("/api/v1/threats/").json()
    codes = {t["code"] for t in threats["results"]}
    assert {"THR-PROMPT-INJECTION", "THR-INSIDER", "THR-ACCESS-MISUSE"} <= codes
    injection = next(t for t in threats["results"] if t["code"] == "THR-PROMPT-INJECTION")
    assert "AML.T0051" in injection["atlas"] and injection["owasp_llm"] == ["LLM01:2025"]
    body = {
        "code": "api-2x2",
        "name": "Tiny",
        "impact_levels": [{"value": 1, "label": "Low"}, {"value": 2, "label": "High"}],
        "likelihood_levels": [{"value": 1, "label": "Rare"}, {"value": 2, "label": "Often"}],
        "bands": [
            {"name": "Low", "min_score": 1, "max_score": 1, "colour": "#1b5e20"},
            {"name": "Medium", "min_score": 2, "max_score": 2, "colour": "#8a5a00"},
            {"name": "High", "min_score": 3, "max_score": 3, "colour": "#c2410c"},
            {"name": "Critical", "min_score": 4, "max_score": 4, "colour": "#8e0000"},
        ],
    }
    assert api(officer).post("/api/v1/risk-matrices/", body, format="json").status_code == 403
    created = api(admin_user).post("/api/v1/risk-matrices/", body, format="json")
    assert created.status_code == 400 and "holds no cell" in str(
        created.json()
    )  # 3 is not a product
    body["bands"][1]["max_score"] = 3
    body["bands"][2] = {"name": "High", "min_score": 4, "max_score": 3, "colour": "#c2410c"}
    assert api(admin_user).post("/api/v1/risk-matrices/", body, format="json").status_code == 400
    listed = api(officer).get("/api/v1/risk-matrices/").json()
    assert [m["code"] for m in listed["results"]][0] == "default-5x5"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/assessments/",
        "/api/v1/risks/",
        "/api/v1/risk-acceptances/",
        "/api/v1/threats/",
        "/api/v1/risk-matrices/",
    ],
)
def test_api_lists_have_a_fixed_query_count(
    path, make_asset, assess, officer, executive, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.risk import services

    def grow() -> None:
        a = assess(make_asset(), [(4, 4, 3, 3), (2, 2, 1, 1)], author=officer, reviewer=executive)
        services.acceptance_create(
            actor=executive,
            risk=a.risks.first(),
            rationale="x",
            expires_on=date.today() + timedelta(days=9),
        )

    grow()
    client = api(executive)
    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200
    for _ in range(4):
        grow()
    with django_assert_max_num_queries(6):
        assert client.get(path).status_code == 200
