from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from riskhub.core.backup import restore


class Command(BaseCommand):
    help = "Restore a backup from DIR into the configured (empty) database."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        manifest = restore(options["directory"])
        self.stdout.write(self.style.SUCCESS(f"Restored {', '.join(manifest['files'])}"))
