"""Verifying the chain from the browser.

Walking the whole trail takes seconds (about 11 s for 100,000 events on PostgreSQL on
a small machine), too long for a web request, so a request only enqueues the walk; a
Celery worker runs `chain_verify` and records the outcome as an `audit.verify` event,
which the result page waits for. The walk itself is the one the
`verify_audit_trail` command runs (riskhub.audit.services.chain_problems).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from riskhub.audit.models import AuditEvent
from riskhub.audit.selectors import VERIFY_ACTION
from riskhub.audit.services import chain_problems, record_event

# The page lists this many broken events; the event records as many.
MAX_PROBLEMS = 100


@dataclass(frozen=True)
class Verdict:
    intact: bool
    events_verified: int
    problems: list[dict[str, Any]]


def chain_verify(*, actor: Any, run: str) -> Verdict:
    """Walk the chain and record the outcome (an `audit.verify` event naming `run`)."""
    # Every event that exists now is walked (the walk goes on to the newest), so this
    # count is what the verdict covers at least.
    counted = AuditEvent.objects.count()
    problems = chain_problems(limit=MAX_PROBLEMS)
    verdict = Verdict(
        intact=not problems,
        events_verified=counted,
        problems=[{"seq": p.seq, "reason": p.reason} for p in problems],
    )
    with transaction.atomic():
        record_event(
            actor=actor,
            action=VERIFY_ACTION,
            object_type="audit_trail",
            after={
                "run": run,
                "intact": verdict.intact,
                "events_verified": verdict.events_verified,
                "problems": verdict.problems,
            },
        )
    return verdict
