"""The chunks of one report merged into one PDF/A-3b file (pikepdf), before it is signed.

The first document (the head, or the whole report) is the base: its catalog keeps the
XMP metadata, the OutputIntent and the embedded files with their AFRelationship. The
merge then
- inserts a table of contents after the cover, built from every chunk's headings with
  their page numbers in the final file (rendered by WeasyPrint, so its fonts are
  embedded like the rest);
- appends the pages of the other chunks in order;
- writes "Page N of M" into every page (PageNumbers), so the numbers run on across
  chunks;
- writes the bookmarks (outline): every heading, and one entry per listing chunk;
- makes each line of the contents a link to its page.
"""

from __future__ import annotations

import io
import itertools
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pikepdf
from django.template.loader import render_to_string

from riskhub.reports import pdf


@dataclass(frozen=True)
class Piece:
    """A rendered chunk as the merge reads it: its PDF in memory, or in a local file
    (read by qpdf as it needs it: the 169 chunks of a register of 60,000 risks are
    80 MiB)."""

    role: str
    label: str
    pdf: bytes | Path
    pages: int
    headings: list[list[Any]]

    def open(self) -> pikepdf.Pdf:
        return pikepdf.open(self.pdf if isinstance(self.pdf, Path) else io.BytesIO(self.pdf))


@dataclass(frozen=True)
class Merged:
    pdf: bytes | Path  # in memory, or the file it was merged `into`
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


# WeasyPrint links only within one document: each line of the contents links to this
# address plus its page number, and the merge turns it into a jump to that page.
CONTENTS_LINK = "riskhub-contents:page="


def _link_contents(document: pikepdf.Pdf, toc_pages: int) -> None:
    """Each link of the contents (pages 2 to toc_pages + 1) goes to its page of the
    merged file; none is left pointing to CONTENTS_LINK."""
    for page in document.pages[1 : 1 + toc_pages]:
        for annotation in page.obj.get("/Annots", ()):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(CONTENTS_LINK):
                continue
            target = document.pages[int(uri.removeprefix(CONTENTS_LINK)) - 1]
            annotation.Dest = pikepdf.Array([target.obj, pikepdf.Name.Fit])
            del annotation["/A"]


def _toc_document(context: dict[str, Any], entries: list[dict[str, Any]]) -> pdf.Document:
    html = render_to_string(
        "reports/pdf/toc_document.html",
        {**context, "entries": [e for e in entries if e["toc"]], "link": CONTENTS_LINK},
    )
    return pdf.render_document(html, extra_stylesheets=(pdf.CHUNK_STYLESHEET,))


# --- page numbers ------------------------------------------------------------------------

# A number with every digit: the samples' footers carry every character a footer needs.
SAMPLE = 1234567890
# The footer's font and graphics state in each page's resources (WeasyPrint's own names
# are random tags; these cannot collide with them).
_FONT = pikepdf.Name("/RHPageNumberFont")
_STATE = pikepdf.Name("/RHPageNumberState")
_BFCHAR = re.compile(r"<([0-9A-Fa-f]{4})>\s*<([0-9A-Fa-f]{4})>")


@dataclass(frozen=True)
class _Footer:
    """One footer as WeasyPrint drew it: its operators, which of them position and show
    the text, and where the text ends on the right."""

    operators: list[pikepdf.ContentStreamInstruction]
    place: int  # index of the Tm operator
    show: int  # index of the TJ operator
    right: float  # the text's right edge, in the Tm's units
    size: float


class PageNumbers:
    """ "Page N of M" written into each page of the merged file.

    WeasyPrint draws two samples, the cover's footer and the other pages' (from
    page_numbers.html, with every digit): they give the font (a subset holding every
    character a footer needs, embedded for PDF/A), the colour, the position and each
    character's glyph and width. Each page then gets its own footer as a few bytes of
    content, right-aligned where WeasyPrint ended the sample's text. Overlaying a
    WeasyPrint page on every page took 77 s and 335 MiB for a register of 13,974 pages.
    """

    def __init__(self, target: pikepdf.Pdf) -> None:
        html = render_to_string(
            "reports/pdf/page_numbers.html", {"numbers": [1, SAMPLE], "total": SAMPLE}
        )
        document = pdf.render_document(html, extra_stylesheets=("report-pdf-stamp.css",))
        with pikepdf.open(io.BytesIO(document.pdf)) as sample:
            cover, other = sample.pages
            font_name, state_name = self._names(cover)
            font = cover.obj.Resources.Font[font_name]
            self.glyphs, self.widths, self.default_width = _glyphs(font)
            self.kerning: dict[tuple[str, str], float] = {}
            self.cover = self._footer(cover, f"Page 1 of {SAMPLE}")
            self.other = self._footer(other, f"Page {SAMPLE} of {SAMPLE}")
            state = cover.obj.Resources.ExtGState[state_name]
            self.font = target.copy_foreign(_indirect(sample, font))
            self.state = target.copy_foreign(_indirect(sample, state))
        self.save_state = target.make_stream(b"q\n")
        self.target = target

    @staticmethod
    def _names(page: pikepdf.Page) -> tuple[pikepdf.Name, pikepdf.Name]:
        font = state = None
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) == "Tf":
                font = operands[0]
            elif str(operator) == "gs":
                state = operands[0]
        if font is None or state is None:
            raise RuntimeError("page numbers: the sample footer has no text")
        return font, state

    def _footer(self, page: pikepdf.Page, text: str) -> _Footer:
        """The sample's operators, its font and graphics state renamed to ours."""
        operators = [_renamed(op) for op in pikepdf.parse_content_stream(page)]
        names = [str(op.operator) for op in operators]
        if {"Tc", "Tw", "Tz", "Tj", "'", '"'} & set(names) or names.count("TJ") != 1:
            raise RuntimeError(f"page numbers: unexpected text operators {names}")
        show = names.index("TJ")
        place = max(i for i in range(show) if names[i] == "Tm")
        size = float(operators[names.index("Tf")].operands[1])
        chars, adjustments = self._read(operators[show].operands[0])
        if "".join(chars) != text:
            raise RuntimeError(f"page numbers: the sample reads {''.join(chars)!r}")
        for pair, adjustment in zip(itertools.pairwise(chars), adjustments, strict=True):
            self.kerning[pair] = adjustment
        x = float(operators[place].operands[4])
        return _Footer(operators, place, show, x + self._advance(text, size), size)

    def _read(self, shown: pikepdf.Array) -> tuple[list[str], list[float]]:
        """The characters of a TJ array and the adjustment after each but the last."""
        by_glyph = {glyph: char for char, glyph in self.glyphs.items()}
        chars: list[str] = []
        adjustments: list[float] = []
        pending = 0.0
        for item in shown:
            if isinstance(item, pikepdf.String):
                raw = bytes(item)
                for i in range(0, len(raw), 2):
                    if chars:
                        adjustments.append(pending)
                    pending = 0.0
                    chars.append(by_glyph[int.from_bytes(raw[i : i + 2], "big")])
            else:
                pending += float(item)
        return chars, adjustments

    def _advance(self, text: str, size: float) -> float:
        width = sum(self.widths.get(self.glyphs[c], self.default_width) for c in text)
        width -= sum(self.kerning.get(pair, 0.0) for pair in itertools.pairwise(text))
        return width * size / 1000

    def _shown(self, text: str) -> pikepdf.Array:
        items: list[Any] = []
        for index, char in enumerate(text):
            if index:
                items.append(self.kerning.get((text[index - 1], char), 0.0))
            items.append(pikepdf.String(self.glyphs[char].to_bytes(2, "big")))
        return pikepdf.Array(items)

    def content(self, number: int, total: int) -> bytes:
        """The footer of page `number` of `total`, as content bytes."""
        footer = self.cover if number == 1 else self.other
        text = f"Page {number} of {total}"
        operators = list(footer.operators)
        place = list(operators[footer.place].operands)
        place[4] = round(footer.right - self._advance(text, footer.size), 4)
        operators[footer.place] = pikepdf.ContentStreamInstruction(place, pikepdf.Operator("Tm"))
        operators[footer.show] = pikepdf.ContentStreamInstruction(
            [self._shown(text)], pikepdf.Operator("TJ")
        )
        return pikepdf.unparse_content_stream(operators)

    def stamp(self, page: pikepdf.Page, number: int, total: int) -> None:
        """Write the footer into `page`: its own content is wrapped in q/Q first, since
        WeasyPrint leaves its coordinate flip in force at the end of it."""
        resources = page.obj.get("/Resources")
        if resources is None:
            raise RuntimeError(f"page {number} has no resources of its own")
        for kind, name, value in (("/Font", _FONT, self.font), ("/ExtGState", _STATE, self.state)):
            if kind not in resources:
                resources[kind] = pikepdf.Dictionary()
            resources[kind][name] = value
        page.contents_add(self.save_state, prepend=True)
        page.contents_add(self.target.make_stream(b"Q\n" + self.content(number, total)))


def _renamed(instruction: Any) -> Any:
    """A sample's Tf or gs operator naming our font or graphics state instead."""
    operator = str(instruction.operator)
    if operator == "Tf":
        operands = [_FONT, instruction.operands[1]]
    elif operator == "gs":
        operands = [_STATE]
    else:
        return instruction
    return pikepdf.ContentStreamInstruction(operands, instruction.operator)


def _indirect(document: pikepdf.Pdf, obj: Any) -> Any:
    return obj if obj.is_indirect else document.make_indirect(obj)


def _glyphs(font: pikepdf.Dictionary) -> tuple[dict[str, int], dict[int, float], float]:
    """A Type 0 font's character -> glyph (its ToUnicode map) and glyph -> width."""
    cmap = font.ToUnicode.read_bytes().decode("latin-1")
    glyphs = {chr(int(u, 16)): int(g, 16) for g, u in _BFCHAR.findall(cmap)}
    descendant = font.DescendantFonts[0]
    widths: dict[int, float] = {}
    spec = list(descendant.get("/W", []))
    i = 0
    while i < len(spec):
        first = int(spec[i])
        if isinstance(spec[i + 1], pikepdf.Array):
            for offset, width in enumerate(spec[i + 1]):
                widths[first + offset] = float(width)
            i += 2
        else:
            for glyph in range(first, int(spec[i + 1]) + 1):
                widths[glyph] = float(spec[i + 2])
            i += 3
    return glyphs, widths, float(descendant.get("/DW", 1000))


def merge(
    pieces: Sequence[Piece], *, context: dict[str, Any], with_toc: bool, into: Path | None = None
) -> Merged:
    """One PDF/A-3b file from the pieces, in order, written `into` a file or returned in
    memory; `context` feeds the table of contents' running header (report, data)."""
    if into is None:
        # Even in memory it is written to a file first: at 13,974 pages qpdf's objects
        # take about 400 MiB, and the output beside them would be another 84.
        with tempfile.TemporaryDirectory(prefix="riskhub-merge-") as folder:
            path = Path(folder) / "merged.pdf"
            merged = merge(pieces, context=context, with_toc=with_toc, into=path)
            return Merged(path.read_bytes(), merged.pages, merged.toc)
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
    base = pieces[0].open()
    try:
        if toc_doc is not None:
            toc = pikepdf.open(io.BytesIO(toc_doc.pdf))
            opened.append(toc)
            for offset, page in enumerate(toc.pages):
                base.pages.insert(1 + offset, page)
        for piece in pieces[1:]:
            other = piece.open()
            opened.append(other)
            base.pages.extend(other.pages)
        _link_contents(base, toc_pages)
        total = len(base.pages)
        numbers = PageNumbers(base)
        for number, page in enumerate(base.pages, start=1):
            numbers.stamp(page, number, total)
        _write_outline(base, entries)
        _dedupe_associated_files(base)
        base.save(into, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    finally:
        for document in opened:
            document.close()
        base.close()
    return Merged(into, total, [e for e in entries if e["toc"]])


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
