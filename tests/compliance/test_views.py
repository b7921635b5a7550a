"""Pages per role, pinned query counts, upload and download through the browser routes."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.compliance import services
from riskhub.compliance.models import ControlImplementation, Evidence

from .conftest import HR_SCREENER, control


@pytest.fixture
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")


def populate(make_asset, link, officer, count: int) -> list:  # type: ignore[no-untyped-def]
    systems = []
    for index in range(count):
        system = make_asset("system", HR_SCREENER)
        model = make_asset("model")
        link(model, system, "part_of")
        implementation = services.implementation_create(
            actor=officer,
            control=control("CTL-DEPLOYER-OPERATIONS"),
            scope="system",
            asset=system,
            status="implemented",
        )
        services.evidence_add_file(
            actor=officer,
            implementation=implementation,
            file=io.BytesIO(b"log\n"),
            name=f"log-{index}.txt",
            description="Operations log",
        )
        systems.append(system)
    services.coverage_recompute()
    return systems


@pytest.fixture
def world(catalogs, make_asset, link, officer, media):  # type: ignore[no-untyped-def]
    systems = populate(make_asset, link, officer, 2)
    org = services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
    )
    return {"systems": systems, "org": org, "officer": officer}


def pages(world) -> list[str]:  # type: ignore[no-untyped-def]
    system = world["systems"][0]
    implementation = ControlImplementation.objects.filter(asset=system).first()
    ctl = control("CTL-DEPLOYER-OPERATIONS")
    return [
        reverse("compliance:index"),
        reverse("compliance:framework", args=["eu-ai-act"]),
        reverse("compliance:controls"),
        reverse("compliance:control", args=[ctl.uuid]),
        reverse("compliance:threat", args=["THR-PROMPT-INJECTION"]),
        reverse("compliance:crosswalk"),
        reverse("compliance:gaps") + "?framework=gdpr",
        reverse("compliance:asset_tab", args=[system.uuid]),
        reverse("compliance:implementations"),
        reverse("compliance:implementation_detail", args=[implementation.uuid]),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_every_page(world, client_for, role) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == 200, url


def test_page_query_counts_do_not_grow_with_data(
    world, client_for, django_assert_max_num_queries, make_asset, link, officer
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    limits = {
        "index": 11,
        "framework": 9,
        "controls": 9,
        "control": 9,
        "threat": 8,
        "crosswalk": 9,
        "gaps": 14,
        "asset_tab": 12,
        "implementations": 8,
        "implementation_detail": 9,
    }
    urls = pages(world)
    populate(make_asset, link, officer, 4)
    for url, limit in zip(urls, limits.values(), strict=True):
        with django_assert_max_num_queries(limit):
            assert client.get(url).status_code == 200


def test_asset_tab_shows_why_and_from_when(world, client_for) -> None:  # type: ignore[no-untyped-def]
    system = world["systems"][0]
    body = (
        client_for(Role.EXECUTIVE)
        .get(reverse("compliance:asset_tab", args=[system.uuid]))
        .content.decode()
    )
    assert "Annex III point 4(a); role: deployer" in body
    assert "2 Dec 2027" in body
    assert "upcoming: in" in body


def test_asset_tab_is_a_fragment_for_htmx(world, client_for) -> None:  # type: ignore[no-untyped-def]
    system = world["systems"][0]
    response = client_for(Role.AUDITOR).get(
        reverse("compliance:asset_tab", args=[system.uuid]), HTTP_HX_REQUEST="true"
    )
    assert b"<html" not in response.content and b"compliance-tab" in response.content


def test_officer_uploads_evidence_with_a_plain_form(world, client_for) -> None:  # type: ignore[no-untyped-def]
    implementation = world["org"]
    client = client_for(Role.RISK_OFFICER)
    url = reverse("compliance:evidence_upload", args=[implementation.uuid])
    upload = io.BytesIO(b"Incident response plan v3\n")
    upload.name = "ir-plan.txt"
    response = client.post(url, {"file": upload, "description": "IR plan"})
    assert response.status_code == 302
    evidence = Evidence.objects.get(implementation=implementation)
    assert evidence.original_name == "ir-plan.txt"


def test_refused_upload_explains_why_and_stores_nothing(world, client_for) -> None:  # type: ignore[no-untyped-def]
    implementation = world["org"]
    url = reverse("compliance:evidence_upload", args=[implementation.uuid])
    upload = io.BytesIO(b"MZ\x00\x00" + b"\x00" * 64)
    upload.name = "invoice.pdf"
    response = client_for(Role.RISK_OFFICER).post(
        url, {"file": upload, "description": "x"}, HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert response.status_code == 400
    assert "Executable" in response.json()["errors"]["file"][0]
    assert not Evidence.objects.filter(implementation=implementation).exists()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_readers_may_not_upload_or_edit(world, client_for, role) -> None:  # type: ignore[no-untyped-def]
    implementation = world["org"]
    client = client_for(role)
    upload = io.BytesIO(b"x")
    upload.name = "x.txt"
    assert (
        client.post(
            reverse("compliance:evidence_upload", args=[implementation.uuid]),
            {"file": upload, "description": "x"},
        ).status_code
        == 403
    )
    assert client.get(reverse("compliance:implementation_create")).status_code == 403
    assert (
        client.post(
            reverse("compliance:implementation_edit", args=[implementation.uuid]),
            {"status": "not-started"},
        ).status_code
        == 403
    )


def test_download_is_an_audited_nosniff_attachment(world, client_for) -> None:  # type: ignore[no-untyped-def]
    evidence = Evidence.objects.filter(kind="file").first()
    response = client_for(Role.AUDITOR).get(
        reverse("compliance:evidence_download", args=[evidence.uuid])
    )
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"log\n"
    assert AuditEvent.objects.filter(
        action="evidence.download", object_id=str(evidence.uuid)
    ).exists()


def test_officer_creates_and_edits_an_implementation(world, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.RISK_OFFICER)
    ctl = control("CTL-AI-LITERACY")
    response = client.post(
        reverse("compliance:implementation_create"),
        {
            "control": ctl.pk,
            "scope": "organisation",
            "status": "not-applicable",
            "justification": "",
        },
    )
    assert response.status_code == 200 and b"Say why the control does not apply" in response.content
    response = client.post(
        reverse("compliance:implementation_create"),
        {"control": ctl.pk, "scope": "organisation", "status": "in-progress"},
    )
    implementation = ControlImplementation.objects.get(control=ctl)
    assert response.status_code == 302
    response = client.post(
        reverse("compliance:implementation_edit", args=[implementation.uuid]),
        {"status": "implemented", "notes": "Annual course"},
    )
    assert response.status_code == 302
    implementation.refresh_from_db()
    assert implementation.status == "implemented" and implementation.history.count() == 2


def test_a_second_implementation_at_the_same_scope_is_refused(world, officer) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="already has an implementation"):
        services.implementation_create(
            actor=officer, control=control("CTL-INCIDENT-RESPONSE"), scope="organisation"
        )


def test_system_scope_needs_a_system(world, officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="AI system"):
        services.implementation_create(
            actor=officer,
            control=control("CTL-HUMAN-OVERSIGHT"),
            scope="system",
            asset=make_asset("dataset"),
        )


def test_services_refuse_readers(world, auditor) -> None:  # type: ignore[no-untyped-def]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.implementation_create(
            actor=auditor, control=control("CTL-AI-LITERACY"), scope="organisation"
        )
