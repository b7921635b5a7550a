"""Object-level rules of the policy module, every rule x every role, through the API.

Each scenario builds an object in the state the rule names, in the relation the rule
names to the acting user (its author, a co-author, the writer or last changer of its
risk, or none), and tries the action. The expected outcome comes from
riskhub.accounts.policy.OBJECT_RULES only.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import OBJECT_RULES, Role
from riskhub.inventory.models import Asset
from riskhub.risk import catalog_loader
from riskhub.risk.models import Assessment, AssessmentContribution, Risk, RiskMatrix
from tests.inventory.test_import_jobs import JOB_RULES
from tests.reports.test_evidence_pack import APPROVAL_RULES
from tests.reports.test_schedules import SCHEDULE_RULES

pytestmark = pytest.mark.django_db


def _assessment(actor: User, other: User, status: str, relation: str) -> Assessment:
    """An assessment in a given state and relation to the actor, built directly: the
    rules under test are the services', so the fixture must not depend on them.

    relation: "author" (the actor started it), "other" (someone else wrote it all),
    "contributor" (someone else started it, the actor wrote its summary),
    "risk_writer" (the actor wrote its risk in an earlier version, carried over),
    "risk_changer" (the actor last changed its risk in an earlier version)."""
    author = actor if relation == "author" else other
    catalog_loader.load(stdout=io.StringIO())
    matrix = RiskMatrix.objects.get(code="default-5x5")
    asset = Asset.objects.create(kind="dataset", name=f"Data {Asset.objects.count()}")
    approved = status == "approved"
    assessment = Assessment.objects.create(
        asset=asset,
        version=1,
        status=status,
        matrix=matrix,
        matrix_version=matrix.version,
        author=author,
        approved_at=timezone.now() if approved else None,
        is_current=approved,
    )
    risk = Risk(
        assessment=assessment,
        title="Poisoning",
        inherent_impact=4,
        inherent_likelihood=4,
        residual_impact=3,
        residual_likelihood=3,
        treatment="accept",
        owner=author,
        created_by=actor if relation == "risk_writer" else author,
        updated_by=actor if relation == "risk_changer" else author,
    )
    scorer = __import__("riskhub.risk.services", fromlist=["_derive"])._derive
    scorer(risk, matrix)
    risk.save()
    now = timezone.now()
    for user, what in [(author, "started"), (author, "risks")] + (
        [(actor, "summary")] if relation == "contributor" else []
    ):
        AssessmentContribution.objects.create(
            assessment=assessment, user=user, what=what, first_at=now, last_at=now
        )
    return assessment


def _edit(client: Client, assessment: Assessment) -> int:
    return client.patch(
        f"/api/v1/assessments/{assessment.uuid}/",
        {"revision": assessment.revision, "summary": "Edited"},
        content_type="application/json",
    ).status_code


def _approve(client: Client, assessment: Assessment) -> int:
    return client.post(
        f"/api/v1/assessments/{assessment.uuid}/approve/", {}, content_type="application/json"
    ).status_code


def _accept(client: Client, assessment: Assessment) -> int:
    risk = assessment.risks.get()
    return client.post(
        "/api/v1/risk-acceptances/",
        {
            "risk": str(risk.uuid),
            "rationale": "Within appetite for one quarter.",
            "expires_on": (datetime.date.today() + datetime.timedelta(days=90)).isoformat(),
        },
        content_type="application/json",
    ).status_code


# rule -> (status of the assessment, its relation to the actor, action)
SCENARIOS: dict[str, tuple[str, str, Callable[[Client, Assessment], int]]] = {
    "assessment.edit_own_draft": ("draft", "author", _edit),
    "assessment.edit_others_draft": ("draft", "other", _edit),
    "assessment.edit_approved": ("approved", "other", _edit),
    "assessment.approve_own": ("in_review", "author", _approve),
    "assessment.approve_contributed": ("in_review", "contributor", _approve),
    "assessment.approve_others": ("in_review", "other", _approve),
    "risk.accept_own_assessment": ("approved", "author", _accept),
    "risk.accept_contributed_assessment": ("approved", "contributor", _accept),
    "risk.accept_written": ("approved", "risk_writer", _accept),
    "risk.accept_last_changed": ("approved", "risk_changer", _accept),
    "risk.accept_others_assessment": ("approved", "other", _accept),
}


def test_every_object_rule_has_a_scenario() -> None:
    # Report schedules have no API, and approving a report needs a rendered one: their
    # rules run per role in tests/reports; import and sync jobs' in tests/inventory.
    assert set(SCENARIOS) | set(SCHEDULE_RULES) | set(APPROVAL_RULES) | set(JOB_RULES) == set(
        OBJECT_RULES
    )


@pytest.mark.parametrize("rule", sorted(SCENARIOS))
@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_object_rule(rule: str, role: Role, make_user: Any) -> None:
    actor = make_user(role)
    other = make_user(Role.RISK_OFFICER)
    status, relation, action = SCENARIOS[rule]
    assessment = _assessment(actor, other, status, relation)
    client = Client()
    client.force_login(actor)
    outcome = action(client, assessment)
    allowed = role in OBJECT_RULES[rule]
    assert outcome < 500, f"{rule} as {role}: server error"
    if allowed:
        assert outcome in (200, 201), f"{rule} as {role}: expected success, got {outcome}"
    else:
        assert outcome in (400, 403, 409), f"{rule} as {role}: expected refusal, got {outcome}"
        # A refusal changes nothing an auditor could see.
        fresh = Assessment.objects.get(pk=assessment.pk)
        assert (fresh.status, fresh.summary, fresh.revision) == (
            assessment.status,
            assessment.summary,
            assessment.revision,
        )
        assert not fresh.risks.filter(acceptances__isnull=False).exists()
