"""Effective (inherited) risk through lineage, computed in a constant number of queries.

DESIGN.md "Effective risk": count the open and accepted risks of each asset's latest
approved assessment; an asset's effective risk is the highest, by band rank then by
residual score / matrix maximum, of its own and of everything upstream through every
AssetLink relation; the path runs from the origin asset to this one. Archived assets
pass nothing downstream. An asset with nothing assessed (own or upstream) is "not
assessed", never Low.

Queries, whatever the size: all links (1), the assets and their current values (1),
the maxima of approved risks (1), the assessed assets (1), and the bulk_update batches.
Propagation walks the lineage (riskhub.inventory.lineage) in topological order; assets
caught in or behind a cycle (which validation forbids) keep their own risk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from riskhub.inventory import lineage
from riskhub.inventory.lineage import UP, Graph
from riskhub.inventory.models import Asset
from riskhub.risk.models import RANK_BAND, Assessment, Risk

NOT_ASSESSED = Asset.RiskBand.NOT_ASSESSED
BATCH = 1000


@dataclass(frozen=True)
class Candidate:
    rank: int  # 1..4 (0: assessed, no open or accepted risk)
    ratio: float
    score: int
    path: tuple[int, ...]  # asset ids from the origin to this asset

    def key(self) -> tuple[int, float, int, int]:
        # Highest band, then highest ratio; on a tie prefer the shorter path (own).
        return (self.rank, self.ratio, -len(self.path), -self.path[0])


def _own_candidates(asset_ids: set[int] | None) -> dict[int, Candidate]:
    """The highest open or accepted residual risk of each asset's current assessment."""
    risks = Risk.objects.filter(
        assessment__is_current=True, status__in=[Risk.Status.OPEN, Risk.Status.ACCEPTED]
    )
    assessed = Assessment.objects.filter(is_current=True)
    if asset_ids is not None:
        risks = risks.filter(assessment__asset_id__in=asset_ids)
        assessed = assessed.filter(asset_id__in=asset_ids)
    best: dict[int, Candidate] = {}
    for asset_id, rank, ratio, score in risks.values_list(
        "assessment__asset_id", "residual_rank", "residual_ratio", "residual_score"
    ).iterator(chunk_size=5000):
        current = best.get(asset_id)
        if current is None or (rank, ratio) > (current.rank, current.ratio):
            best[asset_id] = Candidate(rank, ratio, score, (asset_id,))
    for asset_id in assessed.values_list("asset_id", flat=True):
        # Assessed with every risk closed: the lowest band, never "not assessed".
        best.setdefault(asset_id, Candidate(0, 0.0, 0, (asset_id,)))
    return best


def compute(
    *,
    graph: Graph[int],
    nodes: set[int],
    own: dict[int, Candidate],
    archived: set[int],
) -> dict[int, Candidate | None]:
    """Propagate the best candidate downstream in topological order (pure)."""
    order, blocked = graph.topological_order(nodes)
    result: dict[int, Candidate | None] = {}
    for node in order:
        best = own.get(node)
        for parent in graph.neighbours(node, UP):
            if parent not in nodes or parent in archived:
                continue
            inherited = result.get(parent)
            if inherited is None or inherited.rank == 0:
                continue  # "assessed, nothing open" is not a risk to pass on
            candidate = Candidate(
                inherited.rank, inherited.ratio, inherited.score, (*inherited.path, node)
            )
            if best is None or candidate.key() > best.key():
                best = candidate
        result[node] = best
    if blocked:  # a cycle slipped past validation: log it, leave each asset its own risk
        lineage.report_cycle(graph, "effective risk")
        for node in blocked:
            result[node] = own.get(node)
    return result


def _graph_around(start: set[int]) -> tuple[Graph[int], set[int]]:
    """The lineage a scoped recompute needs, and the assets it writes: everything
    downstream of `start` (their effective risk may change) and everything upstream of
    those (what they inherit from); two recursive queries instead of every link."""
    down = lineage.around(start, lineage.DOWN)
    targets = down.reachable(start) | start
    up = lineage.around(targets, UP)
    edges = {edge.link_id: edge for edge in [*down.edges, *up.edges]}
    return Graph(edges.values()), targets


@transaction.atomic
def recompute(*, asset_ids: Iterable[int] | None = None) -> int:
    if asset_ids is None:
        graph = lineage.load()
        targets: set[int] | None = None
        assets = list(
            Asset.objects.values_list(
                "id",
                "uuid",
                "archived_at",
                "own_risk_band",
                "effective_risk_band",
                "effective_risk_score",
                "effective_risk_source",
                "effective_risk_path",
            )
        )
        nodes = {row[0] for row in assets}
        write = nodes
    else:
        # The assets to write: the given ones and everything downstream; to compute them
        # we also need everything upstream of them.
        graph, targets = _graph_around(set(asset_ids))
        nodes = graph.reachable(targets, UP) | targets
        assets = list(
            Asset.objects.filter(id__in=nodes).values_list(
                "id",
                "uuid",
                "archived_at",
                "own_risk_band",
                "effective_risk_band",
                "effective_risk_score",
                "effective_risk_source",
                "effective_risk_path",
            )
        )
        nodes = {row[0] for row in assets}
        write = targets & nodes
    uuids = {row[0]: str(row[1]) for row in assets}
    archived = {row[0] for row in assets if row[2] is not None}
    own = _own_candidates(None if targets is None else nodes)
    result = compute(graph=graph, nodes=nodes, own=own, archived=archived)
    now = timezone.now()
    changed: list[Asset] = []
    for row in assets:
        asset_id = row[0]
        if asset_id not in write:
            continue
        mine = own.get(asset_id)
        best = result.get(asset_id)
        own_band = NOT_ASSESSED if mine is None else RANK_BAND.get(mine.rank, "low")
        if best is None:
            values = (own_band, NOT_ASSESSED, None, "", [])
        else:
            values = (
                own_band,
                RANK_BAND.get(best.rank, "low"),
                float(best.score),
                "own" if len(best.path) == 1 else "inherited",
                [uuids[i] for i in best.path],
            )
        if tuple(row[3:]) != values:
            changed.append(
                Asset(
                    id=asset_id,
                    own_risk_band=values[0],
                    effective_risk_band=values[1],
                    effective_risk_score=values[2],
                    effective_risk_source=values[3],
                    effective_risk_path=values[4],
                    effective_risk_updated_at=now,
                )
            )
    _write(changed, now)
    return len(changed)


FIELDS = [
    "own_risk_band",
    "effective_risk_band",
    "effective_risk_score",
    "effective_risk_source",
    "effective_risk_path",
    "effective_risk_updated_at",
]


def _write(changed: list[Asset], now: datetime) -> None:
    """bulk_update builds one CASE per column, quadratic in the batch on PostgreSQL;
    there one UPDATE ... FROM (VALUES ...) per batch writes 10,000 rows in a second."""
    if connection.vendor != "postgresql":
        Asset.objects.bulk_update(changed, FIELDS, batch_size=BATCH)
        return
    import json

    table = connection.ops.quote_name(Asset._meta.db_table)
    columns = {
        name: connection.ops.quote_name(Asset._meta.get_field(name).column) for name in FIELDS
    }
    row = "(%s, %s, %s, %s::double precision, %s, %s::jsonb, %s::timestamptz)"
    assignments = ", ".join(
        f"{columns[name]} = v.{alias}"
        for name, alias in zip(
            FIELDS, ["own", "band", "score", "source", "path", "ts"], strict=True
        )
    )
    with connection.cursor() as cursor:
        for start in range(0, len(changed), BATCH):
            batch = changed[start : start + BATCH]
            params: list[object] = []
            for asset in batch:
                params += [
                    asset.id,
                    asset.own_risk_band,
                    asset.effective_risk_band,
                    asset.effective_risk_score,
                    asset.effective_risk_source,
                    json.dumps(asset.effective_risk_path),
                    now,
                ]
            values = ", ".join([row] * len(batch))
            cursor.execute(
                f"UPDATE {table} AS a SET {assignments} "  # noqa: S608 - names are quoted
                f"FROM (VALUES {values}) AS v(id, own, band, score, source, path, ts) "
                "WHERE a.id = v.id",
                params,
            )


__all__ = ["compute", "recompute"]
