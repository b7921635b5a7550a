"""What every report kind shares: the header, the asset, risk and evidence rows, and
the as-of parsing. One module per kind builds its content from named sections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from riskhub.common.dates import validate_as_of
from riskhub.compliance.selectors import is_expiring_evidence
from riskhub.inventory.models import Asset
from riskhub.inventory.services import organisation
from riskhub.reports import selectors as sel
from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.models import Risk

Progress = Callable[[int, str], object]
DATA_FORMAT = "riskhub-report/1"
BANDS = [b.slug for b in reversed(RISK_BANDS)]  # highest first
STATUS_LABEL = {"met": "Met", "partial": "Partial", "gap": "Gap"}


def iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_as_of(value: Any) -> dt.datetime | None:
    """`YYYY-MM-DD` means the end of that day; an ISO datetime is taken as given. Both
    are checked by the one as-of rule (riskhub.common.dates): the request refuses a bad
    one with a field error, and the worker, re-reading a stored row, fails the report
    with the same reason rather than overflowing."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            validate_as_of(day)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59, 999999))
        else:
            moment = dt.datetime.fromisoformat(text)
            validate_as_of(moment)
    except ValueError:
        raise ValidationError(
            {"as_of": ["Give a date as YYYY-MM-DD or an ISO datetime."]}
        ) from None
    except ValidationError as exc:
        raise ValidationError({"as_of": exc.messages}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def asset_row(state: sel.State, pk: int) -> dict[str, Any]:
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


def header(kind: str, parameters: dict[str, Any], state: sel.State, title: str) -> dict[str, Any]:
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
        "as_of": iso(state.as_of),
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


def evidence_rows(
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
                "valid_until": iso(e["valid_until"]),
                "valid": valid,
                "expiring": is_expiring_evidence(e["valid_until"], state.today),
                "uploaded_at": iso(e["uploaded_at"]),
            }
        )
    rows.sort(key=lambda r: (r["control"], r["scope"], r["description"]))
    return rows


def risk_rows(state: sel.State, risks: sel.RiskState, scope: set[int]) -> list[dict[str, Any]]:
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
                "due_date": iso(r["due_date"]),
                "status": r["status"],
                "acceptance": None
                if acceptance is None
                else {
                    "approved_by": state.users.get(acceptance["approved_by"], ""),
                    "expires_on": iso(acceptance["expires_on"]),
                    "rationale": acceptance["rationale"],
                },
                "matrix": risks.assessments[r["asset"]]["matrix"],
            }
        )
    return rows


def name_matrices(rows: list[dict[str, Any]], risks: sel.RiskState) -> None:
    """Replace each risk row's matrix id by the matrix code the reader knows."""
    for row in rows:
        row["matrix"] = (
            risks.matrices[row["matrix"]].code if row["matrix"] in risks.matrices else ""
        )
