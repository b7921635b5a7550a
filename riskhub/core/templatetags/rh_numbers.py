"""How counts are written on pages and in reports."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


@register.filter
def thousands(value: object) -> str:
    """A number rounded to a whole one and grouped by thousands: 599871 -> "599,871".
    What floatformat:"0g" writes, at a fraction of its cost (the dashboard writes some
    700 numbers; floatformat spent 16 ms of each view on them)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    try:
        whole = Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{whole:,}"
