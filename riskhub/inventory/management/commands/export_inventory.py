from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from riskhub.inventory import io, selectors
from riskhub.inventory.io.cyclonedx import SPEC_VERSION, SPEC_VERSIONS


class Command(BaseCommand):
    help = "Print the inventory to stdout as CSV, JSON or a CycloneDX BOM (JSON or XML)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--format",
            choices=["csv", "json", "cyclonedx", "cyclonedx-xml"],
            default="csv",
            help="cyclonedx is CycloneDX JSON; cyclonedx-xml is CycloneDX XML.",
        )
        parser.add_argument(
            "--spec-version",
            choices=SPEC_VERSIONS,
            default=SPEC_VERSION,
            help=f"CycloneDX version to write (default {SPEC_VERSION}).",
        )
        parser.add_argument(
            "--archived", action="store_true", help="Include archived assets as well."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        filters = selectors.AssetFilters(archived="all" if options["archived"] else "active")
        qs = selectors.assets(filters)
        fmt = options["format"]
        if fmt.startswith("cyclonedx"):
            self.stdout.write(
                io.export_cyclonedx(
                    qs, options["spec_version"], "xml" if fmt == "cyclonedx-xml" else "json"
                )
            )
            return
        chunks = io.export_csv(qs) if fmt == "csv" else io.export_json(qs)
        for chunk in chunks:
            self.stdout.write(chunk, ending="")
