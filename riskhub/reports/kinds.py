"""The content of each report kind, as one JSON-able dict.

The same dict feeds the PDF templates and is embedded in the PDF as JSON, so what a
reader sees and what a machine checks come from one source. The PDF shows summaries
and one row per asset; the per-asset obligations live only in the JSON (DESIGN.md
"Reports stay fast").
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from riskhub.inventory.models import Asset
from riskhub.inventory.services import organisation
from riskhub.reports import selectors as sel
from riskhub.reports.models import Kind
from riskhub.risk.models import BAND_LABEL, BAND_RANK, Risk, band_of_rank

Progress = Callable[[int, str], object]
DATA_FORMAT = "riskhub-report/1"
BANDS = ["critical", "high", "medium", "low"]
BAND_COLOURS = {
    "critical": "#8e1b1b",
    "high": "#c2410c",
    "medium": "#b58105",
    "low": "#2e7d32",
    "not-assessed": "#6b7280",
}
STATUS_LABEL = {"met": "Met", "partial": "Partial", "gap": "Gap"}


def _iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_as_of(value: Any) -> dt.datetime | None:
    """`YYYY-MM-DD` means the end of that day; an ISO datetime is taken as given."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59, 999999))
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            {"as_of": ["Give a date as YYYY-MM-DD or an ISO datetime."]}
        ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > timezone.now() + dt.timedelta(days=1):
        raise ValidationError({"as_of": ["The as-of date cannot be in the future."]})
    return moment


def _asset_row(state: sel.State, pk: int) -> dict[str, Any]:
    a = state.assets[pk]
    return {
        "id": str(a["uuid"]),
        "name": a["name"],
        "kind": a["kind"],
        "kind_label": Asset.Kind(a["kind"]).label,
        "business_unit": state.bu_name(pk),
        "tier": a["tier"],
        "tier_label": Asset.Tier(a["tier"]).label if a["tier"] else "",
        "lifecycle": a["lifecycle"],
    }


def _header(kind: str, parameters: dict[str, Any], state: sel.State, title: str) -> dict[str, Any]:
    org = organisation()
    unit = ""
    scope = sel.Scope.from_parameters(parameters)
    if scope.business_unit:
        unit = next(
            (
                bu["name"]
                for bu in state.business_units.values()
                if str(bu["uuid"]) == scope.business_unit
            ),
            "",
        )
    system = ""
    if scope.system:
        system = next(
            (a["name"] for a in state.assets.values() if str(a["uuid"]) == scope.system), ""
        )
    parts = []
    if unit:
        parts.append(f"business unit {unit}")
    if system:
        parts.append(f"AI system {system} and its lineage")
    if scope.assets:
        parts.append(f"{len(scope.assets)} selected asset(s)")
    return {
        "format": DATA_FORMAT,
        "kind": kind,
        "title": title,
        "organisation": org.legal_name,
        "as_of": _iso(state.as_of),
        "as_of_date": state.today.isoformat(),
        "historical": state.requested is not None,
        "parameters": parameters,
        "scope": {
            "description": "; ".join(parts) or "whole organisation",
            "business_unit": unit,
            "system": system,
            "assets": len(state.in_scope),
        },
    }


# --- framework compliance -----------------------------------------------------------


def framework_compliance(
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
    per_req: dict[int, Counter[str]] = defaultdict(Counter)
    earliest: dict[int, dt.date] = {}
    assets = []
    detail = []
    totals: Counter[str] = Counter()
    for pk in state.in_scope:
        mine = [o for o in comp.obligations.get(pk, []) if o[0] in fw_requirements]
        counts = Counter(status for _, status, _, _ in mine)
        totals.update(counts)
        for req, status, _, applies in mine:
            per_req[req][status] += 1
            if applies and (req not in earliest or applies < earliest[req]):
                earliest[req] = applies
        row = _asset_row(state, pk)
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
        assets.append(row)
        if mine:
            detail.append(
                {
                    "asset": row["id"],
                    "obligations": [
                        {
                            "ref": fw_requirements[req].ref,
                            "status": status,
                            "reason": reason,
                            "applies_from": _iso(applies),
                        }
                        for req, status, reason, applies in mine
                    ],
                }
            )
    progress(60, "Listing evidence")
    requirements = [
        {
            "ref": r.ref,
            "title": r.title,
            "group": r.group,
            "met": per_req[pk]["met"],
            "partial": per_req[pk]["partial"],
            "gap": per_req[pk]["gap"],
            "applicable": sum(per_req[pk].values()),
            "applies_from": _iso(earliest.get(pk)),
        }
        for pk, r in fw_requirements.items()
        if per_req[pk]
    ]
    applicable = sum(totals.values())
    data = _header(
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
        totals={
            "met": totals["met"],
            "partial": totals["partial"],
            "gap": totals["gap"],
            "applicable": applicable,
            "assets_with_obligations": len(detail),
            "assets_compliant": sum(1 for a in assets if a["status"] == "Compliant"),
            "met_pct": round(100 * totals["met"] / applicable) if applicable else 0,
        },
        requirements=requirements,
        assets=assets,
        evidence=_evidence_rows(state, comp, set(fw_requirements)),
        detail=detail,
    )
    return data


def _evidence_rows(
    state: sel.State, comp: sel.ComplianceState, requirement_ids: set[int] | None
) -> list[dict[str, Any]]:
    relevant_controls = {
        control
        for req, mapping in comp.mappings.items()
        if requirement_ids is None or req in requirement_ids
        for control in mapping.all_controls
    }
    scope = set(state.in_scope)
    rows = []
    for e in comp.evidence:
        impl = comp.implementations[e["implementation"]]
        if impl["control"] not in relevant_controls or impl["control"] not in comp.controls:
            continue
        if impl["asset"] is not None and impl["asset"] not in scope:
            continue
        control = comp.controls[impl["control"]]
        valid = e["valid_until"] is None or e["valid_until"] >= state.today
        rows.append(
            {
                "id": str(e["uuid"]),
                "control": control.code,
                "control_name": control.name,
                "scope": "Organisation"
                if impl["asset"] is None
                else state.assets[impl["asset"]]["name"],
                "implementation_status": impl["status"],
                "description": e["description"],
                "kind": e["kind"],
                "reference": e["original_name"] or e["url"],
                "sha256": e["sha256"],
                "valid_until": _iso(e["valid_until"]),
                "valid": valid,
                "uploaded_at": _iso(e["uploaded_at"]),
            }
        )
    rows.sort(key=lambda r: (r["control"], r["scope"], r["description"]))
    return rows


# --- risk register ------------------------------------------------------------------


def _risk_rows(state: sel.State, risks: sel.RiskState, scope: set[int]) -> list[dict[str, Any]]:
    rows = []
    for r in risks.risks:
        if r["asset"] not in scope:
            continue
        acceptance = risks.acceptances.get(r["id"])
        threat = risks.threats.get(r["threat"]) if r["threat"] else None
        rows.append(
            {
                "id": str(r["uuid"]),
                "asset": state.assets[r["asset"]]["name"],
                "asset_id": str(state.assets[r["asset"]]["uuid"]),
                "title": r["title"],
                "threat": threat.code if threat else "",
                "inherent": {
                    "impact": r["inherent_impact"],
                    "likelihood": r["inherent_likelihood"],
                    "score": r["inherent_score"],
                    "band": r["inherent_band"],
                },
                "residual": {
                    "impact": r["residual_impact"],
                    "likelihood": r["residual_likelihood"],
                    "score": r["residual_score"],
                    "band": r["residual_band"],
                },
                "treatment": r["treatment"],
                "treatment_label": Risk.Treatment(r["treatment"]).label,
                "owner": state.users.get(r["owner"], "") if r["owner"] else "",
                "due_date": _iso(r["due_date"]),
                "status": r["status"],
                "acceptance": None
                if acceptance is None
                else {
                    "approved_by": state.users.get(acceptance["approved_by"], ""),
                    "expires_on": _iso(acceptance["expires_on"]),
                    "rationale": acceptance["rationale"],
                },
                "matrix": risks.assessments[r["asset"]]["matrix"],
            }
        )
    return rows


def _heatmaps(risks: sel.RiskState, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    counts: dict[int, Counter[tuple[int, int]]] = defaultdict(Counter)
    for row in rows:
        if row["status"] == Risk.Status.CLOSED:
            continue
        counts[row["matrix"]][(row["residual"]["impact"], row["residual"]["likelihood"])] += 1
    maps = []
    for matrix in sorted(risks.matrices.values(), key=lambda m: (not m.is_default, m.name)):
        if matrix.pk not in counts:
            continue
        grid = []
        for cells in matrix.grid():
            grid.append(
                {
                    "impact": cells[0].impact,
                    "impact_label": cells[0].impact_label,
                    "cells": [
                        {
                            "likelihood": c.likelihood,
                            "score": c.score,
                            "band": c.band,
                            "colour": c.colour,
                            "count": counts[matrix.pk][(c.impact, c.likelihood)],
                        }
                        for c in cells
                    ],
                }
            )
        maps.append(
            {
                "matrix": matrix.code,
                "name": matrix.name,
                "likelihood_labels": [level["label"] for level in matrix.likelihood_levels],
                "rows": grid,
                "total": sum(counts[matrix.pk].values()),
            }
        )
    return maps


def risk_register(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    state = sel.load_state(sel.Scope.from_parameters(parameters), as_of)
    progress(25, "Reading assessments")
    risks = sel.load_risks(state)
    progress(50, "Building the register")
    rows = _risk_rows(state, risks, set(state.in_scope))
    heatmaps = _heatmaps(risks, rows)
    for row in rows:
        row["matrix"] = (
            risks.matrices[row["matrix"]].code if row["matrix"] in risks.matrices else ""
        )
    bands = Counter(r["residual"]["band"] for r in rows if r["status"] != Risk.Status.CLOSED)
    assessed = sum(1 for pk in state.in_scope if pk in risks.assessments)
    data = _header(Kind.RISK_REGISTER, parameters, state, "AI risk register")
    data.update(
        totals={
            "risks": len(rows),
            "open": sum(1 for r in rows if r["status"] == Risk.Status.OPEN),
            "accepted": sum(1 for r in rows if r["status"] == Risk.Status.ACCEPTED),
            "closed": sum(1 for r in rows if r["status"] == Risk.Status.CLOSED),
            "assets_assessed": assessed,
            "assets_not_assessed": len(state.in_scope) - assessed,
            "by_band": {b: bands.get(b, 0) for b in BANDS},
        },
        heatmaps=heatmaps,
        risks=rows,
    )
    return data


# --- system dossier ------------------------------------------------------------------


def system_dossier(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    scope = sel.Scope.from_parameters(parameters)
    if not scope.system:
        raise ValidationError({"system": ["A dossier describes one AI system: choose it."]})
    state = sel.load_state(scope, as_of)
    system_pk = next((pk for pk, a in state.assets.items() if str(a["uuid"]) == scope.system), None)
    if system_pk is None or state.assets[system_pk]["kind"] != Asset.Kind.SYSTEM:
        raise ValidationError({"system": ["No such AI system at the as-of date."]})
    progress(20, "Reading the system and its lineage")
    comp = sel.load_compliance(state)
    progress(40, "Computing obligations")
    risks = sel.load_risks(state)
    progress(55, "Collecting risks and controls")
    system = state.assets[system_pk]
    components = []
    for pk in state.in_scope:
        if pk == system_pk:
            continue
        a = state.assets[pk]
        row = _asset_row(state, pk)
        row.update(
            {
                key: _iso(a[key])
                for key in (
                    "description",
                    "source",
                    "vendor",
                    "data_origin",
                    "collection_method",
                    "record_count",
                    "personal_data",
                    "special_categories",
                    "childrens_data",
                    "licence",
                    "provenance_verified",
                    "model_type",
                    "framework",
                    "model_version",
                    "training_flops",
                    "general_purpose",
                    "open_weights",
                    "exposure",
                    "authentication",
                    "rate_limited",
                )
            }
        )
        row["own_band"] = band_of_rank(risks.own_rank.get(pk, 0))
        components.append(row)
    relations = [
        {
            "upstream": state.assets[link["upstream"]]["name"],
            "relation": link["relation"].replace("_", " "),
            "downstream": state.assets[link["downstream"]]["name"],
        }
        for link in state.links
        if link["upstream"] in set(state.in_scope) and link["downstream"] in set(state.in_scope)
    ]
    obligations = [
        {
            "framework": comp.frameworks[comp.requirements[req].framework_id].short_name,
            "framework_slug": comp.requirement_key(req)[0],
            "ref": comp.requirements[req].ref,
            "title": comp.requirements[req].title,
            "status": status,
            "reason": reason,
            "applies_from": _iso(applies),
        }
        for req, status, reason, applies in comp.obligations.get(system_pk, [])
    ]
    effective = comp.effective.get(system_pk, set())
    controls = sorted(
        (
            {
                "code": comp.controls[c].code,
                "name": comp.controls[c].name,
                "theme": comp.controls[c].theme,
            }
            for c in effective
            if c in comp.controls
        ),
        key=lambda c: c["code"],
    )
    risk_rows = _risk_rows(state, risks, set(state.in_scope))
    for row in risk_rows:
        row["matrix"] = (
            risks.matrices[row["matrix"]].code if row["matrix"] in risks.matrices else ""
        )
    changes = [
        {
            "date": _iso(h["history_date"]),
            "change": {"+": "registered", "~": "changed", "-": "deleted"}[h["history_type"]],
            "lifecycle": h["lifecycle"],
            "version": h["model_version"],
            "tier": h["tier"],
        }
        for h in sel.history_of(system_pk, state.as_of)
    ]
    org = organisation()
    data = _header(
        Kind.SYSTEM_DOSSIER, parameters, state, f"Technical documentation: {system['name']}"
    )
    status_counts = Counter(o["status"] for o in obligations)
    data.update(
        system={
            **_asset_row(state, system_pk),
            "description": system["description"],
            "intended_purpose": system["intended_purpose"],
            "deployment_context": system["deployment_context"],
            "affected_persons": system["affected_persons"],
            "placed_on_eu_market": system["placed_on_eu_market"],
            "placed_on_market_date": _iso(system["placed_on_market_date"]),
            "public_authority_use": system["public_authority_use"],
            "gdpr_applies": system["gdpr_applies"],
            "ccpa_applies": system["ccpa_applies"],
            "facts": list(system["facts"] or []),
            "owner": state.users.get(system["owner"], "") if system["owner"] else "",
            "provider": org.legal_name,
            "effective_band": band_of_rank(sel.effective_rank(state, risks, system_pk)),
        },
        components=components,
        relations=relations,
        obligations=obligations,
        obligation_counts={k: status_counts.get(k, 0) for k in ("met", "partial", "gap")},
        controls=controls,
        risks=risk_rows,
        evidence=_evidence_rows(state, comp, None),
        changes=changes,
    )
    return data


# --- executive summary --------------------------------------------------------------


def _month_ends(today: dt.date, count: int) -> list[dt.date]:
    ends = []
    first = today.replace(day=1)
    for _ in range(count):
        ends.append(first - dt.timedelta(days=1))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


def executive_summary(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    state = sel.load_state(sel.Scope.from_parameters(parameters), as_of)
    progress(15, "Reading the inventory")
    comp = sel.load_compliance(state)
    progress(35, "Computing coverage")
    risks = sel.load_risks(state)
    progress(50, "Reading risks")
    scope = set(state.in_scope)
    coverage = []
    for framework in comp.frameworks.values():
        counts: Counter[str] = Counter()
        for pk in state.in_scope:
            for req, status, _, _ in comp.obligations.get(pk, []):
                if comp.requirements[req].framework_id == framework.pk:
                    counts[status] += 1
        total = sum(counts.values())
        coverage.append(
            {
                "framework": framework.short_name,
                "slug": framework.slug,
                "met": counts["met"],
                "partial": counts["partial"],
                "gap": counts["gap"],
                "applicable": total,
                "met_pct": round(100 * counts["met"] / total) if total else 0,
            }
        )
    risk_rows = _risk_rows(state, risks, scope)
    for row in risk_rows:
        row["matrix"] = (
            risks.matrices[row["matrix"]].code if row["matrix"] in risks.matrices else ""
        )
    live = [r for r in risk_rows if r["status"] != Risk.Status.CLOSED]
    bands = Counter(r["residual"]["band"] for r in live)
    tiers = Counter(state.assets[pk]["tier"] for pk in scope if state.assets[pk]["tier"])
    kinds = Counter(state.assets[pk]["kind"] for pk in scope)
    progress(65, "Tracing the trend")
    trend = []
    for day in _month_ends(state.today, 6):
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))
        if state.requested is None and moment >= state.as_of:
            continue
        past = sel.load_risks(state, as_of=moment, lean=True)
        trend.append(
            {
                "month": day.strftime("%b %Y"),
                "high_critical": sum(
                    1
                    for r in past.risks
                    if r["asset"] in scope and r["status"] != "closed" and r["residual_rank"] >= 3
                ),
                "open": sum(1 for r in past.risks if r["asset"] in scope and r["status"] == "open"),
            }
        )
    trend.append(
        {
            "month": state.today.strftime("%d %b"),
            "high_critical": sum(1 for r in live if band_rank_of(r) >= 3),
            "open": sum(1 for r in live if r["status"] == "open"),
        }
    )
    horizon = state.today + dt.timedelta(days=180)
    deadlines: list[dict[str, Any]] = []
    upcoming: dict[tuple[int, dt.date], int] = Counter()
    for pk in state.in_scope:
        for req, _status, _, applies in comp.obligations.get(pk, []):
            if applies and state.today < applies <= horizon:
                upcoming[(req, applies)] += 1
    for (req, applies), n in upcoming.items():
        r = comp.requirements[req]
        deadlines.append(
            {
                "date": _iso(applies),
                "what": f"{comp.frameworks[r.framework_id].short_name} {r.ref} applies",
                "detail": f"{r.title} ({n} asset{'s' if n != 1 else ''})",
            }
        )
    for r in live:
        if r["acceptance"] and r["acceptance"]["expires_on"] <= horizon.isoformat():
            deadlines.append(
                {
                    "date": r["acceptance"]["expires_on"],
                    "what": "Risk acceptance expires",
                    "detail": f"{r['title']} on {r['asset']}",
                }
            )
    overdue = [
        r
        for r in live
        if r["status"] == "open"
        and r["due_date"]
        and r["due_date"] < state.today.isoformat()
        and r["treatment"] != "accept"
    ]
    deadlines.sort(key=lambda d: (d["date"], d["what"]))
    high_risk_systems = sum(
        1
        for pk in scope
        if state.assets[pk]["kind"] == Asset.Kind.SYSTEM and state.assets[pk]["tier"] == "high"
    )
    evidence_expiring = sum(
        1
        for e in comp.evidence
        if e["valid_until"]
        and state.today <= e["valid_until"] <= state.today + dt.timedelta(days=60)
    )
    data = _header(
        Kind.EXECUTIVE_SUMMARY, parameters, state, "Executive summary: AI risk and compliance"
    )
    data.update(
        kpis={
            "assets": len(scope),
            "systems": kinds.get(Asset.Kind.SYSTEM, 0),
            "high_risk_systems": high_risk_systems,
            "assessed": sum(1 for pk in scope if pk in risks.assessments),
            "open_risks": sum(1 for r in live if r["status"] == "open"),
            "critical_high": bands.get("critical", 0) + bands.get("high", 0),
            "accepted": sum(1 for r in live if r["status"] == "accepted"),
            "overdue_treatments": len(overdue),
            "evidence_expiring_60d": evidence_expiring,
        },
        coverage=coverage,
        bands={b: bands.get(b, 0) for b in BANDS},
        tiers=[
            {"tier": t, "label": Asset.Tier(t).label, "count": n}
            for t, n in sorted(tiers.items(), key=lambda kv: -kv[1])
        ],
        assets_by_kind={k: kinds.get(k, 0) for k in Asset.Kind.values},
        trend=trend,
        top_risks=live[:10],
        deadlines=deadlines[:15],
    )
    return data


def band_rank_of(row: dict[str, Any]) -> int:
    return BAND_RANK.get(row["residual"]["band"], 0)


BUILDERS: dict[str, Callable[[dict[str, Any], dt.datetime | None, Progress], dict[str, Any]]] = {
    Kind.FRAMEWORK_COMPLIANCE: framework_compliance,
    Kind.SYSTEM_DOSSIER: system_dossier,
    Kind.RISK_REGISTER: risk_register,
    Kind.EXECUTIVE_SUMMARY: executive_summary,
}


def build(kind: str, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    as_of = parse_as_of(parameters.get("as_of"))
    data = BUILDERS[kind](parameters, as_of, progress)
    data["band_labels"] = dict(BAND_LABEL)
    data["status_labels"] = STATUS_LABEL
    return data
