"""Import and export of the inventory: CSV, JSON, XLSX and CycloneDX."""

from __future__ import annotations

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
    export_csv,
    export_json,
    export_xlsx,
    read_csv,
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
    "import_file",
    "version_problem",
]


def file_format(name: str, data: bytes) -> str:
    """csv | json | cyclonedx | cyclonedx-xml | unknown, from the extension (and a
    BOM's bomFormat or XML namespace)."""
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
    return "unknown"


def import_file(*, actor: User, name: str, data: bytes) -> ImportReport:
    """Validate and import one file; nothing is written if any row is bad."""
    limit = settings.IMPORT_MAX_BYTES
    if len(data) > limit:
        report = ImportReport()
        report.errors.append(
            RowError(
                0,
                "",
                f"The file is {human_size(len(data))}; the limit is {human_size(limit)}. "
                "Split it into smaller files.",
            )
        )
        return report
    fmt = file_format(name, data)
    bom = fmt.startswith("cyclonedx")
    line_label = "Component" if bom else {"json": "Record"}.get(fmt, "Line")
    skipped: dict[str, int] = {}
    try:
        if fmt == "csv":
            header, rows = read_csv(data)
        elif fmt == "json":
            header, rows = read_json(data)
        elif bom:
            read = read_bom(data, "xml" if fmt == "cyclonedx-xml" else "json")
            header, rows, skipped = read.header, read.rows, dict(read.skipped)
        else:
            raise FileError(
                "Unknown file type: upload a .csv, a .json, or a CycloneDX BOM "
                "(.cdx.json or .cdx.xml)."
            )
    except FileError as exc:
        report = ImportReport(line_label=line_label)
        report.errors.append(RowError(exc.line, exc.column, exc.reason))
        return report
    report = run_import(
        actor=actor,
        header=header,
        rows=rows,
        match_by_name=bom,
        line_label=line_label,
    )
    report.skipped = skipped
    return report
