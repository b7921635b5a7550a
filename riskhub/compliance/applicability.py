"""Which requirements apply to an asset, why, and from when. Pure: no database.

Rules are written over the fact tokens of docs/catalog-format.md::

    {"all": [...], "any": [...], "none": [...]}   # every key optional; {} always applies

`applies_from` is a list of ``{"date", "condition", "when"?}``; the first entry whose
``when`` tokens all hold gives the date (an entry without ``when`` always matches).

An asset's obligations come from its own facts (systems, and models used without a
system) and from the facts of every AI system it feeds through lineage: a dataset,
model or endpoint inherits the obligations of the systems it is part of or serves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from riskhub.inventory.facts import token_label


@dataclass(frozen=True)
class Rule:
    all: tuple[str, ...] = ()
    any: tuple[str, ...] = ()
    none: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Rule:
        data = data or {}
        return cls(
            all=tuple(data.get("all") or ()),
            any=tuple(data.get("any") or ()),
            none=tuple(data.get("none") or ()),
        )

    def match(self, facts: frozenset[str] | set[str]) -> list[str] | None:
        """The tokens that made the rule hold (all, then the `any` ones present), or None."""
        if not all(token in facts for token in self.all):
            return None
        matched_any = [token for token in self.any if token in facts]
        if self.any and not matched_any:
            return None
        if any(token in facts for token in self.none):
            return None
        return [*self.all, *matched_any]


@dataclass(frozen=True)
class DateEntry:
    date: dt.date
    condition: str
    when: tuple[str, ...] = ()


def parse_dates(entries: Iterable[Mapping[str, Any]] | None) -> tuple[DateEntry, ...]:
    parsed = []
    for entry in entries or ():
        value = entry["date"]
        if isinstance(value, str):
            value = dt.date.fromisoformat(value)
        parsed.append(
            DateEntry(value, str(entry.get("condition", "")), tuple(entry.get("when") or ()))
        )
    return tuple(parsed)


def applies_from(
    entries: Sequence[DateEntry], facts: frozenset[str] | set[str]
) -> DateEntry | None:
    for entry in entries:
        if all(token in facts for token in entry.when):
            return entry
    return None


@dataclass(frozen=True)
class RequirementSpec:
    """What applicability needs of a requirement (built from a row or the YAML)."""

    key: Any
    rule: Rule
    dates: tuple[DateEntry, ...]


@dataclass(frozen=True)
class FactSource:
    """Facts an asset's obligations can come from: its own, or a system it feeds."""

    facts: frozenset[str]
    via: str = ""  # name of the system, empty for the asset's own facts


@dataclass
class Obligation:
    key: Any
    reason: str
    applies_from: dt.date | None
    condition: str
    sources: list[str] = field(default_factory=list)

    def in_force(self, today: dt.date) -> bool:
        return self.applies_from is None or self.applies_from <= today

    def days_until(self, today: dt.date) -> int:
        return 0 if self.in_force(today) else (self.applies_from - today).days  # type: ignore[operator]


def _reason(matched: list[str], facts: frozenset[str]) -> str:
    shown = list(matched)
    # A rule names the generic token (annex_iii, tier:high); the reader wants the point,
    # first: "Annex III point 4(a); role: deployer".
    points: list[str] = []
    if "annex_iii" in shown or "tier:high" in shown:
        points = sorted(t for t in facts if t.startswith("annex_iii:") and "(" in t)
        if not points:
            points = sorted(t for t in facts if t.startswith("annex_iii:"))
    if points:
        shown = [t for t in shown if t not in ("annex_iii", "tier:high") and t not in points]
    labels = [token_label(t) for t in [*points, *shown]]
    return "; ".join(dict.fromkeys(labels)) or "applies to every asset in scope"


def evaluate(
    requirements: Iterable[RequirementSpec], sources: Sequence[FactSource]
) -> list[Obligation]:
    """The obligations of one asset, in requirement order.

    When several sources make a requirement apply, the earliest date wins and the
    reasons are listed per source.
    """
    result = []
    for spec in requirements:
        best: Obligation | None = None
        for source in sources:
            matched = spec.rule.match(source.facts)
            if matched is None:
                continue
            entry = applies_from(spec.dates, source.facts)
            reason = _reason(matched, source.facts)
            if source.via:
                reason += f" (via system “{source.via}”)"
            date = entry.date if entry else None
            if best is None:
                best = Obligation(spec.key, reason, date, entry.condition if entry else "")
                best.sources.append(source.via)
                continue
            best.reason += " · " + reason
            best.sources.append(source.via)
            if date is not None and (best.applies_from is None or date < best.applies_from):
                best.applies_from = date
                best.condition = entry.condition if entry else ""
        if best is not None:
            result.append(best)
    return result
