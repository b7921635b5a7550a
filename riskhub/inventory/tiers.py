"""The EU AI Act tiers, defined once: slug, label, phrase, precedence and colours.

DESIGN.md "Classification": the tier belongs to an AI system, or to a model used without
a modelled system; the general-purpose tier to a model. When rules overlap the highest
precedence wins: out-of-scope < minimal < limited < gpai < gpai-systemic < high <
prohibited. The classifier (``classification.TIERS``), the model field
(``Asset.Tier``), the compliance reasons and the CSS colours in
``static/css/palette.css`` (written by ``python manage.py write_palette_css``) all read
this module; ``tests/inventory/test_tiers.py`` checks that they agree.

A pure module: no models, no database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TierDefinition:
    slug: str
    label: str  # as a badge or a column shows it
    phrase: str  # inside a sentence: "tier: high-risk"
    colour: str  # badge background
    text_colour: str
    border_colour: str

    @property
    def css_class(self) -> str:
        return f"rh-tier-{self.slug}"


OUT_OF_SCOPE = TierDefinition(
    "out-of-scope", "Out of scope", "out of scope", "#f1f3f5", "#343a40", "#ced4da"
)
MINIMAL = TierDefinition("minimal", "Minimal", "minimal", "#d1e7dd", "#0f5132", "#a3cfbb")
LIMITED = TierDefinition(
    "limited", "Limited (transparency)", "limited (transparency)", "#fff3cd", "#664d03", "#ffe69c"
)
GPAI = TierDefinition(
    "gpai", "General-purpose AI", "general-purpose AI", "#ede7f6", "#4527a0", "#b39ddb"
)
GPAI_SYSTEMIC = TierDefinition(
    "gpai-systemic",
    "GPAI with systemic risk",
    "GPAI with systemic risk",
    "#7b2cbf",
    "#ffffff",
    "#7b2cbf",
)
HIGH = TierDefinition("high", "High-risk", "high-risk", "#b71c1c", "#ffffff", "#b71c1c")
PROHIBITED = TierDefinition(
    "prohibited", "Prohibited", "prohibited practice", "#4a0d0d", "#ffffff", "#4a0d0d"
)

# Lowest to highest precedence: when several rules apply, the highest wins.
PRECEDENCE: tuple[TierDefinition, ...] = (
    OUT_OF_SCOPE,
    MINIMAL,
    LIMITED,
    GPAI,
    GPAI_SYSTEMIC,
    HIGH,
    PROHIBITED,
)
BY_SLUG: dict[str, TierDefinition] = {t.slug: t for t in PRECEDENCE}

# What an asset without a tier shows, in the inventory and on the dashboard alike:
# a kind that carries the questionnaire (Asset.classifiable) has not been classified
# yet; any other kind (datasets, endpoints) is never classified itself.
NOT_YET_CLASSIFIED = "Not yet classified"
NOT_APPLICABLE = "Not applicable"
