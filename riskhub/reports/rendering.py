"""Report data -> HTML (Django templates) -> PDF/A-3b (WeasyPrint) -> signed (pyHanko)."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from riskhub.common.files import sha256_of
from riskhub.reports import charts, chunks, merge, pdf, signing
from riskhub.reports.kinds import ASSURANCE_LISTINGS, BANDS, LISTINGS, Listing
from riskhub.reports.models import Kind, Report
from riskhub.risk.bands import BY_SLUG


@dataclass(frozen=True)
class Rendered:
    """A signed report: in memory, or (merged on a worker) in a local file."""

    pdf: bytes | Path
    size: int
    pages: int
    sha256: str
    data_sha256: str
    signer: str
    signer_fingerprint: str

    def content(self) -> File[Any]:
        """The signed file, for storage (a file is read in blocks as it is stored)."""
        if isinstance(self.pdf, Path):
            return File(self.pdf.open("rb"), name=self.pdf.name)
        return ContentFile(self.pdf)


# One colour per band, the same as on the pages and the dashboard (riskhub.risk.bands).
BAND_COLOURS = {b.slug: b.colour for b in BY_SLUG.values()}


def data_bytes(data: dict[str, Any]) -> bytes:
    """The embedded JSON: sorted keys, so the same state gives the same bytes."""
    out = io.BytesIO()
    write_data(data, out)
    return out.getvalue()


def write_data(data: dict[str, Any], handle: IO[bytes]) -> str:
    """Write the embedded JSON (data_bytes' bytes) to `handle` as it is encoded; return
    its SHA-256. json.dumps with an indent gathers every fragment (millions for a
    register of 60,000 risks) in one list before joining them, which took more memory
    than the data itself (about 325 MiB for 73 MB of JSON); planning writes the file
    without holding it at all."""
    digest = hashlib.sha256()
    pending: list[str] = []

    def flush() -> None:
        block = "".join(pending).encode()
        handle.write(block)
        digest.update(block)
        pending.clear()

    for fragment in _ENCODER.iterencode(data):
        pending.append(fragment)
        if len(pending) >= 8192:
            flush()
    flush()
    return digest.hexdigest()


_ENCODER = DjangoJSONEncoder(sort_keys=True, indent=1)


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


# Which blocks of the report (chunks.BLOCKS) each chunk role shows when its context
# does not name them.
PARTS = {
    "whole": chunks.BLOCKS,
    "head": ("head",),
    "tail": tuple(b for b in chunks.BLOCKS if b != "head"),
}


def _listing(report: Report, key: str | None) -> Listing:
    for listing in (LISTINGS.get(report.kind), *ASSURANCE_LISTINGS.values()):
        if listing is not None and (key is None or listing.key == key):
            return listing
    raise KeyError(key)


def _context(report: Report, data: dict[str, Any]) -> dict[str, Any]:
    requester = report.requested_by
    compact = report.kind == Kind.EXECUTIVE_SUMMARY
    return {
        "report": report,
        "data": data,
        "bands": BANDS,
        "band_colours": BAND_COLOURS,
        "generated_at": timezone.localtime(),
        "requested_by": (requester.full_name or requester.email) if requester else "Schedule",
        **signing.report_context(),
        "toc_template": f"reports/pdf/toc/{report.kind}.html",
        # The executive summary stays within 2 to 4 pages: contents on the cover. The
        # other kinds get their contents from the merge, with the final page numbers.
        "compact": compact,
    }


def html_for(
    report: Report, data: dict[str, Any], role: str = "whole", extra: dict[str, Any] | None = None
) -> str:
    context = _context(report, data)
    context["listing_totals"] = {
        listing.key: len(data[listing.key] or [])
        for listing in (LISTINGS.get(report.kind), *ASSURANCE_LISTINGS.values())
        if listing is not None and listing.key in data
    }
    context.update(extra or {})
    if role == "rows":
        context["listing"] = _listing(report, context.get("listing"))
        return render_to_string("reports/pdf/chunk.html", context)
    blocks = context.get("blocks") or PARTS[role]
    context["parts"] = dict.fromkeys(blocks, True)
    context["charts"] = _charts(report, data) if "head" in blocks else {}
    return render_to_string(f"reports/pdf/{report.kind}.html", context)


def uses_merged_toc(report: Report) -> bool:
    return report.kind != Kind.EXECUTIVE_SUMMARY


def render_part(
    report: Report,
    role: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]],
) -> pdf.Document:
    """One chunk of a report (chunks.Part) as a PDF/A-3b document without page numbers."""
    extra = {k: v for k, v in context.items() if k != "data"}
    html = html_for(report, context["data"], role, extra)
    return pdf.render_document(
        html,
        attachments=attachments,
        pdf_identifier=report.uuid.hex.encode(),
        extra_stylesheets=(pdf.CHUNK_STYLESHEET,),
    )


def attachments_for(
    report: Report, payload: bytes, csv: bytes | None
) -> list[tuple[str, bytes, str]]:
    files = [(pdf.DATA_ATTACHMENT, payload, "The report's full data (JSON), as rendered")]
    listing = LISTINGS.get(report.kind)
    if csv is not None and listing is not None:
        files.append((listing.csv_name, csv, f"{listing.section}: every row (CSV)"))
    return files


def compose(report: Report, data: dict[str, Any], chunk_rows: int | None = None) -> merge.Merged:
    """The unsigned merged file, every chunk rendered in this process from the same
    JSON the workers read (tests and the layout references use it)."""
    payload = data_bytes(data)
    listing = LISTINGS.get(report.kind)
    csv = chunks.listing_csv(listing, data.get(listing.key) or []) if listing else None
    pieces = []
    for part in chunks.plan(report.kind, json.loads(payload), chunk_rows):
        files = attachments_for(report, payload, csv) if part.role in ("whole", "head") else []
        document = render_part(report, part.role, part.context, files)
        pieces.append(
            merge.Piece(part.role, part.label, document.pdf, document.pages, document.headings)
        )
    header = {key: data[key] for key in chunks.HEADER_KEYS if key in data}
    return merge.merge(pieces, context=_context(report, header), with_toc=uses_merged_toc(report))


def finish(
    report: Report,
    pieces: list[merge.Piece],
    header: dict[str, Any],
    data_sha256: str,
    folder: Path,
) -> Rendered:
    """Merge the rendered chunks into one file and sign it once, in `folder`: the
    merged and the signed file stay on disk, never whole in memory."""
    context = _context(report, header)
    unsigned, signed = folder / "merged.pdf", folder / "signed.pdf"
    merged = merge.merge(pieces, context=context, with_toc=uses_merged_toc(report), into=unsigned)
    signing.sign_file(unsigned, signed, reason=_reason(report))
    return _rendered(signed, merged.pages, data_sha256)


def render(report: Report, data: dict[str, Any]) -> Rendered:
    """The whole report rendered in this process from its data and signed once: the
    approval's re-issue, from the same embedded JSON."""
    return _signed(report, compose(report, data), hashlib.sha256(data_bytes(data)).hexdigest())


def _signed(report: Report, merged: merge.Merged, data_sha256: str) -> Rendered:
    if not isinstance(merged.pdf, bytes):
        raise TypeError("compose merges in memory")
    signed = signing.sign_pdf(merged.pdf, reason=_reason(report))
    return _rendered(signed, merged.pages, data_sha256)


def _rendered(signed: bytes | Path, pages: int, data_sha256: str) -> Rendered:
    """The signed file with its size, its SHA-256 and the signer, in memory or on disk."""
    found = signing.material()
    if isinstance(signed, Path):
        size, digest = signed.stat().st_size, sha256_of(signed)
    else:
        size, digest = len(signed), hashlib.sha256(signed).hexdigest()
    return Rendered(
        pdf=signed,
        size=size,
        pages=pages,
        sha256=digest,
        data_sha256=data_sha256,
        signer=found.subject,
        signer_fingerprint=found.fingerprint,
    )


def _reason(report: Report) -> str:
    return f"RiskHub report {report.uuid} ({report.get_kind_display()})"
