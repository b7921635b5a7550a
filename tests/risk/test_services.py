from __future__ import annotations

from datetime import date

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory.models import Asset
from riskhub.risk import services
from riskhub.risk.models import Assessment, Risk
from tests.risk.conftest import risk_row

pytestmark = pytest.mark.django_db


def test_an_officer_writes_and_submits_and_an_executive_approves(
    assess, make_asset, officer, executive, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("endpoint")
    a = assess(asset, [(4, 4, 3, 2)], author=officer)
    assert a.status == Assessment.Status.IN_REVIEW
    assert [m.to for m in mail.outbox] == [[executive.email]]
    assert "to review" in mail.outbox[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        a = services.assessment_approve(actor=executive, assessment=a)
    assert a.status == Assessment.Status.APPROVED and a.is_current and a.reviewer == executive
    assert mail.outbox[-1].to == [officer.email] and "Approved" in mail.outbox[-1].subject
    asset.refresh_from_db()
    assert asset.own_risk_band == "medium"  # residual 3x2=6 on the 5x5
    assert AuditEvent.objects.filter(action="assessment.approve", object_id=str(a.uuid)).exists()


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.AUDITOR])
def test_roles_without_risk_review_cannot_approve_or_return(
    assess, make_asset, officer, make_user, role
) -> None:  # type: ignore[no-untyped-def]
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    other = make_user(role)
    with pytest.raises(PermissionDenied):
        services.assessment_approve(actor=other, assessment=a)
    with pytest.raises(PermissionDenied):
        services.assessment_return(actor=other, assessment=a, comments="no")


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AUDITOR])
def test_roles_without_risk_edit_cannot_start_or_edit(
    make_asset, catalogs, make_user, role
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=make_user(role), asset=make_asset())


def test_the_author_may_not_approve_their_own_assessment(assess, make_asset, make_user) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)  # admins both edit and review
    a = assess(make_asset(), [(3, 3, 2, 2)], author=admin)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_approve(actor=admin, assessment=a)
    with pytest.raises(PermissionDenied, match="segregation of duties"):
        services.assessment_return(actor=admin, assessment=a, comments="x")
    services.assessment_approve(actor=make_user(Role.ADMIN), assessment=a)


def test_a_returned_assessment_is_edited_and_resubmitted(
    assess, make_asset, officer, executive, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    with pytest.raises(ValidationError):
        services.assessment_return(actor=executive, assessment=a, comments="  ")
    with django_capture_on_commit_callbacks(execute=True):
        a = services.assessment_return(actor=executive, assessment=a, comments="Score evasion.")
    assert a.status == Assessment.Status.RETURNED
    assert "Returned" in mail.outbox[-1].subject and "Score evasion." in mail.outbox[-1].body
    a = services.assessment_save(
        actor=officer, assessment=a, expected_revision=a.revision, summary="Now with evasion"
    )
    a = services.assessment_submit(actor=officer, assessment=a)
    assert a.status == Assessment.Status.IN_REVIEW


def test_approved_content_is_immutable(assess, make_asset, officer, executive) -> None:  # type: ignore[no-untyped-def]
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer, reviewer=executive)
    risk = a.risks.get()
    with pytest.raises(ValidationError, match="approved"):
        services.assessment_save(
            actor=officer, assessment=a, expected_revision=a.revision, summary="x"
        )
    with pytest.raises(ValidationError, match="approved"):
        services.risk_update(actor=officer, risk=risk, expected_revision=a.revision, title="x")
    with pytest.raises(ValidationError, match="approved"):
        services.risk_delete(actor=officer, risk=risk, expected_revision=a.revision)
    with pytest.raises(ValidationError):
        services.assessment_submit(actor=officer, assessment=a)


def test_a_reassessment_is_a_new_version_prefilled_from_the_last_approved(
    assess, make_asset, officer, executive
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset()
    v1 = assess(asset, [(4, 4, 3, 3), (2, 2, 1, 1)], author=officer, reviewer=executive)
    v2 = services.assessment_start(actor=officer, asset=asset)
    assert (v2.version, v2.status, v2.based_on) == (2, "draft", v1)
    assert [(r.title, r.residual_score) for r in v2.risks.all()] == [
        (r.title, r.residual_score) for r in v1.risks.all()
    ]
    assert set(v2.risks.values_list("pk", flat=True)).isdisjoint(
        v1.risks.values_list("pk", flat=True)
    )
    with pytest.raises(ValidationError, match="in progress"):
        services.assessment_start(actor=officer, asset=asset)
    # v1 stays current until v2 is approved
    assert Assessment.objects.get(is_current=True, asset=asset) == v1


def test_next_review_is_six_months_for_high_risk_ai_and_twelve_otherwise(
    assess, make_asset, officer, executive, settings
) -> None:  # type: ignore[no-untyped-def]
    high = assess(make_asset("system", tier="high"), [(2, 2, 1, 1)], author=officer)
    high = services.assessment_approve(actor=executive, assessment=high, today=date(2026, 8, 31))
    assert high.next_review_due == date(2027, 2, 28)
    other = assess(make_asset("dataset"), [(2, 2, 1, 1)], author=officer)
    other = services.assessment_approve(actor=executive, assessment=other, today=date(2026, 1, 15))
    assert other.next_review_due == date(2027, 1, 15)
    settings.RISK_REVIEW_MONTHS_DEFAULT = 3
    third = assess(make_asset("dataset"), [(2, 2, 1, 1)], author=officer)
    third = services.assessment_approve(actor=executive, assessment=third, today=date(2026, 1, 15))
    assert third.next_review_due == date(2026, 4, 15)


def test_residual_above_inherent_is_refused_by_the_service_and_the_database(
    catalogs, make_asset, officer
) -> None:  # type: ignore[no-untyped-def]
    a = services.assessment_start(actor=officer, asset=make_asset())
    with pytest.raises(ValidationError, match="residual impact cannot be above"):
        services.risk_create(
            actor=officer,
            assessment=a,
            expected_revision=a.revision,
            **risk_row((2, 2, 3, 1), officer),
        )
    with pytest.raises(ValidationError, match="level from 1 to 5"):
        services.risk_create(
            actor=officer,
            assessment=a,
            expected_revision=a.revision,
            **risk_row((6, 2, 1, 1), officer),
        )
    risk = services.risk_create(
        actor=officer, assessment=a, expected_revision=a.revision, **risk_row((2, 2, 1, 1), officer)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Risk.objects.filter(pk=risk.pk).update(residual_likelihood=5)


def test_submit_requires_owners_and_due_dates(catalogs, make_asset, officer) -> None:  # type: ignore[no-untyped-def]
    a = services.assessment_start(actor=officer, asset=make_asset())
    with pytest.raises(ValidationError, match="at least one risk"):
        services.assessment_submit(actor=officer, assessment=a)
    services.risk_create(
        actor=officer,
        assessment=a,
        expected_revision=a.revision,
        **{**risk_row((3, 3, 2, 2), officer), "owner": None, "due_date": None},
    )
    with pytest.raises(ValidationError) as err:
        services.assessment_submit(actor=officer, assessment=a)
    assert "needs an owner" in str(err.value) and "due date" in str(err.value)


def test_suggestions_fit_the_asset(catalogs, make_asset) -> None:  # type: ignore[no-untyped-def]
    from tests.risk.conftest import link

    endpoint = make_asset("endpoint", exposure="public")
    llm = make_asset("model", model_type="generative-llm")
    link(llm, endpoint, "serves")
    codes = [t.code for t, _ in services.suggest_threats(endpoint)]
    assert "THR-PROMPT-INJECTION" in codes and "THR-MODEL-EXTRACTION" in codes
    assert "THR-DATA-POISONING" not in codes
    dataset = make_asset("dataset", personal_data=True)
    suggestions = services.suggest_threats(dataset)
    codes = [t.code for t, _ in suggestions]
    assert "THR-DATA-POISONING" in codes and "THR-PROMPT-INJECTION" not in codes
    # personal data ranks privacy threats first, with the reason
    assert suggestions[0][0].code == "THR-DATA-LEAKAGE"
    assert any("personal_data" in reason for reason in suggestions[0][1])
    internal = make_asset("endpoint", exposure="internal")
    classifier = make_asset("model", model_type="classifier")
    link(classifier, internal, "serves")
    codes = [t.code for t, _ in services.suggest_threats(internal)]
    assert "THR-MODEL-EXTRACTION" not in codes and "THR-PROMPT-INJECTION" not in codes
    assert "THR-EVASION" in codes


def test_an_archived_asset_cannot_be_assessed(catalogs, make_asset, officer) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    asset = make_asset(archived_at=timezone.now())
    with pytest.raises(ValidationError, match="archived"):
        services.assessment_start(actor=officer, asset=asset)


def test_an_open_assessment_blocks_archiving_nothing_but_is_unique(
    catalogs, make_asset, officer
) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset()
    services.assessment_start(actor=officer, asset=asset)
    assert Assessment.objects.filter(asset=asset).count() == 1
    assert Asset.objects.get(pk=asset.pk).own_risk_band == "not-assessed"
