"""Write static/css/palette.css from the band, tier and coverage state definitions."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.core import palette


class Command(BaseCommand):
    help = (
        "Write static/css/palette.css (risk band, EU AI Act tier and coverage state "
        "colours) from riskhub/risk/bands.py, riskhub/inventory/tiers.py and "
        "riskhub/compliance/states.py. --check only compares."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Exit non-zero when the committed file differs; write nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = palette.path()
        if options["check"]:
            current = target.read_text(encoding="utf-8") if target.exists() else ""
            if current != palette.css():
                raise CommandError(
                    f"{target} is out of date: run `python manage.py write_palette_css`."
                )
            self.stdout.write(f"{target} is up to date.")
            return
        palette.write()
        self.stdout.write(f"Wrote {target}.")
