"""The chunks of one report merged into one PDF/A-3b file, before it is signed.

The first document (the head, or the whole report) is the base: its catalog keeps the
XMP metadata, the OutputIntent and the embedded files with their AFRelationship. The
merge
- inserts a table of contents after the cover, built from every chunk's headings with
  their page numbers in the final file (rendered by WeasyPrint, so its fonts are
  embedded like the rest);
- copies the pages of the other chunks after it, in order, one chunk at a time
  (pdfwrite: a chunk is opened, written out and closed before the next);
- writes "Page N of M" into every page (PageNumbers), so the numbers run on across
  chunks;
- writes the bookmarks (outline): every heading, and one entry per listing chunk;
- makes each line of the contents a link to its page.
"""

from __future__ import annotations

import io
import itertools
import re
import secrets
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pikepdf
from django.template.loader import render_to_string

from riskhub.reports import pdf, pdfwrite


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


def _link_contents(source: pdfwrite.Source, page_numbers: list[int]) -> None:
    """Each link of the contents goes to its page of the merged file (the output's
    object for that page); none is left pointing to CONTENTS_LINK."""
    for page in source.document.pages:
        for annotation in page.obj.get("/Annots", ()):
            action = annotation.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(CONTENTS_LINK):
                continue
            target = page_numbers[int(uri.removeprefix(CONTENTS_LINK)) - 1]
            annotation.Dest = pikepdf.Array([source.alias(target), pikepdf.Name.Fit])
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

    def __init__(self, writer: pdfwrite.Writer) -> None:
        """The samples read, and their font and graphics state written to the output
        once; every page refers to them."""
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
            source = pdfwrite.Source(writer, sample)
            self.font = source.number(_indirect(sample, font))
            self.state = source.number(_indirect(sample, state))
            source.drain()
        self.save_state = writer.reserve()
        writer.write_stream(self.save_state, b"<< >>", b"q\n")

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

    def stamper(self, source: pdfwrite.Source) -> Callable[[pikepdf.Page, int, int], None]:
        """stamp(page, number, total) for the pages of one source document."""
        font, state = source.alias(self.font), source.alias(self.state)
        save_state = source.alias(self.save_state)

        def stamp(page: pikepdf.Page, number: int, total: int) -> None:
            """Write the footer into `page`: its own content is wrapped in q/Q first,
            since WeasyPrint leaves its coordinate flip in force at the end of it."""
            resources = page.obj.get("/Resources")
            if resources is None:
                raise RuntimeError(f"page {number} has no resources of its own")
            for kind, name, value in (("/Font", _FONT, font), ("/ExtGState", _STATE, state)):
                if kind not in resources:
                    resources[kind] = pikepdf.Dictionary()
                resources[kind][name] = value
            contents = page.obj.get("/Contents")
            own = [] if contents is None else [contents]
            if isinstance(contents, pikepdf.Array):
                own = list(contents)
            footer = source.document.make_stream(b"")
            footer.write(
                zlib.compress(b"Q\n" + self.content(number, total)),
                filter=pikepdf.Name.FlateDecode,
            )
            page.obj.Contents = pikepdf.Array([save_state, *own, footer])

        return stamp


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
    if into is None:
        buffer = io.BytesIO()
        total = _write(buffer, pieces, toc_doc, entries)
        return Merged(buffer.getvalue(), total, [e for e in entries if e["toc"]])
    with into.open("wb") as handle:
        total = _write(handle, pieces, toc_doc, entries)
    return Merged(into, total, [e for e in entries if e["toc"]])


def _write(
    handle: BinaryIO,
    pieces: Sequence[Piece],
    toc_doc: pdf.Document | None,
    entries: list[dict[str, Any]],
) -> int:
    """Write the merged file to `handle`, one document at a time; return its pages."""
    toc_pages = toc_doc.pages if toc_doc is not None else 0
    number = _page_number(pieces, _offsets(pieces, toc_pages), toc_pages)
    total = toc_pages + sum(piece.pages for piece in pieces)
    writer = pdfwrite.Writer(handle)
    pages_root = writer.reserve()
    # Every page's number is reserved first: the contents and the bookmarks link to
    # pages of chunks not yet written.
    page_numbers = [writer.reserve() for _ in range(total)]
    outline = writer.reserve()
    stamps = PageNumbers(writer)

    def finals(index: int) -> list[int]:
        """The final page numbers of piece `index`'s pages."""
        return [number(index, page) for page in range(pieces[index].pages)]

    def copy(document: pikepdf.Pdf, finals: list[int]) -> pdfwrite.Source:
        """The pages of `document` as the final pages `finals` (numbered from 1)."""
        if len(document.pages) != len(finals):
            raise RuntimeError(f"a chunk has {len(document.pages)} pages, not {len(finals)}")
        source = pdfwrite.Source(writer, document)
        parent = source.alias(pages_root)
        stamp = stamps.stamper(source)
        for page, final in zip(document.pages, finals, strict=True):
            # qpdf has given the page what it took from its page tree (media box,
            # resources...) when it listed the pages: the old tree can go.
            page.obj.Parent = parent
            stamp(page, final, total)
            source.place(page.obj, page_numbers[final - 1])
        return source

    # The base: its pages (the cover, then after the contents the others) and its
    # catalog, with the merged page tree and outline in place of its own.
    with pieces[0].open() as base:
        source = copy(base, finals(0))
        root = base.Root
        root.Pages = source.alias(pages_root)
        root.Outlines = source.alias(outline)
        root.PageMode = pikepdf.Name.UseOutlines
        _dedupe_associated_files(base)
        catalog = source.number(root)
        info = source.number(base.trailer.Info) if "/Info" in base.trailer else None
        permanent = base.trailer.ID[0].unparse() if "/ID" in base.trailer else None
        source.drain()
    if toc_doc is not None:
        with pikepdf.open(io.BytesIO(toc_doc.pdf)) as toc:
            source = copy(toc, list(range(2, 2 + toc_pages)))
            _link_contents(source, page_numbers)
            source.drain()
    for index in range(1, len(pieces)):
        with pieces[index].open() as document:
            copy(document, finals(index)).drain()
    kids = b" ".join(b"%d 0 R" % n for n in page_numbers)
    writer.write(pages_root, b"<< /Type /Pages /Count %d /Kids [ %s ] >>" % (total, kids))
    _write_outline(writer, outline, entries, page_numbers)
    writer.close(root=catalog, info=info, ids=_ids(permanent))
    return total


def _ids(permanent: bytes | None) -> bytes:
    """The file's identifier: the base's permanent part (a new one if it had none) and
    a new part for this version of the file."""
    new = b"<" + secrets.token_hex(16).encode() + b">"
    return b"[ " + (permanent or new) + b" " + new + b" ]"


def _write_outline(
    writer: pdfwrite.Writer, number: int, entries: list[dict[str, Any]], page_numbers: list[int]
) -> None:
    """The bookmarks, open, as the headings nest: every entry goes to its page."""
    items: list[dict[str, Any]] = []
    root: dict[str, Any] = {"number": number, "children": [], "level": 0}
    stack = [root]
    for entry in entries:
        item = {"number": writer.reserve(), "children": [], "level": entry["level"]}
        item["entry"] = entry
        while stack[-1]["level"] >= entry["level"]:
            stack.pop()
        item["parent"] = stack[-1]["number"]
        stack[-1]["children"].append(item)
        stack.append(item)
        items.append(item)

    def count(node: dict[str, Any]) -> int:
        return sum(1 + count(child) for child in node["children"])

    def links(node: dict[str, Any]) -> bytes:
        kids = node["children"]
        if not kids:
            return b""
        return b"/First %d 0 R /Last %d 0 R /Count %d " % (
            kids[0]["number"],
            kids[-1]["number"],
            count(node),
        )

    for node in [root, *items]:
        for before, after in itertools.pairwise(node["children"]):
            before["next"], after["prev"] = after["number"], before["number"]
    writer.write(number, b"<< /Type /Outlines " + links(root) + b">>")
    for item in items:
        entry = item["entry"]
        body = b"<< /Title " + pikepdf.String(entry["label"]).unparse()
        body += b" /Parent %d 0 R " % item["parent"]
        for key in ("prev", "next"):
            if key in item:
                body += b"/%s %d 0 R " % (key.title().encode(), item[key])
        body += links(item)
        body += b"/Dest [ %d 0 R /Fit ] >>" % page_numbers[entry["page"] - 1]
        writer.write(item["number"], body)


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
