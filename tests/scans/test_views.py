"""The pages and the API of scans, per role; failing examples are shown as text."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.inventory.models import Asset
from riskhub.scans import services
from riskhub.scans.models import ScanRun
from tests.scans.conftest import GARAK_REPORT, PROMPTFOO_RESULTS, upload

pytestmark = pytest.mark.usefixtures("catalogs")

XSS = "<script>alert('riskhub-xss')</script>"


@pytest.fixture
def run(officer: User, make_asset: Callable[..., Asset]) -> ScanRun:
    file, name, size = upload(PROMPTFOO_RESULTS)
    return services.scan_import(
        actor=officer, asset=make_asset("endpoint"), file=file, name=name, size=size
    )


def test_the_real_sample_carries_a_script_payload() -> None:
    assert XSS in PROMPTFOO_RESULTS.read_text()


def test_failing_examples_are_shown_escaped(client_for, run: ScanRun) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get(reverse("scans:run", args=[run.uuid]))
    assert response.status_code == 200
    html = response.content.decode()
    assert XSS not in html
    assert "&lt;script&gt;alert(&#x27;riskhub-xss&#x27;)&lt;/script&gt;" in html


def test_a_serious_finding_offers_a_prefilled_incident_to_writers_only(
    client_for, run: ScanRun
) -> None:  # type: ignore[no-untyped-def]
    page = client_for(Role.RISK_OFFICER).get(reverse("scans:run", args=[run.uuid])).content
    html = page.decode()
    assert "Open an incident with these facts" in html
    start = html.index(reverse("incidents:create") + "?")
    href = html[start : html.index('"', start)].replace("&amp;", "&")
    query = parse_qs(urlparse(href).query)
    assert query["asset"] == [str(run.asset.uuid)]
    assert query["threat"] == ["THR-DATA-LEAKAGE"]
    assert "pii:direct" in query["title"][0]

    form = client_for(Role.RISK_OFFICER).get(href)
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert initial["title"] == query["title"][0]
    assert initial["threat"].code == "THR-DATA-LEAKAGE"
    assert initial["categories"] == ["security-attack", "personal-data-breach"]
    assert not initial.get("personal_data_breach")  # the clocks start when a person says so
    assert not run.asset.incidents.exists()  # offered, not opened

    auditor_page = client_for(Role.AUDITOR).get(reverse("scans:run", args=[run.uuid]))
    assert "Open an incident with these facts" not in auditor_page.content.decode()


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.RISK_OFFICER, 302), (Role.ADMIN, 302), (Role.EXECUTIVE, 403), (Role.AUDITOR, 403)],
)
def test_the_upload_page_imports_for_writers(
    client_for, make_asset: Callable[..., Asset], role: Role, status: int
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset()
    file, name, _ = upload(GARAK_REPORT)
    file.name = name
    response = client_for(role).post(reverse("scans:import", args=[asset.uuid]), {"file": file})
    assert response.status_code == status
    assert ScanRun.objects.filter(asset=asset).exists() == (status == 302)


def test_the_upload_page_lists_row_errors(client_for, make_asset: Callable[..., Asset]) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset()
    data = GARAK_REPORT.read_bytes().replace(b'"probe": "encoding.', b'"probe": "nosuch.', 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(Role.RISK_OFFICER).post(
        reverse("scans:import", args=[asset.uuid]),
        {"file": SimpleUploadedFile("r.report.jsonl", data)},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html and "nosuch." in html
    assert not ScanRun.objects.exists()


def test_the_asset_tab_shows_the_history_per_threat(client_for, run: ScanRun) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.EXECUTIVE).get(
        reverse("scans:asset_tab", args=[run.asset.uuid]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-scan-figure="scan-history-figure"' in html
    assert 'id="scan-history-figure" type="application/json"' in html
    assert "THR-PROMPT-INJECTION" in html
    assert "<script src" not in html  # a partial: the page loads the script


def test_the_api_imports_for_officers_and_reads_for_auditors(
    make_user, make_asset: Callable[..., Asset]
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset()
    url = "/api/v1/scan-runs/"
    officer, auditor = Client(), Client()
    officer.force_login(make_user(Role.RISK_OFFICER))
    auditor.force_login(make_user(Role.AUDITOR))
    file, name, _ = upload(PROMPTFOO_RESULTS)
    file.name = name
    denied = auditor.post(url, {"asset": str(asset.uuid), "file": file})
    assert denied.status_code == 403
    file.seek(0)
    created = officer.post(url, {"asset": str(asset.uuid), "file": file})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["tool"] == "promptfoo" and body["asset"] == str(asset.uuid)
    assert len(body["evidence"]) == 2
    listed = auditor.get(url, {"asset": str(asset.uuid)})
    assert listed.status_code == 200
    assert listed.json()["results"][0]["id"] == body["id"]
    detail = auditor.get(f"{url}{body['id']}/").json()
    pii = next(f for f in detail["findings"] if f["probe"] == "pii:direct")
    assert pii["threats"] == ["THR-DATA-LEAKAGE"] and pii["serious"]

    bad = GARAK_REPORT.read_bytes().replace(b'"probe": "encoding.', b'"probe": "nosuch.', 1)
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = officer.post(
        url, {"asset": str(asset.uuid), "file": SimpleUploadedFile("r.report.jsonl", bad)}
    )
    assert refused.status_code == 400
    assert "nosuch." in " ".join(refused.json()["error"]["fields"]["file"])
    assert ScanRun.objects.count() == 1


def test_the_run_list_api_and_asset_tab_cost_the_same_queries_for_more_runs(
    client_for, officer: User, make_asset: Callable[..., Asset]
) -> None:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    asset = make_asset()
    client = client_for(Role.AUDITOR)

    def cost() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as api:
            assert client.get("/api/v1/scan-runs/").status_code == 200
        with CaptureQueriesContext(connection) as tab:
            client.get(reverse("scans:asset_tab", args=[asset.uuid]), HTTP_HX_REQUEST="true")
        return len(api), len(tab)

    file, name, size = upload(PROMPTFOO_RESULTS)
    services.scan_import(actor=officer, asset=asset, file=file, name=name, size=size)
    once = cost()
    for path in (PROMPTFOO_RESULTS, GARAK_REPORT):
        file, name, size = upload(path)
        services.scan_import(actor=officer, asset=asset, file=file, name=name, size=size)
    assert cost() == once
