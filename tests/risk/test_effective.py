from __future__ import annotations

import pytest
from django.utils import timezone

from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.risk import services
from tests.risk.conftest import link

pytestmark = pytest.mark.django_db

# residual (impact, likelihood) -> band on the default 5x5
LOW = (2, 2, 1, 1)  # 1
MEDIUM = (3, 3, 2, 3)  # 6
HIGH = (4, 4, 3, 4)  # 12
CRITICAL = (5, 5, 5, 4)  # 20


def refreshed(*assets: Asset) -> list[Asset]:
    return [Asset.objects.get(pk=a.pk) for a in assets]


@pytest.fixture
def chain(make_asset):  # type: ignore[no-untyped-def]
    dataset = make_asset("dataset", "Claims 2025")
    model = make_asset("model", "Claims scorer")
    endpoint = make_asset("endpoint", "Scoring API")
    system = make_asset("system", "Claims triage")
    link(dataset, model, "trained_on")
    link(model, endpoint, "serves")
    link(endpoint, system, "part_of")
    return dataset, model, endpoint, system


def test_nothing_assessed_is_not_assessed_never_low(chain) -> None:  # type: ignore[no-untyped-def]
    services.effective_risk_recompute()
    for asset in refreshed(*chain):
        assert asset.own_risk_band == "not-assessed"
        assert asset.effective_risk_band == "not-assessed"
        assert asset.effective_risk_score is None and asset.effective_risk_path == []


def test_a_dataset_risk_flows_down_a_three_level_chain_with_its_path(
    chain, assess, officer, executive
) -> None:  # type: ignore[no-untyped-def]
    dataset, model, endpoint, system = chain
    assess(dataset, [HIGH, LOW], author=officer, reviewer=executive)
    assess(endpoint, [MEDIUM], author=officer, reviewer=executive)
    d, m, e, s = refreshed(*chain)
    assert (d.effective_risk_band, d.effective_risk_source, d.effective_risk_score) == (
        "high",
        "own",
        12.0,
    )
    assert (m.own_risk_band, m.effective_risk_band, m.effective_risk_source) == (
        "not-assessed",
        "high",
        "inherited",
    )
    assert m.effective_risk_path == [str(dataset.uuid), str(model.uuid)]
    assert (e.own_risk_band, e.effective_risk_band) == ("medium", "high")
    assert s.effective_risk_path == [str(a.uuid) for a in chain]
    assert s.effective_risk_updated_at is not None


def test_own_risk_wins_when_it_is_higher(chain, assess, officer, executive) -> None:  # type: ignore[no-untyped-def]
    dataset, model, endpoint, system = chain
    assess(dataset, [MEDIUM], author=officer, reviewer=executive)
    assess(model, [CRITICAL], author=officer, reviewer=executive)
    _, m, e, _ = refreshed(*chain)
    assert (m.effective_risk_band, m.effective_risk_source, m.effective_risk_path) == (
        "critical",
        "own",
        [str(model.uuid)],
    )
    assert e.effective_risk_path == [str(model.uuid), str(endpoint.uuid)]


def test_a_diamond_takes_the_highest_branch(make_asset, assess, officer, executive) -> None:  # type: ignore[no-untyped-def]
    base = make_asset("model", "Base LLM")
    left = make_asset("model", "Left fine-tune")
    right = make_asset("model", "Right fine-tune")
    system = make_asset("system", "Assistant")
    link(base, left, "fine_tuned_from")
    link(base, right, "fine_tuned_from")
    link(left, system, "part_of")
    link(right, system, "part_of")
    assess(base, [LOW], author=officer, reviewer=executive)
    assess(left, [MEDIUM], author=officer, reviewer=executive)
    assess(right, [HIGH], author=officer, reviewer=executive)
    (s,) = refreshed(system)
    assert s.effective_risk_band == "high"
    assert s.effective_risk_path == [str(right.uuid), str(system.uuid)]


def test_bands_compare_before_scores_across_matrices(
    make_asset, assess, officer, executive, catalogs
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.risk.models import RiskMatrix

    small = RiskMatrix.objects.get(code="simple-3x3")
    a = make_asset("dataset")
    b = make_asset("dataset")
    model = make_asset("model")
    link(a, model, "trained_on")
    link(b, model, "trained_on")
    assess(a, [(3, 3, 3, 3)], author=officer, reviewer=executive, matrix=small)  # 9: critical
    assess(b, [(5, 4, 4, 4)], author=officer, reviewer=executive)  # 16: high on the 5x5
    (m,) = refreshed(model)
    assert m.effective_risk_band == "critical" and m.effective_risk_score == 9.0
    assert m.effective_risk_path[0] == str(a.uuid)


def test_an_archived_upstream_contributes_nothing(
    chain, assess, officer, executive, admin_user, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    dataset, model, endpoint, system = chain
    assess(dataset, [CRITICAL], author=officer, reviewer=executive)
    assert refreshed(system)[0].effective_risk_band == "critical"
    with django_capture_on_commit_callbacks(execute=True):
        inventory.asset_archive(actor=admin_user, asset=dataset)
    _, m, _, s = refreshed(*chain)
    assert m.effective_risk_band == "not-assessed" and s.effective_risk_band == "not-assessed"


def test_lineage_changes_recompute_through_the_signal(
    chain, make_asset, assess, officer, executive, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    dataset, model, endpoint, system = chain
    extra = make_asset("dataset", "Scraped web")
    assess(extra, [CRITICAL], author=officer, reviewer=executive)
    assert refreshed(system)[0].effective_risk_band == "not-assessed"
    with django_capture_on_commit_callbacks(execute=True):
        link_obj = inventory.link_create(
            actor=officer, upstream=extra, downstream=model, relation="trained_on"
        )
    assert refreshed(system)[0].effective_risk_band == "critical"
    with django_capture_on_commit_callbacks(execute=True):
        inventory.link_delete(actor=officer, link=link_obj)
    assert refreshed(system)[0].effective_risk_band == "not-assessed"


def test_closed_risks_do_not_count_but_the_asset_is_assessed(
    make_asset, assess, officer, executive, catalogs
) -> None:  # type: ignore[no-untyped-def]
    from tests.risk.conftest import risk_row

    asset = make_asset("dataset")
    a = services.assessment_start(actor=officer, asset=asset)
    a = services.assessment_save(
        actor=officer,
        assessment=a,
        expected_revision=a.revision,
        risks=[risk_row(CRITICAL, officer, status="closed")],
    )
    services.assessment_submit(actor=officer, assessment=a)
    services.assessment_approve(actor=executive, assessment=a)
    services.effective_risk_recompute()
    (asset,) = refreshed(asset)
    assert (asset.own_risk_band, asset.effective_risk_band) == ("low", "low")


def test_only_the_latest_approved_version_counts(make_asset, assess, officer, executive) -> None:  # type: ignore[no-untyped-def]
    asset = make_asset("dataset")
    assess(asset, [CRITICAL], author=officer, reviewer=executive)
    v2 = services.assessment_start(actor=officer, asset=asset)
    services.assessment_save(actor=officer, assessment=v2, expected_revision=v2.revision, risks=[])
    assert refreshed(asset)[0].effective_risk_band == "critical"  # draft v2 does not count
    from tests.risk.conftest import risk_row

    v2.refresh_from_db()
    services.assessment_save(
        actor=officer, assessment=v2, expected_revision=v2.revision, risks=[risk_row(LOW, officer)]
    )
    from django.test.utils import CaptureQueriesContext  # noqa: F401

    services.assessment_submit(actor=officer, assessment=v2)
    services.assessment_approve(actor=executive, assessment=v2)
    services.effective_risk_recompute(asset_ids=[asset.pk])
    assert refreshed(asset)[0].effective_risk_band == "low"


def test_recompute_all_runs_in_a_constant_number_of_queries(
    make_asset, assess, officer, executive, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    previous = None
    for i in range(12):
        asset = make_asset("model" if i % 2 else "dataset")
        if previous is not None:
            link(previous, asset, "depends_on")
        previous = asset
    services.effective_risk_recompute()
    assess(asset, [HIGH], author=officer)
    for _ in range(2):
        Asset.objects.update(
            effective_risk_band="critical", effective_risk_updated_at=timezone.now()
        )
        with django_assert_max_num_queries(8):
            services.effective_risk_recompute()


def test_a_cycle_in_stored_lineage_is_logged_and_its_assets_keep_their_own_risk(
    chain, assess, officer, executive, caplog
) -> None:  # type: ignore[no-untyped-def]
    """Validation forbids cycles, but a race or old data could leave one: the recompute
    still ends, names the cycle in the log and invents no inherited risk around it."""
    dataset, model, endpoint, system = chain
    assess(dataset, [HIGH], author=officer, reviewer=executive)
    assess(endpoint, [MEDIUM], author=officer, reviewer=executive)
    link(endpoint, model, "depends_on")  # model -> endpoint -> model

    services.effective_risk_recompute(asset_ids=[dataset.pk])

    d, m, e, s = refreshed(*chain)
    assert (d.effective_risk_band, d.effective_risk_source) == ("high", "own")
    assert (m.effective_risk_band, m.effective_risk_path) == ("not-assessed", [])
    assert (e.effective_risk_band, e.effective_risk_source) == ("medium", "own")
    assert s.effective_risk_band == "not-assessed"
    assert f"Lineage cycle in effective risk: {model.pk} -> {endpoint.pk} -> {model.pk}" in (
        caplog.text
    )
