"""Load or upgrade every shipped catalog (matrices, threats, frameworks, controls).

Idempotent: running it twice changes nothing the second time. Each app that owns a
catalog exposes `load(stdout) -> None` in its `catalog_loader` module; they run in
dependency order (risk before compliance, whose controls reference threat codes).
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand

LOADERS = [
    "riskhub.risk.catalog_loader",
    "riskhub.compliance.catalog_loader",
    "riskhub.impact.catalog_loader",  # names compliance requirements and a control
]


class Command(BaseCommand):
    help = "Load or upgrade the shipped catalogs (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = 0
        for module_name in LOADERS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            module.load(stdout=self.stdout)
            loaded += 1
        self.stdout.write(self.style.SUCCESS(f"Catalogs loaded ({loaded} catalog owners)."))
