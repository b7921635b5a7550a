"""How one report splits into WeasyPrint documents (chunks), and the work files they
travel in.

A report is one document when it has no long listing. A kind with a listing
(kinds.LISTINGS) longer than REPORT_CHUNK_ROWS rows becomes:

    0      head: cover, the chapters up to the listing, its first rows
    1..n   rows: the next REPORT_CHUNK_ROWS rows each (a table under the same header)
    n+1    tail: the chapters after the listing and "About this report"

Each chunk's context is a small JSON file written through the storage API by the
planning task, so any worker on any host can render any chunk with bounded memory: a
row chunk carries only the report's header fields and its rows. The head carries the
full data as the embedded attachments (JSON, and CSV for the listing).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from riskhub.common.exports import neutralise
from riskhub.env import env_int
from riskhub.reports.kinds import LISTINGS, Listing

CHUNK_ROWS = env_int("REPORT_CHUNK_ROWS", 1000, minimum=10)

# What a row chunk needs to draw its running header and its table (kinds/common.header
# plus the labels every kind adds); never a listing or a per-asset detail.
HEADER_KEYS = (
    "format",
    "kind",
    "title",
    "organisation",
    "as_of",
    "as_of_date",
    "historical",
    "parameters",
    "scope",
    "framework",
    "band_labels",
    "status_labels",
)


@dataclass(frozen=True)
class Part:
    """One document: which template parts it shows and which data it reads."""

    role: str  # "whole", "head", "rows" or "tail"
    context: dict[str, Any]
    label: str


def plan(kind: str, data: dict[str, Any], chunk_rows: int | None = None) -> list[Part]:
    size = chunk_rows or CHUNK_ROWS
    listing = LISTINGS.get(kind)
    rows = data.get(listing.key) if listing else None
    if listing is None or rows is None or len(rows) <= size:
        omit = set(listing.json_only) if listing else set()
        return [
            Part(
                "whole", {"data": {k: v for k, v in data.items() if k not in omit}}, "Whole report"
            )
        ]
    skip = {listing.key, *listing.json_only}
    light = {key: value for key, value in data.items() if key not in skip}
    header = {key: data[key] for key in HEADER_KEYS if key in data}
    total = len(rows)
    parts = [
        Part(
            "head",
            {"data": {**light, listing.key: rows[:size]}, "first_row": 0, "total_rows": total},
            f"{listing.section}, rows 1 to {min(size, total):,}",
        )
    ]
    for start in range(size, total, size):
        end = min(start + size, total)
        parts.append(
            Part(
                "rows",
                {
                    "data": header,
                    "rows": rows[start:end],
                    "first_row": start,
                    "last_row": end,
                    "total_rows": total,
                },
                f"{listing.section}, rows {start + 1:,} to {end:,}",
            )
        )
    parts.append(Part("tail", {"data": light}, "Closing chapters"))
    return parts


def listing_csv(listing: Listing, rows: list[dict[str, Any]]) -> bytes:
    """The listing's rows as CSV: one column per field (nested fields joined with a
    dot, lists as JSON), spreadsheet formulas neutralised like every export."""
    flat = [_flatten(row) for row in rows]
    columns: dict[str, None] = {}
    for row in flat:
        columns.update(dict.fromkeys(row))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(list(columns))
    for row in flat:
        writer.writerow([neutralise(row.get(column, "")) for column in columns])
    return out.getvalue().encode()


def _flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, item in value.items():
        name = f"{prefix}{key}"
        if isinstance(item, dict):
            flat.update(_flatten(item, name + "."))
        elif isinstance(item, list):
            flat[name] = json.dumps(item, sort_keys=True, default=str)
        elif item is None:
            flat[name] = ""
        else:
            flat[name] = item
    return flat


# --- work files (storage API) -----------------------------------------------------


def work_dir(report_uuid: Any, attempt: int) -> str:
    return f"reports/work/{report_uuid}/a{attempt}"


def save(name: str, content: bytes) -> str:
    """Store under `name` (or a fresh name next to it); return the stored name."""
    return default_storage.save(name, ContentFile(content))


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def delete(*names: str) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except Exception:  # noqa: BLE001, S110 - a missing work file is already gone
                pass
