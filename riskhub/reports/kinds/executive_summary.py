"""The executive summary: headline figures, coverage per framework, risks by band and
tier, the six-month trend, the deadlines ahead and the top risks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from riskhub.inventory.models import Asset
from riskhub.reports import selectors as sel
from riskhub.reports.kinds.common import (
    BANDS,
    Progress,
    header,
    iso,
    name_matrices,
    risk_rows,
)
from riskhub.reports.models import Kind
from riskhub.risk.models import BAND_RANK, Risk

DEADLINE_HORIZON_DAYS = 180
TREND_MONTHS = 6


def band_rank_of(row: dict[str, Any]) -> int:
    return BAND_RANK.get(row["residual"]["band"], 0)


def _month_ends(today: dt.date, count: int) -> list[dt.date]:
    ends = []
    first = today.replace(day=1)
    for _ in range(count):
        ends.append(first - dt.timedelta(days=1))
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(ends))


def coverage_section(state: sel.State, comp: sel.ComplianceState) -> list[dict[str, Any]]:
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
    return coverage


def trend_section(state: sel.State, live: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Month ends of the last six months from the history tables, then today."""
    scope = set(state.in_scope)
    trend = []
    for day in _month_ends(state.today, TREND_MONTHS):
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
    return trend


def deadlines_section(
    state: sel.State, comp: sel.ComplianceState, live: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Obligations that start to apply and acceptances that end within the horizon."""
    horizon = state.today + dt.timedelta(days=DEADLINE_HORIZON_DAYS)
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
                "date": iso(applies),
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
    deadlines.sort(key=lambda d: (d["date"], d["what"]))
    return deadlines


def kpis_section(
    state: sel.State,
    comp: sel.ComplianceState,
    risks: sel.RiskState,
    live: list[dict[str, Any]],
) -> dict[str, Any]:
    scope = set(state.in_scope)
    bands = Counter(r["residual"]["band"] for r in live)
    kinds = Counter(state.assets[pk]["kind"] for pk in scope)
    overdue = [
        r
        for r in live
        if r["status"] == "open"
        and r["due_date"]
        and r["due_date"] < state.today.isoformat()
        and r["treatment"] != "accept"
    ]
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
    return {
        "assets": len(scope),
        "systems": kinds.get(Asset.Kind.SYSTEM, 0),
        "high_risk_systems": high_risk_systems,
        "assessed": sum(1 for pk in scope if pk in risks.assessments),
        "open_risks": sum(1 for r in live if r["status"] == "open"),
        "critical_high": bands.get("critical", 0) + bands.get("high", 0),
        "accepted": sum(1 for r in live if r["status"] == "accepted"),
        "overdue_treatments": len(overdue),
        "evidence_expiring_60d": evidence_expiring,
    }


def bands_section(live: list[dict[str, Any]]) -> dict[str, int]:
    bands = Counter(r["residual"]["band"] for r in live)
    return {b: bands.get(b, 0) for b in BANDS}


def tiers_section(state: sel.State) -> list[dict[str, Any]]:
    tiers = Counter(state.assets[pk]["tier"] for pk in state.in_scope if state.assets[pk]["tier"])
    return [
        {"tier": t, "label": Asset.Tier(t).label, "count": n}
        for t, n in sorted(tiers.items(), key=lambda kv: -kv[1])
    ]


def build(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    state = sel.load_state(sel.Scope.from_parameters(parameters), as_of)
    progress(15, "Reading the inventory")
    comp = sel.load_compliance(state)
    progress(35, "Computing coverage")
    risks = sel.load_risks(state)
    progress(50, "Reading risks")
    rows = risk_rows(state, risks, set(state.in_scope))
    name_matrices(rows, risks)
    live = [r for r in rows if r["status"] != Risk.Status.CLOSED]
    coverage = coverage_section(state, comp)
    progress(65, "Tracing the trend")
    trend = trend_section(state, live)
    kinds = Counter(state.assets[pk]["kind"] for pk in state.in_scope)
    data = header(
        Kind.EXECUTIVE_SUMMARY, parameters, state, "Executive summary: AI risk and compliance"
    )
    data.update(
        kpis=kpis_section(state, comp, risks, live),
        coverage=coverage,
        bands=bands_section(live),
        tiers=tiers_section(state),
        assets_by_kind={k: kinds.get(k, 0) for k in Asset.Kind.values},
        trend=trend,
        top_risks=live[:10],
        deadlines=deadlines_section(state, comp, live)[:15],
    )
    return data
