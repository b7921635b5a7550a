"""Email notifications of the risk workflow (django.core.mail with templates).

Called after the transaction commits (services) or by the daily beat tasks, so a
rolled-back change never sends mail.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import roles_with
from riskhub.common.mail import absolute_url, send_templated_mail
from riskhub.risk import selectors
from riskhub.risk.models import Assessment, Risk, RiskAcceptance


def _send(template: str, context: dict[str, Any], recipients: list[str]) -> int:
    recipients = sorted({r for r in recipients if r})
    if not recipients or not getattr(settings, "RISK_NOTIFICATIONS", True):
        return 0
    return send_templated_mail(f"risk/email/{template}", context, recipients)


def reviewers() -> list[User]:
    roles = [r.value for r in roles_with("risk.review")]
    return list(User.objects.filter(is_active=True, groups__name__in=roles).distinct())


def assessment_submitted(assessment_id: int) -> int:
    assessment = Assessment.objects.select_related("asset", "author").get(pk=assessment_id)
    # Only those who may decide on it: no contributor (segregation of duties).
    contributors = set(assessment.contributions.values_list("user_id", flat=True))
    contributors.add(assessment.author_id)
    recipients = [u.email for u in reviewers() if u.pk not in contributors]
    context = {
        "assessment": assessment,
        "url": absolute_url(reverse("risk:assessment", args=[assessment.uuid])),
        "queue_url": absolute_url(reverse("risk:review_queue")),
    }
    return _send("submitted", context, recipients)


def assessment_decided(assessment_id: int) -> int:
    """Approved or returned: tell the author."""
    assessment = Assessment.objects.select_related("asset", "author", "reviewer").get(
        pk=assessment_id
    )
    template = "approved" if assessment.status == Assessment.Status.APPROVED else "returned"
    context = {
        "assessment": assessment,
        "url": absolute_url(reverse("risk:assessment", args=[assessment.uuid])),
    }
    return _send(template, context, [assessment.author.email])


def overdue_treatments(*, today: date | None = None) -> int:
    """One digest per owner of the overdue risks of current assessments (the risk app's
    "overdue" figure, the one the dashboard counts)."""
    today = today or timezone.localdate()
    risks = (
        Risk.objects.filter(selectors.overdue_q(today), selectors.register_q())
        .select_related("assessment__asset", "assessment__author", "owner")
        .order_by("due_date")
    )
    by_person: dict[str, list[Risk]] = defaultdict(list)
    for risk in risks:
        person = risk.owner or risk.assessment.author
        if person.is_active:
            by_person[person.email].append(risk)
    sent = 0
    for email, items in by_person.items():
        context = {
            "risks": items,
            "today": today,
            "url": absolute_url(reverse("risk:register") + "?overdue=1"),
        }
        sent += _send("overdue", context, [email])
    return sent


def expiring_acceptances(*, today: date | None = None, days: int | None = None) -> int:
    """Tell whoever accepted, and the risk owner, that an acceptance ends within the
    window (the "acceptances expiring" figure the dashboard counts)."""
    today = today or timezone.localdate()
    acceptances = RiskAcceptance.objects.filter(
        selectors.expiring_acceptances_q(today, days=days)
    ).select_related("risk__assessment__asset", "risk__owner", "approved_by")
    sent = 0
    for acceptance in acceptances:
        recipients = [acceptance.approved_by.email]
        if acceptance.risk.owner:
            recipients.append(acceptance.risk.owner.email)
        context = {
            "acceptance": acceptance,
            "risk": acceptance.risk,
            "days_left": (acceptance.expires_on - today).days,
            "url": absolute_url(reverse("risk:assessment", args=[acceptance.risk.assessment.uuid])),
        }
        sent += _send("expiring", context, recipients)
    return sent
