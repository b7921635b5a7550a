"""Asset lineage: the one way to walk it.

Risk flows downstream along every `AssetLink` (DESIGN.md "Effective risk"): dataset ->
model (trained_on), base -> derived (fine_tuned_from), model -> endpoint (serves),
component -> system (part_of), dependency -> dependent (depends_on). Effective risk,
applicability and coverage, incidents, imports, reports and the asset page all walk
lineage through this module, so they agree on what lies upstream and downstream.

Two layers:

* `Graph`: lineage held in memory (the live links, the links of a report's past moment,
  or an import's links as they would be). Every walk is iterative (a chain of any depth
  cannot raise RecursionError), visits neighbours in sorted order (the same answer on
  every run and both database engines) and terminates on a cycle. The services forbid
  cycles, but imported data or two racing writers could still leave one: `find_cycle`
  names it, `Walk.cycle` names one met by a walk, `topological_order` sets aside the
  assets caught in or behind one.
* `Flat`: the lean form for a whole register's lineage, links as flat arrays of ids (a
  few dozen bytes per link, where a `Graph` holds a few hundred): what lies beyond
  thousands of assets, and whether there is a cycle (an import's check, where `Graph`
  then names it).
* Loaders and shortcuts over the database, each one query whatever the depth or width:
  `load` reads every link (`flat` into a `Flat`); `around` reads only the links
  reachable from some assets (a recursive CTE, on SQLite and PostgreSQL alike);
  `downstream`, `upstream` and `would_create_cycle` answer the common questions.

The walk passes through archived assets like any other: what an archived asset may pass
on is each rule's business (effective risk: nothing; applicability: no system facts).
"""

from __future__ import annotations

import logging
from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict, deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

from django.db import connection, models

from riskhub.inventory.models import AssetLink

logger = logging.getLogger(__name__)


class _Key(Protocol):
    """A node: an asset id, or any hashable key that sorts."""

    def __hash__(self) -> int: ...

    def __lt__(self, other: Any, /) -> bool: ...


N = TypeVar("N", bound=_Key)

# Beyond this many start assets, reading every link is cheaper than a CTE with that many
# parameters (and stays under SQLite's parameter limit).
CTE_START_LIMIT = 500


class Direction(StrEnum):
    DOWN = "down"  # the way risk flows: from upstream to downstream
    UP = "up"


DOWN = Direction.DOWN
UP = Direction.UP


class Edge(NamedTuple, Generic[N]):
    upstream: N
    downstream: N
    relation: str
    link_id: int | None = None  # the AssetLink's primary key, when it is stored


def _edge_key(edge: Edge[Any], direction: Direction) -> tuple[Any, str, int]:
    far = edge.downstream if direction is DOWN else edge.upstream
    return (far, edge.relation, -1 if edge.link_id is None else edge.link_id)


@dataclass
class Walk(Generic[N]):
    """The outcome of one breadth-first walk from `start` in `direction`."""

    start: list[N]
    direction: Direction
    depth: dict[N, int]  # every node met -> hops from the nearest start (starts: 0)
    via: dict[N, Edge[N]]  # the edge each node was first reached by
    edges: list[Edge[N]]  # every edge followed or looked at, in walk order
    truncated: bool = False  # the node limit left some assets out

    @property
    def reached(self) -> set[N]:
        """The nodes reached by at least one edge, the starts excluded."""
        starts = set(self.start)
        return {node for node in self.depth if node not in starts}

    def path_to(self, node: N) -> list[N]:
        """A shortest path from a start to `node`, in the walk's direction ([] if unmet)."""
        if node not in self.depth:
            return []
        path = [node]
        while path[-1] in self.via:
            edge = self.via[path[-1]]
            path.append(edge.upstream if self.direction is DOWN else edge.downstream)
        return path[::-1]

    @property
    def cycle(self) -> list[N]:
        """A cycle among the edges the walk met ([] when none): the walk itself ends
        regardless, this says whether the lineage it read was sound."""
        return Graph(self.edges).find_cycle()


class Graph(Generic[N]):
    """Lineage in memory: nodes are asset ids, or any hashable, sortable keys."""

    def __init__(self, edges: Iterable[Edge[N]] = ()) -> None:
        self._out: dict[N, list[Edge[N]]] = defaultdict(list)
        self._in: dict[N, list[Edge[N]]] = defaultdict(list)
        for edge in edges:
            self._out[edge.upstream].append(edge)
            self._in[edge.downstream].append(edge)
        for out in self._out.values():
            out.sort(key=lambda e: _edge_key(e, DOWN))
        for into in self._in.values():
            into.sort(key=lambda e: _edge_key(e, UP))

    # --- reading ------------------------------------------------------------------------

    @property
    def edges(self) -> list[Edge[N]]:
        return [edge for node in sorted(self._out) for edge in self._out[node]]

    @property
    def nodes(self) -> set[N]:
        return set(self._out) | set(self._in)

    def _adjacent(self, direction: Direction) -> dict[N, list[Edge[N]]]:
        return self._out if direction is DOWN else self._in

    def neighbours(
        self,
        node: N,
        direction: Direction = DOWN,
        *,
        relations: Collection[str] | None = None,
    ) -> list[N]:
        """The assets one link away, each once, in sorted order."""
        far = "downstream" if direction is DOWN else "upstream"
        seen: dict[N, None] = {}
        for edge in self._adjacent(direction).get(node, ()):
            if relations is None or edge.relation in relations:
                seen.setdefault(getattr(edge, far))
        return list(seen)

    # --- walking ------------------------------------------------------------------------

    def walk(
        self,
        start: Iterable[N],
        direction: Direction = DOWN,
        *,
        relations: Collection[str] | None = None,
        max_depth: int | None = None,
        limit: int | None = None,
    ) -> Walk[N]:
        """Breadth first from `start`; `max_depth` bounds the hops, `limit` the nodes
        (starts included) and marks the walk truncated when it left some out."""
        starts = sorted(set(start))
        adjacent = self._adjacent(direction)
        result: Walk[N] = Walk(starts, direction, dict.fromkeys(starts, 0), {}, [])
        frontier = starts
        level = 0
        while frontier and (max_depth is None or level < max_depth):
            level += 1
            following: list[N] = []
            for node in frontier:
                for edge in adjacent.get(node, ()):
                    if relations is not None and edge.relation not in relations:
                        continue
                    result.edges.append(edge)
                    other = edge.downstream if direction is DOWN else edge.upstream
                    if other in result.depth:
                        continue
                    if limit is not None and len(result.depth) >= limit:
                        result.truncated = True
                        continue
                    result.depth[other] = level
                    result.via[other] = edge
                    following.append(other)
            frontier = following
        return result

    def reachable(
        self,
        start: Iterable[N],
        direction: Direction = DOWN,
        *,
        relations: Collection[str] | None = None,
    ) -> set[N]:
        """Every node reached by at least one edge from `start`, the starts excluded.

        The lean form of `walk`, for callers that ask it once per asset of the register."""
        starts = set(start)
        adjacent = self._adjacent(direction)
        seen: set[N] = set()
        stack = list(starts)
        while stack:
            node = stack.pop()
            for edge in adjacent.get(node, ()):
                if relations is not None and edge.relation not in relations:
                    continue
                other = edge.downstream if direction is DOWN else edge.upstream
                if other not in seen and other not in starts:
                    seen.add(other)
                    stack.append(other)
        return seen

    def path(self, source: N, target: N, direction: Direction = DOWN) -> list[N]:
        """A shortest path from `source` to `target` ([] when there is none)."""
        if source == target:
            return [source]
        return self.walk([source], direction).path_to(target)

    def find_cycle(self) -> list[N]:
        """One cycle, as the path that returns to its start (`[a, b, c, a]`), or [].

        Depth first with an explicit stack, roots and children in sorted order, so the
        same lineage always names the same cycle."""
        white, grey, black = 0, 1, 2
        colour: dict[N, int] = defaultdict(int)
        parent: dict[N, N] = {}
        for root in sorted(self._out):
            if colour[root] != white:
                continue
            colour[root] = grey
            stack = [(root, iter(self.neighbours(root)))]
            while stack:
                node, children = stack[-1]
                for child in children:
                    if colour[child] == white:
                        colour[child] = grey
                        parent[child] = node
                        stack.append((child, iter(self.neighbours(child))))
                        break
                    if colour[child] == grey:
                        path = [node]
                        while path[-1] != child:
                            path.append(parent[path[-1]])
                        return [*reversed(path), child]
                else:
                    colour[node] = black
                    stack.pop()
        return []

    def topological_order(self, nodes: Iterable[N] | None = None) -> tuple[list[N], set[N]]:
        """`nodes` (default: all) upstream before downstream, links outside `nodes`
        ignored; and the nodes left out because they sit in or behind a cycle."""
        members = self.nodes if nodes is None else set(nodes)
        indegree = dict.fromkeys(members, 0)
        for node in members:
            for child in self.neighbours(node):
                if child in indegree:
                    indegree[child] += 1
        queue = deque(sorted(n for n, d in indegree.items() if d == 0))
        order: list[N] = []
        while queue:
            node = queue.popleft()
            order.append(node)
            for child in self.neighbours(node):
                if child in indegree:
                    indegree[child] -= 1
                    if indegree[child] == 0:
                        queue.append(child)
        return order, members - set(order)


# --- the database ---------------------------------------------------------------------


def _edges(rows: Iterable[tuple[int, int, int, str]]) -> list[Edge[int]]:
    return [Edge(up, down, relation, pk) for pk, up, down, relation in rows]


def _column(name: str) -> str:
    model_field = AssetLink._meta.get_field(name)
    assert isinstance(model_field, models.Field) and model_field.column
    return connection.ops.quote_name(model_field.column)


def load(*, relations: Collection[str] | None = None) -> Graph[int]:
    """Every stored link (one query)."""
    links = AssetLink.objects.all()
    if relations is not None:
        links = links.filter(relation__in=list(relations))
    return Graph(_edges(links.values_list("pk", "upstream_id", "downstream_id", "relation")))


def around(
    start: Iterable[int],
    direction: Direction = DOWN,
    *,
    relations: Collection[str] | None = None,
) -> Graph[int]:
    """The links reachable from `start` in `direction` (one query, whatever the depth):
    a recursive CTE whose UNION drops rows already seen, so it ends on a cycle too."""
    starts = sorted(set(start))
    if not starts:
        return Graph()
    if len(starts) > CTE_START_LIMIT:
        return load(relations=relations)
    table = connection.ops.quote_name(AssetLink._meta.db_table)
    pk, up, down, relation = (
        _column(name) for name in ("id", "upstream", "downstream", "relation")
    )
    near, far = (up, down) if direction is DOWN else (down, up)
    relation_list = sorted(relations) if relations is not None else []
    only = ""
    if relations is not None:
        only = f" AND {{alias}}{relation} IN ({', '.join(['%s'] * len(relation_list)) or 'NULL'})"
    ids = ", ".join(["%s"] * len(starts))
    sql = (
        f"WITH RECURSIVE reach(id) AS ("  # noqa: S608 - names quoted, values bound
        f" SELECT {far} FROM {table} WHERE {near} IN ({ids}){only.format(alias='')}"
        f" UNION"
        f" SELECT l.{far} FROM {table} l JOIN reach r ON l.{near} = r.id"
        f"{only.format(alias='l.')})"
        f" SELECT {pk}, {up}, {down}, {relation} FROM {table}"
        f" WHERE ({near} IN ({ids}) OR {near} IN (SELECT id FROM reach))"
        f"{only.format(alias='')}"
    )
    params: list[Any] = [*starts, *relation_list, *relation_list, *starts, *relation_list]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return Graph(_edges(cursor.fetchall()))


def downstream(
    start: Iterable[int],
    *,
    relations: Collection[str] | None = None,
    inclusive: bool = False,
) -> set[int]:
    """The assets downstream of `start` (one query); `inclusive` adds the starts."""
    starts = set(start)
    if len(starts) > CTE_START_LIMIT:  # every link is read: the lean form holds them
        found = flat(DOWN, relations=relations).reachable(starts)
    else:
        graph = around(starts, DOWN, relations=relations)
        found = graph.reachable(starts, DOWN, relations=relations)
    return found | starts if inclusive else found


def upstream(
    start: Iterable[int],
    *,
    relations: Collection[str] | None = None,
    inclusive: bool = False,
) -> set[int]:
    """The assets upstream of `start` (one query); `inclusive` adds the starts."""
    starts = set(start)
    if len(starts) > CTE_START_LIMIT:  # every link is read: the lean form holds them
        found = flat(UP, relations=relations).reachable(starts)
    else:
        found = around(starts, UP, relations=relations).reachable(starts, UP, relations=relations)
    return found | starts if inclusive else found


def would_create_cycle(upstream_id: int, downstream_id: int) -> list[int]:
    """The cycle a new link upstream -> downstream would close, named from the new
    link's upstream back to it (`[up, down, ..., up]`); [] when there is none."""
    if upstream_id == downstream_id:
        return [upstream_id, upstream_id]
    back = around([downstream_id], DOWN).path(downstream_id, upstream_id)
    return [upstream_id, *back] if back else []


class Flat:
    """Links held as two flat arrays of ids, sorted by the near end, so a node's links
    are one slice: a few dozen bytes per link where a `Graph` holds objects of a few
    hundred. The lean form for questions about a whole register's lineage (an import's
    cycle check, what lies downstream of thousands of assets); `Graph` answers the rest
    and names what it finds."""

    def __init__(self, links: Iterable[tuple[int, int]]) -> None:
        near, far = array("q"), array("q")
        for a, b in links:
            near.append(a)
            far.append(b)
        order = sorted(range(len(near)), key=near.__getitem__)
        self.near = array("q", (near[i] for i in order))
        self.far = array("q", (far[i] for i in order))

    def following(self, node: int) -> range:
        """The positions of the links leaving `node`."""
        return range(bisect_left(self.near, node), bisect_right(self.near, node))

    def reachable(self, start: Iterable[int]) -> set[int]:
        """As `Graph.reachable`: every node reached by at least one link from `start`,
        the starts excluded."""
        starts = set(start)
        seen: set[int] = set()
        stack = list(starts)
        while stack:
            for i in self.following(stack.pop()):
                other = self.far[i]
                if other not in seen and other not in starts:
                    seen.add(other)
                    stack.append(other)
        return seen

    def has_cycle(self) -> bool:
        """Whether the links hold a cycle (`Graph.find_cycle` names one). Kahn's count:
        start from the nodes nothing points to; a node is passed once all the links into
        it are, which a node on (or behind) a cycle never is."""
        targets = array("q", sorted(set(self.far)))  # every node with an incoming link
        waiting = array("q", bytes(8 * len(targets)))  # its incoming links not yet passed
        for node in self.far:
            waiting[bisect_left(targets, node)] += 1
        near = self.near
        ready = [
            node
            for i, node in enumerate(near)
            if (not i or near[i - 1] != node) and not in_sorted(targets, node)
        ]
        passed = 0
        while ready:
            for i in self.following(ready.pop()):
                at = bisect_left(targets, self.far[i])
                waiting[at] -= 1
                if not waiting[at]:
                    passed += 1
                    ready.append(self.far[i])
        return passed < len(targets)


def flat(direction: Direction = DOWN, *, relations: Collection[str] | None = None) -> Flat:
    """Every stored link as a `Flat`, oriented for walking in `direction` (one query,
    read in pieces)."""
    links = AssetLink.objects.order_by()
    if relations is not None:
        links = links.filter(relation__in=list(relations))
    ends = (
        ("upstream_id", "downstream_id") if direction is DOWN else ("downstream_id", "upstream_id")
    )
    return Flat(links.values_list(*ends).iterator(chunk_size=5000))


def in_sorted(ordered: array[int], value: int) -> bool:
    """Whether `value` is in the sorted array `ordered` (a set of ids at 8 bytes each)."""
    at = bisect_left(ordered, value)
    return at < len(ordered) and ordered[at] == value


def report_cycle(graph: Graph[int], where: str) -> list[int]:
    """Log a cycle in `graph` (the services forbid them, so one means bad data) and
    return it ([] when the lineage is sound)."""
    cycle = graph.find_cycle()
    if cycle:
        logger.warning("Lineage cycle in %s: %s", where, " -> ".join(str(node) for node in cycle))
    return cycle


__all__ = [
    "DOWN",
    "UP",
    "Direction",
    "Edge",
    "Graph",
    "Walk",
    "around",
    "downstream",
    "Flat",
    "flat",
    "in_sorted",
    "load",
    "report_cycle",
    "upstream",
    "would_create_cycle",
]
