"""Framework compliance: one framework's obligations, met, partial or open, per asset
and per requirement, with the evidence behind them."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from riskhub.reports import selectors as sel
from riskhub.reports.kinds.common import (
    Progress,
    asset_row,
    assurance_sections,
    evidence_rows,
    header,
    iso,
    name_matrices,
    risk_rows,
)
from riskhub.reports.models import Kind


@dataclass
class Coverage:
    """Per asset and per requirement counts of one framework's obligations."""

    assets: list[dict[str, Any]] = field(default_factory=list)
    detail: list[dict[str, Any]] = field(default_factory=list)
    totals: Counter[str] = field(default_factory=Counter)
    per_requirement: dict[int, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    earliest: dict[int, dt.date] = field(default_factory=dict)


def coverage_section(
    state: sel.State, comp: sel.ComplianceState, fw_requirements: dict[int, Any]
) -> Coverage:
    """One row per asset in scope, and the per-asset obligations for the JSON."""
    result = Coverage()
    for pk in state.in_scope:
        mine = [o for o in comp.obligations.get(pk, []) if o[0] in fw_requirements]
        counts = Counter(status for _, status, _, _ in mine)
        result.totals.update(counts)
        for req, status, _, applies in mine:
            result.per_requirement[req][status] += 1
            if applies and (req not in result.earliest or applies < result.earliest[req]):
                result.earliest[req] = applies
        row = asset_row(state, pk)
        open_refs = [fw_requirements[req].ref for req, status, _, _ in mine if status != "met"]
        if not mine:
            status_label = "Not in scope"
        elif counts["gap"]:
            status_label = "Gaps"
        elif counts["partial"]:
            status_label = "Partial"
        else:
            status_label = "Compliant"
        row.update(
            obligations=len(mine),
            met=counts["met"],
            partial=counts["partial"],
            gap=counts["gap"],
            status=status_label,
            open_refs=open_refs,
        )
        result.assets.append(row)
        if mine:
            result.detail.append(
                {
                    "asset": row["id"],
                    "obligations": [
                        {
                            "ref": fw_requirements[req].ref,
                            "status": status,
                            "reason": reason,
                            "applies_from": iso(applies),
                        }
                        for req, status, reason, applies in mine
                    ],
                }
            )
    return result


def requirements_section(
    fw_requirements: dict[int, Any], coverage: Coverage
) -> list[dict[str, Any]]:
    """One row per requirement that applies to at least one asset in scope."""
    per_req = coverage.per_requirement
    return [
        {
            "ref": r.ref,
            "title": r.title,
            "group": r.group,
            "met": per_req[pk]["met"],
            "partial": per_req[pk]["partial"],
            "gap": per_req[pk]["gap"],
            "applicable": sum(per_req[pk].values()),
            "applies_from": iso(coverage.earliest.get(pk)),
        }
        for pk, r in fw_requirements.items()
        if per_req[pk]
    ]


def totals_section(coverage: Coverage) -> dict[str, Any]:
    totals = coverage.totals
    applicable = sum(totals.values())
    return {
        "met": totals["met"],
        "partial": totals["partial"],
        "gap": totals["gap"],
        "applicable": applicable,
        "assets_with_obligations": len(coverage.detail),
        "assets_compliant": sum(1 for a in coverage.assets if a["status"] == "Compliant"),
        "met_pct": round(100 * totals["met"] / applicable) if applicable else 0,
    }


def build(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    from riskhub.compliance.models import Framework

    slug = parameters.get("framework") or ""
    framework = Framework.objects.filter(slug=slug).first()
    if framework is None:
        raise ValidationError({"framework": [f"Unknown framework {slug!r}."]})
    state = sel.load_state(sel.Scope.from_parameters(parameters), as_of)
    progress(20, "Reading the inventory")
    comp = sel.load_compliance(state)
    progress(45, "Computing coverage")
    fw_requirements = {
        pk: r for pk, r in comp.requirements.items() if r.framework_id == framework.pk
    }
    coverage = coverage_section(state, comp, fw_requirements)
    risks = sel.load_risks(state)
    rows = risk_rows(state, risks, set(state.in_scope))
    name_matrices(rows, risks)
    progress(60, "Listing evidence and exceptions")
    data = header(
        Kind.FRAMEWORK_COMPLIANCE,
        parameters,
        state,
        f"{framework.short_name} compliance report",
    )
    data.update(
        framework={
            "slug": framework.slug,
            "name": framework.name,
            "short_name": framework.short_name,
            "version": framework.version,
            "citation": framework.citation,
        },
        totals=totals_section(coverage),
        requirements=requirements_section(fw_requirements, coverage),
        assets=coverage.assets,
        detail=coverage.detail,
    )
    data.update(
        assurance_sections(
            Kind.FRAMEWORK_COMPLIANCE,
            parameters,
            state,
            comp,
            rows,
            evidence_rows(state, comp, set(fw_requirements)),
            framework_ids={framework.pk},
        )
    )
    return data
