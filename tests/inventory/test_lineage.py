"""The one lineage walk (riskhub.inventory.lineage): direction of every relation, cycles,
depth, width and archived assets, and the fixed query counts the callers rely on."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from riskhub.inventory import lineage, selectors, services
from riskhub.inventory.lineage import DOWN, UP, Edge, Graph
from riskhub.inventory.models import Asset, AssetLink

pytestmark = pytest.mark.django_db

KIND_FIELDS: dict[str, dict[str, Any]] = {
    "dataset": {},
    "model": {"model_type": "classifier"},
    "endpoint": {"exposure": "internal"},
    "system": {"intended_purpose": "Decide things"},
}


def _bulk_assets(kind: str, count: int, prefix: str) -> list[Asset]:
    """Many assets at once, as an import or the demo seeder writes them."""
    Asset.objects.bulk_create(
        [Asset(kind=kind, name=f"{prefix} {i:05d}", **KIND_FIELDS[kind]) for i in range(count)],
        batch_size=2000,
    )
    return list(Asset.objects.filter(name__startswith=f"{prefix} ").order_by("name"))


def _bulk_links(pairs: list[tuple[Asset, Asset]], relation: str) -> None:
    """Links written without the services' checks: what a race or old data can leave."""
    AssetLink.objects.bulk_create(
        [AssetLink(upstream=up, downstream=down, relation=relation) for up, down in pairs],
        batch_size=2000,
    )


# --- direction ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("up_kind", "relation", "down_kind"),
    [
        ("dataset", "trained_on", "model"),  # a model is trained on a dataset
        ("model", "fine_tuned_from", "model"),  # the derived model is fine-tuned from the base
        ("model", "serves", "endpoint"),  # an endpoint serves a model
        ("endpoint", "part_of", "system"),  # a component is part of a system
        ("dataset", "depends_on", "system"),  # the dependent depends on the dependency
    ],
)
def test_each_relation_carries_lineage_from_upstream_to_downstream(
    make_asset, link, up_kind, relation, down_kind
) -> None:  # type: ignore[no-untyped-def]
    up, down = make_asset(up_kind), make_asset(down_kind)
    link(up, down, relation)
    assert lineage.downstream([up.pk]) == {down.pk}
    assert lineage.upstream([down.pk]) == {up.pk}
    assert lineage.downstream([down.pk]) == set() and lineage.upstream([up.pk]) == set()
    assert lineage.downstream([up.pk], inclusive=True) == {up.pk, down.pk}


def test_a_relation_filter_follows_only_those_links(chain, make_asset, link) -> None:  # type: ignore[no-untyped-def]
    platform = make_asset("system", "Lending platform")
    link(chain["system"], platform, "part_of")
    part_of = [AssetLink.Relation.PART_OF]
    # The dataset reaches the systems through trained_on and serves, never only part_of.
    assert lineage.downstream([chain["dataset"].pk], relations=part_of) == set()
    assert lineage.downstream([chain["endpoint"].pk], relations=part_of) == {
        chain["system"].pk,
        platform.pk,
    }
    assert lineage.upstream([platform.pk], relations=part_of) == {
        chain["system"].pk,
        chain["endpoint"].pk,
    }
    assert lineage.upstream([platform.pk]) == {a.pk for a in chain.values()}


# --- cycles -------------------------------------------------------------------------------


def test_a_stored_cycle_ends_every_walk_and_is_named(make_asset, caplog) -> None:  # type: ignore[no-untyped-def]
    a, b, c = (make_asset("dataset", name) for name in ("A", "B", "C"))
    d = make_asset("system", "D")
    _bulk_links([(a, b), (b, c), (c, a), (c, d)], "depends_on")

    assert lineage.downstream([a.pk]) == {b.pk, c.pk, d.pk}
    assert lineage.upstream([a.pk]) == {b.pk, c.pk}
    assert lineage.downstream([b.pk], inclusive=True) == {a.pk, b.pk, c.pk, d.pk}
    graph = lineage.load()
    assert graph.find_cycle() == [a.pk, b.pk, c.pk, a.pk]
    assert graph.walk([d.pk], UP).cycle == [a.pk, b.pk, c.pk, a.pk]
    order, blocked = graph.topological_order()
    assert order == [] and blocked == {a.pk, b.pk, c.pk, d.pk}
    assert lineage.report_cycle(graph, "a test") == [a.pk, b.pk, c.pk, a.pk]
    assert f"{a.pk} -> {b.pk} -> {c.pk} -> {a.pk}" in caplog.text
    # The asset page still draws it.
    page = selectors.lineage(a)
    assert set(page.nodes) == {a.pk, b.pk, c.pk, d.pk}


def test_a_link_that_would_close_a_cycle_names_every_asset_on_it(officer, chain) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        services.link_create(
            actor=officer,
            upstream=chain["system"],
            downstream=chain["dataset"],
            relation="depends_on",
        )
    message = " ".join(exc.value.message_dict["upstream"])
    assert (
        "(“Credit decisioning” → “Loan applications” → “Credit model” → “Scoring API” "
        "→ “Credit decisioning”)"
    ) in message
    assert AssetLink.objects.filter(upstream=chain["system"]).count() == 0


def test_would_create_cycle_is_empty_for_a_sound_link(chain, make_asset) -> None:  # type: ignore[no-untyped-def]
    other = make_asset("dataset")
    assert lineage.would_create_cycle(other.pk, chain["model"].pk) == []
    assert lineage.would_create_cycle(chain["dataset"].pk, chain["system"].pk) == []
    assert lineage.would_create_cycle(chain["system"].pk, chain["model"].pk) == [
        chain["system"].pk,
        chain["model"].pk,
        chain["endpoint"].pk,
        chain["system"].pk,
    ]


# --- depth and width ----------------------------------------------------------------------


def test_a_chain_five_thousand_deep_is_walked_in_one_query(
    django_assert_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    assets = _bulk_assets("dataset", 5001, "Depth")
    _bulk_links(list(zip(assets, assets[1:], strict=False)), "depends_on")
    first, last = assets[0].pk, assets[-1].pk
    everything = {a.pk for a in assets}

    with django_assert_num_queries(1):
        assert lineage.downstream([first]) == everything - {first}
    with django_assert_num_queries(1):
        assert lineage.upstream([last]) == everything - {last}
    with django_assert_num_queries(1):
        cycle = lineage.would_create_cycle(last, first)
    assert len(cycle) == 5002 and cycle[0] == cycle[-1] == last
    graph = lineage.load()
    assert graph.find_cycle() == []
    assert graph.topological_order()[0] == [a.pk for a in assets]
    assert graph.path(first, last) == [a.pk for a in assets]
    # The asset page draws the nearest twelve levels each way, whatever the depth.
    with django_assert_num_queries(4):
        page = selectors.lineage(assets[2500])
    assert sorted(page.levels.values()) == list(range(-12, 13))


def test_a_fan_out_of_ten_thousand_links_costs_the_same_queries(
    django_assert_num_queries,
) -> None:  # type: ignore[no-untyped-def]
    (source,) = _bulk_assets("dataset", 1, "Source")
    models = _bulk_assets("model", 10_000, "Model")
    _bulk_links([(source, model) for model in models], "trained_on")
    model_ids = {m.pk for m in models}

    with django_assert_num_queries(1):
        assert lineage.downstream([source.pk]) == model_ids
    with django_assert_num_queries(1):  # more starts than a CTE takes: every link, once
        assert lineage.upstream(model_ids) == {source.pk}
    with django_assert_num_queries(1):
        assert len(lineage.load().edges) == 10_000
    with django_assert_num_queries(4):
        page = selectors.lineage(source)
    assert page.truncated and len(page.nodes) == 60


def test_linking_at_the_head_of_a_long_chain_costs_what_it_does_on_a_short_one(
    officer, make_asset, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    """Validation and the recompute signal walk the lineage: one query each, never one
    per level (the walk used to cost a query per level, twice)."""
    short = _bulk_assets("dataset", 3, "Short")
    deep = _bulk_assets("dataset", 40, "Deep")
    _bulk_links(list(zip(short, short[1:], strict=False)), "depends_on")
    _bulk_links(list(zip(deep, deep[1:], strict=False)), "depends_on")
    head_a, head_b = make_asset("dataset"), make_asset("dataset")

    with django_assert_max_num_queries(100) as on_short:
        services.link_create(
            actor=officer, upstream=head_a, downstream=short[0], relation="depends_on"
        )
    with django_assert_max_num_queries(len(on_short.captured_queries)):
        services.link_create(
            actor=officer, upstream=head_b, downstream=deep[0], relation="depends_on"
        )


# --- archived assets and determinism -------------------------------------------------------


def test_the_walk_passes_through_archived_assets(officer, chain) -> None:  # type: ignore[no-untyped-def]
    """What an archived asset passes on is each rule's business (effective risk: nothing,
    tests/risk/test_effective.py); the walk itself still sees what lies behind it."""
    services.asset_archive(actor=officer, asset=chain["model"])
    assert lineage.downstream([chain["dataset"].pk]) == {
        chain["model"].pk,
        chain["endpoint"].pk,
        chain["system"].pk,
    }
    assert chain["model"].pk in lineage.upstream([chain["system"].pk])


def _diamond() -> list[Edge[int]]:
    return [
        Edge(1, 2, "trained_on", 10),
        Edge(1, 3, "trained_on", 11),
        Edge(2, 4, "part_of", 12),
        Edge(3, 4, "part_of", 13),
        Edge(4, 5, "depends_on", 14),
        Edge(5, 2, "depends_on", 15),  # closes 2 -> 4 -> 5 -> 2
    ]


def test_the_same_lineage_always_gives_the_same_answer() -> None:
    edges = _diamond()
    expected = Graph(edges)
    for seed in range(20):
        shuffled = edges[:]
        random.Random(seed).shuffle(shuffled)
        graph = Graph(shuffled)
        walk = graph.walk([1], DOWN)
        assert list(walk.depth) == [1, 2, 3, 4, 5]
        assert walk.edges == expected.walk([1], DOWN).edges
        assert graph.find_cycle() == [2, 4, 5, 2]
        assert graph.path(1, 5) == [1, 2, 4, 5]
        assert graph.topological_order() == ([1, 3], {2, 4, 5})


def test_a_walk_honours_its_depth_and_node_limits() -> None:
    graph = Graph(_diamond())
    assert graph.walk([1], DOWN, max_depth=1).reached == {2, 3}
    limited = graph.walk([1], DOWN, limit=3)
    assert limited.truncated and limited.reached == {2, 3}
    assert graph.walk([5], UP).path_to(1) == [5, 4, 2, 1]
    assert graph.neighbours(4, UP) == [2, 3]
    assert graph.reachable([4], UP, relations=["part_of"]) == {2, 3}


def test_keys_other_than_asset_ids_walk_the_same_way() -> None:
    """A walk over keys that are not asset ids (rows of a file not yet stored)."""
    row: Callable[[int], tuple[str, int]] = lambda i: ("row", i)  # noqa: E731
    graph = Graph([Edge(("db", 7), row(0), "trained_on"), Edge(row(0), ("db", 7), "serves")])
    assert graph.find_cycle() == [("db", 7), row(0), ("db", 7)]


def test_the_lean_form_finds_what_the_graph_finds() -> None:
    """`Flat` (an import's cycle check, walks from thousands of assets) holds links as
    flat arrays: on any lineage it reaches and finds cycles as `Graph` does."""
    rng = random.Random(7)
    for _ in range(300):
        size = rng.randint(1, 12)
        pairs = [
            (rng.randint(1, size), rng.randint(1, size)) for _ in range(rng.randint(0, 2 * size))
        ]
        graph = Graph([Edge(up, down, "depends_on") for up, down in pairs])
        down, up = lineage.Flat(pairs), lineage.Flat((b, a) for a, b in pairs)
        assert down.has_cycle() == bool(graph.find_cycle()), pairs
        starts = rng.sample(range(1, size + 1), rng.randint(1, size))
        assert down.reachable(starts) == graph.reachable(starts, DOWN), pairs
        assert up.reachable(starts) == graph.reachable(starts, UP), pairs


def test_many_starts_walk_the_same_lineage_as_a_few(chain, make_asset, link, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Beyond CTE_START_LIMIT starts every link is read, into the lean form: the same
    assets upstream and downstream, relation filters and stored cycles included."""
    platform = make_asset("system", "Lending platform")
    link(chain["system"], platform, "part_of")
    a, b = make_asset("dataset", "A"), make_asset("dataset", "B")
    _bulk_links([(a, b), (b, a), (b, chain["model"])], "depends_on")
    part_of = [AssetLink.Relation.PART_OF]

    def answers() -> list[set[int]]:
        return [
            lineage.downstream([a.pk]),
            lineage.downstream([a.pk, chain["endpoint"].pk], inclusive=True),
            lineage.downstream([chain["endpoint"].pk], relations=part_of),
            lineage.upstream([platform.pk]),
            lineage.upstream([platform.pk, b.pk], inclusive=True),
            lineage.upstream([platform.pk], relations=part_of),
        ]

    few = answers()
    beyond_a = {b.pk, platform.pk} | {chain[k].pk for k in ("model", "endpoint", "system")}
    assert few[0] == beyond_a  # round the cycle back to A, which is a start
    monkeypatch.setattr(lineage, "CTE_START_LIMIT", 0)
    assert answers() == few
