from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.accounts.models import User
from riskhub.accounts.policy import has_perm
from riskhub.inventory import io


class Command(BaseCommand):
    help = (
        "Import assets from FILE (.csv, .json, or a CycloneDX 1.5-1.7 .cdx.json or "
        ".cdx.xml). Every row is "
        "validated first; nothing is imported if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="actor",
            default=None,
            help="Email of the user the import is recorded as (default: the first admin).",
        )
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
        actor = self._actor(options["actor"])
        report = io.import_file(actor=actor, name=path.name, data=data)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if not report.ok:
            lines = "\n".join(
                f"  {report.line_label.lower()} {e.line}, {e.column or '-'}: {e.reason}"
                for e in report.errors
            )
            raise CommandError(f"Nothing was imported from {path}:\n{lines}")
        if not options["json"]:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {path}: {report.created} created, {report.updated} updated, "
                    f"{report.unchanged} unchanged, {report.links} links added, "
                    f"{report.links_removed} removed."
                    + (
                        f" Not imported (not AI assets): {report.skipped_summary}."
                        if report.skipped
                        else ""
                    )
                )
            )

    def _actor(self, email: str | None) -> User:
        if email:
            user = User.objects.filter(email__iexact=email, is_active=True).first()
            if user is None:
                raise CommandError(f"No active user {email}.")
        else:
            candidates = User.objects.filter(is_active=True).order_by("pk")
            user = next((u for u in candidates if has_perm(u, "org.edit")), None)
            if user is None:
                raise CommandError("No admin user exists; pass --as EMAIL of a risk officer.")
        if not has_perm(user, "inventory.edit"):
            raise CommandError(f"{user.email} may not edit the inventory.")
        return user
