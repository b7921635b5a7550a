"""Import many assets at once: validate every row, then write all of them or none.

Rows with a known UUID update that asset, the others create one (with the given UUID, if
any). Lineage columns, when present, set the row's upstream links of that relation. The
write is a handful of bulk statements and one lock of the audit chain, with one audit
event per asset and per link, so 10,000 rows import in seconds.
"""

from __future__ import annotations

import uuid as uuid_lib
from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import EventSpec
from riskhub.inventory import lineage, model_card, provenance, services, signals
from riskhub.inventory.io.tabular import (
    ASSET_FIELDS,
    BY_NAME,
    RELATIONS,
    REQUIRED,
    CellError,
    RawRow,
    parse_cell,
)
from riskhub.inventory.lineage import Edge, Graph, in_sorted
from riskhub.inventory.models import Asset, AssetLink, BusinessUnit

MAX_ERRORS = 500
# Rows validated and written per step: bounds the memory of an import of any length.
CHUNK_SIZE = 1000
# Ids per `__in` query (SQLite bounds the parameters of one statement).
PIECE = 5000
KINDS = tuple(Asset.Kind.values)


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    reason: str


@dataclass
class ImportReport:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    links: int = 0
    links_removed: int = 0
    line_label: str = "Line"
    # Components of a BOM that RiskHub does not model, by CycloneDX type.
    skipped: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def skipped_summary(self) -> str:
        """“3 library, 1 service”: what a BOM held that is not an AI asset."""
        return ", ".join(f"{n} {kind}" for kind, n in sorted(self.skipped.items()))

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "links_created": self.links,
            "links_removed": self.links_removed,
            "skipped": dict(sorted(self.skipped.items())),
            "errors": [e.__dict__ for e in self.errors],
        }


@dataclass
class _Row:
    line: int
    asset: Asset
    existing: bool
    values: dict[str, Any]
    refs: dict[str, list[str]]
    archived: bool | None
    before: dict[str, Any] | None = None


def _field_to_column(name: str) -> str:
    return name if name in BY_NAME else ""


def run_import(
    *,
    actor: User,
    header: list[str],
    rows: Iterable[RawRow],
    match_by_name: bool = False,
    line_label: str = "Line",
    progress: Callable[[int], None] | None = None,
    before_commit: Callable[[ImportReport], None] | None = None,
    skipped: dict[str, int] | None = None,
    chunk_size: int | None = None,
) -> ImportReport:
    """Validate and import parsed rows. `match_by_name` (CycloneDX) updates the asset of
    the same kind and name when a row carries no known UUID.

    Rows stream through in chunks: each chunk is validated and written (bulk statements)
    inside the one transaction, so memory stays flat however long the file; the first bad
    row stops the writing, the rest are still checked for errors, and the transaction is
    rolled back: nothing is stored. `progress` is called with the rows handled so far."""
    require(actor, "inventory.edit")
    chunk_size = chunk_size or CHUNK_SIZE
    report = ImportReport(line_label=line_label, skipped=dict(skipped or {}))
    errors = report.errors
    unknown = [h for h in header if h not in BY_NAME]
    for name in unknown:
        errors.append(RowError(1, name, "unknown column; expected columns are those of the export"))
    for name in REQUIRED:
        if name not in header:
            errors.append(RowError(1, name, "missing column (required)"))
    if errors:
        return report
    with transaction.atomic():
        state = _State.load(match_by_name)
        written = _Written()
        done = 0
        for chunk in _chunks(rows, chunk_size):
            parsed = _validate(chunk, header, errors, state)
            done += len(chunk)
            if not errors:
                _write(actor, parsed, header, report, state)
                written.add_chunk(parsed)
            if progress is not None:
                progress(done)
            if len(errors) > MAX_ERRORS:
                break
        if not done and not errors:
            errors.append(RowError(1, "", "The file has no rows to import."))
        state.names, state.seen = {}, {}  # the rows' checks are done: free them
        links = _Links()
        if not errors:
            links = _check_lineage(written, header, errors)
        if errors:
            transaction.set_rollback(True)
            errors.sort(key=lambda e: (e.line, e.column))
            del errors[MAX_ERRORS:]
            report.created = report.updated = report.unchanged = 0
            return report
        _write_links(actor, written, links, header, report, state, chunk_size)
        if before_commit is not None:
            before_commit(report)
    return report


def _parts(values: list[Any], size: int = PIECE) -> Iterator[list[Any]]:
    """A long `__in` list in pieces (SQLite bounds the parameters of one statement)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _chunks(rows: Iterable[RawRow], size: int) -> Iterator[list[RawRow]]:
    chunk: list[RawRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Written:
    """What the lineage step and the links need of the rows written so far, held in a
    few flat arrays: each row's asset id, line and kind, and the lineage references of
    the rows that have some. The rows' names and UUIDs are read back from the database
    (the rows are there by now), so a long file costs a few bytes per row, not a record.
    """

    def __init__(self) -> None:
        self.pks = array("q")
        self.lines = array("q")
        self.kinds = bytearray()  # index in KINDS
        # One entry per lineage reference, in the file's order: its row (index), its
        # relation (index in RELATIONS) and its text.
        self.ref_rows = array("q")
        self.ref_relations = bytearray()
        self.refs: list[str] = []
        # Rows whose card's metrics name datasets: row index -> dataset UUIDs.
        self.metrics: dict[int, set[str]] = {}
        # Rows that renamed an asset written by an earlier chunk: row index -> the name
        # it had before. When rows of several chunks write one asset, the file's name for
        # it at the end of each chunk stays a name its references may use (the database
        # holds only the last); rows of one chunk share the asset and its last name.
        self.renamed: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self.pks)

    def add_chunk(self, parsed: list[_Row]) -> None:
        """Keep what is needed of a chunk's rows, once they are written."""
        in_chunk: set[int] = set()
        for row in parsed:
            index = len(self.pks)
            asset = row.asset
            self.pks.append(asset.pk)
            self.lines.append(row.line)
            self.kinds.append(KINDS.index(asset.kind))
            for relation, refs in row.refs.items():
                code = RELATIONS.index(relation)
                for ref in refs:
                    self.ref_rows.append(index)
                    self.ref_relations.append(code)
                    self.refs.append(ref)
            datasets = model_card.metric_datasets(asset.model_card)
            if datasets:
                self.metrics[index] = datasets
            before = row.before["name"] if row.before is not None else asset.name
            if before != asset.name and asset.pk not in in_chunk:
                self.renamed[index] = before
            in_chunk.add(asset.pk)

    def sorted_pks(self) -> array[int]:
        return array("q", sorted(self.pks))

    def line_of(self, pk: int) -> int | None:
        """The line of the file's last row that wrote this asset (None: not the file's)."""
        for index in range(len(self.pks) - 1, -1, -1):
            if self.pks[index] == pk:
                return self.lines[index]
        return None

    def names_in_file(self) -> Iterator[tuple[int, uuid_lib.UUID, str, str]]:
        """(pk, UUID, name, kind) of each row, in the file's order, read back from the
        database in pieces; the names a row's asset had earlier in the file come too."""
        earlier: dict[int, list[str]] = defaultdict(list)
        if self.renamed:
            last: dict[int, int] = {}
            for index, pk in enumerate(self.pks):
                if pk in last and index in self.renamed:
                    earlier[pk].append(self.renamed[index])
                last[pk] = index
        for start in range(0, len(self.pks), PIECE):
            part = self.pks[start : start + PIECE].tolist()
            stored = {
                pk: (u, name, kind)
                for pk, u, name, kind in Asset.objects.filter(pk__in=part).values_list(
                    "pk", "uuid", "name", "kind"
                )
            }
            for pk in part:
                u, name, kind = stored[pk]
                yield pk, u, name, kind
                for old_name in earlier.get(pk, ()):
                    yield pk, u, old_name, kind


@dataclass
class _State:
    """What the chunks of one import share: the register's names before the import,
    the names seen so far in the file, the business units and archived assets."""

    names: dict[tuple[str, str], uuid_lib.UUID]
    units: dict[str, BusinessUnit]
    match_by_name: bool
    # kind -> lower-case name -> line (a dict per kind: no tuple kept per row)
    seen: dict[str, dict[str, int]] = field(default_factory=dict)
    specs: list[EventSpec] = field(default_factory=list)
    affected: set[int] = field(default_factory=set)
    detached: set[int] = field(default_factory=set)
    now: Any = None

    @classmethod
    def load(cls, match_by_name: bool) -> _State:
        # Every (kind, lower name) in the register, to report clashes (one query).
        names = {
            (kind, lname): u
            for kind, lname, u in Asset.objects.annotate(lname=Lower("name")).values_list(
                "kind", "lname", "uuid"
            )
        }
        units = {u.name.lower(): u for u in BusinessUnit.objects.all()}
        return cls(names, units, match_by_name, now=timezone.now())


def _validate(
    rows: list[RawRow], header: list[str], errors: list[RowError], state: _State
) -> list[_Row]:
    ids: list[uuid_lib.UUID] = []
    for row in rows:
        raw = row.values.get("id")
        if raw:
            try:
                ids.append(uuid_lib.UUID(str(raw).strip()))
            except ValueError:
                pass
    existing = {
        a.uuid: a
        for a in Asset.objects.select_for_update(of=("self",))
        .select_related("owner", "business_unit")
        .filter(uuid__in=ids)
    }
    names = state.names
    match_by_name = state.match_by_name
    by_name_asset: dict[uuid_lib.UUID, Asset] = {}
    if match_by_name:
        wanted = {
            (str(r.values.get("kind")), str(r.values.get("name", "")).strip().lower()) for r in rows
        }
        wanted_uuids = [names[k] for k in wanted if k in names]
        by_name_asset = {
            a.uuid: a
            for a in Asset.objects.select_for_update(of=("self",))
            .select_related("owner", "business_unit")
            .filter(uuid__in=wanted_uuids)
        }
    emails = {str(r.values.get("owner")).strip().lower() for r in rows if r.values.get("owner")}
    users = {u.email.lower(): u for u in User.objects.filter(email__in=emails)}
    units = state.units
    seen = state.seen
    parsed: list[_Row] = []
    present = [name for name in ASSET_FIELDS if name in header and name != "kind"]
    for row in rows:
        row_errors: list[RowError] = []
        values: dict[str, Any] = {}
        for name in header:
            column = BY_NAME[name]
            if column.type == "readonly":
                continue
            try:
                values[name] = parse_cell(column, row.values.get(name))
            except CellError as exc:
                row_errors.append(RowError(row.line, name, str(exc)))
        if row_errors:
            errors.extend(row_errors)
            continue
        kind, name = values["kind"], values["name"]
        if not name:
            errors.append(RowError(row.line, "name", "is required"))
            continue
        target = existing.get(values.get("id")) if values.get("id") else None
        if target is None and match_by_name:
            target = by_name_asset.get(names.get((kind, name.lower())))  # type: ignore[arg-type]
        if target is not None and target.kind != kind:
            errors.append(
                RowError(
                    row.line,
                    "kind",
                    f"the asset with this id is a {target.kind}; the kind of an asset "
                    "cannot change",
                )
            )
            continue
        key = (kind, name.lower())
        seen_of_kind = seen.setdefault(kind, {})
        if key[1] in seen_of_kind:
            errors.append(
                RowError(
                    row.line,
                    "name",
                    f"duplicate name: another {kind} is called “{name}” on line "
                    f"{seen_of_kind[key[1]]}",
                )
            )
            continue
        seen_of_kind[key[1]] = row.line
        clash = names.get(key)
        if clash is not None and (target is None or clash != target.uuid):
            errors.append(
                RowError(
                    row.line,
                    "name",
                    f"duplicate name: a {kind} called “{name}” is already registered "
                    f"(id {clash}); give its id to update it",
                )
            )
            continue
        asset = target or Asset(kind=kind)
        if target is None and values.get("id"):
            asset.uuid = values["id"]
        before = services.asset_snapshot(target) if target else None
        for field_name in present:
            value = values[field_name]
            if field_name == "owner":
                if value and value.lower() not in users:
                    row_errors.append(RowError(row.line, "owner", f"no user with email {value}"))
                    continue
                asset.owner = users.get(value.lower()) if value else None
            elif field_name == "business_unit":
                asset.business_unit = units.get(value.lower()) if value else None
                if value and asset.business_unit is None:
                    # created at write time; keep the name for now
                    asset._pending_unit = value  # type: ignore[attr-defined]
            else:
                setattr(asset, field_name, value)
        try:
            asset.clean_fields(exclude=["owner", "business_unit", "uuid"])
            services._clean_kind_fields(asset)
        except ValidationError as exc:
            for field_name, messages in exc.message_dict.items():
                row_errors.extend(
                    RowError(row.line, _field_to_column(field_name), m) for m in messages
                )
        if row_errors:
            errors.extend(row_errors)
            continue
        parsed.append(
            _Row(
                line=row.line,
                asset=asset,
                existing=target is not None,
                values=values,
                refs={r: values[r] for r in RELATIONS if r in header},
                archived=values.get("archived") if "archived" in header else None,
                before=before,
            )
        )
        if len(errors) > MAX_ERRORS:
            break
    return parsed


# --- lineage -------------------------------------------------------------------------------


def _ref_key(ref: str) -> tuple[str, bool]:
    """How a lineage reference is looked up: a UUID in its canonical text, or a name in
    lower case; and whether it is a UUID."""
    try:
        return str(uuid_lib.UUID(ref)), True
    except ValueError:
        return ref.lower(), False


@dataclass
class _Links:
    """The links the file's lineage columns ask for, grouped by row in the file's order:
    the upstream asset's id, the row (index) and the relation (index in RELATIONS)."""

    ups: array[int] = field(default_factory=lambda: array("q"))
    rows: array[int] = field(default_factory=lambda: array("q"))
    relations: bytearray = field(default_factory=bytearray)

    def add(self, up: int, row: int, relation: str) -> None:
        self.ups.append(up)
        self.rows.append(row)
        self.relations.append(RELATIONS.index(relation))

    def __len__(self) -> int:
        return len(self.ups)

    def edge(self, position: int, written: _Written) -> tuple[int, int, str]:
        """(upstream id, downstream id, relation) of one link."""
        row = self.rows[position]
        return self.ups[position], written.pks[row], RELATIONS[self.relations[position]]

    def edges(self, written: _Written) -> Iterator[tuple[int, int, str]]:
        return (self.edge(position, written) for position in range(len(self)))


@dataclass
class _Targets:
    """The assets each lineage reference may name, by its lookup key (see `_ref_key`):
    the file's own rows (by UUID or name) win; a key none of them answers is looked up in
    the register (a UUID by UUID, a name by name)."""

    by_key: dict[str, list[int] | None]
    kinds: dict[int, str]
    # The UUID text of the register's assets found by a key that reads as one (the
    # metric check compares dataset UUIDs).
    uuids: dict[int, str]

    @classmethod
    def find(cls, written: _Written) -> _Targets:
        by_key: dict[str, list[int] | None] = dict.fromkeys(
            _ref_key(ref)[0] for ref in written.refs
        )
        targets = cls(by_key, {}, {})
        for pk, u, name, kind in written.names_in_file():
            for key in (str(u), name.lower()):
                if key in by_key:
                    targets._add(key, pk, kind)
        unanswered = [key for key, found in by_key.items() if found is None]
        # A key in canonical UUID form came from a UUID reference (a name's key never is
        # one: that name would have read as a UUID).
        uuids = [key for key in unanswered if _ref_key(key) == (key, True)]
        for part in _parts(uuids):
            for pk, u, kind in Asset.objects.filter(uuid__in=part).values_list(
                "pk", "uuid", "kind"
            ):
                targets._add(str(u), pk, kind)
                targets.uuids.setdefault(pk, str(u))
        names = [key for key in unanswered if _ref_key(key) != (key, True)]
        for part in _parts(names):
            for pk, lname, kind in (
                Asset.objects.annotate(lname=Lower("name"))
                .filter(lname__in=part)
                .values_list("pk", "lname", "kind")
            ):
                targets._add(lname, pk, kind)
                if len(lname) == 36:
                    targets.uuids.setdefault(pk, lname)
        return targets

    def _add(self, key: str, pk: int, kind: str) -> None:
        found = self.by_key[key]
        if found is None:
            self.by_key[key] = [pk]
        else:
            found.append(pk)
        self.kinds[pk] = kind


def _names(pks: Iterable[int]) -> dict[int, str]:
    return {
        pk: name
        for part in _parts(sorted(set(pks)))
        for pk, name in Asset.objects.filter(pk__in=part).values_list("pk", "name")
    }


def _check_metric_datasets(
    written: _Written, linked: dict[int, set[str]], errors: list[RowError]
) -> None:
    """A metric's dataset must be linked to the model, as `model_card.check_links` says
    for single edits; `linked` holds each row's upstream dataset UUIDs after the import."""
    for index in sorted(written.metrics):
        missing = sorted(written.metrics[index] - linked.get(index, set()))
        if missing:
            errors.append(
                RowError(
                    written.lines[index],
                    "model_card",
                    f"a metric names dataset {missing[0]}, which is not linked to this "
                    "model; link it (for example trained_on)",
                )
            )


def _existing_dataset_links(
    written: _Written, replaced: list[str] | None = None
) -> dict[int, set[str]]:
    """The linked dataset UUIDs in the register of the rows whose metrics name datasets
    (by row index; an asset the file writes twice, by its last row), leaving out the
    relations the file replaces."""
    wanted = {written.pks[index] for index in written.metrics}
    last = {pk: index for index, pk in enumerate(written.pks) if pk in wanted}
    linked: dict[int, set[str]] = defaultdict(set)
    for part in _parts(sorted(wanted)):
        for down, up in (
            AssetLink.objects.filter(downstream_id__in=part, upstream__kind="dataset")
            .exclude(relation__in=replaced or [])
            .values_list("downstream_id", "upstream__uuid")
        ):
            linked[last[down]].add(str(up))
    return linked


def _check_lineage(written: _Written, header: list[str], errors: list[RowError]) -> _Links:
    """Resolve every lineage reference of the file, check the links it asks for (kinds,
    metric datasets, no cycle in the lineage as it would be) and return them."""
    relations = [r for r in RELATIONS if r in header]
    links = _Links()
    if not relations:
        if written.metrics:
            _check_metric_datasets(written, _existing_dataset_links(written), errors)
        return links
    targets = _Targets.find(written)
    kinds = targets.kinds
    # Kind mismatches name the upstream asset: filled in once the names are read.
    unnamed: list[tuple[int, int, str]] = []  # (position in errors, upstream id, kind)
    datasets: dict[int, set[int]] = {}  # metric rows: their linked datasets' ids
    row_links: set[tuple[int, str]] = set()
    refs = written.refs
    for position in range(len(refs) + 1):
        index = written.ref_rows[position] if position < len(refs) else -1
        if position and index != written.ref_rows[position - 1]:
            done = written.ref_rows[position - 1]
            for upstream, relation in row_links:
                links.add(upstream, done, relation)
            if done in written.metrics:
                datasets[done] = {up for up, _ in row_links if kinds[up] == "dataset"}
            row_links = set()
        if index < 0:
            break
        ref = refs[position]
        relation = RELATIONS[written.ref_relations[position]]
        line, me, kind = written.lines[index], written.pks[index], KINDS[written.kinds[index]]
        up_kinds, down_kinds = services.LINK_KINDS[relation]
        candidates = targets.by_key.get(_ref_key(ref)[0]) or []
        if len(candidates) > 1:
            candidates = [c for c in candidates if kinds[c] in up_kinds] or candidates
        if not candidates:
            errors.append(RowError(line, relation, f"no asset “{ref}”"))
            continue
        if len(set(candidates)) > 1:
            errors.append(
                RowError(line, relation, f"“{ref}” names several assets; use the id instead")
            )
            continue
        upstream = candidates[0]
        if upstream == me:
            errors.append(RowError(line, relation, "an asset cannot be linked to itself"))
        elif kinds[upstream] not in up_kinds or kind not in down_kinds:
            unnamed.append((len(errors), upstream, kind))
            errors.append(RowError(line, relation, ""))
        else:
            row_links.add((upstream, relation))
    if unnamed:
        names = _names(upstream for _, upstream, _ in unnamed)
        for at, upstream, kind in unnamed:
            line, relation = errors[at].line, errors[at].column
            errors[at] = RowError(
                line,
                relation,
                f"a {kind} cannot be "
                f"{AssetLink.Relation(relation).label} a {kinds[upstream]} "
                f"(“{names[upstream]}”): {services.LINK_KIND_HINT[relation]}",
            )
    if errors:
        return links
    outside_uuids = targets.uuids
    del targets  # the lookup keys of every reference: freed before the cycle check
    if written.metrics:
        ups = {up for found in datasets.values() for up in found}
        in_file = written.sorted_pks()
        uuids = {
            pk: str(u)
            for part in _parts(sorted(ups))
            for pk, u in Asset.objects.filter(pk__in=part).values_list("pk", "uuid")
        }
        db_links = _existing_dataset_links(written, relations)
        linked = {
            index: {
                uuids[up] if in_sorted(in_file, up) else outside_uuids.get(up, "")
                for up in datasets.get(index, set())
            }
            | db_links.get(index, set())
            for index in written.metrics
        }
        _check_metric_datasets(written, linked, errors)
        if errors:
            return links
    _check_cycle(written, links, relations, errors)
    return links


def _check_cycle(
    written: _Written, links: _Links, relations: list[str], errors: list[RowError]
) -> None:
    """No cycle in the lineage as it would be after the import: the stored links, less
    the relations the file's rows replace, and the file's links. The common answer (no
    cycle) comes from a lean pass over flat arrays; only a cycle builds the graph that
    names it."""
    in_file = written.sorted_pks()
    replaced = set(relations)

    def kept(up: int, down: int, relation: str) -> bool:
        return relation not in replaced or not in_sorted(in_file, down)

    stored = (
        AssetLink.objects.values_list("upstream_id", "downstream_id", "relation")
        .order_by()
        .iterator(chunk_size=PIECE)
    )
    after = chain(
        ((up, down) for up, down, relation in stored if kept(up, down, relation)),
        ((up, down) for up, down, _ in links.edges(written)),
    )
    if not lineage.Flat(after).has_cycle():
        return
    graph = Graph(
        [
            *(edge for edge in lineage.load().edges if kept(*edge[:3])),
            *(Edge(up, down, relation) for up, down, relation in links.edges(written)),
        ]
    )
    cycle = graph.find_cycle()
    names = _names(cycle)
    shown = " → ".join(names.get(pk) or "?" for pk in cycle)
    lines = sorted({line for pk in cycle if (line := written.line_of(pk)) is not None}) or [1]
    for line in lines:
        errors.append(RowError(line, "lineage", f"the lineage would form a cycle: {shown}"))


# --- writing -------------------------------------------------------------------------------


def _write(
    actor: User, parsed: list[_Row], header: list[str], report: ImportReport, state: _State
) -> None:
    """Write one chunk's assets (and new business units) with their audit events."""
    now = state.now
    specs: list[EventSpec] = []
    # New business units first.
    new_units: dict[str, BusinessUnit] = {}
    for row in parsed:
        pending = getattr(row.asset, "_pending_unit", None)
        if pending and pending.lower() not in new_units and pending.lower() not in state.units:
            unit = BusinessUnit(name=pending)
            unit.full_clean(validate_unique=False)
            new_units[pending.lower()] = unit
    if new_units:
        BusinessUnit.objects.bulk_create(list(new_units.values()))
        stored = {
            u.name.lower(): u
            for u in BusinessUnit.objects.filter(name__in=[u.name for u in new_units.values()])
        }
        for unit in stored.values():
            specs.append(
                EventSpec("business_unit.create", "business_unit", str(unit.uuid), unit.name)
            )
        state.units.update(stored)
    for row in parsed:
        pending = getattr(row.asset, "_pending_unit", None)
        if pending:
            row.asset.business_unit = state.units[pending.lower()]

    creates = [row for row in parsed if not row.existing]
    updates = []
    changed_fields: set[str] = set()
    for row in parsed:
        if row.archived is not None and row.archived != (row.asset.archived_at is not None):
            row.asset.archived_at = now if row.archived else None
        if row.existing:
            after = services.asset_snapshot(row.asset)
            old, new = services._changes(row.before or {}, after)
            if new:
                row.asset.version += 1
                row.asset.updated_at = now
                updates.append((row, old, new))
                changed_fields |= set(new) | {"field_sources"}
                provenance.mark(
                    row.asset,
                    {k: (old[k], new[k]) for k in new if k != "archived_at"},
                    by=provenance.IMPORT,
                    user=actor,
                    at=now,
                )
            else:
                report.unchanged += 1
    for row in creates:
        row.asset.created_at = now
        row.asset.updated_at = now
        provenance.mark(
            row.asset,
            [k for k in header if k in services.UPDATABLE_FIELDS],
            by=provenance.IMPORT,
            user=actor,
            at=now,
        )
    if creates:
        bulk_create_with_history(
            [row.asset for row in creates],
            Asset,
            batch_size=1000,
            default_user=actor,
            default_date=now,
        )
        specs.extend(
            EventSpec(
                "asset.create",
                "asset",
                str(row.asset.uuid),
                row.asset.name,
                after=services.asset_snapshot(row.asset),
            )
            for row in creates
        )
    if updates:
        fields = sorted(changed_fields | {"version", "updated_at"})
        bulk_update_with_history(
            [row.asset for row, _, _ in updates],
            Asset,
            fields,
            batch_size=1000,
            default_user=actor,
            default_date=now,
        )
        specs.extend(
            EventSpec("asset.update", "asset", str(row.asset.uuid), row.asset.name, old, new)
            for row, old, new in updates
        )
    report.created += len(creates)
    report.updated += len(updates)
    services.bulk_audit(actor, specs)
    for row, _, new in updates:
        if "archived_at" in new:
            signals.asset_archived.send(sender=Asset, asset=row.asset)
            state.affected.add(row.asset.pk)


def _write_links(
    actor: User,
    written: _Written,
    links: _Links,
    header: list[str],
    report: ImportReport,
    state: _State,
    chunk_size: int,
) -> None:
    """Rows whose file carried lineage columns get exactly the listed links; then the
    lineage signal for everything the import touched. The links are written one chunk
    of rows at a time (their stored links read, the difference written and audited), so the
    link objects, their history rows and audit events of a long file are never all held
    at once."""
    relations = [r for r in RELATIONS if r in header]
    affected = state.affected
    if relations:
        position = 0
        for start in range(0, len(written), chunk_size):
            end = min(start + chunk_size, len(written))
            desired: set[tuple[int, int, str]] = set()
            # The links are grouped by row, in the file's order.
            while position < len(links) and links.rows[position] < end:
                desired.add(links.edge(position, written))
                position += 1
            added, removed = _write_links_of(
                actor, written.pks[start:end].tolist(), desired, relations, state
            )
            report.links += added
            report.links_removed += removed
    if affected:
        signals.lineage_changed.send(
            sender=AssetLink,
            asset_ids=sorted(lineage.downstream(affected, inclusive=True)),
            detached=sorted(state.detached),
        )


def _write_links_of(
    actor: User,
    down_pks: list[int],
    desired: set[tuple[int, int, str]],
    relations: list[str],
    state: _State,
) -> tuple[int, int]:
    """The links of some rows' assets (`down_pks`) made `desired`: (added, removed)."""
    current = {
        (link.upstream_id, link.downstream_id, link.relation): link
        for part in _parts(down_pks)
        for link in AssetLink.objects.filter(
            downstream_id__in=part, relation__in=relations
        ).select_related("upstream", "downstream")
    }
    removed = [link for key, link in current.items() if key not in desired]
    added = [
        AssetLink(upstream_id=u, downstream_id=d, relation=r)
        for (u, d, r) in sorted(desired)
        if (u, d, r) not in current
    ]
    wanted = {pk for u, d, _ in desired for pk in (u, d)}
    uuid_of: dict[int, uuid_lib.UUID] = {}
    for part in _parts(sorted(wanted)):
        uuid_of.update(Asset.objects.filter(pk__in=part).values_list("pk", "uuid"))

    specs: list[EventSpec] = []
    for link in removed:
        specs.append(
            EventSpec(
                "asset_link.delete",
                "asset_link",
                str(link.uuid),
                str(link),
                before={
                    "upstream": link.upstream.uuid,
                    "downstream": link.downstream.uuid,
                    "relation": link.relation,
                },
            )
        )
        state.affected.add(link.downstream_id)
        state.detached.add(link.upstream_id)
    if removed:
        AssetLink.objects.filter(pk__in=[link.pk for link in removed]).delete()
    if added:
        bulk_create_with_history(
            added, AssetLink, batch_size=1000, default_user=actor, default_date=state.now
        )
        specs.extend(
            EventSpec(
                "asset_link.create",
                "asset_link",
                str(link.uuid),
                f"{uuid_of[link.downstream_id]} {link.relation} {uuid_of[link.upstream_id]}",
                after={
                    "upstream": uuid_of[link.upstream_id],
                    "downstream": uuid_of[link.downstream_id],
                    "relation": link.relation,
                },
            )
            for link in added
        )
        state.affected.update(link.downstream_id for link in added)
    services.bulk_audit(actor, specs)
    return len(added), len(removed)
