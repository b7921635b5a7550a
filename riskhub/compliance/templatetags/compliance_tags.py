from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def days_until(value: dt.date | None, today: dt.date | None) -> int:
    """Whole days from today to the date (0 when the date has passed)."""
    if not value or not today:
        return 0
    return max((value - today).days, 0)
