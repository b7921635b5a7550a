"""Input abuse (issue 9, item 4): script payloads in every free-text field render
escaped; exports neutralise formula injection; path traversal, oversized uploads and
decompression bombs are refused; NUL bytes, invalid unicode and wrong types get a 400 in
the one error shape, never a 500."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create, user_create
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control, Evidence
from riskhub.impact import catalog_loader as impact_catalogs
from riskhub.impact import services as impact_services
from riskhub.incidents import services as incident_services
from riskhub.inventory import jobs as import_jobs
from riskhub.inventory import services as inventory
from riskhub.inventory.io import RowError
from riskhub.inventory.mlflow import services as mlflow_services
from riskhub.inventory.mlflow.models import SyncedRecord
from riskhub.inventory.models import Asset, ImportJob
from riskhub.reports import services as report_services
from riskhub.reports.models import Report
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk import services as risk_services
from riskhub.scans import services as scan_services
from riskhub.webhooks import services as webhook_services
from tests.compliance.samples import pdf_bytes

SAMPLES = Path(__file__).resolve().parents[1] / "scans" / "samples"

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"


def payload(tag: str) -> str:
    """A script payload made unique per field, so each field's rendering is checked."""
    return f'<script>alert("{tag}")</script><img src=x onerror=alert(1)>'


class _Markup(HTMLParser):
    """Finds what a payload would become if it escaped its text: an element with an
    event-handler attribute, or a script element with a body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, _ in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.found.append("<img src=x>")
        # A json_script block (type="application/json") is data, never run.
        kind = dict(attrs).get("type") or "text/javascript"
        self._in_script = tag == "script" and kind in ("text/javascript", "module")

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data[:40]}")


def unescaped_markup(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    parser.close()
    return parser.found


@dataclass
class World:
    admin: User
    officer: User
    executive: User
    system: Asset
    model: Asset
    dataset: Asset
    objects: dict[str, Any] = field(default_factory=dict)
    # field label -> payload stored in it
    fields: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    root = tmp_path / "media"
    root.mkdir()
    settings.MEDIA_ROOT = str(root)
    return root


@pytest.fixture
def no_report_queue(monkeypatch: Any) -> list[int]:
    queued: list[int] = []
    monkeypatch.setattr(report_services, "_enqueue", queued.append)
    return queued


@pytest.fixture
def world(
    db: None, media: Path, no_report_queue: list[int], django_capture_on_commit_callbacks: Any
) -> World:
    """Every free-text field of every app holds a script payload, stored through the
    services the views and API use."""
    risk_catalogs.load(stdout=io.StringIO())
    compliance_catalogs.load(stdout=io.StringIO())
    impact_catalogs.load(stdout=io.StringIO())
    f: dict[str, str] = {}

    def p(label: str) -> str:
        f[label] = payload(label)
        return f[label]

    admin = user_create(
        actor=None,
        email="admin-x@example.com",
        role=Role.ADMIN,
        password=PASSWORD,
        full_name=p("admin.full_name"),
    )
    officer = user_create(
        actor=None,
        email="officer-x@example.com",
        role=Role.RISK_OFFICER,
        password=PASSWORD,
        full_name=p("officer.full_name"),
    )
    executive = user_create(
        actor=None, email="exec-x@example.com", role=Role.EXECUTIVE, password=PASSWORD
    )
    objects: dict[str, Any] = {}
    with django_capture_on_commit_callbacks(execute=True):
        token, _ = api_token_create(actor=admin, owner=admin, name=p("token.name")[:100])
        objects["token"] = token
        inventory.organisation_update(
            actor=admin, legal_name=p("org.legal_name"), dpo_name=p("org.dpo_name")
        )
        unit = inventory.business_unit_get_or_create(actor=officer, name=p("business_unit"))
        system = inventory.asset_create(
            actor=officer,
            kind="system",
            name=p("system.name"),
            description=p("system.description"),
            vendor=p("system.vendor"),
            tags=["<script>alert(9)</script>", "<img src=x onerror=alert(1)>"],
            intended_purpose=p("system.intended_purpose"),
            deployment_context=p("system.deployment_context"),
            affected_persons=p("system.affected_persons"),
            business_unit=unit,
            owner=officer,
            lifecycle="production",
        )
        model = inventory.asset_create(
            actor=officer,
            kind="model",
            name=p("model.name"),
            description=p("model.description"),
            model_type="classifier",
            framework=p("model.framework"),
            model_version="1<script>",
            owner=officer,
        )
        dataset = inventory.asset_create(
            actor=officer,
            kind="dataset",
            name=p("dataset.name"),
            data_origin=p("dataset.data_origin"),
            collection_method=p("dataset.collection_method"),
            licence=p("dataset.licence"),
            personal_data=True,
        )
        inventory.link_create(actor=officer, upstream=model, downstream=system, relation="part_of")
        objects["link"] = inventory.link_create(
            actor=officer, upstream=dataset, downstream=model, relation="trained_on"
        )
        # Risk: an approved assessment with an accepted risk, then a returned draft.
        assessment = risk_services.assessment_start(actor=officer, asset=model)
        risk_row = {
            "title": p("risk.title"),
            "description": p("risk.description"),
            "existing_controls": p("risk.existing_controls"),
            "inherent_impact": 4,
            "inherent_likelihood": 4,
            "residual_impact": 3,
            "residual_likelihood": 3,
            "treatment": "mitigate",
            "owner": officer,
            "due_date": timezone.localdate() + dt.timedelta(days=30),
        }
        assessment = risk_services.assessment_save(
            actor=officer,
            assessment=assessment,
            expected_revision=assessment.revision,
            summary=p("assessment.summary"),
            risks=[risk_row, {**risk_row, "title": p("risk2.title")}],
        )
        assessment = risk_services.assessment_submit(actor=officer, assessment=assessment)
        assessment = risk_services.assessment_approve(
            actor=admin, assessment=assessment, comments=p("assessment.review_comments")
        )
        risk = assessment.risks.get(title=f["risk.title"])
        acceptance = risk_services.acceptance_create(
            actor=executive,
            risk=risk,
            rationale=p("acceptance.rationale"),
            expires_on=timezone.localdate() + dt.timedelta(days=90),
        )
        objects.update(assessment=assessment, risk=risk, acceptance=acceptance)
        draft = risk_services.assessment_start(actor=officer, asset=system)
        draft = risk_services.assessment_save(
            actor=officer,
            assessment=draft,
            expected_revision=draft.revision,
            summary=p("draft.summary"),
            risks=[{**risk_row, "title": p("draft_risk.title")}],
        )
        draft = risk_services.assessment_submit(actor=officer, assessment=draft)
        draft = risk_services.assessment_return(
            actor=admin, assessment=draft, comments=p("draft.return_comments")
        )
        objects["draft"] = draft
        # Compliance: an implementation with notes, a justification and a file.
        control = Control.objects.get(code="CTL-RISK-MGMT")
        implementation = compliance_services.implementation_create(
            actor=officer,
            control=control,
            scope="system",
            asset=system,
            status="in-progress",
            justification=p("implementation.justification"),
            notes=p("implementation.notes"),
            owner=officer,
        )
        evidence = compliance_services.evidence_add_file(
            actor=officer,
            implementation=implementation,
            file=io.BytesIO(b"evidence text\n"),
            name=payload("evidence.name") + ".txt",
            description=p("evidence.description"),
        )
        compliance_services.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url='https://example.com/"><script>alert(1)</script>',
            description=p("evidence_link.description"),
        )
        objects.update(control=control, implementation=implementation, evidence=evidence)
        # Impact assessment: answers to free-text questions.
        impact = impact_services.assessment_start(actor=officer, asset=system)
        objects["impact"] = impact_services.assessment_save(
            actor=officer,
            assessment=impact,
            expected_version=impact.version,
            answers={"purpose": p("impact.purpose"), "harms": p("impact.harms")},
        )
        # Incidents: title, description and a timeline entry.
        incident = incident_services.incident_create(
            actor=officer,
            title=p("incident.title"),
            description=p("incident.description"),
            aware_at=timezone.now() - dt.timedelta(hours=1),
            assets=[system],
            owner=officer,
        )
        incident_services.timeline_add_action(
            actor=officer, incident=incident, summary=p("incident.timeline")
        )
        objects["incident"] = incident
        # Reports: a free-text parameter on a row stored before requests were checked
        # (the service now refuses a framework given to a kind that takes none).
        report = Report.objects.create(
            requested_by=admin,
            kind="risk-register",
            parameters={"framework": p("report.framework")},
            title="AI risk register",
        )
        objects["report"] = report
        # The MLflow connector: a registry, a run with an error, a model deleted upstream.
        registry = mlflow_services.registry_create(
            actor=officer, name=p("registry.name"), tracking_uri="https://mlflow.example.com"
        )
        objects["registry"] = registry
        objects["sync_run"] = ImportJob.objects.create(
            kind="sync",
            registry=registry,
            source=registry.name,
            status="succeeded",
            errors=1,
            summary={"problems": [{"where": "m/1", "message": p("sync_run.error")}]},
        )
        SyncedRecord.objects.create(
            registry=registry,
            kind="model_version",
            external_id=p("synced_record.external_id"),
            asset=model,
            last_synced_at=timezone.now(),
            deleted_upstream_at=timezone.now(),
            flagged_by_job=objects["sync_run"],
        )
        # An import job: the uploaded file's name and the failure's message are shown.
        job = import_jobs.job_create(
            actor=officer, kind="import", source=p("import_job.source"), file_format="csv"
        )
        import_jobs.fail(
            import_jobs.Claim(job.pk, job.attempt),
            p("import_job.error"),
            errors=[RowError(2, "name", "is required")],
        )
        objects["import_job"] = job
        # A security test run: promptfoo's own results file (its failing outputs hold a
        # real <script> payload) imported on the system.
        sample = SAMPLES / "promptfoo" / "riskhub-sample.results.json"
        objects["scan_run"] = scan_services.scan_import(
            actor=officer, asset=system, file=io.BytesIO(sample.read_bytes()), name=sample.name
        )
        # A webhook endpoint: its name is shown on the admin's pages (a public address
        # literal, so saving it needs no name lookup).
        objects["webhook"], _ = webhook_services.endpoint_create(
            actor=admin,
            name=p("webhook.name"),
            url="https://93.184.216.34/hooks/riskhub",
            events=["incident.opened"],
        )
    return World(admin, officer, executive, system, model, dataset, objects, f)


# --- 1. script payloads render escaped -------------------------------------------------


def _routes(entries: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in entries:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, entry.namespace or namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), entry


# Routes that are not HTML pages showing stored text (or that are not ours to render).
NOT_PAGES = {
    "healthz",
    "accounts:logout",
    "accounts:oidc_authentication_init",
    "accounts:oidc_authentication_callback",
    "inventory:export",  # files: covered by the export tests below
    "risk:register_csv",
    "audit:export_csv",
    "audit:export_json",
    "compliance:evidence_download",
    "reports:download",
}


def _kwargs(name: str, w: World) -> dict[str, Any] | None:
    o = w.objects
    by_name: dict[str, dict[str, Any]] = {
        "accounts:token_revoke": {"token_uuid": o["token"].uuid},
        "inventory:detail": {"asset_uuid": w.system.uuid},
        "inventory:edit": {"asset_uuid": w.system.uuid},
        "inventory:archive": {"asset_uuid": w.system.uuid},
        "inventory:classify": {"asset_uuid": w.system.uuid},
        "inventory:model_card_edit": {"asset_uuid": w.model.uuid},
        "inventory:link_add": {"asset_uuid": w.model.uuid},
        "inventory:link_delete": {"asset_uuid": w.model.uuid, "link_uuid": o["link"].uuid},
        "risk:asset_tab": {"asset_uuid": w.model.uuid},
        "risk:asset": {"asset_uuid": w.model.uuid},
        "risk:start": {"asset_uuid": w.model.uuid},
        "risk:assessment": {"uuid": o["assessment"].uuid},
        "risk:edit": {"uuid": o["draft"].uuid},
        "risk:submit": {"uuid": o["draft"].uuid},
        "risk:discard": {"uuid": o["draft"].uuid},
        "risk:approve": {"uuid": o["draft"].uuid},
        "risk:return": {"uuid": o["draft"].uuid},
        "risk:accept": {"uuid": o["risk"].uuid},
        "risk:revoke": {"uuid": o["acceptance"].uuid},
        "risk:matrix": {"uuid": o["assessment"].matrix.uuid},
        "risk:matrix_default": {"uuid": o["assessment"].matrix.uuid},
        "risk:score": {"uuid": o["assessment"].matrix.uuid},
        "compliance:framework": {"slug": "eu-ai-act"},
        "compliance:control": {"control_uuid": o["control"].uuid},
        "compliance:threat": {"code": (o["control"].threat_codes or ["x"])[0]},
        "compliance:asset_tab": {"asset_uuid": w.system.uuid},
        "compliance:implementation_detail": {"implementation_uuid": o["implementation"].uuid},
        "compliance:implementation_edit": {"implementation_uuid": o["implementation"].uuid},
        "compliance:evidence_upload": {"implementation_uuid": o["implementation"].uuid},
        "impact:asset": {"asset_uuid": w.system.uuid},
        "impact:start": {"asset_uuid": w.system.uuid},
        "impact:detail": {"uuid": o["impact"].uuid},
        "impact:edit": {"uuid": o["impact"].uuid},
        "impact:submit": {"uuid": o["impact"].uuid},
        "impact:approve": {"uuid": o["impact"].uuid},
        "impact:return": {"uuid": o["impact"].uuid},
        "incidents:detail": {"uuid": o["incident"].uuid},
        "incidents:edit": {"uuid": o["incident"].uuid},
        "incidents:notify": {"uuid": o["incident"].uuid},
        "incidents:action": {"uuid": o["incident"].uuid},
        "incidents:status": {"uuid": o["incident"].uuid},
        "incidents:close": {"uuid": o["incident"].uuid},
        "reports:schedule_delete": None,  # no schedule in this world: POST-only anyway
        # A chain check's result page shows counts and the verifier's reasons, no user text.
        "audit:verify_result": None,
        "mlflow:registry_edit": {"registry_uuid": o["registry"].uuid},
        "mlflow:sync_now": {"registry_uuid": o["registry"].uuid},
        "mlflow:run": {"run_uuid": o["sync_run"].uuid},
        "mlflow:confirm_archive": {"asset_uuid": w.model.uuid},
        "reports:detail": {"uuid": o["report"].uuid},
        "inventory:job": {"job_uuid": o["import_job"].uuid},
        "scans:run": {"run_uuid": o["scan_run"].uuid},
        "scans:import": {"asset_uuid": w.system.uuid},
        "scans:asset_tab": {"asset_uuid": w.system.uuid},
        "webhooks:detail": {"uuid": o["webhook"].uuid},
        "webhooks:edit": {"uuid": o["webhook"].uuid},
        "webhooks:toggle": {"uuid": o["webhook"].uuid},
        "webhooks:rotate": {"uuid": o["webhook"].uuid},
        "webhooks:test": {"uuid": o["webhook"].uuid},
        "webhooks:delete": {"uuid": o["webhook"].uuid},
        # The sync job's problems show in the status partial the page polls.
        "inventory:job_status": {"job_uuid": o["sync_run"].uuid},
        "inventory:job_errors": {"job_uuid": o["import_job"].uuid},
        "reports:status": {"uuid": o["report"].uuid},
        "reports:rerun": {"uuid": o["report"].uuid},
        "reports:signing_certificate_pem": {"which": "chain"},
        "reports:approve": {"uuid": o["report"].uuid},
        "core:offboard": {"user_uuid": w.officer.uuid},
        "core:person": {"user_uuid": w.officer.uuid},
        "core:person_role": {"user_uuid": w.officer.uuid},
        "core:person_password_link": {"user_uuid": w.officer.uuid},
        "core:person_reactivate": {"user_uuid": w.officer.uuid},
        "core:person_token_revoke": {
            "user_uuid": o["token"].user.uuid,
            "token_uuid": o["token"].uuid,
        },
        "accounts:password_set": {"user_uuid": w.officer.uuid, "token": "x"},
    }
    return by_name.get(name, {})


def _page_urls(w: World) -> list[str]:
    urls = []
    unmapped = []
    for name, pattern in _routes(get_resolver().url_patterns):
        if name.startswith(("api:", "admin:")) or name in NOT_PAGES or name in ("schema",):
            continue
        if name == "swagger-ui":
            continue
        kwargs = _kwargs(name, w)
        if kwargs is None:
            continue
        if pattern.pattern.converters and not kwargs:
            unmapped.append(name)
            continue
        urls.append(reverse(name, kwargs=kwargs))
    assert not unmapped, f"Give these routes an object to show: {unmapped}"
    # Reflected input: searches and filters echo what was typed.
    q = payload("query")
    for name in (
        "inventory:list",
        "risk:register",
        "risk:index",
        "compliance:controls",
        "compliance:implementations",
        "compliance:gaps",
        "impact:index",
        "incidents:index",
        "reports:index",
        "audit:list",
        "core:people",
        "inventory:asset_options",
    ):
        urls.append(reverse(name) + "?" + _query(q))
    urls.append(reverse("inventory:asset_options") + "?" + _query(q, asset=str(w.model.uuid)))
    urls.append(reverse("inventory:asset_pick") + "?" + _query(q, field="assets", multiple="1"))
    return urls


def _query(value: str, **extra: str) -> str:
    from urllib.parse import urlencode

    params = {"q": value, "search": value, "action": value, "owner": value, "tag": value}
    params.update(extra)
    return urlencode(params)


def _check_page(url: str, response: Any, w: World, seen: set[str]) -> None:
    assert response.status_code < 500, f"GET {url}: {response.status_code}"
    if "html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()
    found = unescaped_markup(html)
    assert not found, f"GET {url}: markup injected by stored text: {found}"
    for label, value in w.fields.items():
        assert value not in html, f"GET {url}: raw payload of {label}"
        if escape(value) in html:
            seen.add(label)
    assert escape(payload("query")) in html or payload("query") not in html


def test_script_payloads_in_every_free_text_field_render_escaped_on_every_page(
    world: World,
) -> None:
    seen: set[str] = set()
    urls = _page_urls(world)
    for user in (world.admin, world.officer):
        client = Client()
        client.force_login(user)
        for url in urls:
            _check_page(url, client.get(url), world, seen)
            _check_page(url, client.get(url, HTTP_HX_REQUEST="true"), world, seen)
    # Every stored payload was shown somewhere, escaped (so the check above saw it).
    missing = sorted(set(world.fields) - seen)
    assert not missing, f"Payloads never shown on any page (escaped): {missing}"


def test_script_payloads_in_the_audit_trail_and_the_dashboard_render_escaped(
    world: World,
) -> None:
    client = Client()
    client.force_login(world.admin)
    seen: set[str] = set()
    for url in (reverse("audit:list"), reverse("dashboard:index"), reverse("risk:register")):
        _check_page(url, client.get(url), world, seen)
    assert {"system.name", "risk.title"} <= seen


def test_evidence_original_name_is_sanitised_and_shown_escaped(world: World) -> None:
    evidence = world.objects["evidence"]
    assert "/" not in evidence.original_name and "<" not in evidence.original_name
    client = Client()
    client.force_login(world.admin)
    url = reverse(
        "compliance:implementation_detail",
        kwargs={"implementation_uuid": world.objects["implementation"].uuid},
    )
    html = client.get(url).content.decode()
    assert escape(evidence.original_name) in html


def test_script_payloads_posted_through_the_asset_form_render_escaped(
    client_for: Callable[[Role | None], Client],
) -> None:
    client = client_for(Role.ADMIN)
    value = payload("form")
    response = client.post(
        reverse("inventory:create"),
        {
            "kind": "model",
            "name": value,
            "description": value,
            "model_type": "other",
            "lifecycle": "development",
            "source": "in-house",
        },
    )
    assert response.status_code == 302, re.findall(
        r"id=\"id_\w+_error\"[^<]*<?[^<]*", response.content.decode()
    )
    asset = Asset.objects.get(name=value)
    for url in (reverse("inventory:list"), reverse("inventory:detail", args=[asset.uuid])):
        html = client.get(url).content.decode()
        assert value not in html
        assert escape(value) in html
        assert not unescaped_markup(html)


def test_script_payloads_posted_through_the_api_come_back_as_json_text(
    client_for: Callable[[Role | None], Client],
) -> None:
    client = client_for(Role.ADMIN)
    value = payload("api")
    response = client.post(
        "/api/v1/assets/",
        {"kind": "model", "name": value, "description": value, "model_type": "other"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["name"] == value


def test_payloads_in_dashboard_chart_labels_cannot_inject_markup(world: World) -> None:
    """Plotly renders a subset of HTML (<a href>, <b>, <br>) in labels; user text must
    reach it escaped."""
    from riskhub.dashboard import charts

    figure = charts.top_risks_bars(
        [
            {
                "title": '<a href="http://evil.example">click</a>',
                "assessment__asset__name": "<b>x</b>",
                "residual_ratio": 0.5,
                "residual_band": "high",
                "residual_score": 9,
                "uuid": uuid.uuid4(),
                "assessment__uuid": uuid.uuid4(),
            }
        ]
    )
    label = figure["data"][0]["y"][0]
    assert "<a " not in label and "<b>" not in label
    assert "&lt;a href" in label
    # The phone layout writes the names above the bars: escaped the same way.
    above = figure["layout"]["meta"]["narrow"]["layout"]["annotations"][0]["text"]
    assert "<a " not in above and "<b>" not in above and "&lt;a href" in above


# --- 2. exports neutralise formula injection -------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil","x")', "+cmd", "-2+3", "@SUM(A1)"]


@pytest.fixture
def formula_assets(db: None, make_user: Callable[..., User]) -> list[Asset]:
    officer = make_user(Role.RISK_OFFICER)
    return [
        inventory.asset_create(
            actor=officer, kind="model", name=name, description=name, model_type="other"
        )
        for name in FORMULAS
    ]


def _stream(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def test_inventory_csv_export_neutralises_formulas(formula_assets, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).get(reverse("inventory:export", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(_stream(response).decode("utf-8-sig"))))
    names = {row["name"] for row in rows}
    assert names == {"'" + name for name in FORMULAS}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row


def test_inventory_json_export_keeps_values_exact(formula_assets, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).get(reverse("inventory:export", args=["json"]))
    records = json.loads(_stream(response))
    assert {r["name"] for r in records} == set(FORMULAS)
    assert {r["description"] for r in records} == set(FORMULAS)


def test_inventory_xlsx_export_neutralises_formulas(formula_assets, client_for) -> None:  # type: ignore[no-untyped-def]
    from openpyxl import load_workbook

    response = client_for(Role.ADMIN).get(reverse("inventory:export", args=["xlsx"]))
    book = load_workbook(io.BytesIO(_stream(response)))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    name_col = header.index("name")
    names = set()
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f", (cell.coordinate, cell.value)
        value = row[name_col].value
        assert isinstance(value, str) and value.startswith("'")
        names.add(value)
    assert names == {"'" + name for name in FORMULAS}


def test_inventory_csv_export_then_import_restores_the_exact_names(
    formula_assets, client_for
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.ADMIN)
    exported = _stream(client.get(reverse("inventory:export", args=["csv"])))
    for index, asset in enumerate(Asset.objects.all()):
        asset.name, asset.description = f"renamed {index}", ""
        asset.save()
    response = client.post(
        reverse("inventory:import"),
        {"file": SimpleUploadedFile("inventory.csv", exported, content_type="text/csv")},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert set(Asset.objects.values_list("name", flat=True)) == set(FORMULAS)
    assert set(Asset.objects.values_list("description", flat=True)) == set(FORMULAS)


def test_risk_register_csv_neutralises_formulas(world: World) -> None:
    officer = world.officer
    asset = inventory.asset_create(actor=officer, kind="model", name="@SUM(A1)", model_type="other")
    assessment = risk_services.assessment_start(actor=officer, asset=asset)
    assessment = risk_services.assessment_save(
        actor=officer,
        assessment=assessment,
        expected_revision=assessment.revision,
        risks=[
            {
                "title": '=HYPERLINK("http://evil","x")',
                "inherent_impact": 2,
                "inherent_likelihood": 2,
                "residual_impact": 1,
                "residual_likelihood": 1,
                "treatment": "accept",
                "owner": officer,
            }
        ],
    )
    assessment = risk_services.assessment_submit(actor=officer, assessment=assessment)
    risk_services.assessment_approve(actor=world.admin, assessment=assessment)
    client = Client()
    client.force_login(world.admin)
    text = _stream(client.get(reverse("risk:register_csv"))).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    cells = [c for row in rows for c in row]
    assert "'@SUM(A1)" in cells and '\'=HYPERLINK("http://evil","x")' in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_audit_trail_csv_neutralises_formulas(formula_assets, client_for) -> None:  # type: ignore[no-untyped-def]
    text = _stream(client_for(Role.AUDITOR).get(reverse("audit:export_csv"))).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    reprs = {row["object_repr"] for row in rows}
    assert {"'" + name for name in FORMULAS} <= reprs
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), row


# --- 3. path traversal in file names ---------------------------------------------------


@pytest.fixture
def uploader(make_user: Callable[..., User]) -> User:
    return make_user(Role.RISK_OFFICER)


@pytest.fixture
def implementation(db: None, media: Path, uploader: User) -> Any:
    risk_catalogs.load(stdout=io.StringIO())  # controls link to its threats
    compliance_catalogs.load(stdout=io.StringIO())
    officer = uploader
    system = inventory.asset_create(
        actor=officer, kind="system", name="Screener", intended_purpose="Rank applications."
    )
    return compliance_services.implementation_create(
        actor=officer,
        control=Control.objects.get(code="CTL-RISK-MGMT"),
        scope="system",
        asset=system,
    )


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.txt",
        "..\\..\\x.pdf",
        "/etc/passwd.txt",
        "a\x00b.txt",
        "e\x01v\x1bi\x7fd\u202ece.txt",
        "....//....//x.txt",
    ],
)
def test_path_traversal_in_evidence_file_names_is_neutralised(
    name: str, implementation: Any, uploader: User, media: Path, tmp_path: Path
) -> None:
    outside_before = {p for p in tmp_path.rglob("*") if p.is_file()}
    content = pdf_bytes() if name.endswith(".pdf") else b"plain evidence\n"
    evidence = compliance_services.evidence_add_file(
        actor=uploader,
        implementation=implementation,
        file=io.BytesIO(content),
        name=name,
        description="d",
    )
    stored = Path(evidence.file.path).resolve()
    assert stored.parent == (media / "evidence").resolve()
    assert re.fullmatch(r"[A-Za-z0-9_-]{20,}\.(txt|pdf)", stored.name)
    assert stored.read_bytes() == content
    original = evidence.original_name
    assert "/" not in original and "\\" not in original and not original.startswith(".")
    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 or ch == "\u202e" for ch in original)
    new_files = {p for p in tmp_path.rglob("*") if p.is_file()} - outside_before
    assert all(media.resolve() in p.resolve().parents for p in new_files)
    assert not Path("/etc/passwd.txt").exists()


def test_path_traversal_in_a_multipart_upload_is_neutralised(
    implementation: Any, media: Path, client_for: Callable[[Role | None], Client]
) -> None:
    client = client_for(Role.RISK_OFFICER)
    upload = SimpleUploadedFile("../../../outside.txt", b"hello\n", content_type="text/plain")
    response = client.post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        {"file": upload, "description": "via the form"},
    )
    assert response.status_code == 302, re.findall(
        r"id=\"id_\w+_error\"[^<]*<?[^<]*", response.content.decode()
    )
    evidence = Evidence.objects.get(description="via the form")
    assert evidence.original_name == "outside.txt"
    assert [p.parent.name for p in _files(media)] == ["evidence"]
    assert not (media.parent / "outside.txt").exists()


# --- 4. oversized uploads and decompression bombs --------------------------------------


def test_oversized_evidence_is_refused_with_a_clear_message(
    implementation: Any, media: Path, settings: Any, client_for: Callable[[Role | None], Client]
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1000
    client = client_for(Role.RISK_OFFICER)
    upload = SimpleUploadedFile("big.txt", b"a" * 1001, content_type="text/plain")
    response = client.post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        {"file": upload, "description": "too big"},
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    message = " ".join(response.json()["errors"]["file"])
    assert "larger than" in message and "1000" in message.replace(",", "").replace(".0", "")
    assert _files(media) == []
    assert not Evidence.objects.exists()


def test_evidence_at_the_limit_is_accepted(
    implementation: Any, uploader: User, media: Path, settings: Any
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1000
    evidence = compliance_services.evidence_add_file(
        actor=uploader,
        implementation=implementation,
        file=io.BytesIO(b"a" * 1000),
        name="ok.txt",
        description="at the limit",
    )
    assert evidence.size == 1000


def test_oversized_import_is_refused_with_a_clear_message(
    db: None, settings: Any, client_for: Callable[[Role | None], Client]
) -> None:
    settings.IMPORT_MAX_BYTES = 500
    body = ("kind,name\n" + "".join(f"model,m{i}\n" for i in range(100))).encode()
    assert len(body) > 500
    response = client_for(Role.RISK_OFFICER).post(
        reverse("inventory:import"), {"file": SimpleUploadedFile("inv.csv", body)}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "the limit is" in html
    assert "limit is 0 MB" not in html
    assert not Asset.objects.exists()


def _bomb(path: Path, main_type: str) -> Path:
    """A valid-looking OOXML package whose one member inflates to 200 MB of zeros,
    written chunk by chunk so memory stays small."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        f'<Override PartName="/main.xml" ContentType="{main_type}"/></Types>'
    )
    chunk = b"\0" * (1024 * 1024)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        with zf.open("main.xml", "w", force_zip64=True) as member:
            for _ in range(200):
                member.write(chunk)
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: Any) -> dict[str, Path]:
    from riskhub.compliance.uploads import DOCX_MAIN, XLSX_MAIN

    root = tmp_path_factory.mktemp("bombs")
    return {
        "xlsx": _bomb(root / "bomb.xlsx", XLSX_MAIN),
        "docx": _bomb(root / "bomb.docx", DOCX_MAIN),
    }


@pytest.mark.parametrize("kind", ["xlsx", "docx"])
def test_decompression_bombs_in_office_documents_are_refused(
    kind: str,
    bombs: dict[str, Path],
    implementation: Any,
    media: Path,
    client_for: Callable[[Role | None], Client],
) -> None:
    path = bombs[kind]
    assert path.stat().st_size < 2 * 1024 * 1024
    client = client_for(Role.RISK_OFFICER)
    with path.open("rb") as handle:
        response = client.post(
            reverse("compliance:evidence_upload", args=[implementation.uuid]),
            {"file": handle, "description": "bomb"},
            HTTP_ACCEPT="application/json",
            HTTP_X_REQUESTED_WITH="XMLHttpRequest",
        )
    assert response.status_code == 400
    assert "zip bomb" in " ".join(response.json()["errors"]["file"])
    assert _files(media) == []
    assert not Evidence.objects.exists()


def test_a_decompression_bomb_through_the_evidence_api_is_refused(
    bombs: dict[str, Path],
    implementation: Any,
    media: Path,
    client_for: Callable[[Role | None], Client],
) -> None:
    client = client_for(Role.RISK_OFFICER)
    with bombs["xlsx"].open("rb") as handle:
        response = client.post(
            "/api/v1/evidence/",
            {"implementation": str(implementation.uuid), "file": handle, "description": "b"},
        )
    assert response.status_code == 400, response.content[:500]
    assert set(response.json()) == {"error"}
    assert _files(media) == []
    assert not Evidence.objects.exists()


def test_an_office_document_as_an_inventory_import_is_refused(
    bombs: dict[str, Path], db: None, client_for: Callable[[Role | None], Client]
) -> None:
    with bombs["xlsx"].open("rb") as handle:
        response = client_for(Role.RISK_OFFICER).post(reverse("inventory:import"), {"file": handle})
    assert response.status_code == 400
    assert not Asset.objects.exists()


# --- 5. NUL bytes and invalid unicode: 400, never 500 ----------------------------------


def _is_400(response: Any) -> None:
    assert response.status_code == 400, (response.status_code, response.content[:300])


def test_a_nul_byte_in_the_asset_form_is_a_400(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        reverse("inventory:create"),
        data="kind=model&name=a%00b&lifecycle=development",
        content_type="application/x-www-form-urlencoded",
    )
    _is_400(response)
    assert not Asset.objects.exists()


def test_invalid_utf8_in_the_asset_form_is_a_400(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        reverse("inventory:create"),
        data="kind=model&name=a%ff%feb&lifecycle=development",
        content_type="application/x-www-form-urlencoded",
    )
    _is_400(response)
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"kind": "model", "model_type": "other", "name": "a\\u0000b"}',
        b'{"kind": "model", "model_type": "other", "name": "a\x00b"}',
        b'{"kind": "model", "model_type": "other", "name": "a\xff\xfeb"}',
        b'{"kind": "model", "model_type": "other", "name": "\\ud800"}',
        b'{"kind": "model", "model_type": "other", "name": "x", "description": "\\udfff\\ud800"}',
        b'{"kind": "model", "model_type": "other", "name": "x", "tags": ["\\ud83d"]}',
    ],
    ids=["escaped-nul", "raw-nul", "invalid-utf8", "lone-surrogate", "reversed-pair", "in-list"],
)
def test_bad_characters_in_a_json_api_body_are_a_400(client_for, body: bytes) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        "/api/v1/assets/", data=body, content_type="application/json"
    )
    _is_400(response)
    assert set(response.json()) == {"error"}
    assert not Asset.objects.exists()


def test_a_valid_surrogate_pair_in_json_is_ordinary_text(client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        "/api/v1/assets/",
        data=b'{"kind": "model", "model_type": "other", "name": "smile \\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert Asset.objects.get().name == "smile \U0001f600"


@pytest.mark.parametrize("field_value", [b"a\x00b", b"a\xff\xfeb"], ids=["nul", "invalid-utf8"])
def test_bad_bytes_in_a_multipart_field_are_a_400(
    implementation: Any, media: Path, client_for, field_value: bytes
) -> None:  # type: ignore[no-untyped-def]
    boundary = "BoUnDaRy"
    body = (
        (f'--{boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\n').encode()
        + field_value
        + (
            f"\r\n--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="e.txt"\r\n'
            "Content-Type: text/plain\r\n\r\nhello\r\n"
            f"--{boundary}--\r\n"
        ).encode()
    )
    response = client_for(Role.RISK_OFFICER).post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    _is_400(response)
    assert not Evidence.objects.exists()
    assert _files(media) == []


@pytest.mark.parametrize("filename", [b"a\x00b.txt", b"a\xff.txt"], ids=["nul", "invalid-utf8"])
def test_bad_bytes_in_a_multipart_file_name_never_500(
    implementation: Any, media: Path, client_for, filename: bytes
) -> None:  # type: ignore[no-untyped-def]
    boundary = "BoUnDaRy"
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="description"\r\n\r\nd\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="'
        ).encode()
        + filename
        + (f'"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n').encode()
    )
    response = client_for(Role.RISK_OFFICER).post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code in (302, 400)
    for evidence in Evidence.objects.all():
        assert "\x00" not in evidence.original_name
        assert Path(evidence.file.path).resolve().parent == (media / "evidence").resolve()


@pytest.mark.parametrize("name", ["risk:register", "audit:list", "inventory:list"])
@pytest.mark.parametrize("query", ["q=a%00b", "q=%ff%fe", "q=%ed%a0%80", "a%00=1"])
def test_bad_bytes_in_a_query_string_are_a_400(client_for, name: str, query: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).get(reverse(name) + "?" + query)
    _is_400(response)


@pytest.mark.parametrize(
    "body",
    [
        b'{"version": "4", "alerts": [], "x": "a\\u0000b"}',
        b'{"alerts": "\xff"}',
        b'{"a": "\\ud800"}',
    ],
    ids=["nul", "invalid-utf8", "surrogate"],
)
def test_bad_bytes_at_the_alertmanager_webhook_are_a_400(db: None, make_user, body: bytes) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.models import ApiToken

    officer = make_user(Role.RISK_OFFICER)
    _, secret = api_token_create(
        actor=officer, owner=officer, name="alerts", scope=ApiToken.Scope.ALERTS
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        "/api/v1/alerts/alertmanager/", data=body, content_type="application/json"
    )
    _is_400(response)
    assert set(response.json()) == {"error"}


def test_a_surrogate_in_an_alert_label_is_a_400_not_a_500(db: None, make_user) -> None:  # type: ignore[no-untyped-def]
    from riskhub.accounts.models import ApiToken

    officer = make_user(Role.RISK_OFFICER)
    _, secret = api_token_create(
        actor=officer, owner=officer, name="alerts", scope=ApiToken.Scope.ALERTS
    )
    body = (
        b'{"version": "4", "status": "firing", "receiver": "r", "groupLabels": {},'
        b' "commonLabels": {}, "commonAnnotations": {}, "alerts": [{"status": "firing",'
        b' "labels": {"alertname": "\\udc00", "riskhub_asset": "x"}, "annotations": {},'
        b' "startsAt": "2026-05-04T07:58:30Z", "fingerprint": "f"}]}'
    )
    response = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").post(
        "/api/v1/alerts/alertmanager/", data=body, content_type="application/json"
    )
    _is_400(response)


# --- 6. wrong types in the API: 400 in the one error shape -----------------------------


def _error_shape(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"status", "code", "message", "fields"}, error
    assert error["status"] == 400 and error["code"] == "invalid"
    assert isinstance(error["message"], str) and error["fields"]
    return error


ASSET_CASES = [
    ("record_count", "many"),
    ("training_flops", "lots"),
    ("tags", {"a": 1}),
    ("tags", "not-a-list"),
    ("name", ["x"]),
    ("name", {"x": 1}),
    ("personal_data", "maybe"),
    ("placed_on_market_date", "yesterday"),
    ("owner", "not-a-user"),
    ("kind", ["model"]),
    ("description", {"a": 1}),
    ("description", True),
    ("business_unit", ["x"]),
]


@pytest.mark.parametrize(
    ("name", "value"), ASSET_CASES, ids=[f"{n}-{type(v).__name__}" for n, v in ASSET_CASES]
)
def test_wrong_types_on_the_assets_api_are_a_400_in_the_error_shape(
    client_for, name: str, value: Any
) -> None:  # type: ignore[no-untyped-def]
    body = {"kind": "model", "name": "x", "model_type": "other", name: value}
    response = client_for(Role.ADMIN).post("/api/v1/assets/", body, content_type="application/json")
    error = _error_shape(response)
    assert name in error["fields"], error
    assert not Asset.objects.exists()


def test_a_list_where_an_object_is_expected_is_a_400_in_the_error_shape(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.ADMIN)
    for url in (
        "/api/v1/assets/",
        "/api/v1/assessments/",
        "/api/v1/impact-assessments/",
        "/api/v1/incidents/",
        "/api/v1/reports/",
    ):
        response = client.post(url, [{"kind": "model"}], content_type="application/json")
        error = _error_shape(response)
        assert "non_field_errors" in error["fields"], url


def test_wrong_types_on_asset_update_and_links_are_a_400(world: World) -> None:
    client = Client()
    client.force_login(world.admin)
    url = f"/api/v1/assets/{world.model.uuid}/"
    for body in ({"version": "one", "name": "y"}, {"archived": "maybe"}, {"tags": [1, {"a": 2}]}):
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code in (400, 409), (body, response.content)
        if response.status_code == 400:
            assert set(response.json()) == {"error"}
    for body in (
        {"upstream": "not-a-uuid", "downstream": str(world.model.uuid), "relation": "part_of"},
        {"upstream": 5, "downstream": [1], "relation": "part_of"},
    ):
        _error_shape(client.post("/api/v1/asset-links/", body, content_type="application/json"))
    response = client.get("/api/v1/assets/not-a-uuid/")
    assert response.status_code == 404 and set(response.json()) == {"error"}


@pytest.mark.parametrize(
    "body",
    [
        {"asset": "not-a-uuid"},
        {"asset": 12},
        {"asset": ["x"]},
        {"asset": {"id": "x"}},
        {"matrix": "not-a-uuid"},
    ],
)
def test_wrong_types_on_the_assessments_api_are_a_400_in_the_error_shape(
    world: World, body: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(world.admin)
    body = {"asset": str(world.dataset.uuid), **body}
    _error_shape(client.post("/api/v1/assessments/", body, content_type="application/json"))


def test_wrong_types_on_assessment_and_risk_updates_are_a_400(world: World) -> None:
    client = Client()
    client.force_login(world.officer)
    draft = world.objects["draft"]
    url = f"/api/v1/assessments/{draft.uuid}/"
    for body in (
        {"revision": "abc", "summary": "x"},
        {"revision": draft.revision, "summary": ["x"]},
    ):
        _error_shape(client.patch(url, body, content_type="application/json"))
    risk = draft.risks.first()
    url = f"/api/v1/risks/{risk.uuid}/"
    for body in (
        {"revision": draft.revision, "inherent_impact": "high"},
        {"revision": draft.revision, "due_date": "yesterday"},
        {"revision": draft.revision, "owner": "somebody"},
        {"revision": draft.revision, "threat": ["x"]},
        {"revision": "latest", "title": "x"},
    ):
        _error_shape(client.patch(url, body, content_type="application/json"))
    body = {
        "assessment": str(draft.uuid),
        "title": {"en": "x"},
        "inherent_impact": "4",
        "revision": draft.revision,
    }
    _error_shape(client.post("/api/v1/risks/", body, content_type="application/json"))


@pytest.mark.parametrize(
    "body",
    [
        {"aware_at": "yesterday"},
        {"occurred_at": "yesterday"},
        {"assets": ["not-a-uuid"]},
        {"assets": "not-a-list"},
        {"personal_data_breach": "maybe"},
        {"california_residents": "lots"},
        {"california_residents": [1]},
        {"categories": {"a": 1}},
        {"title": ["x"]},
        {"title": {"x": 1}},
        {"severity": 3},
    ],
    ids=lambda b: next(iter(b)),
)
def test_wrong_types_on_the_incidents_api_are_a_400_in_the_error_shape(
    client_for, body: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    full = {"title": "t", "aware_at": "2026-03-28T09:00:00+01:00", **body}
    response = client_for(Role.ADMIN).post(
        "/api/v1/incidents/", full, content_type="application/json"
    )
    _error_shape(response)


def test_wrong_types_on_incident_actions_are_a_400(world: World) -> None:
    client = Client()
    client.force_login(world.officer)
    incident = world.objects["incident"]
    base = f"/api/v1/incidents/{incident.uuid}/"
    response = client.patch(base, {"severity": ["high"]}, content_type="application/json")
    _error_shape(response)
    response = client.patch(
        base, {"personal_data_breach": "maybe"}, content_type="application/json"
    )
    _error_shape(response)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "risk-register", "system": "not-a-uuid"},
        {"kind": "risk-register", "business_unit": {"id": 42}},
        {"kind": "risk-register", "assets": "not-a-list"},
        {"kind": "risk-register", "assets": ["not-a-uuid"]},
        {"kind": "risk-register", "as_of": "yesterday"},
        {"kind": "risk-register", "as_of": ["2026-01-01"]},
        {"kind": ["risk-register"]},
        {"kind": "framework-compliance", "framework": True},
    ],
    ids=lambda b: "-".join(str(k) for k in b if k != "kind") or "kind",
)
def test_wrong_types_on_the_reports_api_are_a_400_in_the_error_shape(
    db: None, no_report_queue: list[int], client_for, body: dict[str, Any]
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).post(
        "/api/v1/reports/", body, content_type="application/json"
    )
    _error_shape(response)
    assert no_report_queue == []


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/assets/?tier=%5B%5D&record_count=abc",
        "/api/v1/assets/?page=abc",
        "/api/v1/assets/?page_size=-1",
        "/api/v1/assessments/?asset=not-a-uuid",
        "/api/v1/risks/?owner=abc",
        "/api/v1/incidents/?aware_after=yesterday",
        "/api/v1/reports/?status=maybe",
        "/api/v1/audit-events/?occurred_after=yesterday",
    ],
)
def test_wrong_types_in_api_filters_never_500(client_for, url: str) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.ADMIN).get(url)
    assert response.status_code in (200, 400, 404), (url, response.status_code)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


def test_a_malformed_multipart_body_is_a_400(implementation: Any, client_for) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        data=b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb',
        content_type="multipart/form-data; boundary=\x00",
    )
    _is_400(response)


def test_an_ordinary_multipart_upload_with_unicode_still_works(
    implementation: Any, media: Path, client_for
) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.RISK_OFFICER).post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        {
            "file": SimpleUploadedFile("Prüfbericht.pdf", pdf_bytes("Prufbericht")),
            "description": "Prüfbericht – Größe ✓",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert evidence.description == "Prüfbericht – Größe ✓"
    assert evidence.original_name == "Prüfbericht.pdf"


def test_wrong_types_and_bad_characters_in_impact_answers_are_a_400(world: World) -> None:
    """Answers are keyed text: a list, a number, a NUL byte or an unknown question is a
    400 in the one error shape, and the draft keeps what it had."""
    client = Client()
    client.force_login(world.officer)
    item = world.objects["impact"]
    url = f"/api/v1/impact-assessments/{item.uuid}/"
    for body in (
        {"version": item.version, "answers": ["purpose"]},
        {"version": item.version, "answers": {"purpose": ["a"]}},
        {"version": item.version, "answers": {"purpose": "a\u0000b"}},
        {"version": item.version, "answers": {"no_such_question": "x"}},
        {"version": "one", "answers": {}},
    ):
        response = client.patch(url, body, content_type="application/json")
        assert response.status_code == 400, (body, response.content)
        assert set(response.json()) == {"error"}
    item.refresh_from_db()
    assert item.answers["purpose"] == world.fields["impact.purpose"]
