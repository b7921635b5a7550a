"""Evidence upload validation: the type is decided by the content, never by the name,
and the claimed type is then parsed for real, so a file that only *starts* like an
accepted type is refused.

Accepted: PDF, PNG, JPEG, DOCX, XLSX and UTF-8 text (TXT, CSV, JSON). A refused file
raises ValidationError naming the reason, before anything is stored. Every check has a
bound on its work (bytes decompressed, pixels decoded, objects visited).

What each type must be:
- PDF: a cross-reference table and trailer pypdf reads in strict mode, at least one
  page, nothing but padding after the last ``%%EOF``, and no active content:
  JavaScript, launch actions (they start programs), rich media (Flash) and XFA forms
  (scripted) are refused. Attachments are allowed, because PDF/A-3 reports (RiskHub's
  own among them) carry their data as an embedded file, but an attached executable
  (by name or by content) is refused. A PDF that needs a password to open cannot be
  checked and is refused.
- PNG and JPEG: Pillow decodes the whole image (at most IMAGE_MAX_PIXELS), and
  nothing but a little padding may follow the image end (IEND, EOI): data after it is
  how an image/script polyglot is built. Text metadata must not hold a script tag.
- DOCX and XLSX: a zip with the matching [Content_Types].xml. Every member is
  decompressed while counting the real bytes (declared sizes are not trusted; a member
  whose real size differs from its declared one is refused), and refused are: unsafe
  or duplicate member names, executables (by extension or by magic: MZ, ELF, Mach-O,
  ``#!``), macros (vbaProject.bin, macro-enabled content types, Excel 4 macro sheets,
  ActiveX), embedded OLE packages (they wrap any file, programs included) and
  relationships that load content from outside the document (remote templates,
  linked OLE objects), hyperlinks excepted.
- Text: UTF-8 without NUL bytes, and no HTML: a file that begins like a web page or
  holds a script/iframe/object/embed tag is refused, since only PDF is accepted for
  web pages and reports.
"""

from __future__ import annotations

import hashlib
import io
import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse

from riskhub.common import safejson
from riskhub.common.sizes import human_size

if TYPE_CHECKING:
    from riskhub.compliance.models import Evidence

ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 5000
CONTENT_TYPES_MAX = 1024 * 1024
CHUNK = 64 * 1024
# Padding (NUL bytes, whitespace) some tools leave after an image or PDF end; anything
# else after the end, or more than this, is refused.
TRAILING_TOLERANCE = 1024
IMAGE_MAX_PIXELS = 40_000_000
PDF_MAX_OBJECTS = 200_000
PDF_MAX_NODES = 2_000_000
PDF_MAX_ATTACHMENTS = 50

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"

EXECUTABLE_EXTENSIONS = frozenset(
    ".exe .dll .com .scr .pif .cpl .msi .msp .msc .sys .drv .ocx .bat .cmd .ps1 .psm1 "
    ".vbs .vbe .js .jse .wsf .wsh .hta .lnk .reg .jar .class .apk .app .dmg .pkg .deb "
    ".rpm .sh .bash .zsh .csh .ksh .py .pl .rb .php .elf .so .dylib .appimage "
    ".gadget .inf .url .scf .iso .img".split()
)
MACRO_CONTENT_TYPES = ("macroenabled", "vbaproject", "activex", "macrosheet", "vbadata")
MACRO_PART = re.compile(
    r"(^|/)(vbaproject\.bin|vbadata\.xml)$|(^|/)(macrosheets|activex)/", re.IGNORECASE
)
# The UTF-16 name of the stream an OLE "Package" object keeps its wrapped file in.
OLE_PACKAGE_STREAM = "Ole10Native".encode("utf-16-le")
RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.IGNORECASE)
EXTERNAL_TARGET = re.compile(rb"""TargetMode\s*=\s*["']External["']""", re.IGNORECASE)
HYPERLINK_TYPE = re.compile(rb"""Type\s*=\s*["'][^"']*/hyperlink["']""", re.IGNORECASE)
RELATIONSHIP_TARGET = re.compile(rb"""Target\s*=\s*["']([^"']*)["']""", re.IGNORECASE)

# How a browser recognises a web page from its first bytes (WHATWG MIME sniffing), and
# the tags that run or embed content anywhere in a page.
HTML_START = re.compile(
    r"\s*(<!doctype\s+html|<\?xml|<!--|<(html|head|body|script|iframe|svg|style|title|"
    r"div|table|font|h1|br|p|a|b)(?=[\s>/]))",
    re.IGNORECASE,
)
ACTIVE_TAG = re.compile(r"<(script|iframe|object|embed)(?=[\s>/])", re.IGNORECASE)


@dataclass(frozen=True)
class FileType:
    label: str
    content_type: str
    extensions: tuple[str, ...]


TYPES = {
    "pdf": FileType("PDF", "application/pdf", (".pdf",)),
    "png": FileType("PNG image", "image/png", (".png",)),
    "jpeg": FileType("JPEG image", "image/jpeg", (".jpg", ".jpeg")),
    "docx": FileType(
        "Word document (DOCX)",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
    "xlsx": FileType(
        "Excel workbook (XLSX)",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
    ),
    "json": FileType("JSON", "application/json", (".json", ".txt")),
    "csv": FileType("CSV", "text/csv", (".csv", ".txt")),
    "txt": FileType("text", "text/plain", (".txt", ".csv", ".log", ".md", ".jsonl")),
}
ACCEPTED_HELP = "PDF, PNG, JPEG, TXT, CSV, JSON, XLSX or DOCX"


@dataclass(frozen=True)
class CheckedFile:
    name: str
    kind: str
    content_type: str
    size: int
    sha256: str

    @property
    def extension(self) -> str:
        return TYPES[self.kind].extensions[0]


def sanitise_name(raw: str) -> str:
    """A display and download name: no directories, no control characters, no
    leading dots, at most 150 characters."""
    name = unicodedata.normalize("NFKC", raw or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = re.sub(r"[^\w .()+-]", "_", name).strip().lstrip(".")
    name = re.sub(r"\s+", " ", name)
    if len(name) > 150:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 140 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else name[:150]
    return name or "evidence"


def _digest(handle: IO[bytes], limit: int) -> tuple[str, int]:
    handle.seek(0)
    digest = hashlib.sha256()
    size = 0
    while chunk := handle.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise ValidationError(_too_big(limit))
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest(), size


def _too_big(limit: int) -> str:
    return f"The file is larger than the {human_size(limit)} limit for evidence."


def executable_signature(head: bytes) -> str | None:
    """What kind of program the first bytes announce, or None."""
    if head.startswith(b"MZ"):
        return "Windows program"
    if head.startswith(b"\x7fELF"):
        return "Linux program"
    if head[:4] in (
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
    ):
        return "macOS program"
    if head.startswith(b"#!"):
        return "script"
    return None


def _is_padding(data: bytes) -> bool:
    return len(data) <= TRAILING_TOLERANCE and not data.strip(b"\x00\t\n\r\x0c ")


def _holds_markup(text: str) -> str | None:
    """Why the text would be taken for a web page or runs a script, or None."""
    if HTML_START.match(text):
        return "it begins like a web page"
    if tag := ACTIVE_TAG.search(text):
        return f"it holds a <{tag.group(1).lower()}> tag"
    return None


# --- zip packages (DOCX, XLSX) ----------------------------------------------------------


class _Package:
    """Reads a zip's members from their local headers, decompressing for real.

    zipfile trusts the declared sizes (it stops reading a member at its declared size),
    so each member is inflated here with zlib, counting what actually comes out."""

    def __init__(self, handle: IO[bytes], size: int) -> None:
        self.handle = handle
        self.budget = min(ZIP_MAX_UNCOMPRESSED, ZIP_MAX_RATIO * max(size, 1))
        self.spent = 0
        self.label = "document"
        handle.seek(0)
        try:
            self.entries = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
            raise ValidationError(
                "The file looks like a zip document but cannot be read."
            ) from None
        if len(self.entries) > ZIP_MAX_ENTRIES:
            raise ValidationError("The document holds too many parts to be a real document.")
        declared = sum(info.file_size for info in self.entries)
        if declared > self.budget:
            raise ValidationError(
                "The document expands to far more than its size (a possible zip bomb); "
                "it was refused."
            )

    def _damaged(self, info: zipfile.ZipInfo) -> ValidationError:
        return ValidationError(
            f"The {self.label} is damaged: its part {info.filename} cannot be read."
        )

    def chunks(self, info: zipfile.ZipInfo) -> Iterator[bytes]:
        """The member's real decompressed bytes; refuses a size that differs from the
        declared one, and stops as soon as the package spends its budget."""
        if info.flag_bits & 0x1:
            raise ValidationError(f"The {self.label} is encrypted and cannot be checked.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValidationError(
                f"The {self.label} uses a compression method Office does not write "
                f"({info.filename})."
            )
        handle = self.handle
        handle.seek(info.header_offset)
        header = handle.read(30)
        if len(header) != 30 or header[:4] != b"PK\x03\x04":
            raise self._damaged(info)
        name_length, extra_length = struct.unpack("<HH", header[26:30])
        encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
        if handle.read(name_length) != info.orig_filename.encode(encoding, "replace"):
            # Two names for one part: zip readers would disagree about what it holds.
            raise self._damaged(info)
        handle.seek(extra_length, io.SEEK_CUR)
        left = info.compress_size
        inflater = zlib.decompressobj(-zlib.MAX_WBITS)
        crc = 0
        real = 0

        def counted(data: bytes) -> bytes:
            nonlocal crc, real
            real += len(data)
            self.spent += len(data)
            if self.spent > self.budget:
                raise ValidationError(
                    f"The {self.label} expands to far more than its size when decompressed "
                    "(a possible zip bomb); it was refused."
                )
            if real > info.file_size:
                raise self._size_lie(info)
            crc = zlib.crc32(data, crc)
            return data

        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                raise self._damaged(info)
            left -= len(data)
            if info.compress_type == zipfile.ZIP_STORED:
                yield counted(data)
                continue
            try:
                out = inflater.decompress(data, CHUNK)
                yield counted(out)
                while inflater.unconsumed_tail or len(out) == CHUNK:
                    out = inflater.decompress(inflater.unconsumed_tail, CHUNK)
                    yield counted(out)
            except zlib.error:
                raise self._damaged(info) from None
        if info.compress_type == zipfile.ZIP_DEFLATED and (
            not inflater.eof or inflater.unused_data
        ):
            # The compressed data does not end where the header says it does.
            raise self._size_lie(info)
        if real != info.file_size:
            raise self._size_lie(info)
        if crc != info.CRC:
            raise self._damaged(info)

    def _size_lie(self, info: zipfile.ZipInfo) -> ValidationError:
        return ValidationError(
            f"The {self.label}'s part {info.filename} is not the size its header declares "
            f"({human_size(info.file_size)}); a zip whose sizes lie is refused."
        )

    def read(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        parts: list[bytes] = []
        total = 0
        for data in self.chunks(info):
            total += len(data)
            if total > limit:
                raise ValidationError(f"The {self.label}'s part {info.filename} is malformed.")
            parts.append(data)
        return b"".join(parts)


def _unsafe_member_name(name: str) -> bool:
    parts = name.split("/")
    return (
        not name
        or name.startswith("/")
        or "\\" in name
        or "\x00" in name
        or re.match(r"^[A-Za-z]:", name) is not None
        or ".." in parts
    )


def check_office_package(handle: IO[bytes], compressed_size: int) -> str:
    """ "docx" or "xlsx" for a safe Office package (no zip bomb, macros, executables,
    unsafe names or external content), else ValidationError; the handle is rewound. The
    inventory's XLSX import uses it too, before any parser opens the file."""
    return _zip_kind(handle, compressed_size)


def _zip_kind(handle: IO[bytes], compressed_size: int) -> str:
    try:
        return _check_package(handle, compressed_size)
    finally:
        handle.seek(0)


def _check_package(handle: IO[bytes], compressed_size: int) -> str:
    package = _Package(handle, compressed_size)
    by_name = {info.filename: info for info in package.entries}
    if "[Content_Types].xml" not in by_name:
        raise ValidationError("Zip archives are not accepted; only DOCX and XLSX documents are.")
    types = package.read(by_name["[Content_Types].xml"], CONTENT_TYPES_MAX).decode(
        "utf-8", "replace"
    )
    if DOCX_MAIN in types:
        kind = "docx"
    elif XLSX_MAIN in types:
        kind = "xlsx"
    else:
        raise ValidationError(
            "Only Word (DOCX) and Excel (XLSX) documents are accepted among zips."
        )
    label = package.label = kind.upper()
    macro_advice = f"save it as a macro-free .{kind} and upload that."
    lowered = types.lower()
    if any(marker in lowered for marker in MACRO_CONTENT_TYPES):
        raise ValidationError(f"The {label} contains macros or ActiveX controls; {macro_advice}")
    if len(by_name) != len(package.entries):
        raise ValidationError(f"The {label} names the same part twice; it was refused.")
    for info in package.entries:
        name = info.filename
        if _unsafe_member_name(name):
            raise ValidationError(f"The {label} contains a part with an unsafe name: {name}")
        if info.is_dir():
            continue
        if MACRO_PART.search(name):
            raise ValidationError(f"The {label} contains macros ({name}); {macro_advice}")
        suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else ""
        if suffix in EXECUTABLE_EXTENSIONS:
            raise ValidationError(f"The {label} contains an executable file: {name}")
        _check_member(package, info, label)
    return kind


def _check_member(package: _Package, info: zipfile.ZipInfo, label: str) -> None:
    name = info.filename
    is_rels = name.lower().endswith(".rels")
    is_ole = name.lower().endswith(".bin")
    head = b""
    tail = b""
    kept: list[bytes] = []
    kept_size = 0
    for data in package.chunks(info):
        if len(head) < 64:
            head += data[: 64 - len(head)]
        if is_ole:
            window = tail + data
            if OLE_PACKAGE_STREAM in window:
                raise ValidationError(
                    f"The {label} contains an embedded package ({name}), which can carry "
                    "any file, programs included; insert the content itself instead."
                )
            tail = window[-len(OLE_PACKAGE_STREAM) :]
        if is_rels:
            kept_size += len(data)
            if kept_size > CONTENT_TYPES_MAX:
                raise ValidationError(f"The {label}'s part {name} is malformed.")
            kept.append(data)
    if program := executable_signature(head):
        raise ValidationError(f"The {label} contains an executable file: {name} ({program})")
    if is_rels:
        for relationship in RELATIONSHIP.findall(b"".join(kept)):
            if EXTERNAL_TARGET.search(relationship) and not HYPERLINK_TYPE.search(relationship):
                target = RELATIONSHIP_TARGET.search(relationship)
                where = target.group(1).decode("utf-8", "replace")[:200] if target else ""
                raise ValidationError(
                    f"The {label} loads content from outside the document ({where}), for "
                    "example a remote template or a linked object; embed the content "
                    "and upload it again."
                )


# --- PDF ----------------------------------------------------------------------------------


def _pdf_refused(reason: str) -> ValidationError:
    return ValidationError(
        f"This PDF {reason}; it was refused. Save it again (for example with Print to PDF) "
        "and upload that."
    )


def _resolved(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def _check_pdf(handle: IO[bytes], size: int) -> None:
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

    handle.seek(max(0, size - 4096))
    tail = handle.read()
    end = tail.rfind(b"%%EOF")
    if end < 0:
        raise _pdf_refused("has no valid structure (no end-of-file marker)")
    if not _is_padding(tail[end + 5 :]):
        raise _pdf_refused("has data after its end (%%EOF), as a hidden file or script would")
    handle.seek(0)
    try:
        reader = PdfReader(handle, strict=True)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ValidationError(
                "This PDF is protected by a password and cannot be checked; upload it "
                "without the password."
            )
        if len(reader.pages) < 1:
            raise _pdf_refused("has no pages")
        # Every object the cross-reference tables list (generation included), plus
        # those packed in object streams: what any viewer can reach.
        numbers = {(n, gen) for gen, table in reader.xref.items() for n in table}
        numbers |= {(n, 0) for n in reader.xref_objStm}
        if len(numbers) > PDF_MAX_OBJECTS:
            raise _pdf_refused("holds too many objects to be checked")
        visited = 0
        attachments = 0
        stack: list[Any] = [reader.trailer]
        stack.extend(IndirectObject(n, gen, reader).get_object() for n, gen in sorted(numbers))
        while stack:
            node = stack.pop()
            visited += 1
            if visited > PDF_MAX_NODES:
                raise _pdf_refused("is too complex to be checked")
            if isinstance(node, ArrayObject):
                stack.extend(v for v in node if isinstance(v, DictionaryObject | ArrayObject))
                continue
            if not isinstance(node, DictionaryObject):
                continue
            action = _resolved(node.get("/S"))
            if "/JS" in node or "/JavaScript" in node or action == "/JavaScript":
                raise _pdf_refused("contains JavaScript")
            if action == "/Launch":
                raise _pdf_refused("contains a launch action, which can start programs")
            if _resolved(node.get("/Subtype")) == "/RichMedia" or "/RichMedia" in node:
                raise _pdf_refused("contains rich media (Flash)")
            if "/XFA" in node:
                raise _pdf_refused("contains an XFA form, which can run scripts")
            if "/EF" in node:
                for key in ("/UF", "/F", "/DOS", "/Unix", "/Mac"):
                    attached = str(_resolved(node.get(key)) or "")
                    suffix = "." + attached.rsplit(".", 1)[-1].lower() if "." in attached else ""
                    if suffix in EXECUTABLE_EXTENSIONS:
                        raise _pdf_refused(f"has an executable file attached: {attached}")
            if isinstance(node, StreamObject) and _resolved(node.get("/Type")) == "/EmbeddedFile":
                attachments += 1
                if attachments > PDF_MAX_ATTACHMENTS:
                    raise _pdf_refused("has too many attached files to be checked")
                if program := executable_signature(node.get_data()[:64]):
                    raise _pdf_refused(f"has an executable file attached ({program})")
            stack.extend(v for v in node.values() if isinstance(v, DictionaryObject | ArrayObject))
    except ValidationError:
        raise
    except Exception:  # pypdf raises many kinds on hostile input; all mean "not a PDF"
        raise _pdf_refused(
            "has no valid structure (its cross-reference table is missing or damaged)"
        ) from None
    finally:
        handle.seek(0)


# --- images -------------------------------------------------------------------------------


class _Damaged(Exception):
    pass


def _png_end(data: bytes) -> int:
    """Offset just after the IEND chunk; refuses a script in a text chunk."""
    position = 8
    while True:
        if position + 12 > len(data):
            raise _Damaged
        length, chunk_type = struct.unpack(">I4s", data[position : position + 8])
        end = position + 12 + length
        if end > len(data):
            raise _Damaged
        if chunk_type in (b"tEXt", b"iTXt"):
            _refuse_markup_in_metadata(data[position + 8 : end - 4], "PNG image")
        position = end
        if chunk_type == b"IEND":
            return position


def _jpeg_end(data: bytes) -> int:
    """Offset just after the EOI marker, walking segments and entropy-coded scans."""
    position = 2
    size = len(data)
    while position + 1 < size:
        if data[position] != 0xFF:
            raise _Damaged
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            position += 2
            continue
        if position + 4 > size:
            raise _Damaged
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if length < 2:
            raise _Damaged
        if marker == 0xFE:
            _refuse_markup_in_metadata(data[position + 4 : position + 2 + length], "JPEG image")
        position += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker
            while True:
                found = data.find(b"\xff", position)
                if found < 0 or found + 1 >= size:
                    raise _Damaged
                following = data[found + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position = found + 2
                elif following == 0xFF:
                    position = found + 1
                else:
                    position = found
                    break
    raise _Damaged


def _refuse_markup_in_metadata(raw: bytes, label: str) -> None:
    if ACTIVE_TAG.search(raw.decode("latin-1")):
        raise ValidationError(f"This {label} hides a script in its metadata; it was refused.")


def _check_image(handle: IO[bytes], kind: str) -> None:
    from PIL import Image

    label, marker, expected = {
        "png": ("PNG image", "IEND", "PNG"),
        "jpeg": ("JPEG image", "EOI", "JPEG"),
    }[kind]
    handle.seek(0)
    data = handle.read()  # bounded by EVIDENCE_MAX_BYTES (checked before)
    handle.seek(0)
    damaged = ValidationError(
        f"This {label} cannot be decoded (it is damaged or not really a {expected}); "
        "it was refused."
    )
    try:
        end = _png_end(data) if kind == "png" else _jpeg_end(data)
    except (_Damaged, struct.error):
        raise damaged from None
    if not _is_padding(data[end:]):
        raise ValidationError(
            f"This {label} has {human_size(len(data) - end)} of data after the image end "
            f"({marker}), as a hidden file or script would; export the image again and "
            "upload that."
        )
    try:
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise ValidationError(
                    f"This {label} is larger than {IMAGE_MAX_PIXELS // 1_000_000} megapixels "
                    "(a possible decompression bomb); reduce it and upload it again."
                )
            image.verify()
        with Image.open(io.BytesIO(data), formats=[expected]) as image:
            if kind == "jpeg":
                # Decode every scan at 1/8 scale: the whole file is read, a fraction
                # of the memory is used.
                image.draft(image.mode, (image.width // 8 or 1, image.height // 8 or 1))
            image.load()
    except ValidationError:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, struct.error, Image.DecompressionBombError):
        raise damaged from None


# --- text ---------------------------------------------------------------------------------


def _text_kind(handle: IO[bytes], declared_ext: str, allow_markup: bool = False) -> str:
    handle.seek(0)
    data = handle.read()
    handle.seek(0)
    if b"\x00" in data:
        raise ValidationError(
            f"The content is not one of the accepted types ({ACCEPTED_HELP}); "
            "executables and other binary files are refused."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            f"The content is not one of the accepted types ({ACCEPTED_HELP}); text files "
            "must be UTF-8."
        ) from None
    if not allow_markup and (reason := _holds_markup(text)):
        named = f"named {declared_ext}" if declared_ext else "a text file"
        raise ValidationError(
            f"The file is {named} but contains HTML ({reason}); web pages and reports "
            "are accepted as PDF only."
        )
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            safejson.loads(text)
            return "json"
        except safejson.JSONInputError as exc:
            if declared_ext == ".json":
                raise ValidationError(f"The JSON file is refused: {exc.msg}.") from None
        except ValueError:
            if declared_ext == ".json":
                raise ValidationError("The file is named .json but is not valid JSON.") from None
    if declared_ext == ".csv":
        return "csv"
    return "txt"


def detect(handle: IO[bytes], declared_name: str, size: int, allow_markup: bool = False) -> str:
    handle.seek(0)
    head = handle.read(8)
    handle.seek(0)
    declared_ext = ("." + declared_name.rsplit(".", 1)[-1].lower()) if "." in declared_name else ""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _zip_kind(handle, size)
    if executable_signature(head):
        raise ValidationError("Executable files are not accepted as evidence.")
    return _text_kind(handle, declared_ext, allow_markup)


def check_content(handle: IO[bytes], kind: str, size: int) -> None:
    """Parse what the content claims to be; zips and text are parsed by detect()."""
    if kind == "pdf":
        _check_pdf(handle, size)
    elif kind in ("png", "jpeg"):
        _check_image(handle, kind)


def check_upload(
    handle: IO[bytes], name: str, declared_size: int | None = None, *, allow_markup: bool = False
) -> CheckedFile:
    """Validate an uploaded file; raises ValidationError saying why it is refused.

    `allow_markup`: a security scan report (riskhub.scans) quotes the attacks it tried,
    script tags included, so its text may hold markup; it is still only ever served as
    an attachment that is never sniffed (`download_response`)."""
    limit = settings.EVIDENCE_MAX_BYTES
    if declared_size is not None and declared_size > limit:
        raise ValidationError(_too_big(limit))
    sha256, size = _digest(handle, limit)
    if size == 0:
        raise ValidationError("The file is empty.")
    clean = sanitise_name(name)
    kind = detect(handle, clean, size, allow_markup)
    file_type = TYPES[kind]
    ext = ("." + clean.rsplit(".", 1)[-1].lower()) if "." in clean else ""
    known = {e for t in TYPES.values() for e in t.extensions}
    if ext and ext not in file_type.extensions:
        if ext in known:
            raise ValidationError(
                f"The file is named {ext} but its content is {file_type.label}; rename it or "
                "upload the real document."
            )
        raise ValidationError(
            f"Files ending in {ext} are not accepted; upload {ACCEPTED_HELP} evidence."
        )
    check_content(handle, kind, size)
    if not ext:
        clean += file_type.extensions[0]
    return CheckedFile(clean, kind, file_type.content_type, size, sha256)


# --- download -----------------------------------------------------------------------------


def download_response(evidence: Evidence) -> FileResponse:
    """The one way a stored evidence file leaves RiskHub (HTML page and API alike):
    always an attachment, never sniffed, sandboxed should a browser render it anyway,
    and not kept in any cache."""
    response = FileResponse(
        default_storage.open(evidence.file.name or "", "rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
