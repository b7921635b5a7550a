from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.accounts.commands import add_actor_argument, command_actor, read_input
from riskhub.inventory import io


class Command(BaseCommand):
    help = (
        "Import assets from FILE (.csv, .json, or a CycloneDX 1.5-1.7 .cdx.json or "
        ".cdx.xml). Every row is "
        "validated first; nothing is imported if any row is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        add_actor_argument(parser, "import")
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = read_input(path)
        actor = command_actor(
            options["actor"], permissions=("inventory.edit",), refusal="may not edit the inventory"
        )
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
