"""Bad input gets a 400, never a 500 (issue 12, item 6): time-zone offsets beyond ±15:59
and dates a time zone pushes off the calendar in filters; JSON nested 50,000 deep, a
5,000-digit number, NaN or 1e999 in API bodies, the Alertmanager webhook, evidence
files and inventory imports; an as-of of 0001-01-01 or in the future on the dashboard
and in report requests, and a stored one in the report worker.

Each client here has `raise_request_exception = False`, so a regression shows as the
500 a user would get, not as a test-runner traceback."""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create
from riskhub.audit.models import AuditEvent
from riskhub.common import safejson
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control, ControlImplementation, Evidence
from riskhub.incidents.models import Incident
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.reports import services as report_services
from riskhub.reports.models import Report
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk.models import Assessment

pytestmark = pytest.mark.django_db

DEEP = "[" * 50_000 + "]" * 50_000
HUGE = "9" * 5_000


@pytest.fixture
def client_as(client_for: Callable[[Role | None], Client]) -> Callable[[Role], Client]:
    def make(role: Role) -> Client:
        client = client_for(role)
        client.raise_request_exception = False
        return client

    return make


@pytest.fixture
def queued(monkeypatch: Any) -> list[int]:
    """Report renders that would have been sent to the broker."""
    sent: list[int] = []
    monkeypatch.setattr(report_services, "_enqueue", sent.append)
    return sent


def api_error(response: Any, field: str | None = None) -> dict[str, Any]:
    """The one error shape, status 400; with `field`, an error on that field."""
    assert response.status_code == 400, (response.status_code, response.content[:300])
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["status"] == 400 and isinstance(error["message"], str), error
    if field is not None:
        assert error["code"] == "invalid" and field in error["fields"], error
    return error


# --- 1. dates and moments in list filters ----------------------------------------------

OFFSETS = [
    ("/api/v1/assets/", "updated_since", "2026-01-01T00:00:00+16:30"),
    ("/api/v1/assets/", "updated_since", "2026-01-01T00:00:00-17:00"),
    ("/api/v1/audit-events/", "until", "2026-01-01T00:00:00-17:00"),
    ("/api/v1/audit-events/", "since", "2026-01-01T00:00:00+23:59"),
    ("/api/v1/incidents/", "aware_since", "2026-01-01T00:00:00+16:00"),
]


@pytest.mark.parametrize(("url", "name", "value"), OFFSETS)
def test_an_offset_beyond_15_59_in_a_filter_is_a_400_naming_the_filter(
    client_as: Callable[[Role], Client], url: str, name: str, value: str
) -> None:
    error = api_error(client_as(Role.ADMIN).get(url, {name: value}), name)
    assert error["fields"][name] == ["Give a UTC offset between -15:59 and +15:59."]


@pytest.mark.parametrize(
    ("url", "name", "value"),
    [
        ("/api/v1/assets/", "updated_since", "0001-01-01T00:00:00+01:00"),
        ("/api/v1/audit-events/", "until", "9999-12-31T23:59:59-01:00"),
        ("/api/v1/incidents/", "aware_since", "0001-01-01T00:30:00+00:45"),
    ],
)
def test_a_moment_that_overflows_in_utc_is_a_400_naming_the_filter(
    client_as: Callable[[Role], Client], url: str, name: str, value: str
) -> None:
    error = api_error(client_as(Role.ADMIN).get(url, {name: value}), name)
    assert error["fields"][name] == ["Give a moment between 0001-01-01 and 9999-12-31 in UTC."]


def test_a_bare_day_at_the_start_of_the_calendar_in_a_zone_east_of_utc_is_a_400(
    client_as: Callable[[Role], Client], settings: Any
) -> None:
    settings.TIME_ZONE = "Europe/Brussels"  # 0001-01-01 00:00 there is still year 0 in UTC
    api_error(
        client_as(Role.AUDITOR).get("/api/v1/audit-events/", {"since": "0001-01-01"}), "since"
    )


def test_real_offsets_filter_by_the_instant_they_name(
    client_as: Callable[[Role], Client], make_user: Callable[..., User]
) -> None:
    officer = make_user(Role.RISK_OFFICER)
    asset = inventory.asset_create(
        actor=officer, kind="system", name="Screener", intended_purpose="Rank applications."
    )
    client = client_as(Role.ADMIN)
    for hours in (14, -12, 0):
        zone = dt.timezone(dt.timedelta(hours=hours))
        before = (asset.updated_at - dt.timedelta(minutes=1)).astimezone(zone).isoformat()
        after = (asset.updated_at + dt.timedelta(minutes=1)).astimezone(zone).isoformat()
        found = client.get("/api/v1/assets/", {"updated_since": before}).json()["results"]
        assert [a["name"] for a in found] == ["Screener"], before
        assert client.get("/api/v1/assets/", {"updated_since": after}).json()["results"] == []


@pytest.mark.parametrize(
    ("zone", "query"),
    [("Europe/Brussels", {"since": "0001-01-01"}), ("America/New_York", {"until": "9999-12-31"})],
)
def test_a_day_off_the_calendar_in_the_audit_page_filter_is_a_field_error(
    client_as: Callable[[Role], Client], settings: Any, zone: str, query: dict[str, str]
) -> None:
    settings.TIME_ZONE = zone
    response = client_as(Role.AUDITOR).get(reverse("audit:list"), query)
    assert response.status_code == 400  # a refused filter lists nothing
    assert "Give a date between 0001-01-02 and 9999-12-30." in response.content.decode()


# --- 2. hostile JSON ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "stored"),
    [
        ("/api/v1/assets/", Asset),
        ("/api/v1/incidents/", Incident),
        ("/api/v1/reports/", Report),
        ("/api/v1/assessments/", Assessment),
    ],
)
def test_json_nested_50000_deep_in_an_api_body_is_a_400(
    client_as: Callable[[Role], Client], queued: list[int], url: str, stored: Any
) -> None:
    body = '{"name": ' + DEEP + "}"
    response = client_as(Role.ADMIN).post(url, body, content_type="application/json")
    error = api_error(response)
    assert error["code"] == "parse_error"
    assert "nested more than 100 levels deep" in error["message"]
    assert not stored.objects.exists() and queued == []


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        (HUGE, "A number in the JSON is longer than 100 characters"),
        ("1e999", "The number 1e999 is out of range"),
        ("NaN", "NaN is not a JSON value"),
        ("-Infinity", "-Infinity is not a JSON value"),
    ],
    ids=["5000-digits", "1e999", "NaN", "-Infinity"],
)
def test_a_number_json_cannot_carry_in_an_api_body_is_a_400_saying_why(
    client_as: Callable[[Role], Client], literal: str, reason: str
) -> None:
    body = (
        '{"kind": "model", "model_type": "other", "name": "m", "training_flops": ' + literal + "}"
    )
    response = client_as(Role.ADMIN).post("/api/v1/assets/", body, content_type="application/json")
    assert reason in api_error(response)["message"]
    assert not Asset.objects.exists()


def test_an_ordinary_body_with_large_but_sane_numbers_still_works(
    client_as: Callable[[Role], Client],
) -> None:
    body = '{"kind": "model", "model_type": "other", "name": "[{big}]", "training_flops": 2.5e25}'
    response = client_as(Role.ADMIN).post("/api/v1/assets/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert Asset.objects.get().training_flops == 2.5e25


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (DEEP, "The JSON is nested more than 100 levels deep"),
        ('{"version": "4", "truncatedAlerts": ' + HUGE + "}", "longer than 100 characters"),
    ],
    ids=["deep", "5000-digits"],
)
def test_hostile_json_at_the_alertmanager_webhook_is_a_400(
    make_user: Callable[..., User], body: str, reason: str
) -> None:
    officer = make_user(Role.RISK_OFFICER)
    _, secret = api_token_create(
        actor=officer, owner=officer, name="alerts", scope=ApiToken.Scope.ALERTS
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    client.raise_request_exception = False
    response = client.post("/api/v1/alerts/alertmanager/", body, content_type="application/json")
    error = api_error(response)
    assert error["code"] == "parse_error" and reason in error["message"]
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    ("name", "body", "reason"),
    [
        ("inventory.json", DEEP, "The JSON is nested more than 100 levels deep"),
        (
            "inventory.json",
            '[{"kind": "dataset", "name": "d", "record_count": ' + HUGE + "}]",
            "A number in the JSON is longer than 100 characters",
        ),
        (
            "inventory.json",
            '[{"kind": "model", "name": "m", "training_flops": 1e999}]',
            "The number 1e999 is out of range",
        ),
        (
            "inventory.cdx.json",
            '{"bomFormat": "CycloneDX", "specVersion": "1.6", "components": ' + DEEP + "}",
            "The JSON is nested more than 100 levels deep",
        ),
    ],
    ids=["deep", "5000-digits", "1e999", "cyclonedx-deep"],
)
def test_hostile_json_in_the_inventory_import_is_refused_with_the_reason(
    client_as: Callable[[Role], Client], name: str, body: str, reason: str
) -> None:
    response = client_as(Role.RISK_OFFICER).post(
        reverse("inventory:import"), {"file": SimpleUploadedFile(name, body.encode())}
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Asset.objects.exists()


def test_a_bom_nested_forty_components_deep_still_imports(officer: User) -> None:
    from riskhub.inventory import io as inventory_io

    component: dict[str, Any] = {"type": "data", "name": "corpus", "bom-ref": "corpus"}
    for level in range(40):
        component = {
            "type": "machine-learning-model",
            "name": f"model {level}",
            "bom-ref": f"model-{level}",
            "components": [component],
        }
    bom = {"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "components": [component]}
    data = json.dumps(bom).encode()
    report = inventory_io.import_file(actor=officer, name="nested.cdx.json", data=data)
    assert report.ok, [e.message for e in report.errors]
    assert Asset.objects.count() == 41


@pytest.fixture
def implementation(settings: Any, tmp_path: Path, make_user: Callable[..., User]) -> Any:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    risk_catalogs.load(stdout=io.StringIO())  # the threats controls link to
    compliance_catalogs.load(stdout=io.StringIO())
    officer = make_user(Role.RISK_OFFICER)
    system = inventory.asset_create(
        actor=officer, kind="system", name="Screener", intended_purpose="Rank applications."
    )
    return compliance_services.implementation_create(
        actor=officer,
        control=Control.objects.get(code="CTL-RISK-MGMT"),
        scope="system",
        asset=system,
    )


def test_evidence_json_nested_too_deep_is_refused_with_the_reason(
    implementation: ControlImplementation, tmp_path: Path, client_as: Callable[[Role], Client]
) -> None:
    response = client_as(Role.RISK_OFFICER).post(
        reverse("compliance:evidence_upload", args=[implementation.uuid]),
        {"file": SimpleUploadedFile("scan.json", DEEP.encode()), "description": "scan"},
        HTTP_ACCEPT="application/json",
        HTTP_X_REQUESTED_WITH="XMLHttpRequest",
    )
    assert response.status_code == 400
    message = " ".join(response.json()["errors"]["file"])
    assert "The JSON is nested more than 100 levels deep" in message
    assert not Evidence.objects.exists()
    assert not any(p.is_file() for p in (tmp_path / "media").rglob("*"))


def test_evidence_json_through_the_api_body_is_read_by_the_same_loader(
    implementation: ControlImplementation, client_as: Callable[[Role], Client]
) -> None:
    body = f'{{"implementation": "{implementation.uuid}", "url": {DEEP}}}'
    response = client_as(Role.RISK_OFFICER).post(
        "/api/v1/evidence/", body, content_type="application/json"
    )
    assert "nested more than 100 levels deep" in api_error(response)["message"]
    assert not Evidence.objects.exists()


# --- 3. the loader itself ----------------------------------------------------------------


def test_the_loader_reads_100_levels_and_refuses_101_naming_the_line() -> None:
    assert safejson.loads("[" * 100 + "]" * 100) is not None
    with pytest.raises(safejson.JSONInputError) as refused:
        safejson.loads('{"a":\n' + "[" * 100 + "]" * 100 + "}")
    assert refused.value.msg == "The JSON is nested more than 100 levels deep"
    # The object is level 1, so the 100th bracket on line 2 is level 101.
    assert (refused.value.lineno, refused.value.colno) == (2, 100)


def test_brackets_and_numbers_inside_strings_are_only_text() -> None:
    text = json.dumps({"a": "[" * 500, "b": '\\"[{' * 200, "c": "9" * 5000, "d": "NaN"})
    assert safejson.loads(text)["a"] == "[" * 500


def test_a_syntax_error_is_still_a_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError) as bad:
        safejson.loads('{"a": [1, 2,]}')
    assert not isinstance(bad.value, safejson.JSONInputError)


def test_the_depth_check_stays_linear_on_unbalanced_quotes_and_escapes() -> None:
    # Each quote below starts a string that runs to the end unless the scan is careful:
    # a naive scan is quadratic here (hours); this one reads it once.
    started = time.perf_counter()
    for text in ('"\\"' * 200_000, '["' + "\\" * 400_001):
        with pytest.raises(json.JSONDecodeError):
            safejson.loads(text)
    assert time.perf_counter() - started < 10


# --- 4. as-of: the dashboard ---------------------------------------------------------------


def test_a_dashboard_as_of_0001_01_01_is_a_field_error_on_the_page(
    client_as: Callable[[Role], Client],
) -> None:
    response = client_as(Role.EXECUTIVE).get(reverse("dashboard:index"), {"as_of": "0001-01-01"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="invalid-feedback d-block" id="as-of-error">' in html
    assert "Pick a day on or after 2000-01-01." in html
    assert 'min="2000-01-01"' in html


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("0001-01-01", "Pick a day on or after 2000-01-01."),
        ("1999-12-31", "Pick a day on or after 2000-01-01."),
        ("9999-12-31", "Pick today or a past day."),
    ],
)
def test_a_dashboard_api_as_of_out_of_range_is_a_400(
    client_as: Callable[[Role], Client], as_of: str, message: str
) -> None:
    response = client_as(Role.AUDITOR).get("/api/v1/dashboard/", {"as_of": as_of})
    assert api_error(response, "as_of")["fields"]["as_of"] == [message]


def test_the_first_supported_as_of_day_is_accepted(client_as: Callable[[Role], Client]) -> None:
    response = client_as(Role.AUDITOR).get("/api/v1/dashboard/", {"as_of": "2000-01-01"})
    assert response.status_code == 200
    assert response.json()["summary"]["as_of"] == "2000-01-01"


# --- 5. as-of: report requests and the worker -----------------------------------------


def as_of_value(name: str) -> str:
    """The as-of a test case names, computed when the test runs (stable test ids)."""
    return {
        "20-hours-ahead": (timezone.now() + dt.timedelta(hours=20)).isoformat(),
        "3-minutes-ago": (timezone.now() - dt.timedelta(minutes=3)).isoformat(),
        "tomorrow": (timezone.localdate() + dt.timedelta(days=1)).isoformat(),
        "today": timezone.localdate().isoformat(),
    }.get(name, name)


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("0001-01-01", "Pick a day on or after 2000-01-01."),
        ("1999-12-31T23:00:00+00:00", "Pick a day on or after 2000-01-01."),
        ("20-hours-ahead", "Pick a moment that is not in the future."),
        ("tomorrow", "Pick today or a past day."),
        ("2026-01-01T00:00:00+16:30", "Give a UTC offset between -15:59 and +15:59."),
    ],
)
def test_a_report_requested_through_the_api_with_a_bad_as_of_is_a_400(
    client_as: Callable[[Role], Client], queued: list[int], as_of: str, message: str
) -> None:
    as_of = as_of_value(as_of)
    response = client_as(Role.AUDITOR).post(
        "/api/v1/reports/", {"kind": "risk-register", "as_of": as_of}, "application/json"
    )
    assert api_error(response, "as_of")["fields"]["as_of"] == [message]
    assert not Report.objects.exists() and queued == []


@pytest.mark.parametrize("as_of", ["3-minutes-ago", "today", "2000-01-01"])
def test_a_report_as_of_a_past_moment_today_or_the_first_day_is_accepted(
    client_as: Callable[[Role], Client], queued: list[int], as_of: str
) -> None:
    as_of = as_of_value(as_of)
    response = client_as(Role.AUDITOR).post(
        "/api/v1/reports/", {"kind": "risk-register", "as_of": as_of}, "application/json"
    )
    assert response.status_code == 201, response.content
    assert Report.objects.get().parameters == {"as_of": as_of}


def test_a_report_requested_on_the_page_as_of_0001_01_01_is_a_field_error(
    client_as: Callable[[Role], Client], queued: list[int]
) -> None:
    response = client_as(Role.RISK_OFFICER).post(
        reverse("reports:request"), {"kind": "risk-register", "as_of": "0001-01-01"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_as_of_error">Pick a day on or after 2000-01-01.</div>' in html
    assert not Report.objects.exists() and queued == []


@pytest.mark.parametrize(
    ("as_of", "reason"),
    [
        ("0001-01-01", "Pick a day on or after 2000-01-01."),
        ("20-hours-ahead", "Pick a moment that is not in the future."),
    ],
)
def test_the_worker_fails_a_stored_report_with_an_impossible_as_of_with_the_reason(
    make_user: Callable[..., User], caplog: Any, as_of: str, reason: str
) -> None:
    # A row written before the request checked its as-of (or edited in the database).
    report = Report.objects.create(
        kind="executive-summary",
        parameters={"as_of": as_of_value(as_of)},
        title="Executive summary",
        requested_by=make_user(Role.EXECUTIVE),
    )
    with caplog.at_level(logging.INFO, logger="riskhub"):
        assert report_services.run(report.pk) == "failed"
    report.refresh_from_db()
    assert report.status == Report.Status.FAILED
    assert report.error == f"The report's parameters are invalid: {reason}"
    assert not report.file
    assert not [r for r in caplog.records if r.exc_info], "no traceback for bad parameters"
    event = AuditEvent.objects.get(action="report.failed", object_id=str(report.uuid))
    assert event.after == {"error": report.error}
