"""Print the whole catalog as JSON (the DESIGN.md contract) to stdout."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Prefetch

from riskhub.compliance.models import Control, ControlThreat, Framework
from riskhub.risk import selectors as risk_selectors


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
        "mappings__requirement__framework",
        Prefetch("threat_links", queryset=ControlThreat.objects.select_related("threat")),
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
                "threats": control.threat_codes,
            }
        )
    # The threat catalog as loaded: its current (not retired) entries, in the order
    # threats.yaml first listed them (the loader creates them in file order).
    threats = [
        {
            "code": t.code,
            "name": t.name,
            "atlas": list(t.atlas),
            "owasp_llm": list(t.owasp_llm),
        }
        for t in risk_selectors.threats().order_by("pk")
    ]
    return {"frameworks": frameworks, "controls": controls, "threats": threats}


class Command(BaseCommand):
    help = "Print the frameworks, controls and threats as JSON (load_catalogs first)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(export(), ensure_ascii=False, indent=2))
