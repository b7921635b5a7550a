"""Coverage arithmetic (pure): is a requirement met, partial or a gap for an asset?

DESIGN.md "Coverage": met when a control mapped `full` is implemented with valid
evidence in the asset's scope, or a set of `partial` controls the catalog marks as
sufficient together is; partial when some mapped control is; a gap when none is.
"Effective" controls are those implemented, in scope, with non-expired evidence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

MET, PARTIAL, GAP = "met", "partial", "gap"


@dataclass(frozen=True)
class RequirementMapping:
    full: frozenset[int] = frozenset()
    partial: frozenset[int] = frozenset()
    sufficient_sets: tuple[frozenset[int], ...] = ()

    @property
    def all_controls(self) -> frozenset[int]:
        return self.full | self.partial


def requirement_status(mapping: RequirementMapping, effective: Collection[int]) -> str:
    if any(control in effective for control in mapping.full):
        return MET
    if any(group and group <= set(effective) for group in mapping.sufficient_sets):
        return MET
    if any(control in effective for control in mapping.all_controls):
        return PARTIAL
    return GAP


def evidence_valid(valid_until: dt.date | None, today: dt.date) -> bool:
    """Evidence counts through its last valid day; no date means it does not expire."""
    return valid_until is None or valid_until >= today


@dataclass
class Totals:
    met: int = 0
    partial: int = 0
    gap: int = 0

    @property
    def applicable(self) -> int:
        return self.met + self.partial + self.gap

    def add(self, status: str) -> None:
        setattr(self, status, getattr(self, status) + 1)

    def as_dict(self) -> dict[str, int]:
        return {
            "met": self.met,
            "partial": self.partial,
            "gap": self.gap,
            "applicable": self.applicable,
        }


@dataclass
class GapCloser:
    """A control and the open (asset, requirement) pairs it would close or improve."""

    control: int
    closes: set[tuple[int, int]] = field(default_factory=set)
    frameworks: set[str] = field(default_factory=set)


def rank_closers(
    open_items: Iterable[tuple[int, int, str]], mappings: dict[int, RequirementMapping]
) -> list[GapCloser]:
    """Controls ranked by how many open (asset, requirement) pairs they would close,
    across all frameworks. `open_items` holds (asset, requirement, framework slug)."""
    closers: dict[int, GapCloser] = {}
    for asset_id, requirement_id, framework in open_items:
        mapping = mappings.get(requirement_id)
        if mapping is None:
            continue
        for control in mapping.full:
            closer = closers.setdefault(control, GapCloser(control))
            closer.closes.add((asset_id, requirement_id))
            closer.frameworks.add(framework)
    return sorted(closers.values(), key=lambda c: (-len(c.closes), c.control))
