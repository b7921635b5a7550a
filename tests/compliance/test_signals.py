"""Coverage follows the inventory: classification, lineage and organisation changes."""

from __future__ import annotations

import pytest

from riskhub.compliance.models import RequirementStatus
from riskhub.inventory import services as inventory

from .conftest import HR_SCREENER, requirement


def test_classification_change_recomputes_on_commit(
    catalogs, make_asset, officer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system")
    with django_capture_on_commit_callbacks(execute=True):
        inventory.classification_answer(actor=officer, asset=system, answers=HR_SCREENER)
    assert RequirementStatus.objects.filter(
        asset=system, requirement=requirement("eu-ai-act", "Art. 26")
    ).exists()
    system.refresh_from_db()
    assert set(system.coverage_summary) == {"eu-ai-act", "gdpr", "ccpa"}


def test_lineage_change_gives_a_component_its_system_obligations(
    catalogs, make_asset, officer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system", HR_SCREENER, name="Screener")
    model = make_asset("model")
    with django_capture_on_commit_callbacks(execute=True):
        inventory.link_create(actor=officer, upstream=model, downstream=system, relation="part_of")
    row = RequirementStatus.objects.get(
        asset=model, requirement=requirement("eu-ai-act", "Art. 26")
    )
    assert "Screener" in row.reason


@pytest.mark.parametrize("many", [False, True])
def test_large_recomputes_go_to_the_worker(
    catalogs, make_asset, settings, django_capture_on_commit_callbacks, monkeypatch, many
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.compliance import services, tasks

    sent: list = []
    monkeypatch.setattr(tasks.recompute_coverage, "delay", lambda ids: sent.append(ids))
    if many:
        monkeypatch.setattr(services, "SYNC_RECOMPUTE_LIMIT", 0)
    system = make_asset("system", HR_SCREENER)
    from django.db import transaction

    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.schedule_recompute([system.pk])
        services.schedule_recompute([system.pk])
    assert sent == ([[system.pk]] if many else [])
