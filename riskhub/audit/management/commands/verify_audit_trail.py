from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from riskhub.audit.models import AuditEvent
from riskhub.audit.services import verify_chain


class Command(BaseCommand):
    help = "Verify the HMAC chain of the audit trail; exit 1 naming the first bad row."

    def handle(self, *args: Any, **options: Any) -> None:
        problem = verify_chain()
        if problem is not None:
            raise CommandError(f"Audit trail broken at event #{problem.seq}: {problem.reason}")
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} events verified."))
