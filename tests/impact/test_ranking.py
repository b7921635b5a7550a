"""The gap list recommends the integrated assessment first where two or more of the
three laws' impact-assessment duties apply to an asset, and not where only one does
(compliance.coverage.Bundle, rank_closers, order_closers)."""

from __future__ import annotations

import pytest

from riskhub.compliance.coverage import (
    Bundle,
    OpenCount,
    RequirementMapping,
    order_closers,
    rank_closers,
)
from riskhub.compliance.models import Control, Framework
from riskhub.compliance.selectors import gap_list

from .conftest import CREDIT_SCORING, GDPR_ONLY, TWO_LAWS

# Requirements 1 (AI Act Art 27), 2 (GDPR Art 35), 3 (11 CCR 7152); controls 10 (FRIA),
# 20 (DPIA), 30 (CPPA risk assessment), 99 (the integrated assessment).
MAPPINGS = {
    1: RequirementMapping(full=frozenset({10, 99})),
    2: RequirementMapping(full=frozenset({20, 99})),
    3: RequirementMapping(full=frozenset({30, 99})),
}
LAW = {1: "eu-ai-act", 2: "gdpr", 3: "ccpa"}


def open_counts(requirements: list[int], pairs: int = 1) -> list[OpenCount]:
    return [OpenCount(r, LAW[r], pairs) for r in requirements]


@pytest.mark.parametrize(
    ("recommended", "requirements", "first"),
    [
        (True, [1, 2, 3], 99),
        (True, [2, 3], 99),
        (True, [1, 2], 99),
        (True, [2], 99),  # one still open where it is recommended: still first
        (False, [2], 20),
        (False, [3], 30),
        (False, [1], 10),
    ],
)
def test_ranked_first_only_where_it_is_recommended(
    recommended: bool, requirements: list[int], first: int
) -> None:
    counts = open_counts(requirements)
    ranked = rank_closers(counts, MAPPINGS, {99: counts if recommended else []})
    assert ranked[0].control == first
    bundle = Bundle(99, frozenset({7}) if recommended else frozenset())
    row_closers = order_closers(7, MAPPINGS[requirements[0]].full, {}, [bundle])
    assert row_closers[0] == first
    if first != 99:
        assert 99 not in {c.control for c in ranked}  # not recommended at all
        assert row_closers[-1] == 99  # still listed for the row, last


def test_it_counts_only_the_assets_it_is_recommended_for_and_still_leads() -> None:
    # Assets 1 and 2 have the GDPR's Art 35 open; asset 3 (two laws apply, so the bundle
    # is recommended for it alone) has Art 35 and 11 CCR 7152 open.
    counts = [OpenCount(2, "gdpr", 3), OpenCount(3, "ccpa", 1)]
    ranked = rank_closers(counts, MAPPINGS, {99: open_counts([2, 3])})
    assert [c.control for c in ranked][:2] == [99, 20]
    assert ranked[0].closes == 2 and ranked[0].frameworks == {"gdpr", "ccpa"}
    assert ranked[1].closes == 3
    bundle = Bundle(99, frozenset({3}))
    assert order_closers(1, {20, 99}, {20: 1, 99: 0}, [bundle]) == [20, 99]
    assert order_closers(3, {20, 99}, {20: 1, 99: 0}, [bundle]) == [99, 20]


def test_without_bundles_the_ranking_is_by_count() -> None:
    ranked = rank_closers(open_counts([1, 2, 3]), MAPPINGS)
    assert ranked[0].control == 99 and ranked[0].closes == 3
    assert rank_closers([OpenCount(1, "eu-ai-act", 0)], MAPPINGS) == []


def _gap_first(framework: str) -> tuple[str, list[list[str]]]:
    report = gap_list(Framework.objects.get(slug=framework))
    rows = [
        [c.code for c in row.closers]
        for row in report.rows
        if row.requirement.ref in ("Art. 35", "Art. 27", "11 CCR 7152")
    ]
    return report.ranked[0][0].code, rows


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "first"),
    [
        (CREDIT_SCORING, True),
        (TWO_LAWS, True),
        (GDPR_ONLY, False),
    ],
)
def test_gap_list_recommends_it_first_where_two_laws_apply(
    system_with,
    answers,
    first,  # type: ignore[no-untyped-def]
) -> None:
    system_with(answers)
    top, rows = _gap_first("gdpr")
    assert rows, "the DPIA is an open gap"
    if first:
        assert top == "CTL-IMPACT-INTEGRATED"
        assert all(row[0] == "CTL-IMPACT-INTEGRATED" for row in rows)
    else:
        assert top != "CTL-IMPACT-INTEGRATED"
        assert all(row[0] != "CTL-IMPACT-INTEGRATED" for row in rows)
        assert "CTL-DPIA" in rows[0]


@pytest.mark.django_db
def test_gap_list_query_count_does_not_grow_with_the_bundle(
    system_with,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(3):
        system_with(CREDIT_SCORING)
    framework = Framework.objects.get(slug="eu-ai-act")
    assert Control.objects.filter(code="CTL-IMPACT-INTEGRATED").exists()
    with django_assert_max_num_queries(12):
        gap_list(framework)


@pytest.mark.django_db
@pytest.mark.parametrize(("answers", "first"), [(TWO_LAWS, True), (GDPR_ONLY, False)])
def test_the_gap_list_page_shows_it_first_where_two_laws_apply(
    system_with,
    client_for,
    answers,
    first,  # type: ignore[no-untyped-def]
) -> None:
    import re

    from django.urls import reverse

    from riskhub.accounts.policy import Role

    system_with(answers)
    html = client_for(Role.RISK_OFFICER).get(reverse("compliance:gaps") + "?framework=gdpr")
    codes = re.findall(r"<code>(CTL-[A-Z-]+)</code></a> closes", html.content.decode())
    assert codes, "the ranked list is on the page"
    assert (codes[0] == "CTL-IMPACT-INTEGRATED") is first
    if not first:
        assert "CTL-IMPACT-INTEGRATED" not in codes
