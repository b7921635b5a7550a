"""Import and export of the inventory: CSV, JSON, XLSX and CycloneDX."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

from django.conf import settings

from riskhub.accounts.models import User
from riskhub.common.sizes import human_size
from riskhub.inventory.io.cyclonedx import (
    SPEC_VERSION,
    SPEC_VERSIONS,
    build_bom,
    export_cyclonedx,
    read_bom,
    version_problem,
)
from riskhub.inventory.io.importer import ImportReport, RowError, run_import
from riskhub.inventory.io.tabular import (
    HEADER,
    FileError,
    RawRow,
    export_csv,
    export_json,
    export_xlsx,
    iter_csv,
    iter_xlsx,
    read_json,
)

__all__ = [
    "HEADER",
    "SPEC_VERSION",
    "SPEC_VERSIONS",
    "ImportReport",
    "RowError",
    "build_bom",
    "export_csv",
    "export_cyclonedx",
    "export_json",
    "export_xlsx",
    "file_format",
    "human_size",
    "count_rows",
    "import_file",
    "import_stream",
    "open_source",
    "size_problem",
    "version_problem",
]


XLSX_MAGIC = b"PK\x03\x04"


def file_format(name: str, data: bytes) -> str:
    """csv | json | xlsx | cyclonedx | cyclonedx-xml | unknown, from the extension (and a
    BOM's bomFormat or XML namespace, a workbook's zip signature); `data` is the start of
    the file (4 KiB are enough)."""
    lower = name.lower()
    if lower.endswith((".cdx.json", ".bom.json")):
        return "cyclonedx"
    if lower.endswith(".json"):
        return "cyclonedx" if b'"bomFormat"' in data[:4096] else "json"
    if lower.endswith((".cdx.xml", ".bom.xml")):
        return "cyclonedx-xml"
    if lower.endswith(".xml"):
        return "cyclonedx-xml" if b"cyclonedx.org/schema/bom" in data[:4096] else "unknown"
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith(".xlsx"):
        return "xlsx" if data.startswith(XLSX_MAGIC) else "unknown"
    return "unknown"


@dataclass
class Source:
    """An uploaded file opened for import: its columns and its rows, read lazily."""

    fmt: str
    header: list[str]
    rows: Iterator[RawRow]
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def is_bom(self) -> bool:
        return self.fmt.startswith("cyclonedx")

    @property
    def line_label(self) -> str:
        return line_label(self.fmt)


def line_label(fmt: str) -> str:
    return "Component" if fmt.startswith("cyclonedx") else {"json": "Record"}.get(fmt, "Line")


def open_source(name: str, stream: IO[bytes]) -> Source:
    """Open a file for import; CSV and XLSX stream, JSON and BOMs are documents read
    whole (they are bounded by IMPORT_MAX_BYTES). Raises FileError."""
    head = stream.read(4096)
    stream.seek(0)
    fmt = file_format(name, head)
    if fmt == "csv":
        header, rows = iter_csv(stream)
        return Source(fmt, header, rows)
    if fmt == "xlsx":
        header, rows = iter_xlsx(stream)
        return Source(fmt, header, rows)
    if fmt in ("json", "cyclonedx", "cyclonedx-xml"):
        limit = settings.IMPORT_DOCUMENT_MAX_BYTES
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise FileError(
                f"JSON and CycloneDX files are read whole; the limit for them is "
                f"{human_size(limit)}. Split the file, or use CSV (read as a stream, up to "
                f"{human_size(settings.IMPORT_MAX_BYTES)})."
            )
        if fmt == "json":
            header, listed = read_json(data)
            return Source(fmt, header, iter(listed))
        read = read_bom(data, "xml" if fmt == "cyclonedx-xml" else "json")
        return Source(fmt, read.header, iter(read.rows), dict(read.skipped))
    raise FileError(
        "Unknown file type: upload a .csv, a .json, an .xlsx workbook, or a CycloneDX BOM "
        "(.cdx.json or .cdx.xml)."
    )


def count_rows(name: str, stream: IO[bytes], *, stop_after: int | None = None) -> int:
    """How many rows the file holds (a streaming pass), or `stop_after` once it holds
    that many; raises FileError. The stream is rewound."""
    total = 0
    for _ in open_source(name, stream).rows:
        total += 1
        if stop_after is not None and total >= stop_after:
            break
    stream.seek(0)
    return total


def size_problem(size: int) -> str:
    limit = settings.IMPORT_MAX_BYTES
    if size <= limit:
        return ""
    return (
        f"The file is {human_size(size)}; the limit is {human_size(limit)}. "
        "Split it into smaller files."
    )


def import_stream(
    *,
    actor: User,
    name: str,
    stream: IO[bytes],
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Validate and import one file, reading it as a stream; nothing is written if any
    row is bad. `before_commit` runs inside the import's transaction when it succeeds."""
    label = line_label(file_format(name, stream.read(4096)))
    stream.seek(0)
    try:
        source = open_source(name, stream)
        report = run_import(
            actor=actor,
            header=source.header,
            rows=source.rows,
            match_by_name=source.is_bom,
            line_label=source.line_label,
            progress=progress,
            before_commit=before_commit,
            skipped=source.skipped,
        )
    except FileError as exc:
        report = ImportReport(line_label=label)
        report.errors.append(RowError(exc.line, exc.column, exc.reason))
        return report
    return report


def import_file(*, actor: User, name: str, data: bytes) -> ImportReport:
    """Validate and import one file held in memory (small uploads, the command line)."""
    problem = size_problem(len(data))
    if problem:
        report = ImportReport()
        report.errors.append(RowError(0, "", problem))
        return report
    return import_stream(actor=actor, name=name, stream=io.BytesIO(data))
