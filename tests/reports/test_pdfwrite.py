"""The merge's writer: documents copied into one file object by object, one at a time,
with their references renumbered and nothing else changed."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader

from riskhub.reports import merge, pdf, pdfwrite
from tests.support import pdf_page_texts


def _document(title: str, pages: int, link: str) -> pdf.Document:
    body = "".join(
        f"<section style='break-before: page'><h1>{title}, page {n}</h1>"
        f"<p>Residual risk (high) of scenario 12 0 R, see <a href='{link}?p={n}'>the risk</a>."
        "</p></section>"
        for n in range(1, pages + 1)
    )
    return pdf.render_document(f"<html><body>{body}</body></html>")


def test_references_are_renumbered_and_strings_and_names_are_left_alone() -> None:
    numbers = {(3, 0): 101, (12, 0): 102, (7, 1): 103}
    raw = (
        b"<< /A (see 12 0 R \\) 3 0 R) /B 3 0 R /C <0102 0A> /D [ 1 2 12 0 R ] "
        b"/F12 7 1 R /G [ 0 1.5 3 0 R ] /H << >> >>"
    )
    renumbered = pdfwrite._renumber(raw, lambda num, gen: numbers[(num, gen)])
    assert renumbered == (
        b"<< /A (see 12 0 R \\) 3 0 R) /B 101 0 R /C <0102 0A> /D [ 1 2 102 0 R ] "
        b"/F12 103 0 R /G [ 0 1.5 101 0 R ] /H << >> >>"
    )


def test_documents_copied_one_at_a_time_read_as_the_originals(tmp_path: Path) -> None:
    """Two WeasyPrint documents, each with its own fonts, images of text and links,
    copied into one file: every page reads as it did, every link is kept, and qpdf finds
    nothing wrong with the file's structure."""
    first = _document("Register", 3, "https://riskhub.example/risks/1")
    second = _document("Exceptions", 2, "https://riskhub.example/risks/2")
    out = tmp_path / "out.pdf"
    with out.open("wb") as handle:
        writer = pdfwrite.Writer(handle)
        root = writer.reserve()
        pages = [writer.reserve() for _ in range(5)]
        catalog = writer.reserve()
        slots = iter(pages)
        for document in (first, second):
            with pikepdf.open(io.BytesIO(document.pdf)) as opened:
                source = pdfwrite.Source(writer, opened)
                parent = source.alias(root)
                for page in opened.pages:
                    page.obj.Parent = parent
                    source.place(page.obj, next(slots))
                source.drain()
        kids = b" ".join(b"%d 0 R" % n for n in pages)
        writer.write(root, b"<< /Type /Pages /Count 5 /Kids [ %s ] >>" % kids)
        writer.write(catalog, b"<< /Type /Catalog /Pages %d 0 R >>" % root)
        writer.close(root=catalog, info=None, ids=b"[ <00ff> <00ff> ]")

    raw = out.read_bytes()
    assert raw.startswith(pdfwrite.HEADER) and raw.rstrip().endswith(b"%%EOF")
    with pikepdf.open(out) as merged:
        assert merged.check_pdf_syntax() == []
        assert len(merged.pages) == 5
        uris = [str(a.A.URI) for page in merged.pages for a in page.obj.get("/Annots", ())]
        assert uris == [
            *(f"https://riskhub.example/risks/1?p={n}" for n in range(1, 4)),
            *(f"https://riskhub.example/risks/2?p={n}" for n in range(1, 3)),
        ]
    texts = [" ".join(t.split()) for t in pdf_page_texts(raw)]
    expected = [" ".join(t.split()) for d in (first, second) for t in pdf_page_texts(d.pdf)]
    assert texts == expected
    assert "scenario 12 0 R" in texts[0]  # a reference-like text is not renumbered
    assert len(PdfReader(io.BytesIO(raw)).pages) == 5


def test_a_reserved_object_never_written_is_an_error(tmp_path: Path) -> None:
    with (tmp_path / "out.pdf").open("wb") as handle:
        writer = pdfwrite.Writer(handle)
        catalog = writer.reserve()
        forgotten = writer.reserve()
        writer.write(catalog, b"<< /Type /Catalog >>")
        with pytest.raises(RuntimeError, match=f"never written: \\[{forgotten}\\]"):
            writer.close(root=catalog, info=None, ids=b"[ <00> <00> ]")


def test_the_merge_opens_one_chunk_at_a_time(monkeypatch: Any) -> None:
    """The chunks of a register are 80 MiB and 14,000 pages: the merge keeps one of them
    open at a time, and the pages run on in order with their numbers."""
    documents = [_document(f"Chunk {n}", 2, f"https://riskhub.example/{n}") for n in range(4)]
    pieces = [merge.Piece("rows", f"Rows {n}", d.pdf, d.pages, []) for n, d in enumerate(documents)]
    open_now, most = [0], [0]
    real_open = merge.Piece.open

    class Counted:
        def __init__(self, document: pikepdf.Pdf) -> None:
            self.document = document

        def __enter__(self) -> pikepdf.Pdf:
            open_now[0] += 1
            most[0] = max(most[0], open_now[0])
            return self.document.__enter__()

        def __exit__(self, *exc: Any) -> None:
            open_now[0] -= 1
            self.document.__exit__(*exc)

    monkeypatch.setattr(merge.Piece, "open", lambda piece: Counted(real_open(piece)))
    merged = merge.merge(pieces, context={}, with_toc=False)

    assert most[0] == 1 and open_now[0] == 0
    assert isinstance(merged.pdf, bytes) and merged.pages == 8
    texts = [" ".join(t.split()) for t in pdf_page_texts(merged.pdf)]
    for number, text in enumerate(texts, start=1):
        chunk, page = divmod(number - 1, 2)
        assert f"Chunk {chunk}, page {page + 1}" in text
        assert f"Page {number} of 8" in text
    with pikepdf.open(io.BytesIO(merged.pdf)) as document:
        with document.open_outline() as outline:
            titles = [item.title for item in outline.root]
        assert titles == [f"Rows {n}" for n in range(4)]


def test_a_page_keeps_what_it_took_from_its_page_tree() -> None:
    """A page may take its media box, rotation and resources from the page tree above
    it; the merged file has a page tree of its own, so the page carries them itself."""
    base = pikepdf.open(io.BytesIO(_document("Cover", 1, "https://riskhub.example/c").pdf))
    inherited = pikepdf.new()
    font = inherited.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    page = pikepdf.Dictionary(
        Type=pikepdf.Name.Page,
        Contents=inherited.make_stream(b"BT /F1 12 Tf 72 700 Td (Inherited page) Tj ET"),
    )
    inherited.pages.append(pikepdf.Page(page))
    tree = inherited.Root.Pages
    tree.MediaBox = pikepdf.Array([0, 0, 595, 842])
    tree.Rotate = 90
    tree.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    out = io.BytesIO()
    inherited.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    # As written, the page itself has none of the three.
    assert re.search(rb"<< /Contents \d+ 0 R /Parent \d+ 0 R /Type /Page >>", out.getvalue())
    first = io.BytesIO()
    base.save(first)
    pieces = [
        merge.Piece("head", "Cover", first.getvalue(), 1, []),
        merge.Piece("rows", "Inherited", out.getvalue(), 1, []),
    ]
    merged = merge.merge(pieces, context={}, with_toc=False)

    assert isinstance(merged.pdf, bytes)
    with pikepdf.open(io.BytesIO(merged.pdf)) as document:
        copied = document.pages[1].obj
        assert [float(v) for v in copied.MediaBox] == [0, 0, 595, 842]
        assert int(copied.Rotate) == 90
        assert "/F1" in copied.Resources.Font
        # The identifier keeps the head's permanent part; the second part is new.
        assert document.trailer.ID[0] == base.trailer.ID[0]
        assert document.trailer.ID[1] != base.trailer.ID[1]
    text = " ".join(PdfReader(io.BytesIO(merged.pdf)).pages[1].extract_text().split())
    assert "Inherited page" in text and "Page 2 of 2" in text
