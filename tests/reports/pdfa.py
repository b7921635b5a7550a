"""A test-side PDF/A-3b checker: the rules we can check with pypdf on these machines.

veraPDF is not packaged for Debian nor on PyPI, and Debian's PDFBox Preflight knows only
PDF/A-1, so this checks, by reading the file as a validator would, the PDF/A-3b
(ISO 19005-3) rules our reports could break:

- file header with its binary comment; trailer /ID; no /Encrypt; nothing after %%EOF;
- an OutputIntent /GTS_PDFA1 with an embedded ICC profile;
- every font used on a page, in a form XObject or an annotation appearance embedded
  (Type 3 fonts carry their glyphs);
- XMP metadata declaring pdfaid:part 3 and conformance B, and each document-information
  entry equal to its XMP counterpart (Title, Author, Subject, Keywords, Creator,
  Producer, CreationDate, ModDate);
- each embedded file named once, listed once in the catalog's /AF, with
  /AFRelationship, /F and /UF, and a MIME type and modification date on its stream;
- no JavaScript, no Launch actions; annotations printable and not hidden.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import xml.etree.ElementTree as ET  # noqa: S405 - our own file's XMP
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

NS = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "pdf": "http://ns.adobe.com/pdf/1.3/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "pdfaid": "http://www.aiim.org/pdfa/ns/id/",
}
FONT_FILES = ("/FontFile", "/FontFile2", "/FontFile3")
PRINT, HIDDEN, INVISIBLE, NO_VIEW, TOGGLE_NO_VIEW = 4, 2, 1, 32, 256


def _xmp_value(root: ET.Element, prefix: str, name: str) -> str | None:
    tag = f"{{{NS[prefix]}}}{name}"
    for description in root.iter(f"{{{NS['rdf']}}}Description"):
        if tag in description.attrib:
            return description.attrib[tag]
        element = description.find(f"{prefix}:{name}", NS)
        if element is not None:
            items = element.findall(".//rdf:li", NS)
            return (items[0].text if items else element.text) or ""
    return None


def _pdf_date(value: str) -> dt.datetime | None:
    found = re.match(
        r"D:(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?([Z+-])?(\d{2})?'?(\d{2})?", value
    )
    if not found:
        return None
    parts = [
        int(p) if p else d for p, d in zip(found.groups()[:6], (0, 1, 1, 0, 0, 0), strict=True)
    ]
    sign, hours, minutes = found.group(7), found.group(8), found.group(9)
    offset = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0))
    zone = dt.UTC if sign in (None, "Z") else dt.timezone(offset if sign == "+" else -offset)
    return dt.datetime(*parts, tzinfo=zone)  # type: ignore[misc]


def _xmp_date(value: str) -> dt.datetime | None:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _fonts(resources: Any, seen: set[int], problems: list[str], where: str) -> None:
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, DictionaryObject):
        return
    for name, ref in (resources.get("/Font") or {}).items():
        font = ref.get_object()
        kind = font.get("/Subtype")
        if kind == "/Type3":
            _fonts(font.get("/Resources"), seen, problems, f"{where} Type3 {name}")
            continue
        described = font["/DescendantFonts"][0].get_object() if kind == "/Type0" else font
        descriptor = described.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        if not any(key in descriptor for key in FONT_FILES):
            problems.append(f"font {font.get('/BaseFont')} ({where}) is not embedded")
    for ref in (resources.get("/XObject") or {}).values():
        if isinstance(ref, IndirectObject):
            if ref.idnum in seen:
                continue
            seen.add(ref.idnum)
        xobject = ref.get_object()
        if xobject.get("/Subtype") == "/Form":
            _fonts(xobject.get("/Resources"), seen, problems, f"{where} form")


def _appearance_streams(annotation: DictionaryObject) -> list[StreamObject]:
    streams = []
    for state in (annotation.get("/AP") or {}).values():
        state = state.get_object()
        if isinstance(state, StreamObject):
            streams.append(state)
        elif isinstance(state, DictionaryObject):
            streams += [s.get_object() for s in state.values()]
    return streams


def _info_matches_xmp(reader: PdfReader, xmp: ET.Element, problems: list[str]) -> None:
    info = reader.trailer.get("/Info")
    info = info.get_object() if info is not None else DictionaryObject()
    pairs = {
        "/Title": ("dc", "title"),
        "/Author": ("dc", "creator"),
        "/Subject": ("dc", "description"),
        "/Keywords": ("pdf", "Keywords"),
        "/Creator": ("xmp", "CreatorTool"),
        "/Producer": ("pdf", "Producer"),
    }
    for key, (prefix, name) in pairs.items():
        if key not in info:
            continue
        in_xmp = _xmp_value(xmp, prefix, name)
        if in_xmp != str(info[key]):
            problems.append(
                f"document info {key} {str(info[key])!r} != XMP {prefix}:{name} {in_xmp!r}"
            )
    for key, name in (("/CreationDate", "CreateDate"), ("/ModDate", "ModifyDate")):
        if key not in info:
            continue
        in_info = _pdf_date(str(info[key]))
        raw = _xmp_value(xmp, "xmp", name)
        in_xmp = _xmp_date(raw) if raw else None
        if in_info is None or in_xmp is None or in_info != in_xmp.replace(microsecond=0):
            problems.append(f"document info {key} {info[key]} != XMP xmp:{name} {raw}")


def _embedded_files(root: DictionaryObject, problems: list[str]) -> list[str]:
    names_tree = (
        (root.get("/Names") or {}).get("/EmbeddedFiles") or DictionaryObject()
    ).get_object()
    flat = list(names_tree.get("/Names") or [])
    names = [str(n) for n in flat[0::2]]
    specs = [s for s in flat[1::2]]
    for name in set(names):
        if names.count(name) > 1:
            problems.append(f"embedded file {name} is named {names.count(name)} times")
    listed = [
        entry.idnum if isinstance(entry, IndirectObject) else id(entry)
        for entry in (root.get("/AF") or ArrayObject())
    ]
    for ref in set(listed):
        if listed.count(ref) > 1:
            problems.append(f"the catalog's /AF lists one file {listed.count(ref)} times")
    for name, ref in zip(names, specs, strict=True):
        spec = ref.get_object()
        if not isinstance(ref, IndirectObject) or ref.idnum not in listed:
            problems.append(f"embedded file {name} is not in the catalog's /AF")
        if "/AFRelationship" not in spec:
            problems.append(f"embedded file {name} has no /AFRelationship")
        if "/F" not in spec or "/UF" not in spec:
            problems.append(f"embedded file {name} lacks /F or /UF")
        stream = spec["/EF"]["/F"].get_object()
        if "/Subtype" not in stream:
            problems.append(f"embedded file {name} has no MIME type")
        if "/ModDate" not in (stream.get("/Params") or {}):
            problems.append(f"embedded file {name} has no /Params /ModDate")
    return names


def pdfa3b_problems(data: bytes) -> list[str]:
    """Every PDF/A-3b rule above that `data` breaks; empty when it passes them all."""
    problems: list[str] = []
    if not re.match(rb"%PDF-1\.[0-7]\r?\n%[\x80-\xff]{4}", data):
        problems.append("header is not %PDF-1.n followed by a binary comment")
    if not data.endswith((b"%%EOF", b"%%EOF\n", b"%%EOF\r\n")):
        problems.append("data follows the last %%EOF")
    reader = PdfReader(io.BytesIO(data))
    trailer = reader.trailer
    if "/ID" not in trailer:
        problems.append("trailer has no /ID")
    if "/Encrypt" in trailer:
        problems.append("the file is encrypted")
    root = trailer["/Root"]
    intents = [i.get_object() for i in root.get("/OutputIntents") or []]
    if not any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents):
        problems.append("no /GTS_PDFA1 OutputIntent with an ICC profile")
    if "/Metadata" not in root:
        problems.append("no XMP metadata")
        return problems
    xmp = ET.fromstring(root["/Metadata"].get_object().get_data())  # noqa: S314
    if _xmp_value(xmp, "pdfaid", "part") != "3":
        problems.append("XMP pdfaid:part is not 3")
    if _xmp_value(xmp, "pdfaid", "conformance") != "B":
        problems.append("XMP pdfaid:conformance is not B")
    _info_matches_xmp(reader, xmp, problems)
    _embedded_files(root, problems)
    if "/JavaScript" in (root.get("/Names") or {}):
        problems.append("document-level JavaScript")
    seen: set[int] = set()
    for number, page in enumerate(reader.pages, start=1):
        _fonts(page.get("/Resources"), seen, problems, f"page {number}")
        for ref in page.get("/Annots") or []:
            annotation = ref.get_object()
            flags = int(annotation.get("/F", 0))
            if annotation.get("/Subtype") != "/Popup" and (
                not flags & PRINT or flags & (HIDDEN | INVISIBLE | NO_VIEW | TOGGLE_NO_VIEW)
            ):
                problems.append(
                    f"page {number}: {annotation.get('/Subtype')} annotation flags {flags}"
                )
            action = annotation.get("/A")
            if action is not None and action.get_object().get("/S") in ("/JavaScript", "/Launch"):
                problems.append(f"page {number}: a {action.get_object().get('/S')} action")
            for stream in _appearance_streams(annotation):
                _fonts(stream.get("/Resources"), seen, problems, f"page {number} annotation")
    return problems
