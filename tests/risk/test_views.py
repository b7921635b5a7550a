from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.inventory.models import BusinessUnit
from riskhub.risk import services
from riskhub.risk.models import Assessment, RiskMatrix
from tests.risk.conftest import link

pytestmark = pytest.mark.django_db


def client_of(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dataset_with_risks(make_asset, assess, officer, executive):  # type: ignore[no-untyped-def]
    unit = BusinessUnit.objects.create(name="Claims")
    dataset = make_asset("dataset", "Claims history", business_unit=unit)
    model = make_asset("model", "Claims scorer")
    link(dataset, model, "trained_on")
    assess(dataset, [(5, 5, 5, 4), (3, 3, 2, 2), (2, 2, 1, 1)], author=officer, reviewer=executive)
    return dataset, model


def _grow(make_asset, assess, officer, executive, n: int) -> None:  # type: ignore[no-untyped-def]
    for _ in range(n):
        assess(
            make_asset("endpoint"), [(4, 4, 3, 3), (2, 2, 1, 1)], author=officer, reviewer=executive
        )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_register_index_and_asset_page(
    client_for, dataset_with_risks, role
) -> None:  # type: ignore[no-untyped-def]
    dataset, model = dataset_with_risks
    client = client_for(role)
    register = client.get(reverse("risk:register"))
    assert register.status_code == 200 and "Claims history" in register.content.decode()
    assert client.get(reverse("risk:index")).status_code == 200
    page = client.get(reverse("risk:asset", args=[model.uuid])).content.decode()
    assert "Critical" in page and "Claims history" in page  # inherited, with the path by name
    review = client.get(reverse("risk:review_queue"))
    assert review.status_code == (200 if role in (Role.EXECUTIVE, Role.ADMIN) else 403)


def test_register_filters_by_band_cell_business_unit_and_overdue(
    client_for, dataset_with_risks
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.AUDITOR)
    url = reverse("risk:register")
    assert "Risks 1–1 of 1" in client.get(url, {"band": "critical"}).content.decode()
    cell = client.get(url, {"basis": "inherent", "impact": 3, "likelihood": 3}).content.decode()
    assert "Risks 1–1 of 1" in cell
    unit = BusinessUnit.objects.get(name="Claims")
    assert "of 3" in client.get(url, {"business_unit": unit.pk}).content.decode()
    assert "No risks match" in client.get(url, {"overdue": "1"}).content.decode()
    assert "of 3" in client.get(url, {"matrix": "default-5x5", "sort": "due"}).content.decode()


def test_register_filters_by_the_assets_tier_as_the_dashboard_links_it(
    client_for, make_asset, assess, officer, executive
) -> None:  # type: ignore[no-untyped-def]
    high = make_asset("system", "Hiring assistant", tier="high")
    minimal = make_asset("system", "Spam filter", tier="minimal")
    assess(high, [(4, 4, 3, 3)], author=officer, reviewer=executive)
    assess(minimal, [(4, 4, 3, 3), (2, 2, 1, 1)], author=officer, reviewer=executive)
    page = client_for(Role.AUDITOR).get(reverse("risk:register"), {"tier": "high"})
    html = page.content.decode()
    assert "Risks 1–1 of 1" in html and "Hiring assistant" in html and "Spam filter" not in html


def test_register_exports_csv(client_for, dataset_with_risks) -> None:  # type: ignore[no-untyped-def]
    response = client_for(Role.AUDITOR).get(reverse("risk:register_csv"), {"band": "critical"})
    body = b"".join(response.streaming_content).decode()
    lines = body.strip().splitlines()
    assert lines[0].startswith("risk_id,asset") and len(lines) == 2 and "Critical" in lines[1]


def test_register_query_count_does_not_grow(
    client_for,
    dataset_with_risks,
    make_asset,
    assess,
    officer,
    executive,
    django_assert_max_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.EXECUTIVE)
    with django_assert_max_num_queries(12):
        client.get(reverse("risk:register"))
    _grow(make_asset, assess, officer, executive, 6)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("risk:register")).status_code == 200


def test_review_queue_query_count_does_not_grow(
    client_for, make_asset, assess, officer, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.EXECUTIVE)
    assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    with django_assert_max_num_queries(10):
        assert "1 assessment waiting" in client.get(reverse("risk:review_queue")).content.decode()
    for _ in range(5):
        assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    with django_assert_max_num_queries(10):
        assert "6 assessments waiting" in client.get(reverse("risk:review_queue")).content.decode()


def test_asset_tab_and_index_query_counts(
    client_for,
    dataset_with_risks,
    make_asset,
    assess,
    officer,
    executive,
    django_assert_max_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    dataset, model = dataset_with_risks
    client = client_for(Role.RISK_OFFICER)
    for _ in range(3):  # more versions in the history
        a = services.assessment_start(actor=officer, asset=dataset)
        services.assessment_submit(actor=officer, assessment=a) if a.risks.exists() else None
        services.assessment_approve(actor=executive, assessment=Assessment.objects.get(pk=a.pk))
    with django_assert_max_num_queries(10):
        tab = client.get(reverse("risk:asset_tab", args=[dataset.uuid]))
    assert "v4" in tab.content.decode() and "<html" not in tab.content.decode()
    _grow(make_asset, assess, officer, executive, 4)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("risk:index")).status_code == 200


def test_the_officer_starts_scores_and_submits_through_the_editor(
    client_for, make_user, make_asset, catalogs, executive
) -> None:  # type: ignore[no-untyped-def]
    officer = make_user(Role.RISK_OFFICER)
    client = client_of(officer)
    llm = make_asset("model", "Support LLM")
    endpoint = make_asset("endpoint", "Support chat API", exposure="public")
    link(llm, endpoint, "serves")
    response = client.post(
        reverse("risk:start", args=[endpoint.uuid]),
        {"matrix": RiskMatrix.objects.get(is_default=True).pk},
    )
    a = Assessment.objects.get(asset=endpoint)
    assert response.url == reverse("risk:edit", args=[a.uuid])
    page = client.get(response.url).content.decode()
    assert (
        "THR-PROMPT-INJECTION" in page
        and "Suggested" in page
        and "/compliance/threats/THR-PROMPT-INJECTION/" in page
    )
    assert page.count("data-risk-row") > 5  # suggestions prefilled
    data = {
        "revision": a.revision,
        "summary": "Public chat endpoint.",
        "risk-TOTAL_FORMS": 1,  # the other suggestions are left out: unscored, skipped
        "risk-INITIAL_FORMS": 0,
        "risk-MIN_NUM_FORMS": 0,
        "risk-MAX_NUM_FORMS": 1000,
        "risk-0-threat": "THR-PROMPT-INJECTION" if "THR-PROMPT-INJECTION" else "",
        "risk-0-title": "Prompt injection",
        "risk-0-inherent_impact": 4,
        "risk-0-inherent_likelihood": 5,
        "risk-0-residual_impact": 4,
        "risk-0-residual_likelihood": 3,
        "risk-0-treatment": "mitigate",
        "risk-0-owner": officer.pk,
        "risk-0-due_date": (date.today() + timedelta(days=60)).isoformat(),
        "risk-0-status": "open",
        "submit": "1",
    }
    response = client.post(reverse("risk:edit", args=[a.uuid]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    a.refresh_from_db()
    assert a.status == "in_review" and a.risks.get().residual_score == 12


def _residual_above_inherent(a: Assessment, title: str) -> dict[str, object]:
    """One risk row whose residual impact (3) is above its inherent impact (2)."""
    return {
        "revision": a.revision,
        "summary": "",
        "risk-TOTAL_FORMS": 1,
        "risk-INITIAL_FORMS": 0,
        "risk-MIN_NUM_FORMS": 0,
        "risk-MAX_NUM_FORMS": 1000,
        "risk-0-title": title,
        "risk-0-inherent_impact": 2,
        "risk-0-inherent_likelihood": 2,
        "risk-0-residual_impact": 3,
        "risk-0-residual_likelihood": 1,
        "risk-0-treatment": "mitigate",
        "risk-0-status": "open",
    }


def test_residual_above_inherent_shows_the_error_next_to_the_picker(
    client_for, make_asset, catalogs, officer
) -> None:  # type: ignore[no-untyped-def]
    client = client_of(officer)
    a = services.assessment_start(actor=officer, asset=make_asset("dataset"))
    page = client.post(
        reverse("risk:edit", args=[a.uuid]), _residual_above_inherent(a, "Custom")
    ).content.decode()
    assert "The residual impact cannot be above the inherent impact." in page
    assert not a.risks.exists()


def test_two_editors_the_second_save_is_refused_and_keeps_its_text(
    client_for, make_asset, catalogs, make_user
) -> None:  # type: ignore[no-untyped-def]
    first, second = make_user(Role.RISK_OFFICER), make_user(Role.RISK_OFFICER)
    a = services.assessment_start(actor=first, asset=make_asset("dataset"))
    loaded = a.revision
    services.assessment_save(
        actor=first, assessment=a, expected_revision=loaded, summary="First wins"
    )
    data = {
        "revision": loaded,
        "summary": "Second editor's careful text",
        "risk-TOTAL_FORMS": 0,
        "risk-INITIAL_FORMS": 0,
        "risk-MIN_NUM_FORMS": 0,
        "risk-MAX_NUM_FORMS": 1000,
    }
    response = client_of(second).post(reverse("risk:edit", args=[a.uuid]), data)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Your changes were not saved" in page and "Second editor&#x27;s careful text" in page
    a.refresh_from_db()
    assert a.summary == "First wins"
    # saving again, deliberately, after seeing the conflict
    data["revision"] = a.revision
    assert client_of(second).post(reverse("risk:edit", args=[a.uuid]), data).status_code == 302


def test_the_author_sees_no_approve_button_and_is_refused(
    client_for, make_user, make_asset, assess
) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(Role.ADMIN)
    a = assess(make_asset(), [(3, 3, 2, 2)], author=admin)
    client = client_of(admin)
    page = client.get(reverse("risk:assessment", args=[a.uuid])).content.decode()
    assert "segregation of duties" in page and ">Approve<" not in page
    client.post(reverse("risk:approve", args=[a.uuid]))
    a.refresh_from_db()
    assert a.status == "in_review"


def test_an_executive_approves_returns_and_accepts_in_the_ui(
    client_for, make_user, make_asset, assess, officer
) -> None:  # type: ignore[no-untyped-def]
    cto = make_user(Role.EXECUTIVE)
    client = client_of(cto)
    a = assess(make_asset(), [(3, 3, 2, 2)], author=officer)
    client.post(reverse("risk:return", args=[a.uuid]), {"comments": "Add evasion."})
    a.refresh_from_db()
    assert (a.status, a.review_comments) == ("returned", "Add evasion.")
    services.assessment_submit(actor=officer, assessment=a)
    client.post(reverse("risk:approve", args=[a.uuid]), {"comments": ""})
    a.refresh_from_db()
    assert a.status == "approved"
    risk = a.risks.get()
    response = client.post(
        reverse("risk:accept", args=[risk.uuid]),
        {
            "rationale": "Low residual.",
            "expires_on": (date.today() + timedelta(days=30)).isoformat(),
        },
    )
    assert response.status_code == 302
    risk.refresh_from_db()
    assert risk.status == "accepted"


def test_score_preview_is_computed_by_the_server(client_for, matrix) -> None:  # type: ignore[no-untyped-def]
    body = (
        client_for(Role.AUDITOR)
        .get(reverse("risk:score", args=[matrix.uuid]), {"impact": 4, "likelihood": 5})
        .content.decode()
    )
    assert "Score 20" in body and "Critical" in body


def test_an_admin_adds_a_matrix_in_the_ui_and_a_bad_one_is_explained(client_for, catalogs) -> None:  # type: ignore[no-untyped-def]
    client = client_for(Role.ADMIN)
    data = {
        "code": "ops-3x3",
        "name": "Ops",
        "impact_labels": "Low\nMid\nHigh",
        "likelihood_labels": "Rare\nSometimes\nOften",
        "bands": "Low 1 2\nMedium 3 4\nHigh 5 6\nCritical 7 8",
    }
    page = client.post(reverse("risk:matrix_create"), data).content.decode()
    assert "No band covers the score(s) 9" in page
    data["bands"] = data["bands"].replace("7 8", "7 9")
    assert client.post(reverse("risk:matrix_create"), data).status_code == 302
    assert not RiskMatrix.objects.get(code="ops-3x3").shipped
    assert client_for(Role.EXECUTIVE).get(reverse("risk:matrix_create")).status_code == 403


def test_the_editor_collapses_suggestions_warns_before_leaving_and_ships_the_live_rule(
    client_for, make_asset, catalogs, officer
) -> None:  # type: ignore[no-untyped-def]
    client = client_of(officer)
    endpoint = make_asset("endpoint", "Support chat API", exposure="public")
    a = services.assessment_start(actor=officer, asset=endpoint)
    page = client.get(reverse("risk:edit", args=[a.uuid])).content.decode()
    suggested = page.count('<details class="card rh-risk-row')
    assert suggested > 5  # every suggestion is a collapsed row with one shared group name
    assert page.count('name="rh-suggested"') == suggested
    assert page.count("<summary") == suggested and " open>" not in page
    assert 'id="assessment-form" novalidate data-warn-unsaved' in page
    # the live warning carries the server's own message for each axis
    assert f'data-impact="{services.residual_above_inherent("impact")}"' in page
    assert 'data-likelihood="The residual likelihood cannot be above the inherent likelihood."' in (
        page
    )
    assert "/static/js/risk.js" in page
    script = client.get("/static/js/risk.js")
    body = b"".join(script.streaming_content) if script.streaming else script.content
    assert script.status_code == 200 and b"rh-residual-warning" in body
    app = client.get("/static/js/app.js")
    app_body = b"".join(app.streaming_content) if app.streaming else app.content
    assert b"beforeunload" in app_body and b"warnUnsaved" in app_body


def test_a_suggested_row_with_an_error_opens_itself(
    client_for, make_asset, catalogs, officer
) -> None:  # type: ignore[no-untyped-def]
    client = client_of(officer)
    a = services.assessment_start(
        actor=officer, asset=make_asset("endpoint", "Chat", exposure="public")
    )
    page = client.get(reverse("risk:edit", args=[a.uuid])).content.decode()
    total = page.count("data-risk-row")
    assert total > 1
    page = client.post(
        reverse("risk:edit", args=[a.uuid]), _residual_above_inherent(a, "Leak")
    ).content.decode()
    assert page.count(" open>") == 1
    assert "The residual impact cannot be above the inherent impact." in page


def test_past_its_count_cap_the_register_says_more_than_and_its_pages_end_there(
    client_for, dataset_with_risks, make_asset, assess, officer, executive, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Counting every risk at 100,000 assets cost more than the page: the register counts
    up to a cap, then says "more than" and points at the filters and the export."""
    from riskhub.risk import views

    _grow(make_asset, assess, officer, executive, 2)  # 3 + 2 x 2 = 7 risks
    client = client_for(Role.AUDITOR)
    url = reverse("risk:register")
    assert "Risks 1–7 of 7</caption>" in client.get(url).content.decode()
    monkeypatch.setattr(views, "REGISTER_COUNT_CAP", 4)
    html = client.get(url).content.decode()
    assert "Risks 1–4 of more than 4: filter to narrow them, or export them all" in html
    assert html.count('href="/assessments/asset/') == 4  # the page ends at the cap
    # Its pager does not pretend the list ends at the cap: no "Last", "of more than".
    monkeypatch.setattr(views, "REGISTER_PER_PAGE", 2)
    first = client.get(url).content.decode()
    assert "Page 1 of more than 2</span>" in first and ">Last</a>" not in first
    assert "Page 2 of more than 2</span>" in client.get(url, {"page": 2}).content.decode()
    monkeypatch.setattr(views, "REGISTER_COUNT_CAP", 100)
    exact = client.get(url).content.decode()
    assert "Page 1 of 4</span>" in exact and ">Last</a>" in exact
    monkeypatch.setattr(views, "REGISTER_PER_PAGE", 50)
    monkeypatch.setattr(views, "REGISTER_COUNT_CAP", 4)
    # A filter under the cap is counted exactly again.
    critical = client.get(url, {"band": "critical"}).content.decode()
    assert "Risks 1–1 of 1</caption>" in critical
    # The export still holds every risk.
    body = b"".join(client.get(reverse("risk:register_csv")).streaming_content).decode()
    assert len(body.strip().splitlines()) == 1 + 7
