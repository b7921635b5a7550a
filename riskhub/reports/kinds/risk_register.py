"""The AI risk register: every risk of the assets in scope, with its scores, treatment
and acceptance, and one heatmap per matrix in use."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from riskhub.inventory import selectors as inventory_figures
from riskhub.reports import selectors as sel
from riskhub.reports.kinds.common import (
    BANDS,
    Progress,
    assurance_sections,
    evidence_rows,
    header,
    name_matrices,
    risk_rows,
)
from riskhub.reports.models import Kind
from riskhub.risk import selectors as risk_figures
from riskhub.risk.models import Risk


def heatmaps_section(risks: sel.RiskState, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open risks per cell, one map per matrix in use (as the dashboard draws them)."""
    counts: dict[int, Counter[tuple[int, int]]] = defaultdict(Counter)
    for row in rows:
        if not risk_figures.is_open(row):
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


def totals_section(
    state: sel.State, risks: sel.RiskState, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    """The risk app's figures over the register as of its day; the bands count open
    risks only (accepted risks are counted apart)."""
    figures = risk_figures.risk_figures_of_rows(rows, state.today)
    assessed = set(risks.assessments)
    unassessed = sum(
        1 for pk in state.in_scope if inventory_figures.is_unassessed(state.assets[pk], assessed)
    )
    return {
        "risks": len(rows),
        "open": figures.open,
        "accepted": figures.accepted,
        "closed": sum(1 for r in rows if r["status"] == Risk.Status.CLOSED),
        "overdue": figures.overdue,
        "assets_assessed": len(state.in_scope) - unassessed,
        "assets_not_assessed": unassessed,
        "by_band": {b: figures.open_by_band[b] for b in BANDS},
    }


def build(
    parameters: dict[str, Any], as_of: dt.datetime | None, progress: Progress
) -> dict[str, Any]:
    state = sel.load_state(sel.Scope.from_parameters(parameters), as_of)
    progress(25, "Reading assessments")
    risks = sel.load_risks(state)
    progress(50, "Building the register")
    rows = risk_rows(state, risks, set(state.in_scope))
    heatmaps = heatmaps_section(risks, rows)
    name_matrices(rows, risks)
    progress(65, "Listing evidence and exceptions")
    comp = sel.load_compliance(state)
    data = header(Kind.RISK_REGISTER, parameters, state, "AI risk register")
    data.update(
        totals=totals_section(state, risks, rows),
        heatmaps=heatmaps,
        risks=rows,
    )
    evidence = evidence_rows(state, comp, None)
    data.update(assurance_sections(Kind.RISK_REGISTER, parameters, state, comp, rows, evidence))
    return data
