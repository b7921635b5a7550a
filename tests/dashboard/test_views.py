"""The dashboard page and its JSON: every role reads, query count pinned."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.policy import Role
from riskhub.dashboard import services
from riskhub.risk.models import RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk, make_unit

pytestmark = pytest.mark.django_db
URL = "/dashboard/"
API = "/api/v1/dashboard/"
MAX_QUERIES = 15


def populate(n_assets: int, matrices: list[RiskMatrix], author: Any) -> None:
    today = timezone.localdate()
    units = [make_unit(), make_unit()]
    for i in range(n_assets):
        asset = make_asset(
            ["dataset", "model", "endpoint", "system"][i % 4],
            tier=["high", "limited", ""][i % 3],
            business_unit=units[i % 2],
        )
        if i % 3 == 0:
            continue
        assessment = make_assessment(
            asset,
            author=author,
            matrix=matrices[i % len(matrices)],
            next_review_due=today + dt.timedelta(days=i % 50 - 10),
        )
        for j in range(3):
            make_risk(
                assessment,
                (3, 3),
                (1 + j % 3, 1 + (i + j) % 3),
                due_date=today + dt.timedelta(days=(i + j) % 30 - 15),
            )
    services.snapshot_take()


def test_the_dashboard_route_keeps_its_name() -> None:
    assert reverse("dashboard:index") == URL


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_dashboard(client_for: Any, role: Role, matrices: Any) -> None:
    response = client_for(role).get(URL)
    assert response.status_code == 200
    assert b'id="dashboard-figures"' in response.content
    assert b"Open risks by residual band" in response.content


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_dashboard_json(client_for: Any, role: Role, matrices: Any) -> None:
    response = client_for(role).get(API)
    assert response.status_code == 200
    body = response.json()
    assert set(body["figures"]) >= {"heatmaps", "coverage", "trend", "top_risks", "timeline"}
    assert body["summary"]["risks"]["open"] == 0


def test_anonymous_is_sent_to_sign_in(client: Any) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_anonymous_gets_no_json(client: Any) -> None:
    assert client.get(API).status_code in (401, 403)


def _queries(django_assert_max_num_queries: Any, client: Any, url: str) -> int:
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "query",
    ["", "?kind=system&tier=high", "?framework=gdpr", "?as_of=PAST"],
)
def test_the_page_runs_a_fixed_number_of_queries_whatever_the_data(
    client_for: Any,
    django_assert_max_num_queries: Any,
    matrices: list[RiskMatrix],
    officer: Any,
    query: str,
) -> None:
    client = client_for(Role.EXECUTIVE)
    query = query.replace("PAST", (timezone.localdate() - dt.timedelta(days=2)).isoformat())
    populate(4, matrices, officer)
    small = _queries(django_assert_max_num_queries, client, URL + query)
    populate(60, matrices, officer)
    large = _queries(django_assert_max_num_queries, client, URL + query)
    assert small == large


def test_the_json_runs_a_fixed_number_of_queries(
    client_for: Any, django_assert_max_num_queries: Any, matrices: Any, officer: Any
) -> None:
    client = client_for(Role.AUDITOR)
    populate(4, matrices, officer)
    small = _queries(django_assert_max_num_queries, client, API)
    populate(40, matrices, officer)
    assert _queries(django_assert_max_num_queries, client, API) == small


def test_the_page_shows_the_numbers_and_links_cells_to_the_register(
    client_for: Any, matrix: RiskMatrix, officer: Any
) -> None:
    asset = make_asset("system", tier="high", name="Loan screening")
    assessment = make_assessment(asset, author=officer, matrix=matrix)
    make_risk(assessment, (5, 5), (4, 5))
    make_risk(assessment, (5, 5), (4, 5))
    html = client_for(Role.EXECUTIVE).get(URL).content.decode()
    register = reverse("risk:register")
    assert (
        f'href="{register}?matrix=default-5x5&amp;basis=residual&amp;impact=4&amp;'
        f'likelihood=5&amp;status=open"' in html
    )
    assert 'aria-label="2 open risks, impact' in html


def test_filters_narrow_the_figures(client_for: Any, matrix: RiskMatrix, officer: Any) -> None:
    unit = make_unit("Retail")
    mine = make_asset("system", business_unit=unit)
    make_risk(make_assessment(mine, author=officer, matrix=matrix), (2, 2), (1, 1))
    other = make_asset("model")
    make_risk(make_assessment(other, author=officer, matrix=matrix), (2, 2), (1, 1))
    client = client_for(Role.AUDITOR)
    assert client.get(API).json()["summary"]["risks"]["open"] == 2
    body = client.get(API, {"business_unit": unit.pk}).json()
    assert body["summary"]["risks"]["open"] == 1
    assert body["summary"]["assets"]["total"] == 1


def test_a_future_as_of_date_is_refused(client_for: Any, matrices: Any) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    client = client_for(Role.EXECUTIVE)
    page = client.get(URL, {"as_of": tomorrow})
    assert page.status_code == 200
    assert "Pick today or a past day." in page.content.decode()
    assert client.get(API, {"as_of": tomorrow}).status_code == 400


def test_large_figures_are_written_with_thousands_separators(
    client_for: Any, matrix: RiskMatrix, officer: Any, monkeypatch: Any
) -> None:
    """At 100,000 assets "599871" is hard to read: every count on the page, in the KPI
    cards, the data tables and the charts' labels, is grouped by thousands."""
    from riskhub.dashboard import selectors

    make_risk(make_assessment(make_asset("system"), author=officer, matrix=matrix), (4, 4), (3, 4))
    real = selectors.dashboard

    def large(*args: Any, **kwargs: Any) -> selectors.Dashboard:
        board = real(*args, **kwargs)
        board.assets.total = 100_000
        board.assets.unassessed = 2_500
        board.assets.by_kind = dict.fromkeys(board.assets.by_kind, 25_001)
        board.assets.unassessed_by_kind = dict.fromkeys(board.assets.by_kind, 0)
        board.risks.open_by_band = dict.fromkeys(board.risks.open_by_band, 150_000)
        board.risks.overdue = 40_734
        board.coverage = [
            selectors.FrameworkFigures("eu-ai-act", "EU AI Act", 171_641, 140_566, 540_977)
        ]
        for cells in board.risks.cells.values():
            for by_cell in cells.values():
                for key in by_cell:
                    by_cell[key] = 54_527
        return board

    monkeypatch.setattr(selectors, "dashboard", large)
    html = client_for(Role.EXECUTIVE).get(URL).content.decode()
    for figure in ("100,000", "2,500", "600,000", "150,000", "40,734", "171,641", "540,977"):
        assert figure in html, figure
    assert "25,001 assessed" in html  # a bar's label
    # The heatmap's cell: in its data table and, escaped, in the figure's JSON.
    assert '">54,527</a>' in html
    assert "\\u003Cb\\u003E54,527\\u003C/b\\u003E" in html
    for bare in ("100000", "599871", "171641", "54527"):
        assert f">{bare}<" not in html and f" {bare} " not in html
