from __future__ import annotations

from datetime import datetime

from django import template

from riskhub.incidents.clocks import Clock, humanise

register = template.Library()


@register.filter
def left_at(clock: Clock, now: datetime) -> str:
    """ "2 days 3 hours left" or "5 hours overdue"."""
    return humanise(clock.time_left(now))


@register.filter
def late_by(clock: Clock) -> str:
    if clock.notified_at is None:
        return ""
    return humanise(clock.notified_at - clock.due).replace(" left", "")


@register.filter
def framework_label(slug: str) -> str:
    return {"eu-ai-act": "EU AI Act", "gdpr": "GDPR", "ca-civ-code": "Cal. Civ. Code"}.get(
        slug, slug
    )
