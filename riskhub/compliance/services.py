"""Every write of the compliance app: validated, transactional, audited.

Coverage is derived: `coverage_recompute` rewrites the stored per-asset statuses, the
assets' `coverage_summary` and the per-framework totals. Writes that change coverage
recompute small scopes at once (the officer sees the effect of their evidence) and
hand large ones (organisation-wide) to a Celery task enqueued on commit.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import IO, Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.storage import default_storage
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.accounts.policy import require
from riskhub.audit.services import record_event
from riskhub.common import bulk
from riskhub.common.ownership import reassign_owner
from riskhub.common.updates import guarded_update
from riskhub.compliance import uploads
from riskhub.compliance.coverage import AssetFacts, Implementations, Totals, assess_asset
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    Evidence,
    Framework,
    FrameworkCoverage,
    RequirementCoverage,
    RequirementDate,
    RequirementStatus,
)
from riskhub.compliance.selectors import (
    components_of,
    coverage_catalog,
    evidence_expiry_window,
    expiring_evidence_q,
    implementation_facts,
    local_today,
    open_implementations_owned_by,
    overall_coverage_live,
    upstream_ids,
)
from riskhub.inventory import lineage
from riskhub.inventory.models import Asset, AssetLink

# Recompute at once when a change reaches at most this many assets; beyond it, a task.
SYNC_RECOMPUTE_LIMIT = 200
_BATCH = 1000

IMPLEMENTATION_FIELDS = [
    "status",
    "justification",
    "owner",
    "notes",
    "due_date",
    "last_verified",
    "next_verification",
]


# --- coverage -------------------------------------------------------------------------


def coverage_recompute(
    *, asset_ids: Iterable[int] | None = None, today: dt.date | None = None
) -> int:
    """Recompute applicability and coverage for the given assets (None: every asset),
    then the per-framework totals. The rule is `coverage.assess_asset`; this gathers
    its inputs and stores its answers. A fixed number of queries per batch of assets.

    A scoped recompute (a change of an implementation, evidence, classification or
    lineage) reads only what its assets depend on: the lineage downstream of them (the
    systems they feed and are part of, one recursive query), the implementations on
    those assets and the organisation-wide ones, and moves the stored totals by the
    difference between the assets' old and new statuses instead of re-counting them.
    Its cost follows the change, not the size of the register."""
    today = today or local_today()
    catalog, framework_of = coverage_catalog()
    slugs = dict(Framework.objects.values_list("pk", "slug"))
    ids = None if asset_ids is None else sorted(set(asset_ids))
    scoped = ids is not None and len(ids) <= SCOPED_LIMIT
    graph = lineage.around(ids or [], lineage.DOWN) if scoped else lineage.load()

    targets = Asset.objects.all()
    if ids is not None:
        targets = targets.filter(pk__in=ids)
    columns = ("pk", "kind", "name", "facts", "archived_at")
    nodes = {
        pk: AssetFacts(pk, kind, name, frozenset(facts or ()), archived is None)
        for pk, kind, name, facts, archived in targets.values_list(*columns)
    }
    target_ids = list(nodes)
    # The systems the targets feed, for their facts (may lie outside the targets).
    feeds: dict[int, set[int]] = {pk: graph.reachable([pk]) for pk in target_ids}
    part_of = {
        pk: graph.reachable([pk], relations=[AssetLink.Relation.PART_OF]) for pk in target_ids
    }
    missing = sorted(set().union(*feeds.values()) - set(nodes)) if feeds else []
    for start in range(0, len(missing), _BATCH):
        chunk = missing[start : start + _BATCH]
        for pk, kind, name, facts, archived in Asset.objects.filter(pk__in=chunk).values_list(
            *columns
        ):
            nodes[pk] = AssetFacts(pk, kind, name, frozenset(facts or ()), archived is None)
    implementations = Implementations(
        implementation_facts(set(target_ids).union(*part_of.values()) if scoped else None)
    )

    memo: dict[Any, Any] = {}

    def assess(pk: int) -> tuple[list[_StatusRow], dict[str, dict[str, int]]]:
        result = assess_asset(
            nodes[pk],
            feeds=[nodes[d] for d in feeds[pk]],
            part_of=part_of[pk],
            implementations=implementations,
            catalog=catalog,
            today=today,
            memo=memo,
        )
        totals: dict[str, Totals] = {slug: Totals() for slug in slugs.values()}
        rows = []
        for obligation in result.obligations:
            framework_id = framework_of[obligation.requirement]
            totals[slugs[framework_id]].add(obligation.status)
            rows.append(
                _StatusRow(
                    pk,
                    obligation.requirement,
                    framework_id,
                    obligation.status,
                    obligation.reason,
                    obligation.applies_from,
                    obligation.condition,
                )
            )
        return rows, {slug: t.as_dict() for slug, t in totals.items() if t.applicable}

    with transaction.atomic():
        # The stored totals are locked first: scoped recomputes that overlap take turns,
        # each reading the old statuses it moves the totals away from.
        stored = {c.framework_id: c for c in FrameworkCoverage.objects.select_for_update()}
        before = _status_counts(target_ids) if scoped else None
        before_requirements = _requirement_counts(target_ids) if scoped else None
        statuses: list[_StatusRow] = []
        # A batch of assets at a time: computed, compared with what is stored, and only
        # the difference written (a full recompute after a catalog upgrade rewrites
        # what the upgrade changed, not every row), so memory stays bounded too.
        for start in range(0, len(target_ids), _BATCH):
            batch = target_ids[start : start + _BATCH]
            computed: dict[tuple[int, int], _StatusRow] = {}
            summaries: dict[int, dict[str, dict[str, int]]] = {}
            for pk in batch:
                rows, summaries[pk] = assess(pk)
                computed.update(((row.asset_id, row.requirement_id), row) for row in rows)
                if scoped:
                    statuses.extend(rows)
            _write_statuses(batch, computed)
            _write_summaries(summaries)
        if before is None or not _shift_totals(slugs, stored, before, statuses):
            _store_totals(slugs)
            _store_requirement_totals()
        else:
            _shift_requirement_totals(before_requirements or {}, statuses)
    return len(target_ids)


class _StatusRow(NamedTuple):
    """A computed RequirementStatus as plain values (a model instance per row costs
    more than the rule itself at 10,000 assets); the fields in the model's order."""

    asset_id: int
    requirement_id: int
    framework_id: int
    status: str
    reason: str
    applies_from: dt.date | None
    condition: str


def _write_statuses(asset_ids: list[int], computed: dict[tuple[int, int], _StatusRow]) -> None:
    """Make the stored statuses of these assets those computed: rows that no longer
    apply or changed are deleted, new and changed ones inserted, equal ones left."""
    stale = []
    for row in RequirementStatus.objects.filter(asset_id__in=asset_ids).values_list(
        "id", *_StatusRow._fields
    ):
        key = (row[1], row[2])
        if computed.get(key) == row[1:]:
            del computed[key]
        else:
            stale.append(row[0])
    for start in range(0, len(stale), _BATCH):
        RequirementStatus.objects.filter(pk__in=stale[start : start + _BATCH]).delete()
    bulk.insert_rows(RequirementStatus, _StatusRow._fields, computed.values())


def _write_summaries(summaries: dict[int, dict[str, dict[str, int]]]) -> None:
    """Store the assets' coverage summaries that changed."""
    changed = {
        pk: summaries[pk]
        for pk, summary in Asset.objects.filter(pk__in=list(summaries)).values_list(
            "pk", "coverage_summary"
        )
        if summary != summaries[pk]
    }
    bulk.update_column(Asset, "coverage_summary", changed)


# A scoped recompute of more assets than this reads everything (one pass is cheaper
# than long IN lists) and re-counts the totals.
SCOPED_LIMIT = 2000

_Counts = dict[int, dict[str, Any]]  # framework id -> {status: n, "assets": {ids}}


def _status_counts(asset_ids: list[int]) -> _Counts:
    """The stored statuses of these assets, counted per framework (one query)."""
    counts: _Counts = defaultdict(lambda: {"met": 0, "partial": 0, "gap": 0, "assets": set()})
    for framework_id, status, asset_id, n in (
        RequirementStatus.objects.filter(asset_id__in=asset_ids)
        .values("framework_id", "status", "asset_id")
        .annotate(n=Count("id"))
        .values_list("framework_id", "status", "asset_id", "n")
    ):
        counts[framework_id][status] += n
        counts[framework_id]["assets"].add(asset_id)
    return counts


def _shift_totals(
    slugs: dict[int, str],
    stored: dict[int, FrameworkCoverage],
    before: _Counts,
    statuses: list[_StatusRow],
) -> bool:
    """Move the stored per-framework totals from the assets' old statuses to their new
    ones; False when there are no stored totals to move (then they are re-counted)."""
    after: _Counts = defaultdict(lambda: {"met": 0, "partial": 0, "gap": 0, "assets": set()})
    for status in statuses:
        after[status.framework_id][status.status] += 1
        after[status.framework_id]["assets"].add(status.asset_id)
    if set(stored) != set(slugs):
        return False
    now = timezone.now()
    changed = []
    for framework_id, row in stored.items():
        old, new = before.get(framework_id), after.get(framework_id)
        if old is None and new is None:
            continue
        old = old or {"met": 0, "partial": 0, "gap": 0, "assets": set()}
        new = new or {"met": 0, "partial": 0, "gap": 0, "assets": set()}
        for name in ("met", "partial", "gap"):
            setattr(row, name, getattr(row, name) + new[name] - old[name])
        row.applicable = row.met + row.partial + row.gap
        row.assets += len(new["assets"]) - len(old["assets"])
        row.computed_at = now
        changed.append(row)
    if changed:
        FrameworkCoverage.objects.bulk_update(
            changed, ["met", "partial", "gap", "applicable", "assets", "computed_at"]
        )
    return True


# requirement id -> {status: n} and {applies_from date: n}: the statuses per state and
# per start date (RequirementCoverage and RequirementDate).
_RequirementCounts = dict[int, Counter[str | dt.date]]


def _requirement_counts(asset_ids: list[int] | None) -> _RequirementCounts:
    """The stored statuses of these assets, counted per requirement by state and by
    start date (one query)."""
    counts: _RequirementCounts = defaultdict(Counter)
    statuses = RequirementStatus.objects.order_by()
    if asset_ids is not None:
        statuses = statuses.filter(asset_id__in=asset_ids)
    for requirement_id, status, applies_from, n in statuses.values_list(
        "requirement_id", "status", "applies_from"
    ).annotate(n=Count("id")):
        counts[requirement_id][status] += n
        if applies_from is not None:
            counts[requirement_id][applies_from] += n
    return counts


def _shift_requirement_totals(before: _RequirementCounts, statuses: list[_StatusRow]) -> None:
    """Move the stored per-requirement totals from the assets' old statuses to their
    new ones (the rows of the requirements that changed)."""
    delta: _RequirementCounts = defaultdict(Counter)
    for requirement_id, counts in before.items():
        delta[requirement_id].subtract(counts)
    for status in statuses:
        delta[status.requirement_id][status.status] += 1
        if status.applies_from is not None:
            delta[status.requirement_id][status.applies_from] += 1
    _write_requirement_totals({r: d for r, d in delta.items() if any(d.values())}, add=True)


def _store_requirement_totals() -> None:
    """Re-count the per-requirement totals from every stored status."""
    counts = _requirement_counts(None)
    RequirementCoverage.objects.exclude(requirement_id__in=list(counts)).delete()
    RequirementDate.objects.exclude(requirement_id__in=list(counts)).delete()
    _write_requirement_totals(counts, add=False)


def _write_requirement_totals(counts: _RequirementCounts, *, add: bool) -> None:
    """Store these counts per requirement, added to the stored totals (a shift) or in
    their place (a re-count): the totals by state in two queries (one more for
    requirements that have none yet), the counts by start date in two to four."""
    if not counts:
        return
    rows = {
        t.requirement_id: t
        for t in RequirementCoverage.objects.filter(requirement_id__in=list(counts))
    }
    for requirement_id, by_status in counts.items():
        row = rows.setdefault(requirement_id, RequirementCoverage(requirement_id=requirement_id))
        for name in ("met", "partial", "gap"):
            setattr(row, name, (getattr(row, name) if add else 0) + by_status[name])
    RequirementCoverage.objects.bulk_create([row for row in rows.values() if row.pk is None])
    RequirementCoverage.objects.bulk_update(
        [row for row in rows.values() if row.pk is not None], ["met", "partial", "gap"]
    )
    _write_requirement_dates(counts, add=add)


def _write_requirement_dates(counts: _RequirementCounts, *, add: bool) -> None:
    """The date part of _write_requirement_totals: a date no asset starts on any more
    loses its row."""
    dates = {
        (d.requirement_id, d.applies_from): d
        for d in RequirementDate.objects.filter(requirement_id__in=list(counts))
    }
    if not add:
        for row in dates.values():
            row.assets = 0
    for requirement_id, by_key in counts.items():
        for day, n in by_key.items():
            if isinstance(day, dt.date):
                row = dates.setdefault(
                    (requirement_id, day),
                    RequirementDate(requirement_id=requirement_id, applies_from=day),
                )
                row.assets += n
    kept = [row for row in dates.values() if row.pk is not None and row.assets]
    RequirementDate.objects.filter(
        pk__in=[row.pk for row in dates.values() if row.pk is not None and not row.assets]
    ).delete()
    RequirementDate.objects.bulk_create(
        [row for row in dates.values() if row.pk is None and row.assets]
    )
    RequirementDate.objects.bulk_update(kept, ["assets"])


def _store_totals(slugs: dict[int, str]) -> None:
    live = overall_coverage_live()
    now = timezone.now()
    existing = {c.framework_id: c for c in FrameworkCoverage.objects.all()}
    for framework_id, slug in slugs.items():
        figures = live[slug]
        row = existing.get(framework_id) or FrameworkCoverage(framework_id=framework_id)
        for name in ("met", "partial", "gap", "applicable", "assets"):
            setattr(row, name, figures[name])
        row.computed_at = now
        row.save()


def _pending_state() -> dict[str, Any]:
    state = getattr(connection, "_riskhub_coverage_pending", None)
    registered = state is not None and any(
        entry[1] is state["flush"] for entry in connection.run_on_commit
    )
    if state is None or not registered:
        state = {"all": False, "ids": set()}

        def flush() -> None:
            connection._riskhub_coverage_pending = None  # type: ignore[attr-defined]
            _dispatch(None if state["all"] else state["ids"])

        state["flush"] = flush
        connection._riskhub_coverage_pending = state  # type: ignore[attr-defined]
        transaction.on_commit(flush)
    return state


def _dispatch(asset_ids: set[int] | None) -> None:
    if asset_ids is not None and len(asset_ids) <= SYNC_RECOMPUTE_LIMIT:
        coverage_recompute(asset_ids=asset_ids)
        return
    from riskhub.compliance import tasks

    tasks.recompute_coverage.delay(None if asset_ids is None else sorted(asset_ids))


def schedule_recompute(asset_ids: Iterable[int] | None) -> None:
    """Recompute after the current transaction commits, once however many changes
    asked for it (a re-classification of every asset sends one signal per asset)."""
    if not connection.in_atomic_block:
        _dispatch(None if asset_ids is None else set(asset_ids))
        return
    state = _pending_state()
    if asset_ids is None:
        state["all"] = True
    else:
        state["ids"].update(asset_ids)


def affected_assets(implementation: ControlImplementation) -> list[int] | None:
    """The assets an implementation counts for (None: all of them)."""
    if implementation.scope == Control.Scope.ORGANISATION:
        return None
    assert implementation.asset_id is not None
    if implementation.scope == Control.Scope.SYSTEM:
        return sorted({implementation.asset_id} | components_of(implementation.asset_id))
    return [implementation.asset_id]


def _recompute_for(implementation: ControlImplementation) -> None:
    ids = affected_assets(implementation)
    if ids is not None and len(ids) <= SYNC_RECOMPUTE_LIMIT:
        coverage_recompute(asset_ids=ids)
    elif ids is None and Asset.objects.count() <= SYNC_RECOMPUTE_LIMIT:
        coverage_recompute(asset_ids=None)
    else:
        schedule_recompute(ids)


def recompute_after_classification(asset: Asset) -> None:
    schedule_recompute({asset.pk} | upstream_ids([asset.pk]))


def recompute_after_lineage(asset_ids: Iterable[int], detached: Iterable[int] = ()) -> None:
    """Obligations flow upstream: the assets below a changed link and everything upstream
    of them, and the upstream ends of removed links with everything upstream of those."""
    ids = set(asset_ids) | set(detached)
    schedule_recompute(ids | upstream_ids(ids))


# --- implementations ------------------------------------------------------------------


def _snapshot(implementation: ControlImplementation) -> dict[str, Any]:
    return {
        "control": implementation.control.code,
        "scope": implementation.scope,
        "asset": str(implementation.asset.uuid) if implementation.asset else None,
        "status": implementation.status,
        "justification": implementation.justification,
        "owner": implementation.owner_id,
        "notes": implementation.notes,
        "due_date": implementation.due_date,
        "last_verified": implementation.last_verified,
        "next_verification": implementation.next_verification,
        "needs_review": implementation.needs_review,
    }


def _validate_implementation(implementation: ControlImplementation) -> None:
    errors: dict[str, str] = {}
    scope = implementation.scope
    asset = implementation.asset
    if implementation.control.retired:
        errors["control"] = "This control is no longer in the catalog."
    if scope == Control.Scope.ORGANISATION and asset is not None:
        errors["asset"] = "An organisation-wide implementation names no asset."
    if scope == Control.Scope.SYSTEM and (asset is None or asset.kind != Asset.Kind.SYSTEM):
        errors["asset"] = "Choose the AI system this implementation covers."
    if scope == Control.Scope.ASSET and asset is None:
        errors["asset"] = "Choose the asset this implementation covers."
    if asset is not None and asset.is_archived:
        errors["asset"] = "The asset is archived."
    if (
        implementation.status == ControlImplementation.Status.NOT_APPLICABLE
        and not implementation.justification.strip()
    ):
        errors["justification"] = "Say why the control does not apply."
    if (
        implementation.last_verified
        and implementation.next_verification
        and implementation.next_verification < implementation.last_verified
    ):
        errors["next_verification"] = "The next verification comes after the last one."
    clash = ControlImplementation.objects.filter(control=implementation.control, scope=scope)
    clash = clash.filter(asset__isnull=True) if asset is None else clash.filter(asset=asset)
    if implementation.pk:
        clash = clash.exclude(pk=implementation.pk)
    if clash.exists():
        errors["control"] = "This control already has an implementation at this scope."
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def implementation_create(
    *,
    actor: User,
    control: Control,
    scope: str,
    asset: Asset | None = None,
    status: str = ControlImplementation.Status.NOT_STARTED,
    justification: str = "",
    owner: User | None = None,
    notes: str = "",
    due_date: dt.date | None = None,
    last_verified: dt.date | None = None,
    next_verification: dt.date | None = None,
    permission: str = "compliance.edit",
) -> ControlImplementation:
    """`permission`: the one the actor needs; a workflow that files its own evidence
    (the impact assessment's approval, "impact.review") names its own."""
    require(actor, permission)
    implementation = ControlImplementation(
        control=control,
        scope=scope,
        asset=asset if scope != Control.Scope.ORGANISATION else None,
        status=status,
        justification=justification.strip(),
        owner=owner,
        notes=notes,
        due_date=due_date,
        last_verified=last_verified,
        next_verification=next_verification,
    )
    _validate_implementation(implementation)
    implementation.full_clean()
    implementation.save()
    record_event(
        actor=actor,
        action="control_implementation.create",
        object_type="control_implementation",
        object_id=implementation.uuid,
        object_repr=str(implementation),
        after=_snapshot(implementation),
    )
    _recompute_for(implementation)
    return implementation


@transaction.atomic
def implementation_update(
    *,
    actor: User,
    implementation: ControlImplementation,
    permission: str = "compliance.edit",
    **fields: Any,
) -> ControlImplementation:
    """Change an implementation's status and follow-up; `reviewed=True` clears the
    "needs review" flag. Other fields (the control, the scope) never change here.
    `permission` as in `implementation_create`."""
    require(actor, permission)
    changes = {k: v for k, v in fields.items() if k in IMPLEMENTATION_FIELDS}
    if isinstance(changes.get("justification"), str):
        changes["justification"] = changes["justification"].strip()

    def prepare(current: ControlImplementation) -> None:
        if fields.get("reviewed"):
            current.needs_review = False
            current.review_reason = ""
        _validate_implementation(current)

    edit = guarded_update(
        ControlImplementation.objects.select_related("control", "asset").filter(
            pk=implementation.pk
        ),
        actor=actor,
        changes=changes,
        allowed=IMPLEMENTATION_FIELDS,
        action="control_implementation.update",
        version_field=None,
        snapshot=_snapshot,
        prepare=prepare,
    )
    if edit.changed:
        _recompute_for(edit.instance)
    return edit.instance


@transaction.atomic
def implementation_reassign_owner(*, actor: User, from_user: User, to_user: User) -> int:
    """Make `to_user` the owner of every control implementation `from_user` still has
    to deliver (offboarding); one `controlimplementation.reassign` event each (the type
    name offboarding has always written). Coverage does not depend on the owner, so
    nothing is recomputed. Returns how many moved."""
    require(actor, "users.manage")
    moved = reassign_owner(
        actor=actor,
        rows=open_implementations_owned_by(from_user),
        from_user=from_user,
        to_user=to_user,
        object_type="controlimplementation",
    )
    return len(moved)


@transaction.atomic
def implementation_delete(*, actor: User, implementation: ControlImplementation) -> None:
    """Only an implementation without evidence may be deleted: evidence is kept for
    auditors (mark the control not applicable instead)."""
    require(actor, "compliance.edit")
    if implementation.evidence.exists():
        raise ValidationError(
            "This implementation has evidence; mark it not applicable instead of deleting it."
        )
    ids = affected_assets(implementation)
    record_event(
        actor=actor,
        action="control_implementation.delete",
        object_type="control_implementation",
        object_id=implementation.uuid,
        object_repr=str(implementation),
        before=_snapshot(implementation),
    )
    implementation.delete()
    if ids is not None and len(ids) <= SYNC_RECOMPUTE_LIMIT:
        coverage_recompute(asset_ids=ids)
    else:
        schedule_recompute(ids)


# --- evidence -------------------------------------------------------------------------


def _evidence_snapshot(evidence: Evidence) -> dict[str, Any]:
    return {
        "implementation": str(evidence.implementation.uuid),
        "kind": evidence.kind,
        "name": evidence.original_name,
        "url": evidence.url,
        "content_type": evidence.content_type,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "description": evidence.description,
        "valid_until": evidence.valid_until,
    }


def _validate_evidence_fields(description: str, valid_until: dt.date | None) -> None:
    if not description.strip():
        raise ValidationError({"description": "Describe what this evidence shows."})


@transaction.atomic
def evidence_add_file(
    *,
    actor: User,
    implementation: ControlImplementation,
    file: IO[bytes],
    name: str,
    description: str,
    valid_until: dt.date | None = None,
    size: int | None = None,
    permission: str = "compliance.edit",
    allow_markup: bool = False,
) -> Evidence:
    """Validate the file by its content, then store it under an unguessable name.
    A refused file raises ValidationError and nothing is stored. `permission` as in
    `implementation_create`; `allow_markup` as in `uploads.check_upload`."""
    require(actor, permission)
    _validate_evidence_fields(description, valid_until)
    try:
        checked = uploads.check_upload(file, name, size, allow_markup=allow_markup)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    storage_name = f"evidence/{secrets.token_urlsafe(24)}{checked.extension}"
    file.seek(0)
    try:
        stored = default_storage.save(storage_name, File(file, name=storage_name))
    except OSError:
        # Disk full or storage unavailable mid-write: remove what was half written
        # and say so; nothing is kept.
        if default_storage.exists(storage_name):
            default_storage.delete(storage_name)
        raise ValidationError(
            {
                "file": "The file could not be stored (the server's storage is full or "
                "unavailable). Nothing was kept; please try again later."
            }
        ) from None
    try:
        evidence = Evidence(
            implementation=implementation,
            kind=Evidence.Kind.FILE,
            original_name=checked.name,
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            description=description.strip(),
            valid_until=valid_until,
            uploaded_by=actor,
        )
        evidence.file.name = stored
        evidence.full_clean()
        evidence.save()
    except Exception:
        default_storage.delete(stored)
        raise
    _after_evidence(actor, evidence)
    return evidence


@transaction.atomic
def evidence_add_link(
    *,
    actor: User,
    implementation: ControlImplementation,
    url: str,
    description: str,
    valid_until: dt.date | None = None,
) -> Evidence:
    require(actor, "compliance.edit")
    _validate_evidence_fields(description, valid_until)
    if not url.lower().startswith(("https://", "http://")):
        raise ValidationError({"url": "Give an http or https link."})
    evidence = Evidence(
        implementation=implementation,
        kind=Evidence.Kind.URL,
        url=url.strip(),
        description=description.strip(),
        valid_until=valid_until,
        uploaded_by=actor,
    )
    evidence.full_clean()
    evidence.save()
    _after_evidence(actor, evidence)
    return evidence


def _after_evidence(actor: User, evidence: Evidence) -> None:
    record_event(
        actor=actor,
        action="evidence.add",
        object_type="evidence",
        object_id=evidence.uuid,
        object_repr=evidence.description,
        after=_evidence_snapshot(evidence),
    )
    _recompute_for(evidence.implementation)


@transaction.atomic
def evidence_record_download(*, actor: User, evidence: Evidence) -> None:
    require(actor, "compliance.view")
    record_event(
        actor=actor,
        action="evidence.download",
        object_type="evidence",
        object_id=evidence.uuid,
        object_repr=evidence.description,
        after={"name": evidence.original_name, "sha256": evidence.sha256},
    )


# --- expiry ---------------------------------------------------------------------------


def evidence_expiry_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Daily: email the owners of evidence expiring within the window (once), and
    recompute the coverage that evidence expired since the last run stops supporting."""
    today = today or local_today()
    window = evidence_expiry_window()
    expiring = list(
        Evidence.objects.filter(
            expiring_evidence_q(today, days=window), expiry_notified_on__isnull=True
        ).select_related(
            "implementation__control",
            "implementation__owner",
            "implementation__asset",
            "uploaded_by",
        )
    )
    by_recipient: dict[str, list[Evidence]] = defaultdict(list)
    for evidence in expiring:
        person = evidence.implementation.owner or evidence.uploaded_by
        if person is not None and person.is_active and person.email:
            by_recipient[person.email].append(evidence)
    for email, items in by_recipient.items():
        lines = [
            f"- {e.implementation.control.code} ({e.implementation.scope_label}): "
            f"“{e.description}” valid until {e.valid_until:%d %b %Y}"
            for e in sorted(items, key=lambda e: (e.valid_until, e.pk))
        ]
        send_mail(
            subject=f"RiskHub: {len(items)} evidence item(s) expire within {window} days",
            message="Renew the evidence below before it expires, or the controls stop counting "
            "towards coverage:\n\n" + "\n".join(lines) + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[email],
        )
    Evidence.objects.filter(pk__in=[e.pk for e in expiring]).update(expiry_notified_on=today)

    expired = list(
        Evidence.objects.filter(valid_until__lt=today, expiry_applied=False).select_related(
            "implementation"
        )
    )
    ids: set[int] = set()
    everything = False
    for implementation in {e.implementation for e in expired}:
        affected = affected_assets(implementation)
        if affected is None:
            everything = True
        else:
            ids.update(affected)
    if expired:
        coverage_recompute(asset_ids=None if everything else ids, today=today)
        Evidence.objects.filter(pk__in=[e.pk for e in expired]).update(expiry_applied=True)
    # Evidence renewed into the future may expire again later.
    Evidence.objects.filter(
        Q(valid_until__gte=today) | Q(valid_until__isnull=True), expiry_applied=True
    ).update(expiry_applied=False)
    return {"notified": len(expiring), "emails": len(by_recipient), "expired": len(expired)}


@transaction.atomic
def implementation_flag_for_review(
    *,
    actor: User | None,
    implementation: ControlImplementation,
    reason: str,
    context: dict[str, Any] | None = None,
) -> bool:
    """Ask for the implementation to be verified again (after an incident, say).
    Returns False when it was already flagged for the same reason."""
    if implementation.needs_review and implementation.review_reason == reason:
        return False
    implementation.needs_review = True
    implementation.review_reason = reason[:2000]
    implementation.save(update_fields=["needs_review", "review_reason", "updated_at"])
    record_event(
        actor=actor,
        action="control_implementation.flag_for_review",
        object_type="control_implementation",
        object_id=implementation.uuid,
        object_repr=str(implementation),
        after={"needs_review": True, "review_reason": reason, **(context or {})},
    )
    return True
