"""The inventory's columns, and CSV / JSON / XLSX reading and writing with them.

CSV and JSON carry the same columns both ways. In CSV every value is text (booleans as
yes/no, lists joined); in JSON values are typed (booleans, numbers, lists). Exports
neutralise spreadsheet formulas and imports restore them, so a round trip is exact.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any
from uuid import UUID

from django.db.models import QuerySet

from riskhub.common import safejson
from riskhub.common.exports import csv_stream, neutralise, restore
from riskhub.inventory import model_card
from riskhub.inventory.models import ANNEX_IV_FIELDS, Asset, AssetLink

RELATIONS = [r.value for r in AssetLink.Relation]


@dataclass(frozen=True)
class Column:
    name: str
    # text | enum | bool | int | float | date | tags | refs | uuid | email | unit | json
    type: str
    enum: tuple[str, ...] = ()


def _enum(name: str, choices: Any) -> Column:
    return Column(name, "enum", tuple(choices.values))


COLUMNS: list[Column] = [
    Column("id", "uuid"),
    _enum("kind", Asset.Kind),
    Column("name", "text"),
    Column("description", "text"),
    Column("owner", "email"),
    Column("business_unit", "unit"),
    _enum("lifecycle", Asset.Lifecycle),
    _enum("source", Asset.Source),
    Column("vendor", "text"),
    Column("tags", "tags"),
    Column("data_origin", "text"),
    Column("collection_method", "text"),
    Column("record_count", "int"),
    Column("personal_data", "bool"),
    Column("special_categories", "bool"),
    Column("childrens_data", "bool"),
    Column("subjects_eu", "bool"),
    Column("subjects_california", "bool"),
    Column("subjects_elsewhere", "bool"),
    Column("licence", "text"),
    Column("provenance_verified", "bool"),
    _enum("model_type", Asset.ModelType),
    Column("framework", "text"),
    Column("model_version", "text"),
    Column("training_flops", "float"),
    Column("general_purpose", "bool"),
    Column("open_weights", "bool"),
    Column("model_card", "json"),
    Column("url", "text"),
    _enum("exposure", Asset.Exposure),
    _enum("authentication", Asset.Authentication),
    Column("rate_limited", "bool"),
    Column("intended_purpose", "text"),
    Column("deployment_context", "text"),
    Column("affected_persons", "text"),
    Column("placed_on_eu_market", "bool"),
    Column("placed_on_market_date", "date"),
    Column("public_authority_use", "bool"),
    Column("california_consumers", "bool"),
    # An AI system's technical documentation (Annex IV), so a spreadsheet round trip
    # keeps what the dossier prints.
    *[
        Column(name, "date" if name == "eu_declaration_date" else "text")
        for name in ANNEX_IV_FIELDS
    ],
    Column("archived", "bool"),
    *[Column(relation, "refs") for relation in RELATIONS],
    Column("tier", "readonly"),
    Column("effective_risk", "readonly"),
]
BY_NAME = {c.name: c for c in COLUMNS}
HEADER = [c.name for c in COLUMNS]
REQUIRED = ["kind", "name"]
ASSET_FIELDS = [
    c.name
    for c in COLUMNS
    if c.type not in ("refs", "readonly", "uuid") and c.name not in ("archived",)
]

TRUE = {"yes", "true", "1", "y"}
FALSE = {"no", "false", "0", "n", ""}


class CellError(ValueError):
    """A value that does not fit its column; the message says why."""


def parse_cell(column: Column, value: Any) -> Any:
    """A CSV string or a JSON value -> the Python value of the column."""
    if isinstance(value, str):
        value = restore(value)
    kind = column.type
    if kind in ("text", "email", "unit"):
        if value is None:
            return ""
        if not isinstance(value, str):
            raise CellError(f"expected text, got {json.dumps(value)}")
        return value.strip() if kind != "text" or column.name == "name" else value
    if kind == "enum":
        text = "" if value is None else str(value).strip()
        if text and text not in column.enum:
            raise CellError(f"unknown value “{text}”; expected one of: " + ", ".join(column.enum))
        if not text and column.name in ("kind",):
            raise CellError("is required")
        return text
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = "" if value is None else str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
        raise CellError(f"expected yes or no, got “{value}”")
    if kind == "int":
        if value is None or value == "":
            return None
        try:
            number = int(str(value).strip().replace("_", ""))
        except ValueError:
            raise CellError(f"expected a whole number, got “{value}”") from None
        if number < 0:
            raise CellError("cannot be negative")
        return number
    if kind == "float":
        if value is None or value == "":
            return None
        try:
            number = float(str(value).strip()) if not isinstance(value, float) else value
        except ValueError:
            raise CellError(f"expected a number such as 3.2e24, got “{value}”") from None
        if not math.isfinite(number) or number < 0:
            raise CellError("must be a finite number, not negative")
        return number
    if kind == "date":
        if value is None or value == "":
            return None
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            raise CellError(f"expected a date as YYYY-MM-DD, got “{value}”") from None
    if kind == "tags":
        items = _list(value, ",")
        if any(len(t) > 50 for t in items):
            raise CellError("a tag is at most 50 characters")
        return list(dict.fromkeys(items))
    if kind == "refs":
        return _list(value, ";")
    if kind == "json":
        if isinstance(value, str):
            if not value.strip():
                return {}
            try:
                value = safejson.loads(value)
            except (json.JSONDecodeError, ValueError) as exc:
                raise CellError(f"expected JSON: {exc}") from None
        try:
            return model_card.normalise(value)
        except model_card.CardError as exc:
            raise CellError(str(exc)) from None
    if kind == "uuid":
        if value is None or str(value).strip() == "":
            return None
        try:
            return UUID(str(value).strip())
        except ValueError:
            raise CellError(f"“{value}” is not a UUID") from None
    return value  # read-only columns are ignored


def _list(value: Any, separator: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise CellError("expected a list of text values")
        return [restore(v).strip() for v in value if v.strip()]
    if not isinstance(value, str):
        raise CellError(f"expected text, got {json.dumps(value)}")
    return [part.strip() for part in value.split(separator) if part.strip()]


# --- export ------------------------------------------------------------------------------


def _upstream_refs(assets: list[Asset]) -> dict[int, dict[str, list[str]]]:
    refs: dict[int, dict[str, list[str]]] = {a.pk: {r: [] for r in RELATIONS} for a in assets}
    ids = list(refs)
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for down_id, relation, up_uuid in (
            AssetLink.objects.filter(downstream_id__in=chunk)
            .order_by("upstream__uuid")
            .values_list("downstream_id", "relation", "upstream__uuid")
        ):
            refs[down_id][relation].append(str(up_uuid))
    return refs


def asset_record(asset: Asset, refs: dict[str, list[str]]) -> dict[str, Any]:
    """One asset as typed values keyed by column (the JSON shape)."""
    record: dict[str, Any] = {
        "id": str(asset.uuid),
        "owner": asset.owner.email if asset.owner else "",
        "business_unit": asset.business_unit.name if asset.business_unit else "",
        "archived": asset.archived_at is not None,
        "tier": asset.tier,
        "effective_risk": asset.effective_risk_band,
    }
    for name in ASSET_FIELDS:
        if name in ("owner", "business_unit"):
            continue
        value = getattr(asset, name)
        if isinstance(value, dt.date):
            value = value.isoformat()
        record[name] = value
    for relation in RELATIONS:
        record[relation] = refs.get(relation, [])
    return {name: record[name] for name in HEADER}


def csv_cell(column: Column, value: Any) -> str:
    if column.type == "bool":
        return "yes" if value else "no"
    if column.type == "tags":
        return ", ".join(value)
    if column.type == "refs":
        return "; ".join(value)
    if column.type == "json":
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else ""
    if value is None:
        return ""
    if column.type == "float":
        return repr(float(value))
    return str(value)


def _batches(qs: QuerySet[Asset], size: int = 2000) -> Iterator[tuple[Asset, dict]]:
    """The queryset in batches, with each batch's lineage in one more query."""
    batch: list[Asset] = []
    for asset in qs.select_related("owner", "business_unit").iterator(chunk_size=size):
        batch.append(asset)
        if len(batch) == size:
            refs = _upstream_refs(batch)
            yield from ((a, refs[a.pk]) for a in batch)
            batch = []
    if batch:
        refs = _upstream_refs(batch)
        yield from ((a, refs[a.pk]) for a in batch)


def records(qs: QuerySet[Asset]) -> Iterator[dict[str, Any]]:
    for asset, refs in _batches(qs):
        yield asset_record(asset, refs)


def export_csv(qs: QuerySet[Asset]) -> Iterator[str]:
    rows = ([csv_cell(BY_NAME[k], v) for k, v in record.items()] for record in records(qs))
    return csv_stream(HEADER, rows)


def export_json(qs: QuerySet[Asset]) -> Iterator[str]:
    yield "[\n"
    first = True
    for record in records(qs):
        yield ("" if first else ",\n") + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]\n"


def export_xlsx(qs: QuerySet[Asset]) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Inventory")
    sheet.append(HEADER)
    for record in records(qs):
        sheet.append([neutralise(csv_cell(BY_NAME[k], v)) for k, v in record.items()])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading -----------------------------------------------------------------------------


@dataclass
class RawRow:
    line: int
    values: dict[str, Any]


class FileError(ValueError):
    """The file as a whole cannot be read (encoding, syntax, header)."""

    def __init__(self, reason: str, line: int = 0, column: str = "") -> None:
        super().__init__(reason)
        self.reason, self.line, self.column = reason, line, column


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise FileError(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02x} cannot be read). "
            "Save it as “CSV UTF-8” (or JSON in UTF-8) and upload it again.",
            line=line,
        ) from None


def read_csv(data: bytes) -> tuple[list[str], list[RawRow]]:
    header, rows = iter_csv(io.BytesIO(data))
    return header, list(rows)


def _text_lines(stream: IO[bytes]) -> Iterator[str]:
    """The stream's lines as text, decoded one by one (UTF-8, with or without BOM; a
    newline byte never occurs inside a multi-byte character)."""
    for line, raw in enumerate(iter(stream.readline, b""), start=1):
        if line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileError(
                f"The file is not UTF-8 text (byte 0x{raw[exc.start]:02x} cannot be read). "
                "Save it as “CSV UTF-8” (or JSON in UTF-8) and upload it again.",
                line=line,
            ) from None


def iter_csv(stream: IO[bytes]) -> tuple[list[str], Iterator[RawRow]]:
    """The header, and the rows read one by one (the file is never held whole)."""
    reader = csv.reader(_text_lines(stream))
    try:
        first = next(reader, None)
    except csv.Error as exc:
        raise FileError(f"The CSV cannot be read: {exc}.", line=reader.line_num) from None
    if first is None or not any(c.strip() for c in first):
        raise FileError("The file is empty.")
    header = [h.strip() for h in first]

    def rows() -> Iterator[RawRow]:
        line = reader.line_num
        try:
            for cells in reader:
                line_of_row = line + 1
                line = reader.line_num
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) > len(header):
                    raise FileError(
                        f"This row has {len(cells)} values but the header has {len(header)} "
                        "columns (check the quoting).",
                        line=line_of_row,
                    )
                yield RawRow(line_of_row, dict(zip(header, cells, strict=False)))
        except csv.Error as exc:
            raise FileError(f"The CSV cannot be read: {exc}.", line=reader.line_num) from None

    return header, rows()


def _xlsx_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if not value.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def iter_xlsx(stream: IO[bytes]) -> tuple[list[str], Iterator[RawRow]]:
    """The first sheet of a workbook with the export's columns, read row by row
    (openpyxl's read-only mode streams the sheet's XML)."""
    from django.core.exceptions import ValidationError
    from openpyxl import load_workbook

    # The evidence uploads' package check (zip bombs, macros, executables, external
    # content) runs before openpyxl sees the file. Imported here: compliance builds on
    # the inventory, not the other way round.
    from riskhub.compliance.uploads import check_office_package

    size = stream.seek(0, 2)
    stream.seek(0)
    try:
        if check_office_package(stream, size) != "xlsx":
            raise FileError("This is a Word document, not an Excel (.xlsx) workbook.")
    except ValidationError as exc:
        raise FileError(" ".join(exc.messages)) from None
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        cells = book.worksheets[0].iter_rows(values_only=True)
        first = next(cells, None)
    except Exception as exc:  # openpyxl raises many kinds on a malformed workbook
        raise FileError(f"The workbook cannot be read: {exc}.") from None
    if first is None or not any(v not in (None, "") for v in first):
        book.close()
        raise FileError("The workbook's first sheet is empty.")
    header = [_xlsx_cell(v).strip() for v in first]
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[RawRow]:
        try:
            for line, values in enumerate(cells, start=2):
                texts = [_xlsx_cell(v) for v in values]
                if not any(t.strip() for t in texts):
                    continue
                if any(t.strip() for t in texts[len(header) :]):
                    raise FileError(
                        f"This row has values beyond the {len(header)} columns of the header.",
                        line=line,
                    )
                yield RawRow(line, dict(zip(header, texts, strict=False)))
        except FileError:
            raise
        except Exception as exc:  # a malformed sheet further down
            raise FileError(f"The workbook cannot be read: {exc}.") from None
        finally:
            book.close()

    return header, rows()


def read_json(data: bytes) -> tuple[list[str], list[RawRow]]:
    text = decode(data)
    try:
        document = safejson.loads(text)
    except json.JSONDecodeError as exc:
        raise FileError(f"The JSON cannot be read: {exc.msg}.", line=exc.lineno) from None
    items = document.get("assets") if isinstance(document, dict) else document
    if not isinstance(items, list):
        raise FileError("Expected a JSON list of assets (as the JSON export writes).")
    header: list[str] = []
    rows = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise FileError(f"Record {index} is not an object.", line=index)
        for key in item:
            if key not in header:
                header.append(key)
        rows.append(RawRow(index, item))
    return header, rows
