from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from riskhub.core.backup import backup


class Command(BaseCommand):
    help = "Back up the database and the media folder into DIR."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        manifest = backup(options["directory"])
        self.stdout.write(self.style.SUCCESS(f"Backed up {', '.join(manifest['files'])}"))
