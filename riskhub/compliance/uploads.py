"""Evidence upload validation: the type is decided by the content, never by the name.

Accepted: PDF, PNG, JPEG, DOCX and XLSX (zip packages with the matching
[Content_Types].xml part, refused when their uncompressed size or compression ratio
looks like a zip bomb), and UTF-8 text without NUL bytes (TXT, CSV, JSON). A refused
file raises ValidationError with the reason, before anything is stored.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError

from riskhub.common import safejson
from riskhub.common.sizes import human_size

ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_MAX_ENTRIES = 5000
CONTENT_TYPES_MAX = 1024 * 1024
CHUNK = 64 * 1024

DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


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
    "txt": FileType("text", "text/plain", (".txt", ".csv", ".log", ".md")),
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


def _zip_kind(handle: IO[bytes], compressed_size: int) -> str:
    handle.seek(0)
    try:
        with zipfile.ZipFile(handle) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise ValidationError("The document holds too many parts to be a real document.")
            total = sum(info.file_size for info in entries)
            if total > ZIP_MAX_UNCOMPRESSED or total > ZIP_MAX_RATIO * max(compressed_size, 1):
                raise ValidationError(
                    "The document expands to far more than its size (a possible zip bomb); "
                    "it was refused."
                )
            try:
                info = archive.getinfo("[Content_Types].xml")
            except KeyError:
                raise ValidationError(
                    "Zip archives are not accepted; only DOCX and XLSX documents are."
                ) from None
            if info.file_size > CONTENT_TYPES_MAX:
                raise ValidationError("The document's [Content_Types].xml part is malformed.")
            with archive.open(info) as part:
                types = part.read(CONTENT_TYPES_MAX + 1).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError):
        raise ValidationError("The file looks like a zip document but cannot be read.") from None
    finally:
        handle.seek(0)
    if DOCX_MAIN in types:
        return "docx"
    if XLSX_MAIN in types:
        return "xlsx"
    raise ValidationError("Only Word (DOCX) and Excel (XLSX) documents are accepted among zips.")


def _text_kind(handle: IO[bytes], declared_ext: str) -> str:
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


def detect(handle: IO[bytes], declared_name: str, size: int) -> str:
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
    if head.startswith((b"MZ", b"\x7fELF", b"\xcf\xfa\xed\xfe", b"#!")):
        raise ValidationError("Executable files are not accepted as evidence.")
    return _text_kind(handle, declared_ext)


def check_upload(handle: IO[bytes], name: str, declared_size: int | None = None) -> CheckedFile:
    """Validate an uploaded file; raises ValidationError saying why it is refused."""
    limit = settings.EVIDENCE_MAX_BYTES
    if declared_size is not None and declared_size > limit:
        raise ValidationError(_too_big(limit))
    sha256, size = _digest(handle, limit)
    if size == 0:
        raise ValidationError("The file is empty.")
    clean = sanitise_name(name)
    kind = detect(handle, clean, size)
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
    if not ext:
        clean += file_type.extensions[0]
    return CheckedFile(clean, kind, file_type.content_type, size, sha256)
