"""The content of each report kind, as one JSON-able dict.

The same dict feeds the PDF templates and is embedded in the PDF as JSON, so what a
reader sees and what a machine checks come from one source. The PDF shows summaries
and one row per asset; the per-asset obligations live only in the JSON (DESIGN.md
"Reports stay fast"). Each kind is its own module, built from named sections; this
package maps a kind to its builder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from riskhub.reports.kinds import (
    executive_summary as _executive_summary,
)
from riskhub.reports.kinds import (
    framework_compliance as _framework_compliance,
)
from riskhub.reports.kinds import (
    risk_register as _risk_register,
)
from riskhub.reports.kinds import (
    system_dossier as _system_dossier,
)
from riskhub.reports.kinds.common import (
    BANDS,
    DATA_FORMAT,
    STATUS_LABEL,
    Progress,
    parse_as_of,
)
from riskhub.reports.models import Kind
from riskhub.risk.models import BAND_LABEL

__all__ = [
    "BANDS",
    "ASSURANCE_LISTINGS",
    "BUILDERS",
    "LISTINGS",
    "Listing",
    "DATA_FORMAT",
    "STATUS_LABEL",
    "Progress",
    "build",
    "parse_as_of",
]

Builder = Callable[[dict[str, Any], dt.datetime | None, Progress], dict[str, Any]]

BUILDERS: dict[str, Builder] = {
    Kind.FRAMEWORK_COMPLIANCE: _framework_compliance.build,
    Kind.SYSTEM_DOSSIER: _system_dossier.build,
    Kind.RISK_REGISTER: _risk_register.build,
    Kind.EXECUTIVE_SUMMARY: _executive_summary.build,
}


@dataclass(frozen=True)
class Listing:
    """The long listing of a kind: the rows under `key` in its data, rendered by
    `partial` (a table over the variable `rows`) in the chapter `section`. A listing
    longer than one chunk renders as several documents on several workers and travels
    as CSV beside the JSON."""

    key: str
    partial: str
    section: str
    csv_name: str
    # Keys that only the embedded JSON carries (never printed): a chunk's context
    # leaves them out, so no worker loads them to render a page.
    json_only: tuple[str, ...] = ()
    # How many rows of a plain listing one of its rows weighs in a worker's memory: a
    # chunk of this listing takes REPORT_CHUNK_ROWS // weight rows. A register row (its
    # scores, controls, acceptance and threat ids) lays out about twice the boxes of an
    # asset-status row; 1,000 of them peaked at 760 to 860 MiB (bench/RESULTS.md).
    weight: int = 1

    def rows_per_chunk(self, chunk_rows: int) -> int:
        return max(1, chunk_rows // self.weight)


LISTINGS: dict[str, Listing] = {
    Kind.RISK_REGISTER: Listing(
        "risks", "reports/pdf/_risks.html", "Risk register", "risk-register.csv", weight=2
    ),
    Kind.FRAMEWORK_COMPLIANCE: Listing(
        "assets",
        "reports/pdf/_asset_status.html",
        "Status per asset",
        "asset-status.csv",
        json_only=("detail",),
    ),
}

# The listings every kind carries (kinds/common.assurance_sections), by their block in
# the closing chapters: the exceptions register (B) and the evidence references (C).
ASSURANCE_LISTINGS: dict[str, Listing] = {
    "exceptions": Listing(
        "exceptions", "reports/pdf/_exceptions.html", "Exceptions register", "exceptions.csv"
    ),
    "evidence": Listing(
        "evidence", "reports/pdf/_evidence.html", "Evidence references", "evidence.csv"
    ),
}


def build(kind: str, parameters: dict[str, Any], progress: Progress) -> dict[str, Any]:
    as_of = parse_as_of(parameters.get("as_of"))
    data = BUILDERS[kind](parameters, as_of, progress)
    data["band_labels"] = dict(BAND_LABEL)
    data["status_labels"] = STATUS_LABEL
    return data
