"""The technical documentation of one AI system (EU AI Act Annex IV): the system, its
components and lineage, its obligations, controls, risks, evidence and changes."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.core.exceptions import ValidationError

from riskhub.inventory.models import Asset
from riskhub.inventory.services import organisation
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
from riskhub.risk.models import band_of_rank

COMPONENT_FIELDS = (
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


def system_section(state: sel.State, risks: sel.RiskState, system_pk: int) -> dict[str, Any]:
    system = state.assets[system_pk]
    org = organisation()
    return {
        **asset_row(state, system_pk),
        "description": system["description"],
        "intended_purpose": system["intended_purpose"],
        "deployment_context": system["deployment_context"],
        "affected_persons": system["affected_persons"],
        "placed_on_eu_market": system["placed_on_eu_market"],
        "placed_on_market_date": iso(system["placed_on_market_date"]),
        "public_authority_use": system["public_authority_use"],
        "gdpr_applies": system["gdpr_applies"],
        "ccpa_applies": system["ccpa_applies"],
        "facts": list(system["facts"] or []),
        "owner": state.users.get(system["owner"], "") if system["owner"] else "",
        "provider": org.legal_name,
        "effective_band": band_of_rank(sel.effective_rank(state, risks, system_pk)),
    }


def components_section(
    state: sel.State, risks: sel.RiskState, system_pk: int
) -> list[dict[str, Any]]:
    components = []
    for pk in state.in_scope:
        if pk == system_pk:
            continue
        a = state.assets[pk]
        row = asset_row(state, pk)
        row.update({key: iso(a[key]) for key in COMPONENT_FIELDS})
        row["own_band"] = band_of_rank(risks.own_rank.get(pk, 0))
        components.append(row)
    return components


def relations_section(state: sel.State) -> list[dict[str, Any]]:
    in_scope = set(state.in_scope)
    return [
        {
            "upstream": state.assets[link["upstream"]]["name"],
            "relation": link["relation"].replace("_", " "),
            "downstream": state.assets[link["downstream"]]["name"],
        }
        for link in state.links
        if link["upstream"] in in_scope and link["downstream"] in in_scope
    ]


def obligations_section(comp: sel.ComplianceState, system_pk: int) -> list[dict[str, Any]]:
    return [
        {
            "framework": comp.frameworks[comp.requirements[req].framework_id].short_name,
            "framework_slug": comp.requirement_key(req)[0],
            "ref": comp.requirements[req].ref,
            "title": comp.requirements[req].title,
            "status": status,
            "reason": reason,
            "applies_from": iso(applies),
        }
        for req, status, reason, applies in comp.obligations.get(system_pk, [])
    ]


def controls_section(comp: sel.ComplianceState, system_pk: int) -> list[dict[str, Any]]:
    effective = comp.effective.get(system_pk, set())
    return sorted(
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


def changes_section(state: sel.State, system_pk: int) -> list[dict[str, Any]]:
    return [
        {
            "date": iso(h["history_date"]),
            "change": {"+": "registered", "~": "changed", "-": "deleted"}[h["history_type"]],
            "lifecycle": h["lifecycle"],
            "version": h["model_version"],
            "tier": h["tier"],
        }
        for h in sel.history_of(system_pk, state.as_of)
    ]


def build(
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
    obligations = obligations_section(comp, system_pk)
    risks_rows = risk_rows(state, risks, set(state.in_scope))
    name_matrices(risks_rows, risks)
    data = header(
        Kind.SYSTEM_DOSSIER,
        parameters,
        state,
        f"Technical documentation: {state.assets[system_pk]['name']}",
    )
    status_counts = Counter(o["status"] for o in obligations)
    data.update(
        system=system_section(state, risks, system_pk),
        components=components_section(state, risks, system_pk),
        relations=relations_section(state),
        obligations=obligations,
        obligation_counts={k: status_counts.get(k, 0) for k in ("met", "partial", "gap")},
        controls=controls_section(comp, system_pk),
        risks=risks_rows,
        evidence=evidence_rows(state, comp, None),
        changes=changes_section(state, system_pk),
    )
    data.update(
        assurance_sections(
            Kind.SYSTEM_DOSSIER, parameters, state, comp, risks_rows, data["evidence"]
        )
    )
    return data
