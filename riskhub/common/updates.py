"""Guarded updates: the one way a service saves an edit to a row that already exists.

An edit names the version of the row it started from (optimistic locking). The sequence
is the same for every record, so it lives here once:

1. lock the row (SELECT ... FOR UPDATE; SQLite's IMMEDIATE transactions serialise writers);
2. check the row is still editable at all (a closed incident, an approved assessment);
3. compare the version: someone saved since the editor loaded it -> `EditConflict`, and
   nothing is written;
4. snapshot the row as the audit trail describes it;
5. apply the changes, refusing any field the service does not let people change;
6. normalise and validate (the service's own rules, then `full_clean`);
7. move the version on and save;
8. write the difference to the audit trail, in the same transaction.

`EditConflict` is the single "someone saved first" error: the HTML views answer it with
the form kept as typed and status 409, the API with the one error shape and status 409,
and both say the same sentence (`str(conflict)`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction

from riskhub.audit.services import record_event

M = TypeVar("M", bound=models.Model)

REFUSED_FIELD = "This field cannot be changed here."
SOMEONE = "Someone else"


class EditConflict(Exception):
    """Someone saved the record after this editor loaded it; nothing was written.

    `current` is the record as saved now, `expected` the version the editor started
    from, `saved_by` who saved the version that is current ("Someone else" when the
    record keeps no history or the save had no person behind it)."""

    def __init__(
        self,
        current: models.Model,
        *,
        expected: int,
        version_field: str = "version",
        noun: str | None = None,
    ) -> None:
        self.current = current
        self.expected = expected
        self.version_field = version_field
        self.version: int = getattr(current, version_field)
        self.noun = noun or str(current._meta.verbose_name)
        self.saved_by = _saved_by(current, version_field)
        super().__init__(
            f"{self.saved_by} saved this {self.noun} (now {version_field} {self.version}) "
            f"while you were editing {version_field} {expected}. "
            "Your changes were not saved."
        )


def _saved_by(current: models.Model, version_field: str) -> str:
    """The person whose save made the current version: the first history row that
    carries it (later rows of the same version are derived values, not edits)."""
    history = getattr(current, "history", None)
    if history is None:
        return SOMEONE
    row = (
        history.filter(**{version_field: getattr(current, version_field)})
        .order_by("history_date", "history_id")
        .select_related("history_user")
        .first()
    )
    user = getattr(row, "history_user", None)
    return str(user) if user is not None else SOMEONE


@dataclass(frozen=True)
class Edit(Generic[M]):
    """What a guarded update did: the saved row and, for the fields that changed, their
    values before and after (both empty when the edit changed nothing)."""

    instance: M
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.after)


def _queryset(target: M | models.QuerySet[M]) -> models.QuerySet[M]:
    if isinstance(target, models.QuerySet):
        return target
    return type(target)._default_manager.filter(pk=target.pk)


def lock_for_edit(
    target: M | models.QuerySet[M],
    *,
    expected_version: int | None,
    version_field: str | None = "version",
    noun: str | None = None,
    check: Callable[[M], None] | None = None,
) -> M:
    """Lock the row and make sure the edit may go ahead: `check` (is it editable at
    all?) first, then the version. `target` is the row, or a queryset that selects
    exactly that row (to add `select_related`). `expected_version=None` skips the
    version comparison for a caller that did not name one. Must run in a transaction."""
    # of=("self",): lock this row, not the rows select_related joins (a matrix, a
    # control) that other writers may need; ignored on SQLite.
    current = _queryset(target).select_for_update(of=("self",)).get()
    if check is not None:
        check(current)
    if expected_version is not None:
        if version_field is None:
            raise TypeError("expected_version needs a version_field to compare with")
        if getattr(current, version_field) != expected_version:
            raise EditConflict(
                current, expected=expected_version, version_field=version_field, noun=noun
            )
    return current


def field_snapshot(fields: Collection[str]) -> Callable[[models.Model], dict[str, Any]]:
    """A snapshot of these fields as stored (foreign keys by id)."""

    def snapshot(instance: models.Model) -> dict[str, Any]:
        concrete = {f.name: f.attname for f in instance._meta.concrete_fields}
        return {name: getattr(instance, concrete[name]) for name in fields}

    return snapshot


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    """The keys of `after` whose values differ from `before`, with both values."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


@transaction.atomic
def guarded_update(
    target: M | models.QuerySet[M],
    *,
    actor: Any,
    changes: Mapping[str, Any],
    allowed: Collection[str],
    action: str,
    expected_version: int | None = None,
    version_field: str | None = "version",
    snapshot: Callable[[M], dict[str, Any]] | None = None,
    noun: str | None = None,
    check: Callable[[M], None] | None = None,
    prepare: Callable[[M], None] | None = None,
    validate: Callable[[M], None] | None = None,
    after_save: Callable[[M], None] | None = None,
    changed_by: str | None = None,
    describe: Callable[[M], str] = str,
) -> Edit[M]:
    """Save `changes` to the row, refusing the edit if someone saved since
    `expected_version` and any field outside `allowed`.

    The service keeps its own rules in the hooks, each given the locked row:
    `check` refuses an edit of a record that may not change at all (before the
    version is compared); `prepare` normalises and applies the rules that need the
    whole row (before `full_clean`); `validate` the rules that need clean values
    (after it); `after_save` writes what a save cannot (many-to-many links) before
    the after-snapshot is taken. `changed_by` names a field set to the actor when
    the edit changes the snapshot (who last changed it). The version field (if any)
    moves on with every save; the audit event (action `<object_type>.<verb>`,
    object id the row's uuid) carries only the fields that changed and is written
    only when something did."""
    current = lock_for_edit(
        target,
        expected_version=expected_version,
        version_field=version_field,
        noun=noun,
        check=check,
    )
    refused = sorted(name for name in changes if name not in allowed)
    if refused:
        raise ValidationError({name: REFUSED_FIELD for name in refused})
    take = snapshot or field_snapshot(allowed)
    before = take(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if prepare is not None:
        prepare(current)
    current.full_clean()
    if validate is not None:
        validate(current)
    if changed_by is not None and take(current) != before:
        setattr(current, changed_by, actor)
    if version_field is not None:
        # The row is locked, so incrementing in Python is safe; an F() expression would
        # reach simple-history's post_save unresolved and break the history row.
        setattr(current, version_field, getattr(current, version_field) + 1)
    current.save()
    if after_save is not None:
        after_save(current)
    old, new = diff(before, take(current))
    if new:
        record_event(
            actor=actor,
            action=action,
            object_type=action.split(".", 1)[0],
            object_id=getattr(current, "uuid", current.pk),
            object_repr=describe(current),
            before=old,
            after=new,
        )
    return Edit(current, old, new)
