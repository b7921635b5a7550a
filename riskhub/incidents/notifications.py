"""Email about the legal clocks (django.core.mail with templates), sent by the beat
task through services.clock_alerts_send."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.common.mail import absolute_url, send_templated_mail
from riskhub.incidents.clocks import Clock, humanise
from riskhub.incidents.models import Incident

THRESHOLD_TEXT = {
    "50": "half of the time is gone",
    "90": "90% of the time is gone",
    "missed": "the deadline has passed",
}


def clock_alert_recipients(incident: Incident) -> list[str]:
    """The incident's owner and every active executive."""
    emails = set(
        User.objects.filter(is_active=True, groups__name=Role.EXECUTIVE).values_list(
            "email", flat=True
        )
    )
    if incident.owner is not None and incident.owner.is_active:
        emails.add(incident.owner.email)
    return sorted(emails)


def clock_alert(
    incident: Incident, clock: Clock, threshold: str, recipients: list[str], now: datetime
) -> int:
    if not recipients:
        return 0
    context = {
        "incident": incident,
        "clock": clock,
        "threshold": threshold,
        "threshold_text": THRESHOLD_TEXT[threshold],
        "left": humanise(clock.time_left(now)),
        "url": absolute_url(reverse("incidents:detail", args=[incident.uuid])),
    }
    return send_templated_mail("incidents/email/clock", context, recipients)
