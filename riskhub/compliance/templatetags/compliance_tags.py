from __future__ import annotations

import datetime as dt

from django import template

from riskhub.compliance.applicability import token_label

register = template.Library()


@register.filter
def days_until(value: dt.date | None, today: dt.date | None) -> int:
    """Whole days from today to the date (0 when the date has passed)."""
    if not value or not today:
        return 0
    return max((value - today).days, 0)


@register.filter
def fact_label(flag: str, law: str) -> str:
    """A classification flag (``dpia_required`` under ``gdpr``) in readable words."""
    return token_label(f"{law}:{flag}")
