from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from riskhub.accounts.commands import add_actor_argument, command_actor, read_input
from riskhub.inventory.models import Asset
from riskhub.scans import services
from riskhub.scans.models import Tool


class Command(BaseCommand):
    help = (
        "Import an AI security scan report (garak report.jsonl or promptfoo results "
        "JSON) for ASSET (its id or exact name). All or nothing; audited; the report is "
        "filed as evidence of the controls it tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("asset", help="The asset's id (UUID) or exact name.")
        parser.add_argument("file", type=Path)
        parser.add_argument("--tool", choices=Tool.values, default=None)
        add_actor_argument(parser, "import")
        parser.add_argument("--json", action="store_true", help="Print the run as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        data = read_input(path)
        asset = self._asset(options["asset"])
        actor = command_actor(
            options["actor"],
            permissions=("compliance.edit", "risk.edit"),
            refusal="may not import scan results",
        )
        try:
            run = services.scan_import(
                actor=actor,
                asset=asset,
                file=io.BytesIO(data),
                name=path.name,
                size=len(data),
                tool=options["tool"],
            )
        except services.ScanImportError as exc:
            lines = "\n".join(f"  {m}" for m in exc.messages)
            raise CommandError(f"Nothing was imported from {path}:\n{lines}") from None
        summary = {
            "id": str(run.uuid),
            "asset": str(asset.uuid),
            "tool": run.tool,
            "tool_version": run.tool_version,
            "findings": run.findings.count(),
            "attempts": run.attempts,
            "failures": run.failures,
            "report_sha256": run.report_sha256,
            "outcome": run.outcome,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Imported {path} for {asset.name}: {summary['findings']} findings, "
                    f"{run.failures} of {run.attempts} attempts failed. "
                    f"{run.outcome.get('assessment_note', '')}"
                )
            )

    def _asset(self, ref: str) -> Asset:
        qs = Asset.objects.all()
        try:
            import uuid

            return qs.get(uuid=uuid.UUID(ref))
        except (ValueError, Asset.DoesNotExist):
            pass
        matches = list(qs.filter(name=ref)[:2])
        if len(matches) != 1:
            raise CommandError(f"No single asset has the id or name {ref!r}.")
        return matches[0]
