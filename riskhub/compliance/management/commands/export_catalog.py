"""Print the whole catalog as JSON (the DESIGN.md contract) to stdout."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from riskhub.compliance.catalog_loader import threat_catalog
from riskhub.compliance.models import Control, Framework


def export() -> dict[str, Any]:
    frameworks = []
    for framework in Framework.objects.prefetch_related("requirements").order_by("position"):
        frameworks.append(
            {
                "slug": framework.slug,
                "name": framework.name,
                "version": framework.version,
                "requirements": [
                    {
                        "ref": r.ref,
                        "title": r.title,
                        "applies_from": [
                            {"date": e["date"], "condition": e.get("condition", "")}
                            for e in r.applies_from
                        ],
                        "also_cited_as": list(r.also_cited_as),
                    }
                    for r in sorted(framework.requirements.all(), key=lambda r: r.position)
                    if not r.retired
                ],
            }
        )
    controls = []
    for control in Control.objects.filter(retired=False).prefetch_related(
        "mappings__requirement__framework"
    ):
        mappings = sorted(
            control.mappings.all(),
            key=lambda m: (m.requirement.framework.position, m.requirement.position),
        )
        controls.append(
            {
                "code": control.code,
                "name": control.name,
                "requirements": [
                    {
                        "framework": m.requirement.framework.slug,
                        "ref": m.requirement.ref,
                        "coverage": m.coverage,
                    }
                    for m in mappings
                ],
                "threats": list(control.threats),
            }
        )
    threats = [
        {
            "code": t["code"],
            "name": t["name"],
            "atlas": list(t.get("atlas") or []),
            "owasp_llm": list(t.get("owasp_llm") or []),
        }
        for t in threat_catalog()
    ]
    return {"frameworks": frameworks, "controls": controls, "threats": threats}


class Command(BaseCommand):
    help = "Print the frameworks, controls and threats as JSON (load_catalogs first)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(export(), ensure_ascii=False, indent=2))
