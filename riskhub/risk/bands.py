"""The four risk bands, defined once: slug, label, rank, colours and CSS class.

Every matrix maps its cells to these bands (DESIGN.md "Risk scale"); a band looks the
same on every matrix, page, chart and report. Python readers (the matrices, the
template tags, the Plotly figures of the dashboard, the PDF charts) import from here;
the CSS colours in ``static/css/palette.css`` are written from here by
``python manage.py write_palette_css``, and ``tests/risk/test_bands.py`` fails when the
committed file and these definitions disagree.

A pure module: no models, no database, so the lower apps (inventory's
``Asset.RiskBand``) can be checked against it by a test without importing upward.
"""

from __future__ import annotations

from dataclasses import dataclass


def text_colour_for(background: str) -> str:
    """Black or white, whichever reads better on the background (WCAG luminance)."""
    try:
        r, g, b = (int(background[i : i + 2], 16) / 255 for i in (1, 3, 5))
    except (ValueError, IndexError):
        return "#ffffff"

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return "#000000" if luminance > 0.179 else "#ffffff"


@dataclass(frozen=True)
class Band:
    slug: str
    label: str
    # 1 (Low) .. 4 (Critical); 0 is "not assessed", below every band.
    rank: int
    # Background of a badge, a heatmap cell, a bar or a line; its text colour (black or
    # white) reads on it at WCAG AA (4.5:1), and the bands stay apart for people with
    # red-green or blue-yellow colour blindness: tests/risk/test_bands.py checks both.
    colour: str

    @property
    def text_colour(self) -> str:
        return text_colour_for(self.colour)

    @property
    def css_class(self) -> str:
        return f"rh-band-{self.slug}"


# A colour-blind-safe set (ColorBrewer's blue, pale yellow, orange and a dark red): the
# bands differ in lightness as well as in hue, so Medium and High are never two similar
# oranges, whatever the viewer's colour vision; the pages write the band's name too.
LOW = Band("low", "Low", 1, "#2166ac")
MEDIUM = Band("medium", "Medium", 2, "#fee08b")
HIGH = Band("high", "High", 3, "#d95f02")
CRITICAL = Band("critical", "Critical", 4, "#7f1d1d")
# Not a band of any matrix: what an asset or a figure shows before any assessment.
NOT_ASSESSED = Band("not-assessed", "Not assessed", 0, "#6c757d")

# The four bands, lowest first.
BANDS: tuple[Band, ...] = (LOW, MEDIUM, HIGH, CRITICAL)
BY_SLUG: dict[str, Band] = {b.slug: b for b in (NOT_ASSESSED, *BANDS)}


def tint(colour: str, share: float = 0.18) -> str:
    """The colour mixed into white (`share` of the colour): an empty heatmap cell of
    the band, which should look empty yet still show its band."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    mixed = (round(255 - (255 - c) * share) for c in (r, g, b))
    return "#" + "".join(f"{c:02x}" for c in mixed)


def band(slug: str | None) -> Band:
    """The band of a slug; an empty or unknown slug is "not assessed"."""
    return BY_SLUG.get(slug or "", NOT_ASSESSED)
