"""The incidents API and the Alertmanager webhook."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from riskhub.accounts.models import ApiToken
from riskhub.accounts.policy import Role
from riskhub.accounts.services import api_token_create
from riskhub.incidents import services
from riskhub.incidents.models import Incident, TimelineEntry

pytestmark = pytest.mark.django_db

URL = "/api/v1/incidents/"
HOOK = "/api/v1/alerts/alertmanager/"


def _token_client(user, scope=ApiToken.Scope.READ_WRITE) -> Client:  # type: ignore[no-untyped-def]
    _, secret = api_token_create(actor=user, owner=user, name="t", scope=scope)
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _error(response) -> dict:  # type: ignore[no-untyped-def]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == response.status_code
    return body["error"]


def test_an_officer_opens_a_breach_and_gets_the_deadlines(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    endpoint = make_asset("endpoint", "Support chat API")
    client = _token_client(officer)
    response = client.post(
        URL,
        {
            "title": "Chat transcripts exposed",
            "aware_at": "2026-03-28T09:00:00+01:00",
            "assets": [str(endpoint.uuid)],
            "personal_data_breach": True,
            "high_risk_to_individuals": False,
            "serious_incident": None,
            "california_residents": 640,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["assets"][0]["id"] == str(endpoint.uuid)
    deadlines = {(d["framework"], d["ref"]): d for d in body["deadlines"]}
    assert set(deadlines) == {
        ("gdpr", "Art. 33(1)"),
        ("ca-civ-code", "1798.82(a)"),
        ("ca-civ-code", "1798.82(f)"),
    }
    gdpr = deadlines[("gdpr", "Art. 33(1)")]
    # 72 elapsed hours across the DST change, in the organisation's zone (Brussels).
    assert gdpr["due"] == "2026-03-31T10:00:00+02:00"
    assert gdpr["status"] == "missed"  # that moment has passed with no notification
    assert body["timeline"][0]["kind"] == "opened"


def test_aware_at_without_an_offset_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    response = _token_client(officer).post(
        URL, {"title": "x", "aware_at": "2026-03-28T09:00:00"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "aware_at" in _error(response)["fields"]


def test_unknown_serious_incident_code_is_refused(officer) -> None:  # type: ignore[no-untyped-def]
    response = _token_client(officer).post(
        URL,
        {"title": "x", "aware_at": timezone.now().isoformat(), "serious_incident": "bad"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "serious_incident" in _error(response)["fields"]


def test_recording_a_notification_through_the_api_meets_the_clock(officer, make_asset) -> None:  # type: ignore[no-untyped-def]
    incident = services.incident_create(
        actor=officer,
        title="Leak",
        aware_at=timezone.now() - timedelta(hours=2),
        assets=[make_asset("endpoint")],
        personal_data_breach=True,
    )
    client = _token_client(officer)
    response = client.post(
        f"{URL}{incident.uuid}/notifications/",
        {
            "clock": "gdpr:33",
            "recipient": "Autorité",
            "at": timezone.now().isoformat(),
            "reference": "REF-1",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["deadlines"][0]["status"] == "met"


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        (Role.RISK_OFFICER, 200, 201),
        (Role.ADMIN, 200, 201),
        (Role.EXECUTIVE, 200, 403),
        (Role.AUDITOR, 200, 403),
        (None, 401, 401),
    ],
)
def test_permissions_per_role(client_for, role, read, write) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    assert client.get(URL).status_code == read
    response = client.post(
        URL, {"title": "x", "aware_at": timezone.now().isoformat()}, content_type="application/json"
    )
    assert response.status_code == write


def test_the_list_costs_the_same_whatever_the_number_of_incidents(
    officer, make_asset, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(officer)
    asset = make_asset("endpoint")
    for n in range(3):
        services.incident_create(
            actor=officer,
            title=f"i{n}",
            aware_at=timezone.now(),
            assets=[asset],
            personal_data_breach=True,
        )
    with django_assert_max_num_queries(11) as few:
        assert client.get(URL).status_code == 200
    for n in range(12):
        services.incident_create(
            actor=officer,
            title=f"j{n}",
            aware_at=timezone.now(),
            assets=[asset],
            personal_data_breach=True,
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    assert response.json()["count"] == 15


# --- the Alertmanager webhook ---------------------------------------------------------

FIRING = {
    "version": "4",
    "groupKey": '{}:{alertname="ModelDriftHigh"}',
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "riskhub",
    "groupLabels": {"alertname": "ModelDriftHigh"},
    "commonLabels": {"alertname": "ModelDriftHigh", "severity": "critical"},
    "commonAnnotations": {"summary": "Prediction drift above threshold on the credit model"},
    "externalURL": "http://alertmanager.example.com:9093",
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "ModelDriftHigh",
                "severity": "critical",
                "instance": "scoring-7f9c:9100",
                "job": "model-monitor",
                "riskhub_asset": "",
            },
            "annotations": {
                "summary": "Prediction drift above threshold on the credit model",
                "description": "PSI 0.41 over the last hour (threshold 0.25).",
            },
            "startsAt": "2026-05-04T07:58:30.123Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.com:9090/graph?g0.expr=psi%3E0.25",
            "fingerprint": "c5a1b2d3e4f50617",
        }
    ],
}


def _payload(asset_label: str, status: str = "firing") -> dict:
    payload = copy.deepcopy(FIRING)
    payload["status"] = status
    alert = payload["alerts"][0]
    alert["status"] = status
    alert["labels"]["riskhub_asset"] = asset_label
    if status == "resolved":
        alert["endsAt"] = "2026-05-04T08:30:00Z"
    return payload


def test_firing_resolved_firing_again_is_one_incident_with_three_alert_entries(
    officer, make_asset
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint", "Credit scoring API")
    client = _token_client(officer, ApiToken.Scope.ALERTS)

    first = client.post(HOOK, _payload(str(asset.uuid)), content_type="application/json")
    assert first.status_code == 200, first.json()
    assert first.json()["alerts"][0]["result"] == "opened"
    resolved = client.post(
        HOOK, _payload(str(asset.uuid), "resolved"), content_type="application/json"
    )
    assert resolved.json()["alerts"][0]["result"] == "resolved"
    again = client.post(HOOK, _payload("credit scoring api"), content_type="application/json")
    assert again.json()["alerts"][0]["result"] == "updated"

    incident = Incident.objects.get()
    assert incident.alert_fingerprint == "c5a1b2d3e4f50617"
    assert incident.status == Incident.Status.OPEN  # a resolved alert never closes it
    assert incident.severity == Incident.Severity.CRITICAL
    assert incident.title == "Prediction drift above threshold on the credit model"
    assert list(incident.assets.all()) == [asset]
    alerts = list(incident.timeline.filter(kind=TimelineEntry.Kind.ALERT).order_by("id"))
    assert [a.summary.split(":")[0] for a in alerts] == [
        "Alert firing",
        "Alert resolved",
        "Alert firing",
    ]
    assert "prometheus.example.com" in incident.description


def test_an_alert_without_a_known_asset_is_ignored_with_a_reason(officer) -> None:  # type: ignore[no-untyped-def]
    client = _token_client(officer, ApiToken.Scope.ALERTS)
    response = client.post(HOOK, _payload("no such asset"), content_type="application/json")
    assert response.status_code == 200
    assert response.json()["alerts"][0]["result"] == "ignored"
    assert not Incident.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"version": "3", "status": "firing", "receiver": "x", "alerts": []},
        {"version": "4", "status": "firing", "receiver": "x", "alerts": [{"status": "firing"}]},
        {"version": "4", "status": "firing", "receiver": "x", "alerts": "nope"},
        ["not", "an", "object"],
    ],
)
def test_a_malformed_payload_is_a_400_in_the_one_error_shape(officer, body) -> None:  # type: ignore[no-untyped-def]
    client = _token_client(officer, ApiToken.Scope.ALERTS)
    response = client.post(HOOK, body, content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "invalid"


def test_the_webhook_needs_an_alerts_token_of_a_user_who_may_edit_incidents(
    officer, executive, make_asset
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint")
    rw = _token_client(officer, ApiToken.Scope.READ_WRITE)
    assert (
        rw.post(HOOK, _payload(str(asset.uuid)), content_type="application/json").status_code == 403
    )
    exec_alerts = _token_client(executive, ApiToken.Scope.ALERTS)
    response = exec_alerts.post(HOOK, _payload(str(asset.uuid)), content_type="application/json")
    assert response.status_code == 403
    assert (
        Client().post(HOOK, _payload(str(asset.uuid)), content_type="application/json").status_code
        == 401
    )
    # ... and an alerts token opens nothing else.
    alerts = _token_client(officer, ApiToken.Scope.ALERTS)
    assert alerts.get(URL).status_code == 403
    assert not Incident.objects.exists()
