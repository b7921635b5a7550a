"""The coverage states of a requirement, defined once: slug, label, colours, CSS class.

A requirement is met, partial or a gap for an asset (``coverage.py`` decides which); a
state looks the same on the compliance pages, the dashboard's coverage bars, the PDF
charts and the PDF status labels. The model choices (``RequirementStatus.Status``), the
coverage rule's constants, the dashboard and the reports read this module; the CSS
colours in ``static/css/palette.css`` are written from here by
``python manage.py write_palette_css``; ``tests/risk/test_bands.py`` fails when the
committed file and the definitions disagree, and ``tests/compliance/test_states.py``
when a stylesheet names a state colour of its own.

A pure module: no models, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskhub.risk.bands import text_colour_for


@dataclass(frozen=True)
class CoverageState:
    slug: str
    label: str
    # Background of a badge, a bar segment or a chart bar; its text colour (black or
    # white) reads on it at WCAG AA, and met, partial and gap stay apart for people with
    # red-green or blue-yellow colour blindness: tests/compliance/test_states.py checks.
    colour: str

    @property
    def text_colour(self) -> str:
        return text_colour_for(self.colour)

    @property
    def css_class(self) -> str:
        return f"rh-state-{self.slug}"


# Met was #2e7d32 beside a gap of #b71c1c: two reds and greens of one lightness, which a
# reader with deuteranopia sees as nearly the same brown. This bluish green keeps white
# text and stays apart from the gap red, and the amber, whatever the colour vision.
MET = CoverageState("met", "Met", "#128658")
PARTIAL = CoverageState("partial", "Partial", "#f9a825")
GAP = CoverageState("gap", "Gap", "#b71c1c")
# Not a state of any requirement: what a report shows for an asset with no obligation
# under a framework, beside the others.
NOT_IN_SCOPE = CoverageState("not-in-scope", "Not in scope", "#6b7280")

# The states of a requirement, best first.
STATES: tuple[CoverageState, ...] = (MET, PARTIAL, GAP)
BY_SLUG: dict[str, CoverageState] = {s.slug: s for s in (*STATES, NOT_IN_SCOPE)}
LABELS: dict[str, str] = {s.slug: s.label for s in STATES}
# A requirement still open for an asset: not met (the gap list, its stored totals).
OPEN: tuple[str, ...] = (GAP.slug, PARTIAL.slug)
