"""The AI risk register: every risk of the assets in scope, with its scores, treatment
and acceptance, and one heatmap per matrix in use."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from riskhub.reports import selectors as sel
from riskhub.reports.kinds.common import (
    BANDS,
    Progress,
    header,
    name_matrices,
    risk_rows,
)
from riskhub.reports.models import Kind
from riskhub.risk.models import Risk


def heatmaps_section(risks: sel.RiskState, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
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


def totals_section(
    state: sel.State, risks: sel.RiskState, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    bands = Counter(r["residual"]["band"] for r in rows if r["status"] != Risk.Status.CLOSED)
    assessed = sum(1 for pk in state.in_scope if pk in risks.assessments)
    return {
        "risks": len(rows),
        "open": sum(1 for r in rows if r["status"] == Risk.Status.OPEN),
        "accepted": sum(1 for r in rows if r["status"] == Risk.Status.ACCEPTED),
        "closed": sum(1 for r in rows if r["status"] == Risk.Status.CLOSED),
        "assets_assessed": assessed,
        "assets_not_assessed": len(state.in_scope) - assessed,
        "by_band": {b: bands.get(b, 0) for b in BANDS},
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
    data = header(Kind.RISK_REGISTER, parameters, state, "AI risk register")
    data.update(
        totals=totals_section(state, risks, rows),
        heatmaps=heatmaps,
        risks=rows,
    )
    return data
