"""The API: same rules as the UI, one error shape, pinned query counts on every list."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from riskhub.accounts.policy import Role
from riskhub.compliance import services
from riskhub.compliance.models import ControlImplementation, Evidence

from . import samples
from .conftest import HR_SCREENER, control

LISTS = {
    "/api/v1/frameworks/": 8,
    "/api/v1/requirements/?framework=gdpr": 8,
    "/api/v1/controls/": 9,
    "/api/v1/control-implementations/": 8,
    "/api/v1/evidence/": 8,
    "/api/v1/coverage/": 8,
}


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")


def grow(make_asset, officer, count: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(count):
        system = make_asset("system", HR_SCREENER)
        implementation = services.implementation_create(
            actor=officer,
            control=control("CTL-HUMAN-OVERSIGHT"),
            scope="system",
            asset=system,
            status="implemented",
            owner=officer,
        )
        services.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url="https://wiki.example/ho",
            description="Oversight procedure",
        )


@pytest.mark.parametrize(("url", "limit"), list(LISTS.items()))
def test_list_query_counts_do_not_grow(
    catalogs, make_asset, officer, client_for, django_assert_max_num_queries, url, limit, media
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    grow(make_asset, officer, 1)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
    grow(make_asset, officer, 5)
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200 and "results" in response.json()


def test_officer_creates_implementation_and_uploads_evidence(
    catalogs, make_asset, client_for, media
) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system", HR_SCREENER)
    services.coverage_recompute()
    client = client_for(Role.RISK_OFFICER)
    response = client.post(
        "/api/v1/control-implementations/",
        {
            "control": "CTL-DEPLOYER-OPERATIONS",
            "scope": "system",
            "asset": str(system.uuid),
            "status": "implemented",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    implementation_id = response.json()["id"]
    upload = io.BytesIO(samples.pdf_bytes())
    upload.name = "operations.pdf"
    response = client.post(
        "/api/v1/evidence/",
        {"implementation": implementation_id, "file": upload, "description": "Ops manual"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["content_type"] == "application/pdf" and len(body["sha256"]) == 64
    download = client.get(f"/api/v1/evidence/{body['id']}/download/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    coverage = {c["framework"]: c for c in client.get("/api/v1/coverage/").json()["results"]}
    assert coverage["eu-ai-act"]["met"] >= 1
    response = client.patch(
        f"/api/v1/control-implementations/{implementation_id}/",
        {"status": "not-applicable"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "justification" in response.json()["error"]["fields"]


def test_refused_upload_uses_the_error_shape(catalogs, officer, client_for, media) -> None:  # type: ignore[no-untyped-def]
    implementation = services.implementation_create(
        actor=officer, control=control("CTL-AI-LITERACY"), scope="organisation"
    )
    upload = io.BytesIO(b"MZ\x00\x00" + b"\x00" * 50)
    upload.name = "invoice.pdf"
    response = client_for(Role.RISK_OFFICER).post(
        "/api/v1/evidence/",
        {"implementation": str(implementation.uuid), "file": upload, "description": "x"},
    )
    assert response.status_code == 400
    assert "Executable" in response.json()["error"]["fields"]["file"][0]
    assert not Evidence.objects.exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_readers_cannot_write_through_the_api(catalogs, client_for, role) -> None:  # type: ignore[no-untyped-def]
    response = client_for(role).post(
        "/api/v1/control-implementations/",
        {"control": "CTL-AI-LITERACY", "scope": "organisation", "status": "implemented"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not ControlImplementation.objects.exists()


def test_anonymous_gets_401(catalogs) -> None:  # type: ignore[no-untyped-def]
    assert Client().get("/api/v1/controls/").status_code == 401


def test_delete_is_refused_when_evidence_exists(catalogs, officer, client_for) -> None:  # type: ignore[no-untyped-def]
    implementation = services.implementation_create(
        actor=officer, control=control("CTL-AI-LITERACY"), scope="organisation"
    )
    services.evidence_add_link(
        actor=officer,
        implementation=implementation,
        url="https://lms.example",
        description="LMS",
    )
    client = client_for(Role.RISK_OFFICER)
    response = client.delete(f"/api/v1/control-implementations/{implementation.uuid}/")
    assert response.status_code == 400
    other = services.implementation_create(
        actor=officer, control=control("CTL-ROPA"), scope="organisation"
    )
    assert client.delete(f"/api/v1/control-implementations/{other.uuid}/").status_code == 204
