"""The gap list recommends the integrated assessment first where two or more of the
three laws' impact-assessment duties apply to an asset, and not where only one does
(compliance.coverage.Bundle, rank_closers, order_closers)."""

from __future__ import annotations

import pytest

from riskhub.compliance.coverage import Bundle, RequirementMapping, order_closers, rank_closers
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


def open_items(asset: int, requirements: list[int]) -> list[tuple[int, int, str]]:
    return [(asset, r, LAW[r]) for r in requirements]


@pytest.mark.parametrize(
    ("laws", "requirements", "first"),
    [
        ({"eu-ai-act", "gdpr", "ccpa"}, [1, 2, 3], 99),
        ({"gdpr", "ccpa"}, [2, 3], 99),
        ({"eu-ai-act", "gdpr"}, [1, 2], 99),
        ({"eu-ai-act", "gdpr"}, [2], 99),  # one still open, two apply: still first
        ({"gdpr"}, [2], 20),
        ({"ccpa"}, [3], 30),
        ({"eu-ai-act"}, [1], 10),
        (set(), [2], 20),
    ],
)
def test_ranked_first_only_where_two_or_more_laws_apply(
    laws: set[str], requirements: list[int], first: int
) -> None:
    bundle = Bundle(99, {7: frozenset(laws)}, minimum=2)
    ranked = rank_closers(open_items(7, requirements), MAPPINGS, [bundle])
    assert ranked[0].control == first
    row_closers = order_closers(7, MAPPINGS[requirements[0]].full, {}, [bundle])
    assert row_closers[0] == first
    if first != 99:
        assert 99 not in {c.control for c in ranked}  # not recommended at all
        assert row_closers[-1] == 99  # still listed for the row, last


def test_one_asset_with_two_laws_puts_it_first_even_when_others_have_one() -> None:
    items = open_items(1, [2]) + open_items(2, [2]) + open_items(3, [2, 3])
    bundle = Bundle(
        99, {1: frozenset({"gdpr"}), 2: frozenset({"gdpr"}), 3: frozenset({"gdpr", "ccpa"})}
    )
    ranked = rank_closers(items, MAPPINGS, [bundle])
    assert [c.control for c in ranked][:2] == [99, 20]
    # It counts only the asset it is recommended for.
    assert ranked[0].closes == {(3, 2), (3, 3)}
    assert order_closers(1, {20, 99}, {20: 1, 99: 0}, [bundle]) == [20, 99]
    assert order_closers(3, {20, 99}, {20: 1, 99: 0}, [bundle]) == [99, 20]


def test_without_bundles_the_ranking_is_by_count() -> None:
    ranked = rank_closers(open_items(1, [1, 2, 3]), MAPPINGS)
    assert ranked[0].control == 99 and len(ranked[0].closes) == 3


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
