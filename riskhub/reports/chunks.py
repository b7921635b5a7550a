"""How one report splits into WeasyPrint documents (chunks), and the work files they
travel in.

A report is one document when it has no long listing. A listing (the kind's own,
kinds.LISTINGS, or the exceptions register and the evidence references every kind
carries, kinds.ASSURANCE_LISTINGS) longer than REPORT_CHUNK_ROWS rows splits it:

    head   cover, the chapters up to the first long listing, its first rows
    rows   the next rows each (a table under the same header): REPORT_CHUNK_ROWS rows,
           fewer for a listing whose rows weigh more (Listing.weight: the register's)
    tail   the chapters after it, up to the next long listing's first rows (whose
           rows follow), and finally "About this report"

Each chunk's context is a small JSON file written through the storage API by the
planning task, so any worker on any host can render any chunk with bounded memory: a
row chunk carries only the report's header fields and its rows. The head carries the
full data as the embedded attachments (JSON, and CSV for the listing).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from riskhub.common.exports import neutralise
from riskhub.env import env_int
from riskhub.reports.kinds import ASSURANCE_LISTINGS, LISTINGS, Listing

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


# The blocks of a report, in print order: the head (cover and the kind's own chapters,
# its listing among them), then what every kind carries (kinds/common.assurance_sections):
# the scope and period (A), the exceptions register (B), the evidence references (C),
# and the method with the sign-off.
BLOCKS = ("head", "scope", "exceptions", "evidence", "method")


def _listing_of(kind: str, block: str) -> Listing | None:
    if block == "head":
        return LISTINGS.get(kind)
    return ASSURANCE_LISTINGS.get(block)


def plan(kind: str, data: dict[str, Any], chunk_rows: int | None = None) -> list[Part]:
    """The documents of one report, in order. A document takes blocks until a block's
    listing is longer than one chunk: it shows that listing's first rows, the next rows
    go into row chunks, and the blocks after it start a new document. So the register
    of 60,000 risks, the exceptions register and the evidence of 10,000 assets each
    render in chunks of bounded size."""
    listings = {
        block: listing
        for block in BLOCKS
        if (listing := _listing_of(kind, block)) is not None and listing.key in data
    }
    omit = {key for listing in listings.values() for key in (listing.key, *listing.json_only)}
    light = {key: value for key, value in data.items() if key not in omit}
    header = {key: data[key] for key in HEADER_KEYS if key in data}
    totals = {listing.key: len(data[listing.key] or []) for listing in listings.values()}
    documents: list[tuple[list[str], dict[str, Any]]] = []
    rows_after: dict[int, list[Part]] = {}
    blocks: list[str] = []
    shown: dict[str, Any] = {}
    for block in BLOCKS:
        blocks.append(block)
        listing = listings.get(block)
        if listing is None:
            continue
        rows = data[listing.key] or []
        size = listing.rows_per_chunk(chunk_rows or CHUNK_ROWS)
        shown[listing.key] = rows[:size]
        if len(rows) <= size:
            continue
        documents.append((blocks, shown))
        rows_after[len(documents) - 1] = [
            Part(
                "rows",
                {
                    "data": header,
                    "listing": listing.key,
                    "rows": rows[start : start + size],
                    "first_row": start,
                    "last_row": min(start + size, len(rows)),
                    "total_rows": len(rows),
                },
                f"{listing.section}, rows {start + 1:,} to {min(start + size, len(rows)):,}",
            )
            for start in range(size, len(rows), size)
        ]
        blocks, shown = [], {}
    if blocks:
        documents.append((blocks, shown))
    if len(documents) == 1 and not rows_after:
        return [
            Part("whole", {"data": {**light, **shown}, "listing_totals": totals}, "Whole report")
        ]
    parts: list[Part] = []
    for index, (blocks, shown) in enumerate(documents):
        role = "head" if "head" in blocks else "tail"
        label = "Closing chapters" if "method" in blocks else _label(listings, blocks)
        context = {"data": {**light, **shown}, "blocks": blocks, "listing_totals": totals}
        parts.append(Part(role, context, label))
        parts.extend(rows_after.get(index, []))
    return parts


def _label(listings: dict[str, Listing], blocks: list[str]) -> str:
    named = [listings[b].section for b in blocks if b in listings]
    return named[-1] if named else "Chapters"


def listing_csv(listing: Listing, rows: list[dict[str, Any]]) -> bytes:
    """The listing's rows as CSV: one column per field (nested fields joined with a
    dot, lists as JSON), spreadsheet formulas neutralised like every export."""
    out = io.BytesIO()
    write_listing_csv(listing, rows, out)
    return out.getvalue()


def write_listing_csv(listing: Listing, rows: list[dict[str, Any]], handle: IO[bytes]) -> None:
    """listing_csv's bytes written to `handle` a row at a time: the columns are found in
    a first pass and each row is flattened again as it is written, so no flattened
    copy of the listing is held."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(_flatten(row)))
    text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow(list(columns))
        for row in rows:
            flat = _flatten(row)
            writer.writerow([neutralise(flat.get(column, "")) for column in columns])
    finally:
        text.detach()


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


def save_written(name: str, write: Callable[[IO[bytes]], Any]) -> tuple[str, Any]:
    """Store what `write` writes under `name`, through a temporary file (in memory up
    to 8 MiB), so a large work file is never held whole; return the stored name and
    what `write` returned."""
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        result = write(spool)
        spool.seek(0)
        return default_storage.save(name, File(spool)), result


def read(name: str) -> bytes:
    with default_storage.open(name, "rb") as handle:
        return handle.read()


def copy_to(name: str, path: Path) -> Path:
    """A stored file copied to a local path, in blocks (never whole in memory)."""
    with default_storage.open(name, "rb") as source, path.open("wb") as target:
        shutil.copyfileobj(source, target, 1 << 20)
    return path


def delete(*names: str) -> None:
    for name in names:
        if name:
            try:
                default_storage.delete(name)
            except Exception:  # noqa: BLE001, S110 - a missing work file is already gone
                pass
