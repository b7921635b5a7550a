from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.audit.services import record_event

pytestmark = pytest.mark.django_db


def test_auditors_filter_the_trail_by_action(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(
        actor=None,
        action="asset.create",
        object_type="asset",
        object_id="a1",
        object_repr="Scoring model",
    )
    record_event(actor=None, action="risk.approve", object_type="assessment", object_id="r1")
    page = client_for(Role.AUDITOR).get(reverse("audit:list"), {"action": "asset."})
    html = page.content.decode()
    assert "Scoring model" in html and "risk.approve" not in html.split("<tbody>")[1]


def test_the_trail_exports_as_csv_and_json_with_formulas_neutralised(client_for) -> None:  # type: ignore[no-untyped-def]
    record_event(
        actor=None,
        action="asset.create",
        object_type="asset",
        object_id="a1",
        object_repr='=HYPERLINK("x")',
    )
    client = client_for(Role.EXECUTIVE)
    raw = b"".join(client.get(reverse("audit:export_csv")).streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(raw)))
    exported = [r for r in rows if r["action"] == "asset.create"][0]
    assert exported["object_repr"].startswith("'=")
    data = json.loads(b"".join(client.get(reverse("audit:export_json")).streaming_content))
    assert any(r["action"] == "asset.create" and r["object_repr"].startswith("=") for r in data)


def test_the_audit_page_query_count_does_not_grow_with_events(
    client_for, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    for i in range(120):
        record_event(actor=None, action="bulk.test", object_id=str(i))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("audit:list")).status_code == 200


def test_the_api_lists_the_trail_paginated_for_auditors(client_for) -> None:  # type: ignore[no-untyped-def]
    for i in range(60):
        record_event(actor=None, action="bulk.test", object_id=str(i))
    body = client_for(Role.AUDITOR).get("/api/v1/audit-events/", {"action": "bulk."}).json()
    assert body["count"] == 60 and len(body["results"]) == 50 and body["next"]
