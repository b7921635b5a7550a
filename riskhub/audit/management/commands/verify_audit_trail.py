from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.audit.models import AuditEvent
from riskhub.audit.services import chain_problems


class Command(BaseCommand):
    help = (
        "Verify the HMAC chain of the audit trail. When it is broken, exit 1 naming the "
        "first bad event, after listing every broken event (up to --limit)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--limit",
            type=int,
            default=100,
            help="stop after naming this many broken events (default 100; 0: no limit)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        limit = options["limit"]
        if limit < 0:
            raise CommandError("--limit must be 0 (no limit) or more.")
        problems = chain_problems(limit=limit or None)
        if problems:
            for problem in problems:
                self.stderr.write(f"event #{problem.seq}: {problem.reason}")
            more = (
                f" (stopped at --limit={limit}; there may be more)"
                if limit and len(problems) >= limit
                else ""
            )
            first = problems[0]
            raise CommandError(
                f"Audit trail broken at event #{first.seq}: {first.reason}. "
                f"{len(problems)} broken event(s) listed above{more}."
            )
        count = AuditEvent.objects.count()
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} events verified."))
