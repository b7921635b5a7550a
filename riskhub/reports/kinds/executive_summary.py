"""The executive summary: headline figures, coverage per framework, risks by band and
tier, the six-month trend, the deadlines ahead and the top risks.

Every figure is the owning app's (``riskhub.risk.selectors``: open, accepted,
overdue, acceptances expiring; ``riskhub.compliance.selectors``: evidence expiring;
``riskhub.inventory.selectors``: unassessed), applied to the report's state as of its
date, so the summary agrees with the dashboard as of the same day."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.utils import timezone

from riskhub.common.dates import REPORT_DAY, REPORT_MONTH
from riskhub.compliance import selectors as compliance_figures
from riskhub.inventory import selectors as inventory_figures
from riskhub.inventory.models import Asset
from riskhub.reports import selectors as sel
from riskhub.reports.kinds.common import (
    BANDS,
    Progress,
    assurance_sections,
    evidence_rows,
    header,
    iso,
    name_matrices,
    risk_rows,
)
from riskhub.reports.models import Kind
from riskhub.risk import selectors as risk_figures
from riskhub.risk.models import Risk

DEADLINE_HORIZON_DAYS = 180
TREND_MONTHS = 6


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


def trend_section(state: sel.State, figures: risk_figures.RiskFigures) -> list[dict[str, Any]]:
    """Open risks (and the high or critical among them) at the month ends of the last
    six months, from the history tables, then on the report's day: its headline."""
    scope = set(state.in_scope)
    trend = []
    for day in _month_ends(state.today, TREND_MONTHS):
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))
        if state.requested is None and moment >= state.as_of:
            continue
        past = sel.load_risks(state, as_of=moment, lean=True)
        then = risk_figures.risk_figures_of_rows(
            (r for r in past.risks if r["asset"] in scope), day
        )
        trend.append(
            {
                "month": day.strftime(REPORT_MONTH),
                "high_critical": then.high_critical,
                "open": then.open,
            }
        )
    trend.append(
        {
            "month": state.today.strftime(REPORT_DAY),
            "high_critical": figures.high_critical,
            "open": figures.open,
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


def expiring_evidence(state: sel.State, comp: sel.ComplianceState, *, scoped: bool) -> int:
    """Evidence expiring within the window: all of it for the whole organisation; for
    a narrower scope, that of the assets in scope (organisation-wide evidence belongs
    to no business unit), as the dashboard filters it."""
    in_scope = set(state.in_scope)
    count = 0
    for e in comp.evidence:
        if not compliance_figures.is_expiring_evidence(e["valid_until"], state.today):
            continue
        if scoped and comp.implementations[e["implementation"]]["asset"] not in in_scope:
            continue
        count += 1
    return count


def kpis_section(
    state: sel.State,
    comp: sel.ComplianceState,
    risks: sel.RiskState,
    figures: risk_figures.RiskFigures,
    *,
    scoped: bool,
) -> dict[str, Any]:
    scope = set(state.in_scope)
    asset_of_risk = {r["id"]: r["asset"] for r in risks.risks}
    kinds = Counter(state.assets[pk]["kind"] for pk in scope)
    high_risk_systems = sum(
        1
        for pk in scope
        if state.assets[pk]["kind"] == Asset.Kind.SYSTEM and state.assets[pk]["tier"] == "high"
    )
    assessed = set(risks.assessments)
    acceptances_expiring = sum(
        1
        for risk_pk, acceptance in risks.acceptances.items()
        if asset_of_risk.get(risk_pk) in scope
        and risk_figures.is_expiring_acceptance(acceptance, state.today)
    )
    return {
        "assets": len(scope),
        "systems": kinds.get(Asset.Kind.SYSTEM, 0),
        "high_risk_systems": high_risk_systems,
        "assessed": sum(1 for pk in scope if pk in assessed),
        "unassessed": sum(
            1 for pk in scope if inventory_figures.is_unassessed(state.assets[pk], assessed)
        ),
        "open_risks": figures.open,
        "critical_high": figures.high_critical,
        "accepted": figures.accepted,
        "overdue_treatments": figures.overdue,
        "acceptances_expiring": acceptances_expiring,
        "evidence_expiring": expiring_evidence(state, comp, scoped=scoped),
    }


def windows_section() -> dict[str, int]:
    """The windows the "expiring" figures were counted over (settings)."""
    return {
        "acceptances_expiring_days": risk_figures.acceptance_expiry_window(),
        "evidence_expiring_days": compliance_figures.evidence_expiry_window(),
    }


def tiers_section(state: sel.State) -> list[dict[str, Any]]:
    tiers = Counter(state.assets[pk]["tier"] for pk in state.in_scope if state.assets[pk]["tier"])
    return [
        {"tier": t, "label": Asset.Tier(t).label, "count": n}
        for t, n in sorted(tiers.items(), key=lambda kv: -kv[1])
    ]


def build(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    scope = sel.Scope.from_parameters(parameters)
    scoped = bool(scope.business_unit or scope.assets or scope.system)
    state = sel.load_state(scope, as_of)
    progress(15, "Reading the inventory")
    comp = sel.load_compliance(state)
    progress(35, "Computing coverage")
    risks = sel.load_risks(state)
    progress(50, "Reading risks")
    rows = risk_rows(state, risks, set(state.in_scope))
    name_matrices(rows, risks)
    live = [r for r in rows if r["status"] != Risk.Status.CLOSED]
    figures = risk_figures.risk_figures_of_rows(rows, state.today)
    coverage = coverage_section(state, comp)
    progress(65, "Tracing the trend")
    trend = trend_section(state, figures)
    kinds = Counter(state.assets[pk]["kind"] for pk in state.in_scope)
    data = header(
        Kind.EXECUTIVE_SUMMARY, parameters, state, "Executive summary: AI risk and compliance"
    )
    data.update(
        kpis=kpis_section(state, comp, risks, figures, scoped=scoped),
        windows=windows_section(),
        coverage=coverage,
        # Open risks only: accepted risks are counted apart (kpis.accepted).
        bands={b: figures.open_by_band[b] for b in BANDS},
        tiers=tiers_section(state),
        assets_by_kind={k: kinds.get(k, 0) for k in Asset.Kind.values},
        trend=trend,
        top_risks=[r for r in rows if risk_figures.is_open(r)][:10],
        deadlines=deadlines_section(state, comp, live)[:15],
    )
    evidence = evidence_rows(state, comp, None)
    data.update(assurance_sections(Kind.EXECUTIVE_SUMMARY, parameters, state, comp, rows, evidence))
    return data
