"""Real evidence files, generated: a PDF, PNG and JPEG images, DOCX and XLSX packages.

Upload tests build their attacks from these, so a refusal proves the check and not a
malformed sample."""

from __future__ import annotations

import io
import zipfile

DOCX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
DOCX_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Incident response plan, signed.</w:t></w:r></w:p></w:body>"
    "</w:document>"
)


def pdf_bytes(text: str = "Signed policy", padding: int = 0) -> bytes:
    """A one-page PDF written by pypdf; padding adds a comment to the page content."""
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    content = StreamObject()
    content.set_data(
        b"BT /F1 12 Tf 72 770 Td ("
        + text.encode("latin-1")
        + b") Tj ET\n"
        + (b"%" + b"0" * padding + b"\n" if padding else b"")
    )
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def weasyprint_pdf() -> bytes:
    import weasyprint

    return weasyprint.HTML(string="<h1>Penetration test</h1><p>No findings.</p>").write_pdf()


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=kind)
    return buffer.getvalue()


def png_bytes() -> bytes:
    return image_bytes("PNG")


def jpeg_bytes() -> bytes:
    return image_bytes("JPEG")


def zip_bytes(members: dict[str, bytes | str], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_members(**extra: bytes | str) -> dict[str, bytes | str]:
    return {
        "[Content_Types].xml": DOCX_TYPES,
        "_rels/.rels": DOCX_ROOT_RELS,
        "word/document.xml": DOCX_DOCUMENT,
        **extra,
    }


def docx_bytes(extra: dict[str, bytes | str] | None = None) -> bytes:
    return zip_bytes({**docx_members(), **(extra or {})})


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["control", "status"])
    workbook.active.append(["CTL-INCIDENT-RESPONSE", "implemented"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
