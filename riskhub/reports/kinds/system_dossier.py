"""The technical documentation of one AI system (EU AI Act Annex IV, Art 11(1)): one
section per Annex IV point, each filled from the register (the system's documentation
fields, its components and lineage, the model cards, the risk app's figures, the audit
trail), and a last page of open items naming every part it could not fill."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from riskhub.audit.labels import action_label, field_label
from riskhub.inventory import model_card
from riskhub.inventory import selectors as inventory_figures
from riskhub.inventory.lineage import UP
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset, AssetLink
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
from riskhub.risk import selectors as risk_figures
from riskhub.risk.bands import BANDS as RISK_BANDS
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


# The Annex IV points (Regulation (EU) 2024/1689, Annex IV, points 1 to 9) and the
# dossier section that answers each; the catalog names them (eu-ai-act, "Annex IV(n)").
ANNEX_IV_POINTS: tuple[tuple[int, str], ...] = (
    (1, "General description of the AI system"),
    (2, "Elements of the AI system and the process for its development"),
    (3, "Monitoring, functioning and control"),
    (4, "Appropriateness of the performance metrics"),
    (5, "Risk management system (Art. 9)"),
    (6, "Changes through the lifecycle"),
    (7, "Harmonised standards and other solutions applied"),
    (8, "EU declaration of conformity (Art. 47)"),
    (9, "Post-market monitoring (Art. 72)"),
)
ANNEX_IV_FRAMEWORK = "eu-ai-act"
# Where each documentation field is asked for: the point whose open items name it.
FIELD_POINTS: dict[str, int] = {
    "description": 1,
    "intended_purpose": 1,
    "model_version": 1,
    "interactions": 1,
    "market_forms": 1,
    "hardware": 1,
    "instructions_for_use": 1,
    "design_specifications": 2,
    "predetermined_changes": 2,
    "cybersecurity_measures": 2,
    "human_oversight_measures": 3,
    "metrics_rationale": 4,
    "standards_applied": 7,
    "eu_declaration_reference": 8,
    "eu_declaration_date": 8,
    "post_market_monitoring_plan": 9,
}
# How the open items name the fields whose labels on the form are shorter.
FIELD_TITLES = {"description": "General description", "model_version": "Version of the system"}
SYSTEM_KEYS = {"model_version": "version"}  # the key in the dossier's system section
CHANGE_LOG_LIMIT = 200
# Fields whose old and new values the change log prints (short, and what a reader of
# technical documentation looks for); other changed fields are named only.
SHOWN_VALUES = ("name", "model_version", "lifecycle", "tier", "eu_declaration_reference")


def annex_iv_ref(point: int) -> str:
    return f"Annex IV({point})"


@dataclass
class OpenItems:
    """What the dossier could not fill, by Annex IV point."""

    items: list[dict[str, Any]]

    def add(self, point: int, item: str, where: str) -> None:
        self.items.append({"point": point, "item": item, "where": where})

    def count(self, point: int) -> int:
        return sum(1 for i in self.items if i["point"] == point)


def field_verbose_name(name: str) -> str:
    return str(Asset._meta.get_field(name).verbose_name)


def system_section(state: sel.State, risks: sel.RiskState, system_pk: int) -> dict[str, Any]:
    system = state.assets[system_pk]
    org = organisation()
    return {
        **asset_row(state, system_pk),
        "description": system["description"],
        "version": system["model_version"],
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
        **{name: iso(system[name]) for name in ANNEX_IV_FIELDS},
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
            "relation": AssetLink.Relation(link["relation"]).label,
            "downstream": state.assets[link["downstream"]]["name"],
        }
        for link in state.links
        if link["upstream"] in in_scope and link["downstream"] in in_scope
    ]


def _dataset_facts(state: sel.State, pk: int) -> dict[str, Any]:
    d = state.assets[pk]
    return {
        "id": str(d["uuid"]),
        "name": d["name"],
        "version": d["model_version"],
        "origin": d["data_origin"],
        "collection_method": d["collection_method"],
        "record_count": d["record_count"],
        "personal_data": d["personal_data"],
        "special_categories": d["special_categories"],
        "licence": d["licence"],
        "source": d["source"],
        "vendor": d["vendor"],
        "provenance_verified": d["provenance_verified"],
    }


def training_data(state: sel.State, model_pk: int) -> list[dict[str, Any]]:
    """The datasets a model was trained on, its own and its base models' (fine-tuned
    from), each with the lineage path that leads to the model."""
    walk = state.graph.walk(
        [model_pk],
        UP,
        relations={AssetLink.Relation.TRAINED_ON, AssetLink.Relation.FINE_TUNED_FROM},
    )
    rows = []
    for pk in sorted(walk.reached, key=lambda p: state.assets[p]["name"].lower()):
        if state.assets[pk]["kind"] != Asset.Kind.DATASET or not state.active(pk):
            continue
        path = walk.path_to(pk)  # model ... dataset
        rows.append(
            {
                **_dataset_facts(state, pk),
                "via": [state.assets[node]["name"] for node in path[1:-1]],
            }
        )
    return rows


def _relation_between(state: sel.State, upstream: int, downstream: int) -> str:
    return next(
        (
            AssetLink.Relation(link["relation"]).label
            for link in state.links
            if link["upstream"] == upstream and link["downstream"] == downstream
        ),
        "",
    )


def model_cards_section(state: sel.State, system_pk: int) -> list[dict[str, Any]]:
    """The model card of each model in the system's lineage (riskhub.inventory.model_card
    holds its shape), with its training data traced through lineage and each metric
    with the dataset it was measured on."""
    by_uuid = {str(a["uuid"]): pk for pk, a in state.assets.items()}
    cards = []
    for pk in state.in_scope:
        a = state.assets[pk]
        if pk == system_pk or a["kind"] != Asset.Kind.MODEL:
            continue
        card = a["model_card"] or {}
        metrics = []
        for metric in card.get("metrics", []):
            dataset_pk = by_uuid.get(metric.get("dataset", ""))
            metrics.append(
                {
                    **metric,
                    "dataset_name": state.assets[dataset_pk]["name"] if dataset_pk else "",
                    "dataset_relation": _relation_between(state, dataset_pk, pk)
                    if dataset_pk
                    else "",
                }
            )
        bases = state.graph.neighbours(pk, UP, relations={AssetLink.Relation.FINE_TUNED_FROM})
        cards.append(
            {
                "id": str(a["uuid"]),
                "name": a["name"],
                "version": a["model_version"],
                "model_type": Asset.ModelType(a["model_type"]).label if a["model_type"] else "",
                "framework": a["framework"],
                "source": a["source"],
                "vendor": a["vendor"],
                "licence": a["licence"],
                "training_flops": a["training_flops"],
                "general_purpose": a["general_purpose"],
                "open_weights": a["open_weights"],
                "base_models": [state.assets[b]["name"] for b in bases],
                "training_data": training_data(state, pk),
                # Every part of the card in its normal form (text or list), then the
                # metrics with their datasets named.
                **{
                    key: card.get(key, "" if key in model_card.TEXT_KEYS else [])
                    for key in model_card.KEYS
                },
                "metrics": metrics,
            }
        )
    return cards


def risk_summary_section(
    state: sel.State, risks: sel.RiskState, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The risk app's figures over the system's risks as of the dossier's day, and which
    of its assets carry an approved assessment."""
    figures = risk_figures.risk_figures_of_rows(rows, state.today)
    assessed = set(risks.assessments)
    assessments = []
    for pk in state.in_scope:
        assessment = risks.assessments.get(pk)
        assessments.append(
            {
                "asset": state.assets[pk]["name"],
                "kind_label": Asset.Kind(state.assets[pk]["kind"]).label,
                "version": assessment["version"] if assessment else None,
                "approved_at": iso(assessment["approved_at"]) if assessment else "",
                "not_assessed": inventory_figures.is_unassessed(state.assets[pk], assessed),
            }
        )
    return {
        "risks": len(rows),
        "open": figures.open,
        "accepted": figures.accepted,
        "overdue": figures.overdue,
        "open_by_band": {b.slug: figures.open_by_band[b.slug] for b in reversed(RISK_BANDS)},
        "assessments": assessments,
    }


def change_log_section(state: sel.State) -> dict[str, Any]:
    """The audit trail of the system and its components up to the as-of moment: who
    changed what, newest first."""
    names = {str(state.assets[pk]["uuid"]): state.assets[pk]["name"] for pk in state.in_scope}
    events, total = sel.asset_events(list(names), state.as_of, CHANGE_LOG_LIMIT)
    rows = []
    for event in events:
        before = event["before"] if isinstance(event["before"], dict) else {}
        after = event["after"] if isinstance(event["after"], dict) else {}
        changed = [k for k in after if k in before and before.get(k) != after.get(k)]
        rows.append(
            {
                "date": iso(event["timestamp"]),
                "asset": names.get(event["object_id"], event["object_repr"]),
                "action": event["action"],
                "action_label": action_label(event["action"]),
                "actor": state.users.get(event["actor_id"], "system")
                if event["actor_id"]
                else "system",
                "fields": [field_label(k) for k in changed if k not in SHOWN_VALUES],
                "values": [
                    {"field": field_label(k), "before": before.get(k), "after": after.get(k)}
                    for k in SHOWN_VALUES
                    if k in changed
                ],
            }
        )
    return {"events": rows, "total": total, "shown": len(rows)}


def mark_annex_iv(obligations: list[dict[str, Any]], open_items: OpenItems) -> list[dict[str, Any]]:
    """The Annex IV points are what this document is: each such obligation is marked with
    the point that answers it here (complete, or with its open items), so the PDF never
    lists them among the system's gaps. Their coverage status stays as the compliance
    rule says, in the embedded data."""
    own = {
        (ANNEX_IV_FRAMEWORK, annex_iv_ref(point)): (point, title)
        for point, title in ANNEX_IV_POINTS
    }
    answered = []
    for o in obligations:
        found = own.get((o["framework_slug"], o["ref"]))
        o["annex_iv_point"] = found[0] if found else None
        if found is not None:
            answered.append({**o, "section": found[1], "open_items": open_items.count(found[0])})
    return answered


def open_items_section(
    system: dict[str, Any],
    cards: list[dict[str, Any]],
    components: list[dict[str, Any]],
    risk_summary: dict[str, Any],
    changes: dict[str, Any],
) -> OpenItems:
    """Every part of Annex IV the register could not fill, and where to fill it."""
    items = OpenItems([])
    form = "the system's form, technical documentation"
    for name, point in FIELD_POINTS.items():
        if not system.get(SYSTEM_KEYS.get(name, name)):
            label = FIELD_TITLES.get(name) or field_verbose_name(name)
            items.add(point, f"{label}: not recorded.", form)
    if not cards:
        items.add(2, "No model is linked to the system in the lineage.", "the lineage")
    for card in cards:
        where = f"model {card['name']}"
        if not card["version"]:
            items.add(1, f"Model {card['name']}: version not recorded.", where)
        if not card["model_architecture"] and not card["architecture_family"]:
            items.add(
                2, f"Model {card['name']}: architecture not recorded.", f"{where}, model card"
            )
        if not card["training_data"]:
            items.add(
                2,
                f"Model {card['name']}: no training dataset linked (trained on).",
                "the lineage",
            )
        if not card["metrics"]:
            items.add(
                2,
                f"Model {card['name']}: no performance metric on its model card.",
                f"{where}, model card",
            )
        if not card["limitations"]:
            items.add(
                3,
                f"Model {card['name']}: limitations not recorded.",
                f"{where}, model card",
            )
    for c in components:
        if c["kind"] == Asset.Kind.DATASET and not c["data_origin"]:
            items.add(
                2, f"Dataset {c['name']}: origin of the data not recorded.", f"dataset {c['name']}"
            )
    for a in risk_summary["assessments"]:
        if a["not_assessed"]:
            items.add(
                5,
                f"{a['kind_label']} {a['asset']}: no approved risk assessment.",
                "the risk assessments",
            )
    if not changes["events"]:
        items.add(6, "No recorded change.", "the audit trail")
    items.items.sort(key=lambda i: i["point"])
    return items


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
    progress(55, "Collecting risks, model cards and changes")
    risks_rows = risk_rows(state, risks, set(state.in_scope))
    name_matrices(risks_rows, risks)
    data = header(
        Kind.SYSTEM_DOSSIER,
        parameters,
        state,
        f"Technical documentation: {state.assets[system_pk]['name']}",
    )
    system = system_section(state, risks, system_pk)
    components = components_section(state, risks, system_pk)
    cards = model_cards_section(state, system_pk)
    risk_summary = risk_summary_section(state, risks, risks_rows)
    changes = change_log_section(state)
    open_items = open_items_section(system, cards, components, risk_summary, changes)
    obligations = obligations_section(comp, system_pk)
    annex_iv = mark_annex_iv(obligations, open_items)
    others = [o for o in obligations if o["annex_iv_point"] is None]
    status_counts = Counter(o["status"] for o in others)
    data.update(
        system=system,
        components=components,
        relations=relations_section(state),
        model_cards=cards,
        obligations=obligations,
        obligation_counts={k: status_counts.get(k, 0) for k in ("met", "partial", "gap")},
        other_obligations=len(others),
        annex_iv=[
            {
                "point": point,
                "ref": annex_iv_ref(point),
                "title": title,
                "open_items": open_items.count(point),
            }
            for point, title in ANNEX_IV_POINTS
        ],
        annex_iv_obligations=annex_iv,
        controls=controls_section(comp, system_pk),
        risk_summary=risk_summary,
        risks=risks_rows,
        evidence=evidence_rows(state, comp, None),
        changes=changes,
        open_items=open_items.items,
    )
    data.update(
        assurance_sections(
            Kind.SYSTEM_DOSSIER, parameters, state, comp, risks_rows, data["evidence"]
        )
    )
    return data
