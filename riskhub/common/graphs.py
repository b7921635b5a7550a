"""Plain graph walks over in-memory adjacency maps (asset lineage read in bulk)."""

from __future__ import annotations


def reachable(graph: dict[int, set[int]], start: int) -> set[int]:
    """Every node reachable from `start` along `graph`'s edges, `start` excluded."""
    seen: set[int] = set()
    stack = list(graph.get(start, ()))
    while stack:
        node = stack.pop()
        if node in seen or node == start:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return seen
