"""Import many assets at once: validate every row, then write all of them or none.

Rows with a known UUID update that asset, the others create one (with the given UUID, if
any). Lineage columns, when present, set the row's upstream links of that relation. The
write is a handful of bulk statements and one lock of the audit chain, with one audit
event per asset and per link, so 10,000 rows import in seconds.
"""

from __future__ import annotations

import uuid as uuid_lib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
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
from riskhub.inventory.lineage import Edge, Graph
from riskhub.inventory.models import Asset, AssetLink, BusinessUnit

MAX_ERRORS = 500
# Rows validated and written per step: bounds the memory of an import of any length.
CHUNK_SIZE = 1000


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
        written: list[_Row] = []
        done = 0
        for chunk in _chunks(rows, chunk_size):
            parsed = _validate(chunk, header, errors, state)
            done += len(chunk)
            if not errors:
                _write(actor, parsed, header, report, state)
                written.extend(_light(row) for row in parsed)
            if progress is not None:
                progress(done)
            if len(errors) > MAX_ERRORS:
                break
        if not done and not errors:
            errors.append(RowError(1, "", "The file has no rows to import."))
        if not errors:
            _check_lineage(written, header, errors)
        if errors:
            transaction.set_rollback(True)
            errors.sort(key=lambda e: (e.line, e.column))
            del errors[MAX_ERRORS:]
            report.created = report.updated = report.unchanged = 0
            return report
        _write_links(actor, written, header, report, state, chunk_size)
        if before_commit is not None:
            before_commit(report)
    return report


def _parts(values: list[Any], size: int = 5000) -> Iterator[list[Any]]:
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


@dataclass
class _Ref:
    """What the lineage step needs of a written asset (a few fields, not the model)."""

    pk: int
    uuid: uuid_lib.UUID
    kind: str
    name: str
    model_card: dict[str, Any]


def _light(row: _Row) -> _Row:
    asset = row.asset
    card = asset.model_card if model_card.metric_datasets(asset.model_card) else {}
    ref = _Ref(asset.pk, asset.uuid, asset.kind, asset.name, card)
    return _Row(
        line=row.line,
        asset=ref,  # type: ignore[arg-type]
        existing=True,  # stored by now
        values={},
        refs=row.refs,
        archived=None,
    )


@dataclass
class _State:
    """What the chunks of one import share: the register's names before the import,
    the names seen so far in the file, the business units and archived assets."""

    names: dict[tuple[str, str], uuid_lib.UUID]
    units: dict[str, BusinessUnit]
    match_by_name: bool
    seen: dict[tuple[str, str], int] = field(default_factory=dict)
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
        if key in seen:
            errors.append(
                RowError(
                    row.line,
                    "name",
                    f"duplicate name: another {kind} is called “{name}” on line {seen[key]}",
                )
            )
            continue
        seen[key] = row.line
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


def _check_metric_datasets(
    parsed: list[_Row], linked: dict[int, set[str]], errors: list[RowError]
) -> None:
    """A metric's dataset must be linked to the model, as `model_card.check_links` says
    for single edits; `linked` holds each row's upstream dataset UUIDs after the import."""
    for index, row in enumerate(parsed):
        missing = sorted(model_card.metric_datasets(row.asset.model_card) - linked[index])
        if missing:
            errors.append(
                RowError(
                    row.line,
                    "model_card",
                    f"a metric names dataset {missing[0]}, which is not linked to this "
                    "model; link it (for example trained_on)",
                )
            )


def _existing_dataset_links(
    parsed: list[_Row], replaced: list[str] | None = None
) -> dict[int, set[str]]:
    """Each row's linked dataset UUIDs in the register, leaving out the relations the
    file replaces."""
    pks = {row.asset.pk: i for i, row in enumerate(parsed) if row.existing}
    linked: dict[int, set[str]] = {i: set() for i in range(len(parsed))}
    for part in _parts(list(pks)):
        for down, up in (
            AssetLink.objects.filter(downstream_id__in=part, upstream__kind="dataset")
            .exclude(relation__in=replaced or [])
            .values_list("downstream_id", "upstream__uuid")
        ):
            linked[pks[down]].add(str(up))
    return linked


def _check_lineage(parsed: list[_Row], header: list[str], errors: list[RowError]) -> None:
    relations = [r for r in RELATIONS if r in header]
    if not relations:
        if any(model_card.metric_datasets(row.asset.model_card) for row in parsed):
            _check_metric_datasets(parsed, _existing_dataset_links(parsed), errors)
        return
    refs_needed = {ref for row in parsed for r in relations for ref in row.refs[r]}
    row_keys: dict[int, tuple[str, int]] = {}
    by_ref: dict[str, list[tuple[str, int]]] = defaultdict(list)
    kinds: dict[tuple[str, int], str] = {}
    names: dict[tuple[str, int], str] = {}
    for index, row in enumerate(parsed):
        key = ("db", row.asset.pk) if row.existing else ("row", index)
        row_keys[index] = key
        kinds[key] = row.asset.kind
        names[key] = row.asset.name
        by_ref[str(row.asset.uuid)].append(key)
        by_ref[row.asset.name.lower()].append(key)
    uuids = []
    lowered = []
    for ref in refs_needed:
        try:
            uuids.append(uuid_lib.UUID(ref))
        except ValueError:
            lowered.append(ref.lower())
    in_file = set(by_ref)
    wanted_uuids = [u for u in uuids if str(u) not in in_file]
    for pk, u, name, kind in (
        row
        for part in _parts(wanted_uuids)
        for row in Asset.objects.filter(uuid__in=part).values_list("pk", "uuid", "name", "kind")
    ):
        if str(u) not in in_file:
            by_ref[str(u)].append(("db", pk))
            kinds[("db", pk)], names[("db", pk)] = kind, name
    lowered = [lname for lname in lowered if lname not in in_file]
    if lowered:
        for pk, lname, name, kind in (
            row
            for part in _parts(lowered)
            for row in Asset.objects.annotate(lname=Lower("name"))
            .filter(lname__in=part)
            .values_list("pk", "lname", "name", "kind")
        ):
            if lname in in_file:
                continue  # the file's own asset of that name wins
            by_ref[lname].append(("db", pk))
            kinds[("db", pk)], names[("db", pk)] = kind, name
    wanted: dict[int, set[tuple[tuple[str, int], str]]] = {}
    for index, row in enumerate(parsed):
        me = row_keys[index]
        links: set[tuple[tuple[str, int], str]] = set()
        for relation in relations:
            up_kinds, down_kinds = services.LINK_KINDS[relation]
            for ref in row.refs[relation]:
                try:
                    candidates = by_ref.get(str(uuid_lib.UUID(ref)), [])
                except ValueError:
                    candidates = by_ref.get(ref.lower(), [])
                if len(candidates) > 1:
                    candidates = [c for c in candidates if kinds[c] in up_kinds] or candidates
                if not candidates:
                    errors.append(RowError(row.line, relation, f"no asset “{ref}”"))
                    continue
                if len(set(candidates)) > 1:
                    errors.append(
                        RowError(
                            row.line,
                            relation,
                            f"“{ref}” names several assets; use the id instead",
                        )
                    )
                    continue
                upstream = candidates[0]
                if upstream == me:
                    errors.append(
                        RowError(row.line, relation, "an asset cannot be linked to itself")
                    )
                elif kinds[upstream] not in up_kinds or row.asset.kind not in down_kinds:
                    errors.append(
                        RowError(
                            row.line,
                            relation,
                            f"a {row.asset.kind} cannot be "
                            f"{AssetLink.Relation(relation).label} a {kinds[upstream]} "
                            f"(“{names[upstream]}”): {services.LINK_KIND_HINT[relation]}",
                        )
                    )
                else:
                    links.add((upstream, relation))
        wanted[index] = links
    if errors:
        return
    if any(model_card.metric_datasets(row.asset.model_card) for row in parsed):
        uuid_of_key = {row_keys[i]: str(row.asset.uuid) for i, row in enumerate(parsed)}
        for ref, keys in by_ref.items():
            for key in keys:
                if key not in uuid_of_key and len(ref) == 36:
                    uuid_of_key[key] = ref
        db_links = _existing_dataset_links(parsed, relations)
        linked = {
            i: {uuid_of_key.get(k, "") for k, _ in wanted[i] if kinds[k] == "dataset"} | db_links[i]
            for i in range(len(parsed))
        }
        _check_metric_datasets(parsed, linked, errors)
        if errors:
            return
    # Cycle check over the whole lineage as it would be after the import.
    replaced = {
        (row_keys[i][1], r) for i, row in enumerate(parsed) if row.existing for r in relations
    }
    after: list[Edge[tuple[str, int]]] = [
        Edge(("db", edge.upstream), ("db", edge.downstream), edge.relation, edge.link_id)
        for edge in lineage.load().edges
        if (edge.downstream, edge.relation) not in replaced
    ]
    after += [
        Edge(upstream, row_keys[index], relation)
        for index, links in wanted.items()
        for upstream, relation in links
    ]
    cycle = Graph(after).find_cycle()
    if cycle:
        line_of = {row_keys[i]: row.line for i, row in enumerate(parsed)}
        shown = " → ".join(names.get(k) or _name_of(k) for k in cycle)
        lines = sorted({line_of[k] for k in cycle if k in line_of}) or [1]
        for line in lines:
            errors.append(RowError(line, "lineage", f"the lineage would form a cycle: {shown}"))
        return
    for index, row in enumerate(parsed):
        row.refs = {"__links__": [f"{k[0]}:{k[1]}:{r}" for k, r in sorted(wanted[index])]}


def _name_of(key: tuple[str, int]) -> str:
    if key[0] == "db":
        found = Asset.objects.filter(pk=key[1]).values_list("name", flat=True).first()
        return found or "?"
    return "?"


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
    parsed: list[_Row],
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
    if relations and any("__links__" in row.refs for row in parsed):
        pk_of_row = [row.asset.pk for row in parsed]
        uuid_of = {row.asset.pk: row.asset.uuid for row in parsed}
        for start in range(0, len(parsed), chunk_size):
            added, removed = _write_links_of(
                actor, parsed[start : start + chunk_size], relations, pk_of_row, uuid_of, state
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
    rows: list[_Row],
    relations: list[str],
    pk_of_row: list[int],
    uuid_of: dict[int, uuid_lib.UUID],
    state: _State,
) -> tuple[int, int]:
    """The links of some rows: (added, removed)."""
    desired: set[tuple[int, int, str]] = set()
    for row in rows:
        for token in row.refs.get("__links__", []):
            where, key, relation = token.split(":", 2)
            up_pk = int(key) if where == "db" else pk_of_row[int(key)]
            desired.add((up_pk, row.asset.pk, relation))
    down_pks = [row.asset.pk for row in rows]
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
    outside: dict[int, uuid_lib.UUID] = {}
    wanted = {u for u, _, _ in desired} | {link.upstream_id for link in removed}
    for part in _parts(sorted(pk for pk in wanted if pk not in uuid_of)):
        outside.update(Asset.objects.filter(pk__in=part).values_list("pk", "uuid"))

    def names(pk: int) -> uuid_lib.UUID:
        return uuid_of[pk] if pk in uuid_of else outside[pk]

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
                f"{names(link.downstream_id)} {link.relation} {names(link.upstream_id)}",
                after={
                    "upstream": names(link.upstream_id),
                    "downstream": names(link.downstream_id),
                    "relation": link.relation,
                },
            )
            for link in added
        )
        state.affected.update(link.downstream_id for link in added)
    services.bulk_audit(actor, specs)
    return len(added), len(removed)
