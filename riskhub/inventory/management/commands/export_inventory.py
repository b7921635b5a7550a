from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from riskhub.inventory import io, selectors


class Command(BaseCommand):
    help = "Print the inventory to stdout as CSV, JSON or a CycloneDX 1.6 BOM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--format", choices=["csv", "json", "cyclonedx"], default="csv")
        parser.add_argument(
            "--archived", action="store_true", help="Include archived assets as well."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = selectors.AssetFilters(archived="all" if options["archived"] else "active")
        qs = selectors.assets(filters)
        fmt = options["format"]
        if fmt == "cyclonedx":
            self.stdout.write(io.export_cyclonedx(qs))
            return
        chunks = io.export_csv(qs) if fmt == "csv" else io.export_json(qs)
        for chunk in chunks:
            self.stdout.write(chunk, ending="")
