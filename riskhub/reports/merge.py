"""The chunks of one report merged into one PDF/A-3b file (pikepdf), before it is signed.

The first document (the head, or the whole report) is the base: its catalog keeps the
XMP metadata, the OutputIntent and the embedded files with their AFRelationship. The
merge then
- inserts a table of contents after the cover, built from every chunk's headings with
  their page numbers in the final file (rendered by WeasyPrint, so its fonts are
  embedded like the rest);
- appends the pages of the other chunks in order;
- stamps "Page N of M" on every page from one WeasyPrint document of M pages that
  draws only that footer, so the numbers run on across chunks;
- writes the bookmarks (outline): every heading, and one entry per listing chunk.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pikepdf
from django.template.loader import render_to_string

from riskhub.reports import pdf


@dataclass(frozen=True)
class Piece:
    """A rendered chunk as the merge reads it."""

    role: str
    label: str
    pdf: bytes
    pages: int
    headings: list[list[Any]]


@dataclass(frozen=True)
class Merged:
    pdf: bytes
    pages: int
    toc: list[dict[str, Any]]


# Headings deeper than this stay in the bookmarks only.
TOC_DEPTH = 2


def _offsets(pieces: Sequence[Piece], toc_pages: int) -> list[int]:
    """Pages before each piece's first page in the merged file; the table of contents
    sits after the head's first page (the cover)."""
    offsets, before = [], 0
    for index, piece in enumerate(pieces):
        offsets.append(before + (toc_pages if index else 0))
        before += piece.pages
    return offsets


def _page_number(pieces: Sequence[Piece], offsets: list[int], toc_pages: int) -> Any:
    def number(index: int, page: int) -> int:
        if index == 0 and page > 0:
            return page + toc_pages + 1
        return offsets[index] + page + 1

    return number


def _entries(pieces: Sequence[Piece], toc_pages: int) -> list[dict[str, Any]]:
    """Every heading (and one bookmark per listing chunk) with its final page number."""
    offsets = _offsets(pieces, toc_pages)
    number = _page_number(pieces, offsets, toc_pages)
    entries: list[dict[str, Any]] = []
    if toc_pages:
        entries.append({"level": 1, "label": "Contents", "page": 2, "toc": False})
    for index, piece in enumerate(pieces):
        if piece.role == "rows":
            entries.append(
                {"level": 2, "label": piece.label, "page": number(index, 0), "toc": False}
            )
        for level, label, page in piece.headings:
            if index == 0 and page == 0:
                continue  # the cover's title
            entries.append(
                {
                    "level": level,
                    "label": label,
                    "page": number(index, page),
                    "toc": level <= TOC_DEPTH,
                }
            )
    return entries


def _toc_document(context: dict[str, Any], entries: list[dict[str, Any]]) -> pdf.Document:
    html = render_to_string(
        "reports/pdf/toc_document.html",
        {**context, "entries": [e for e in entries if e["toc"]]},
    )
    return pdf.render_document(html, extra_stylesheets=(pdf.CHUNK_STYLESHEET,))


# Pages of page-number stamps laid out at once: one document for a 3,399-page report
# took 376 MiB more than the worker's baseline; a slice of 200 takes about 25.
STAMP_PAGES = 200


def _stamps(total: int, first: int) -> pdf.Document:
    """The stamps "Page N of total" for the STAMP_PAGES pages from `first` on."""
    last = min(total, first + STAMP_PAGES - 1)
    html = render_to_string(
        "reports/pdf/page_numbers.html", {"numbers": range(first, last + 1), "total": total}
    )
    return pdf.render_document(html, extra_stylesheets=("report-pdf-stamp.css",))


def merge(pieces: Sequence[Piece], *, context: dict[str, Any], with_toc: bool) -> Merged:
    """One PDF/A-3b file from the pieces, in order; `context` feeds the table of
    contents' running header (report, data)."""
    toc_doc = None
    toc_pages = 0
    entries = _entries(pieces, 0)
    if with_toc:
        # The contents' own length moves every page after it: lay it out until the
        # number of its pages is stable (twice at most in practice).
        toc_pages = 1
        for _ in range(4):
            entries = _entries(pieces, toc_pages)
            toc_doc = _toc_document(context, entries)
            if toc_doc.pages == toc_pages:
                break
            toc_pages = toc_doc.pages
    opened: list[pikepdf.Pdf] = []
    base = pikepdf.open(io.BytesIO(pieces[0].pdf))
    try:
        if toc_doc is not None:
            toc = pikepdf.open(io.BytesIO(toc_doc.pdf))
            opened.append(toc)
            for offset, page in enumerate(toc.pages):
                base.pages.insert(1 + offset, page)
        for piece in pieces[1:]:
            other = pikepdf.open(io.BytesIO(piece.pdf))
            opened.append(other)
            base.pages.extend(other.pages)
        total = len(base.pages)
        for first in range(1, total + 1, STAMP_PAGES):
            # Kept open until the save: qpdf copies the stamps' streams when it writes.
            stamps = pikepdf.open(io.BytesIO(_stamps(total, first).pdf))
            opened.append(stamps)
            pages = base.pages[first - 1 : first - 1 + STAMP_PAGES]
            if len(stamps.pages) != len(pages):
                raise RuntimeError(
                    f"page-number stamps: {len(stamps.pages)} pages for {len(pages)}"
                )
            for page, stamp in zip(pages, stamps.pages, strict=True):
                page.add_overlay(stamp, pikepdf.Rectangle(page.mediabox))
        _write_outline(base, entries)
        _dedupe_associated_files(base)
        out = io.BytesIO()
        base.save(out, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for document in opened:
            document.close()
        base.close()
    return Merged(out.getvalue(), total, [e for e in entries if e["toc"]])


def _write_outline(document: pikepdf.Pdf, entries: list[dict[str, Any]]) -> None:
    with document.open_outline() as outline:
        outline.root.clear()
        stack: list[tuple[int, list[pikepdf.OutlineItem]]] = [(0, outline.root)]
        for entry in entries:
            item = pikepdf.OutlineItem(entry["label"], entry["page"] - 1)
            while stack[-1][0] >= entry["level"]:
                stack.pop()
            stack[-1][1].append(item)
            stack.append((entry["level"], item.children))
    document.Root.PageMode = pikepdf.Name.UseOutlines


def _dedupe_associated_files(document: pikepdf.Pdf) -> None:
    """WeasyPrint lists each attachment twice in the catalog's /AF; PDF/A wants each
    associated file once."""
    if "/AF" not in document.Root:
        return
    seen: set[tuple[int, int]] = set()
    unique = []
    for spec in document.Root.AF:
        key = spec.objgen
        if key in seen:
            continue
        seen.add(key)
        unique.append(spec)
    document.Root.AF = pikepdf.Array(unique)
