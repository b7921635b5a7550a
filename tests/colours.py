"""What colours look like to readers (WCAG contrast, and the CIE Lab a person with
protanopia, deuteranopia or tritanopia sees) and the rules of a stylesheet. Shared by
the tests that keep the band, tier and coverage state colours readable, apart and
defined once."""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import combinations

# CIE76 distance below which two colours are hard to tell apart at a glance.
APART = 20


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two #rrggbb colours (1 to 21)."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b_ = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b_

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# Machado, Oliveira and Fernandes (2009), full severity, applied to linear RGB: what a
# person with protanopia, deuteranopia or tritanopia sees.
CVD = {
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.011820, 0.042940, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.303900),
    ),
    "typical vision": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
}


def seen_as_lab(colour: str, vision: str) -> tuple[float, float, float]:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [linear(int(colour[i : i + 2], 16) / 255) for i in (1, 3, 5)]
    r, g, b = (
        min(max(sum(m * v for m, v in zip(row, rgb, strict=True)), 0.0), 1.0) for row in CVD[vision]
    )
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return (116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z)))


def too_close(colours: Sequence[tuple[str, str]], vision: str) -> list[tuple[str, str, float]]:
    """The pairs of (name, colour) that a reader with this vision can hardly tell apart:
    their names and their distance, rounded."""
    seen = {name: seen_as_lab(colour, vision) for name, colour in colours}
    close = []
    for (a, _), (b, _) in combinations(colours, 2):
        distance = sum((p - q) ** 2 for p, q in zip(seen[a], seen[b], strict=True)) ** 0.5
        if distance < APART:
            close.append((a, b, round(distance, 1)))
    return close


def css_rules(text: str) -> list[tuple[str, str]]:
    """(selector, declarations) of every rule of a stylesheet, comments left out."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return [(m.group(1).strip(), m.group(2)) for m in re.finditer(r"([^{}]+)\{([^{}]*)\}", text)]
