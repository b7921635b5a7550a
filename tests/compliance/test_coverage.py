"""Coverage arithmetic: full, partial, sufficient sets, expired evidence, scopes."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from riskhub.compliance import services
from riskhub.compliance.coverage import RequirementMapping, requirement_status
from riskhub.compliance.models import FrameworkCoverage, RequirementStatus
from riskhub.compliance.selectors import local_today

from .conftest import HR_SCREENER, control, requirement

M = RequirementMapping(
    full=frozenset({1}), partial=frozenset({2, 3, 4}), sufficient_sets=(frozenset({2, 3}),)
)


@pytest.mark.parametrize(
    ("effective", "expected"),
    [
        (set(), "gap"),
        ({1}, "met"),
        ({2}, "partial"),
        ({2, 3}, "met"),
        ({3, 4}, "partial"),
        ({9}, "gap"),
    ],
)
def test_requirement_status_arithmetic(effective, expected) -> None:  # type: ignore[no-untyped-def]
    assert requirement_status(M, effective) == expected


def implement(
    actor,
    code,
    scope="organisation",
    asset=None,
    valid_until=None,
    status="implemented",
    evidence=True,
):  # type: ignore[no-untyped-def]
    implementation = services.implementation_create(
        actor=actor, control=control(code), scope=scope, asset=asset, status=status
    )
    if evidence:
        services.evidence_add_file(
            actor=actor,
            implementation=implementation,
            file=io.BytesIO(b"proof\n"),
            name="proof.txt",
            description="Proof",
            valid_until=valid_until,
        )
    return implementation


def status_of(asset, slug, ref) -> str | None:  # type: ignore[no-untyped-def]
    row = RequirementStatus.objects.filter(asset=asset, requirement=requirement(slug, ref)).first()
    return row.status if row else None


@pytest.fixture
def screener(catalogs, make_asset):  # type: ignore[no-untyped-def]
    asset = make_asset("system", HR_SCREENER, name="HR screener")
    services.coverage_recompute(asset_ids=[asset.pk])
    return asset


def test_unimplemented_requirement_is_a_gap(screener) -> None:  # type: ignore[no-untyped-def]
    assert status_of(screener, "eu-ai-act", "Art. 26") == "gap"
    assert status_of(screener, "eu-ai-act", "Art. 9") is None  # provider duty: not applicable


def test_full_control_with_evidence_meets_the_requirement(screener, officer) -> None:  # type: ignore[no-untyped-def]
    implement(officer, "CTL-DEPLOYER-OPERATIONS", "system", screener)
    assert status_of(screener, "eu-ai-act", "Art. 26") == "met"


def test_implemented_without_evidence_does_not_count(screener, officer) -> None:  # type: ignore[no-untyped-def]
    implement(officer, "CTL-DEPLOYER-OPERATIONS", "system", screener, evidence=False)
    assert status_of(screener, "eu-ai-act", "Art. 26") == "gap"


def test_in_progress_with_evidence_does_not_count(screener, officer) -> None:  # type: ignore[no-untyped-def]
    implement(officer, "CTL-DEPLOYER-OPERATIONS", "system", screener, status="in-progress")
    assert status_of(screener, "eu-ai-act", "Art. 26") == "gap"


def test_partial_control_gives_partial(screener, officer) -> None:  # type: ignore[no-untyped-def]
    implement(officer, "CTL-HUMAN-OVERSIGHT", "system", screener)
    assert status_of(screener, "eu-ai-act", "Art. 26") == "partial"


def test_sufficient_set_of_partials_meets(screener, officer) -> None:  # type: ignore[no-untyped-def]
    codes = [
        "CTL-LAWFUL-BASIS",
        "CTL-PRIVACY-NOTICES",
        "CTL-DATA-MINIMISATION",
        "CTL-RECTIFICATION",
        "CTL-SECURITY-PROGRAMME",
        "CTL-ACCOUNTABILITY",
    ]
    for code in codes[:-1]:
        implement(officer, code)
    assert status_of(screener, "gdpr", "Art. 5") == "partial"
    implement(officer, codes[-1])
    assert status_of(screener, "gdpr", "Art. 5") == "met"


def test_expired_evidence_stops_counting(screener, officer) -> None:  # type: ignore[no-untyped-def]
    today = local_today()
    implement(officer, "CTL-INCIDENT-RESPONSE", valid_until=today)
    assert status_of(screener, "gdpr", "Art. 33") == "met"
    services.coverage_recompute(today=today + dt.timedelta(days=1))
    assert status_of(screener, "gdpr", "Art. 33") == "gap"


def test_organisation_scope_counts_for_every_asset(catalogs, make_asset, officer) -> None:  # type: ignore[no-untyped-def]
    first = make_asset("system", HR_SCREENER)
    second = make_asset("system", {**HR_SCREENER, "annex_iii_points": ["4(b)"]})
    implement(officer, "CTL-INCIDENT-RESPONSE")
    assert status_of(first, "gdpr", "Art. 33") == "met"
    assert status_of(second, "gdpr", "Art. 33") == "met"
    assert status_of(first, "ccpa", "1798.82") == "met"


def test_system_scope_counts_for_its_components_only(catalogs, make_asset, link, officer) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system", HR_SCREENER)
    other = make_asset("system", HR_SCREENER)
    model = make_asset("model")
    link(model, system, "part_of")
    services.coverage_recompute()
    # The model inherits the system's obligations through lineage...
    assert status_of(model, "eu-ai-act", "Art. 26") == "gap"
    implement(officer, "CTL-DEPLOYER-OPERATIONS", "system", system)
    # ...and the system-level control reaches it through part_of, but not the other system.
    assert status_of(model, "eu-ai-act", "Art. 26") == "met"
    assert status_of(system, "eu-ai-act", "Art. 26") == "met"
    assert status_of(other, "eu-ai-act", "Art. 26") == "gap"


def test_a_dataset_inherits_obligations_with_the_reason(catalogs, make_asset, link) -> None:  # type: ignore[no-untyped-def]
    system = make_asset("system", HR_SCREENER, name="HR screener")
    model = make_asset("model")
    dataset = make_asset("dataset")
    link(dataset, model, "trained_on")
    link(model, system, "part_of")
    services.coverage_recompute()
    row = RequirementStatus.objects.get(
        asset=dataset, requirement=requirement("eu-ai-act", "Art. 26")
    )
    assert "Annex III point 4(a)" in row.reason and "HR screener" in row.reason
    assert row.applies_from == dt.date(2027, 12, 2)


def test_not_applicable_requirements_are_not_counted(catalogs, make_asset) -> None:  # type: ignore[no-untyped-def]
    plain = make_asset("system", {"is_ai_system": False})
    services.coverage_recompute()
    plain.refresh_from_db()
    assert "eu-ai-act" not in plain.coverage_summary
    assert not RequirementStatus.objects.filter(asset=plain, framework__slug="eu-ai-act").exists()


def test_stored_summaries_follow_an_evidence_upload(screener, officer) -> None:  # type: ignore[no-untyped-def]
    screener.refresh_from_db()
    before = screener.coverage_summary
    totals_before = {
        c.framework.slug: c.met for c in FrameworkCoverage.objects.select_related("framework")
    }
    implement(officer, "CTL-INCIDENT-RESPONSE")
    screener.refresh_from_db()
    after = screener.coverage_summary
    for slug in ("eu-ai-act", "gdpr", "ccpa"):
        assert after[slug] != before[slug], slug
    totals_after = {
        c.framework.slug: c.met for c in FrameworkCoverage.objects.select_related("framework")
    }
    assert totals_after["gdpr"] > totals_before["gdpr"]
    assert totals_after["ccpa"] > totals_before["ccpa"]
    summary = after["gdpr"]
    assert summary["applicable"] == summary["met"] + summary["partial"] + summary["gap"]


def test_archived_asset_has_no_obligations(screener) -> None:  # type: ignore[no-untyped-def]
    from django.utils import timezone

    screener.archived_at = timezone.now()
    screener.save()
    services.coverage_recompute()
    screener.refresh_from_db()
    assert screener.coverage_summary == {}
    assert not RequirementStatus.objects.filter(asset=screener).exists()


def _reads(action) -> int:  # type: ignore[no-untyped-def]
    """The SELECTs an action issues (its writes go in batches of rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        action()
    return sum(1 for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT"))


def test_recompute_and_the_reports_read_coverage_in_a_fixed_number_of_queries(
    catalogs, make_asset, link, officer
) -> None:  # type: ignore[no-untyped-def]
    """The loaders gather the rule's inputs in bulk: the number of reads does not
    grow with assets, lineage, implementations or evidence."""
    from riskhub.reports import selectors as report_selectors

    def grow(n: int) -> None:
        for _ in range(n):
            system = make_asset("system", HR_SCREENER)
            model = make_asset("model")
            dataset = make_asset("dataset")
            link(model, system, "part_of")
            link(dataset, model, "trained_on")
            implement(officer, "CTL-DEPLOYER-OPERATIONS", "system", system)
            implement(officer, "CTL-DATA-QUALITY", "asset", dataset)

    def report() -> None:
        state = report_selectors.load_state(report_selectors.Scope(), None)
        report_selectors.load_compliance(state)

    grow(1)
    small = (_reads(services.coverage_recompute), _reads(report))
    grow(6)
    assert (_reads(services.coverage_recompute), _reads(report)) == small


def test_the_rule_says_which_controls_count_and_why() -> None:
    """The pure rule's answer for one asset: each obligation's status with the
    controls that count, and for each control in scope why it counts or not."""
    from riskhub.compliance import applicability
    from riskhub.compliance.coverage import (
        WHY_NONE,
        WHY_SOME,
        WHY_SUFFICIENT_SET,
        AssetFacts,
        Catalog,
        ImplementationFacts,
        Implementations,
        assess_asset,
    )

    today = dt.date(2027, 6, 1)
    always = applicability.Rule.from_json({})
    catalog = Catalog(
        [applicability.RequirementSpec(key, always, ()) for key in (10, 20, 30)],
        {
            10: M,  # full 1; partial 2, 3, 4; 2 + 3 sufficient together
            20: RequirementMapping(full=frozenset({1}), partial=frozenset({4})),
            30: RequirementMapping(full=frozenset({5})),
        },
    )
    implementations = Implementations(
        [
            ImplementationFacts(2, "organisation", None, "implemented", (None,)),
            ImplementationFacts(3, "system", 100, "implemented", (today,)),
            ImplementationFacts(4, "asset", 7, "implemented", (dt.date(2027, 5, 31),)),
            ImplementationFacts(5, "asset", 7, "in-progress", (None,)),
            ImplementationFacts(1, "asset", 8, "implemented", (None,)),  # another asset
        ]
    )
    answer = assess_asset(
        AssetFacts(7, "model", "scorer", frozenset({"ai_system"})),
        feeds=[],
        part_of=[100],
        implementations=implementations,
        catalog=catalog,
        today=today,
    )
    by_requirement = {o.requirement: o for o in answer.obligations}
    assert (by_requirement[10].status, by_requirement[10].why) == ("met", WHY_SUFFICIENT_SET)
    assert by_requirement[10].counting == (2, 3)
    assert (by_requirement[20].status, by_requirement[20].why) == ("gap", WHY_NONE)
    assert (by_requirement[30].status, by_requirement[30].counting) == ("gap", ())
    assert answer.effective == {2, 3}
    assert answer.controls[3].scope == "system" and answer.controls[3].asset == 100
    assert "valid until 2027-05-31" in answer.controls[4].why
    assert "in progress" in answer.controls[5].why
    assert 1 not in answer.controls  # implemented on another asset: out of scope
    # Evidence valid through today counts; from tomorrow, control 3 no longer does.
    tomorrow = assess_asset(
        AssetFacts(7, "model", "scorer", frozenset({"ai_system"})),
        feeds=[],
        part_of=[100],
        implementations=implementations,
        catalog=catalog,
        today=today + dt.timedelta(days=1),
    )
    later = {o.requirement: o for o in tomorrow.obligations}
    assert (later[10].status, later[10].why, later[10].counting) == ("partial", WHY_SOME, (2,))
    # An archived asset has no obligations.
    archived = AssetFacts(7, "model", "scorer", frozenset({"ai_system"}), active=False)
    assert not assess_asset(
        archived,
        feeds=[],
        part_of=[],
        implementations=implementations,
        catalog=catalog,
        today=today,
    ).obligations
    # The scope: organisation-wide, on the asset, on the systems it is part of.
    assert {i.control for i in implementations.in_scope(7, part_of=[100])} == {2, 3, 4, 5}
    assert {i.control for i in implementations.in_scope(7, part_of=[])} == {2, 4, 5}
