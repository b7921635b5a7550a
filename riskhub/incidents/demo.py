"""Demo incidents on the demo inventory: a running GDPR breach, a contained AI
malfunction with its follow-ups, and a closed incident with its post-incident review.

Idempotent: nothing is added when the first demo incident exists. Times are relative to
now, so the running clock is still running whenever the demo is seeded.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.incidents import services
from riskhub.incidents.models import Incident
from riskhub.inventory.models import Asset
from riskhub.risk.models import Threat

MARKER = "Support chatbot revealed other customers' conversation history"


def _asset(kind: str, name: str) -> Asset | None:
    return Asset.objects.filter(kind=kind, name=name, archived_at__isnull=True).first()


def seed(*, users: dict[Role, User], assets: int | None, seed: int, stdout: Any) -> None:
    if Incident.objects.filter(title=MARKER).exists():
        stdout.write("  incidents: demo incidents already present")
        return
    officer = users[Role.RISK_OFFICER]
    created = _seed(officer)
    stdout.write(f"  incidents: {created} demo incidents")


@transaction.atomic
def _seed(officer: User) -> int:
    now = timezone.now()
    created = 0
    chat_api = _asset("endpoint", "Vendor LLM API") or Asset.objects.filter(kind="endpoint").first()
    if chat_api is not None:
        breach = services.incident_create(
            actor=officer,
            title=MARKER,
            description="A caching bug in the gateway served one customer's conversation "
            "history to another for 40 minutes. About 1,200 customers, 650 of them in "
            "California.",
            aware_at=now - timedelta(hours=20),
            occurred_at=now - timedelta(hours=23),
            assets=[chat_api],
            personal_data_breach=True,
            high_risk_to_individuals=False,
            california_residents=650,
            severity=Incident.Severity.HIGH,
        )
        services.incident_set_status(
            actor=officer, incident=breach, status="investigating", note="Cache disabled."
        )
        services.timeline_add_action(
            actor=officer,
            incident=breach,
            summary="Response cache disabled on the gateway; sessions invalidated.",
            at=now - timedelta(hours=19),
        )
        created += 1

    fraud = _asset("model", "Fraud anomaly detector") or Asset.objects.filter(kind="model").first()
    if fraud is not None:
        drift = services.incident_create(
            actor=officer,
            title="Fraud model flagged 30% of card payments after a feature pipeline change",
            description="A unit change in the transaction amount feature (cents to euros) "
            "made the model flag ordinary payments.",
            aware_at=now - timedelta(days=6),
            occurred_at=now - timedelta(days=6, hours=2),
            assets=[fraud],
            categories=[Incident.Category.AI_MALFUNCTION],
            severity=Incident.Severity.MEDIUM,
        )
        services.incident_set_status(
            actor=officer, incident=drift, status="contained", note="Pipeline rolled back."
        )
        created += 1

    poisoned = (
        _asset("dataset", "Historical CVs and hiring outcomes")
        or Asset.objects.filter(kind="dataset").first()
    )
    if poisoned is not None:
        attack = services.incident_create(
            actor=officer,
            title="Manipulated CVs found in the training set",
            description="CVs with hidden prompt text were uploaded through the careers "
            "portal and reached the training set.",
            aware_at=now - timedelta(days=40),
            occurred_at=now - timedelta(days=55),
            assets=[poisoned],
            threat=Threat.objects.filter(code__icontains="poison").order_by("code").first(),
            personal_data_breach=True,
            breach_risk_unlikely=True,
            severity=Incident.Severity.HIGH,
        )
        services.timeline_add_action(
            actor=officer,
            incident=attack,
            summary="312 affected CVs removed; model retraining scheduled.",
            at=now - timedelta(days=38),
        )
        services.incident_close(
            actor=officer,
            incident=attack,
            what_failed="Uploads were not screened for hidden text before joining the "
            "training set; provenance checks ran only on the vendor feeds.",
            what_changes="Content sanitisation on the careers portal; provenance check "
            "on every training-set refresh (owner: ML platform, due next quarter).",
        )
        created += 1
    return created
