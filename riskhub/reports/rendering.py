"""Report data -> HTML (Django templates) -> PDF/A-3b (WeasyPrint) -> signed (pyHanko)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from riskhub.reports import charts, pdf, signing
from riskhub.reports.kinds import BANDS
from riskhub.reports.models import Kind, Report
from riskhub.risk.bands import BY_SLUG


@dataclass(frozen=True)
class Rendered:
    pdf: bytes
    pages: int
    sha256: str
    data_sha256: str
    signer: str
    signer_fingerprint: str


# One colour per band, the same as on the pages and the dashboard (riskhub.risk.bands).
BAND_COLOURS = {b.slug: b.colour for b in BY_SLUG.values()}


def data_bytes(data: dict[str, Any]) -> bytes:
    """The embedded JSON: sorted keys, so the same state gives the same bytes."""
    return json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, indent=1).encode()


def _charts(report: Report, data: dict[str, Any]) -> dict[str, str]:
    if report.kind == Kind.EXECUTIVE_SUMMARY:
        return {
            "coverage": charts.coverage_bars(data["coverage"]),
            "bands": charts.band_bars(data["bands"], BAND_COLOURS),
            "trend": charts.trend_line(data["trend"]),
        }
    if report.kind == Kind.RISK_REGISTER:
        return {"bands": charts.band_bars(data["totals"]["by_band"], BAND_COLOURS)}
    return {}


def html_for(report: Report, data: dict[str, Any]) -> str:
    generated = timezone.localtime()
    requester = report.requested_by
    context = {
        "report": report,
        "data": data,
        "charts": _charts(report, data),
        "bands": BANDS,
        "band_colours": BAND_COLOURS,
        "generated_at": generated,
        "requested_by": (requester.full_name or requester.email) if requester else "Schedule",
        **signing.report_context(),
        "toc_template": f"reports/pdf/toc/{report.kind}.html",
        # The executive summary stays within 2 to 4 pages: contents on the cover.
        "compact": report.kind == Kind.EXECUTIVE_SUMMARY,
    }
    return render_to_string(f"reports/pdf/{report.kind}.html", context)


def render(report: Report, data: dict[str, Any]) -> Rendered:
    payload = data_bytes(data)
    html = html_for(report, data)
    unsigned, pages = pdf.render_pdf(
        html, data_json=payload, pdf_identifier=report.uuid.hex.encode()
    )
    found = signing.material()
    signed = signing.sign_pdf(
        unsigned, reason=f"RiskHub report {report.uuid} ({report.get_kind_display()})"
    )
    return Rendered(
        pdf=signed,
        pages=pages,
        sha256=hashlib.sha256(signed).hexdigest(),
        data_sha256=hashlib.sha256(payload).hexdigest(),
        signer=found.subject,
        signer_fingerprint=found.fingerprint,
    )
