"""A control's threats are links to the risk app's threat catalog: a threat's page shows
the catalog entry from the database and its suggested controls through the links, and
the upgrade turns the old JSON lists of codes into links without losing one."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.compliance.models import Control, ControlThreat
from riskhub.risk.models import Threat

pytestmark = pytest.mark.django_db


def _page(client_for: Any, code: str) -> Any:
    return client_for(Role.AUDITOR).get(reverse("compliance:threat", args=[code]))


def test_a_threats_page_lists_exactly_the_controls_that_name_it(
    catalogs: Any, client_for: Any
) -> None:
    response = _page(client_for, "THR-PROMPT-INJECTION")
    assert response.status_code == 200
    shown = {c.code for c in response.context["controls"]}
    assert shown == set(
        Control.objects.filter(
            retired=False, threat_links__threat__code="THR-PROMPT-INJECTION"
        ).values_list("code", flat=True)
    )
    assert "CTL-PROMPT-INJECTION-DEFENCE" in shown
    assert "CTL-ENCRYPTION" not in shown


def test_a_threats_page_shows_the_catalog_entry_as_loaded(catalogs: Any, client_for: Any) -> None:
    # The database is the catalog: nothing re-reads the risk app's YAML per request.
    Threat.objects.filter(code="THR-PROMPT-INJECTION").update(
        name="Prompt injection (as loaded)", atlas=["AML.T9999"]
    )
    page = _page(client_for, "THR-PROMPT-INJECTION").content.decode()
    assert "Prompt injection (as loaded)" in page
    assert "AML.T9999" in page


def test_a_retired_threat_keeps_its_page_and_an_unknown_code_is_not_found(
    catalogs: Any, client_for: Any
) -> None:
    Threat.objects.filter(code="THR-INSIDER").update(active=False, name="Insider (retired)")
    assert "Insider (retired)" in _page(client_for, "THR-INSIDER").content.decode()
    assert _page(client_for, "THR-NOPE").status_code == 404


def test_the_control_pages_and_api_name_the_threats_in_catalog_order(
    catalogs: Any, client_for: Any
) -> None:
    provenance = Control.objects.get(code="CTL-DATA-PROVENANCE")
    expected = [
        "THR-DATA-POISONING",
        "THR-RAG-POISONING",
        "THR-SUPPLY-CHAIN",
        "THR-DRIFT-EXPLOITATION",
    ]
    client = client_for(Role.AUDITOR)
    api = client.get(f"/api/v1/controls/{provenance.uuid}/").json()
    assert api["threats"] == expected
    page = client.get(reverse("compliance:control", args=[provenance.uuid])).content.decode()
    positions = [page.index(f'href="/compliance/threats/{code}/"') for code in expected]
    assert positions == sorted(positions)


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_turns_each_controls_codes_into_links_in_order(catalogs: Any) -> None:
    before = [("compliance", "0002_evidence_url_null_when_no_link")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        OldControl = old.get_model("compliance", "Control")
        OldControl.objects.create(
            code="CTL-OLD",
            name="Written before the upgrade",
            default_scope="asset",
            catalog_version="1",
            threats=["THR-INSIDER", "THR-GONE", "THR-EVASION", "THR-INSIDER"],
        )
        reverted = dict(OldControl.objects.values_list("code", "threats"))
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    # The catalog's own links went down and came back up unchanged...
    provenance = Control.objects.get(code="CTL-DATA-PROVENANCE")
    assert reverted["CTL-DATA-PROVENANCE"] == provenance.threat_codes
    assert provenance.threat_codes[0] == "THR-DATA-POISONING"
    # ...and a control's codes become links in their order; a code no threat has, or
    # one listed twice, cannot be a link.
    upgraded = Control.objects.get(code="CTL-OLD")
    assert upgraded.threat_codes == ["THR-INSIDER", "THR-EVASION"]
    assert ControlThreat.objects.filter(control=upgraded).count() == 2
