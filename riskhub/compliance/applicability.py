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

from riskhub.inventory import tiers

_TIER_LABELS = {t.slug: t.phrase for t in tiers.PRECEDENCE}

_FIXED_LABELS = {
    "ai_system": "AI system (Art. 3(1))",
    "annex_i": "Annex I product (Art. 6(1))",
    "annex_iii": "Annex III use (Art. 6(2))",
    "art_6_3_derogation": "Art. 6(3) derogation claimed",
    "gpai": "general-purpose AI model",
    "gpai-systemic": "GPAI model with systemic risk (over 10^25 FLOPs or designated)",
    "org:eu_established": "organisation established in the EU",
    "org:public_body": "body governed by public law or provider of public services",
    "org:public_authority": "public authority or body",
    "personal_data": "personal data processed",
    "ca:personal_information": "California residents' personal information",
    "ca:conducts_business": "conducts business in California",
    "ca:breach_owner": "owns or licenses the personal information (1798.82(a))",
    "ca:breach_maintainer": "maintains personal information for its owner (1798.82(b))",
    "gdpr:applies": "personal data within the GDPR's scope",
    "gdpr:controller": "GDPR role: controller",
    "gdpr:processor": "GDPR role: processor",
    "gdpr:special_categories": "special categories of personal data",
    "gdpr:automated_decisions": "solely automated decisions (Art. 22)",
    "gdpr:large_scale": "large-scale processing",
    "gdpr:children": "children's data",
    "gdpr:transfers": "transfers outside the EU/EEA",
    "gdpr:dpia_required": "DPIA likely required (Art. 35)",
    "ccpa:applies": "CCPA business processing California consumers' data",
    "ccpa:sells_or_shares": "sells or shares personal information",
    "ccpa:sensitive_pi": "sensitive personal information",
    "ccpa:admt": "ADMT used for significant decisions",
    "ccpa:risk_assessment": "11 CCR 7150(b) risk-assessment trigger",
    "ccpa:cyber_audit": "11 CCR 7120(b) cybersecurity-audit thresholds met",
}


def token_label(token: str) -> str:
    """A fact token in the words a reviewer reads."""
    if token in _FIXED_LABELS:
        return _FIXED_LABELS[token]
    prefix, _, rest = token.partition(":")
    if prefix == "tier":
        return f"tier: {_TIER_LABELS.get(rest, rest)}"
    if prefix == "role":
        return f"role: {rest}"
    if prefix == "annex_iii":
        return f"Annex III point {rest}" if "(" in rest else f"Annex III area {rest}"
    if prefix == "prohibited":
        return f"Art. {rest} practice"
    if prefix == "transparency":
        return f"Art. {rest} trigger"
    return token


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
