"""A small, complete world built through the other apps' services: a high-risk hiring
system with a model and a dataset upstream, an approved assessment with an accepted
risk, and an implemented control with evidence."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import TestCase
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.celery import app as celery_app
from riskhub.compliance import catalog_loader as compliance_catalogs
from riskhub.compliance import services as compliance_services
from riskhub.compliance.models import Control
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.reports import services
from riskhub.reports.models import Report
from riskhub.risk import catalog_loader as risk_catalogs
from riskhub.risk import services as risk_services
from riskhub.risk.models import Assessment
from tests.conftest import new_user
from tests.support import module_transaction

HR_SCREENER = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": ["provider", "deployer"],
    "performs_profiling": True,
    "gdpr": {"personal_data": True, "automated_decisions": True},
    "ccpa": {
        "california_consumers": True,
        "business_thresholds_met": True,
        "admt_significant_decisions": True,
    },
}


@pytest.fixture(autouse=True)
def _reports_setup(
    request: Any, settings: Any, tmp_path: Any, monkeypatch: Any
) -> Iterator[list[int]]:
    """Files under a temporary MEDIA_ROOT; tasks run in-process; enqueues are recorded
    instead of sent (a test then runs the task function itself), except in the tests
    that drive a real worker."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.RISKHUB_BASE_URL = "http://testserver"
    real_worker = request.node.get_closest_marker("worker") is not None
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = not real_worker
    enqueued: list[int] = []
    if not real_worker:
        monkeypatch.setattr(services, "_enqueue", enqueued.append)
    yield enqueued
    celery_app.conf.task_always_eager = previous


@pytest.fixture
def enqueued(_reports_setup: list[int]) -> list[int]:
    return _reports_setup


@dataclass
class World:
    officer: User
    executive: User
    system: Asset
    model: Asset
    dataset: Asset
    other: Asset
    assessment: Assessment


WORLD_ROWS: dict[str, type[Any]] = {
    "officer": User,
    "executive": User,
    "system": Asset,
    "model": Asset,
    "dataset": Asset,
    "other": Asset,
    "assessment": Assessment,
}


@pytest.fixture(scope="module")
def _module_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, int]]:
    """The world, built once per module (about 1.7 s: the catalogs, the recomputes and
    the audit trail of some twenty service calls) in a transaction rolled back at the
    end; each test runs in a savepoint inside it and gets its own copies of the rows
    (``world``). A test that commits (``transaction=True``) cannot run inside it: it
    asks for ``fresh_world``, in a module of its own."""
    previous = celery_app.conf.task_always_eager
    with module_transaction(django_db_blocker):
        celery_app.conf.task_always_eager = True
        try:
            built = build_world()
        finally:
            celery_app.conf.task_always_eager = previous
        yield {name: getattr(built, name).pk for name in WORLD_ROWS}


@pytest.fixture
def world(request: Any, _module_world: dict[str, int], db: None) -> World:
    marker = request.node.get_closest_marker("django_db")
    assert not (marker and marker.kwargs.get("transaction")), (
        "a transactional test cannot share the module's world: ask for fresh_world"
    )
    return World(
        **{name: WORLD_ROWS[name].objects.get(pk=pk) for name, pk in _module_world.items()}
    )


@pytest.fixture
def fresh_world(db: None) -> World:
    """The world built for this test alone (for tests that commit)."""
    return build_world()


def build_world() -> World:
    risk_catalogs.load(stdout=io.StringIO())
    compliance_catalogs.load(stdout=io.StringIO())
    officer = new_user(Role.RISK_OFFICER)
    executive = new_user(Role.EXECUTIVE)
    with TestCase.captureOnCommitCallbacks(execute=True):
        hr = inventory.business_unit_get_or_create(actor=officer, name="People & HR")
        system = inventory.asset_create(
            actor=officer,
            kind="system",
            name="Hiring Screener",
            intended_purpose="Rank job applications for recruiters.",
            business_unit=hr,
            lifecycle="production",
        )
        inventory.classification_answer(actor=officer, asset=system, answers=HR_SCREENER)
        model = inventory.asset_create(
            actor=officer, kind="model", name="CV Ranker", model_type="classifier", business_unit=hr
        )
        dataset = inventory.asset_create(
            actor=officer,
            kind="dataset",
            name="Applicant CVs",
            personal_data=True,
            business_unit=hr,
        )
        other = inventory.asset_create(
            actor=officer, kind="model", name="Weather Forecaster", model_type="regressor"
        )
        inventory.link_create(actor=officer, upstream=model, downstream=system, relation="part_of")
        inventory.link_create(
            actor=officer, upstream=dataset, downstream=model, relation="trained_on"
        )
        assessment = risk_services.assessment_start(actor=officer, asset=model)
        assessment = risk_services.assessment_save(
            actor=officer,
            assessment=assessment,
            expected_revision=assessment.revision,
            risks=[
                _risk("Biased ranking of candidates", (5, 4, 4, 4), officer),
                _risk("Training data poisoning", (4, 3, 2, 2), officer),
            ],
        )
        assessment = risk_services.assessment_submit(actor=officer, assessment=assessment)
        assessment = risk_services.assessment_approve(actor=executive, assessment=assessment)
        risk = assessment.risks.get(title="Training data poisoning")
        risk_services.acceptance_create(
            actor=executive,
            risk=risk,
            rationale="Low residual; monitored monthly.",
            expires_on=timezone.localdate() + dt.timedelta(days=90),
        )
        implementation = compliance_services.implementation_create(
            actor=officer,
            control=Control.objects.get(code="CTL-RISK-MGMT"),
            scope="system",
            asset=system,
            status="implemented",
        )
        compliance_services.evidence_add_link(
            actor=officer,
            implementation=implementation,
            url="https://wiki.example.com/risk-process",
            description="Risk management procedure v2",
            valid_until=timezone.localdate() + dt.timedelta(days=365),
        )
    return World(officer, executive, system, model, dataset, other, assessment)


def _risk(title: str, levels: tuple[int, int, int, int], owner: User) -> dict[str, Any]:
    ii, il, ri, rl = levels
    return {
        "title": title,
        "inherent_impact": ii,
        "inherent_likelihood": il,
        "residual_impact": ri,
        "residual_likelihood": rl,
        "treatment": "mitigate",
        "owner": owner,
        "due_date": timezone.localdate() + dt.timedelta(days=30),
    }


@pytest.fixture
def render(world: World) -> Callable[..., Report]:
    """Request a report as the officer and run the task function synchronously."""

    def run(kind: str, **parameters: Any) -> Report:
        report = services.report_request(actor=world.officer, kind=kind, parameters=parameters)
        services.run(report.pk)
        report.refresh_from_db()
        return report

    return run
