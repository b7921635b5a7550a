"""An event's before and after as a field-by-field difference people can read.

The stored snapshots stay as they are (they are hashed); this only decides how a page
shows them: one row per field that differs, with a readable label, the kind of change
and both values in words (Yes/No, a person instead of a user id, nested values spelled
out), long values cut short with the full value kept beside them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from riskhub.audit.labels import USER_FIELDS, field_label

SHORT = 160
_ISO_MOMENT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
NESTED = " › "


@dataclass(frozen=True)
class Shown:
    """A value in words: `short` on the page, `text` in full when it is longer."""

    text: str

    @property
    def truncated(self) -> bool:
        return len(self.text) > SHORT

    @property
    def short(self) -> str:
        return self.text if not self.truncated else self.text[: SHORT - 1].rstrip() + "…"


@dataclass(frozen=True)
class FieldChange:
    label: str
    kind: str  # "added" | "removed" | "changed"
    before: Shown | None
    after: Shown | None

    @property
    def kind_label(self) -> str:
        return {"added": "Added", "removed": "Removed", "changed": "Changed"}[self.kind]


@dataclass
class Difference:
    changes: list[FieldChange] = field(default_factory=list)
    unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not self.changes


def difference(before: Any, after: Any, people: Mapping[int, str]) -> Difference:
    """The fields that differ between two snapshots (a create has no before, a delete
    no after: every field is added or removed)."""
    result = Difference()
    if before is None and after is None:
        return result
    if isinstance(before, dict | type(None)) and isinstance(after, dict | type(None)):
        _compare(before or {}, after or {}, "", people, result)
    elif before != after:
        result.changes.append(field_change("Value", "", before, after, people))
    return result


def _compare(
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    prefix: str,
    people: Mapping[int, str],
    result: Difference,
) -> None:
    keys = list(after) + [k for k in before if k not in after]
    for key in keys:
        label = prefix + field_label(str(key))
        has_before, has_after = key in before, key in after
        old, new = before.get(key), after.get(key)
        if has_before and has_after and old == new:
            result.unchanged += 1
        elif has_before and has_after and isinstance(old, dict) and isinstance(new, dict):
            _compare(old, new, label + NESTED, people, result)
        elif not has_before:
            result.changes.append(FieldChange(label, "added", None, readable(new, key, people)))
        elif not has_after:
            result.changes.append(FieldChange(label, "removed", readable(old, key, people), None))
        else:
            result.changes.append(field_change(label, key, old, new, people))


def field_change(
    label: str, key: str, old: Any, new: Any, people: Mapping[int, str]
) -> FieldChange:
    if old is None:
        return FieldChange(label, "added", None, readable(new, key, people))
    if new is None:
        return FieldChange(label, "removed", readable(old, key, people), None)
    return FieldChange(label, "changed", readable(old, key, people), readable(new, key, people))


def readable(value: Any, key: str = "", people: Mapping[int, str] | None = None) -> Shown:
    return Shown(_words(value, key, people or {}))


def _words(value: Any, key: str, people: Mapping[int, str]) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if key in USER_FIELDS and isinstance(value, int):
        return people.get(value, f"user #{value}")
    if isinstance(value, str):
        return _moment(value) or value or "(empty)"
    if isinstance(value, dict):
        if not value:
            return "(none)"
        return "; ".join(f"{field_label(str(k))}: {_words(v, k, people)}" for k, v in value.items())
    if isinstance(value, list):
        if not value:
            return "(none)"
        if any(isinstance(v, dict | list) for v in value):
            return "\n".join(f"• {_words(v, key, people)}" for v in value)
        return ", ".join(_words(v, key, people) for v in value)
    return str(value)


def _moment(text: str) -> str:
    """An ISO moment as the page shows times (the current time zone, to the second);
    "" when the text is not one."""
    if not _ISO_MOMENT.match(text):
        return ""
    moment = parse_datetime(text)
    if moment is None or timezone.is_naive(moment):
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def people_referenced(snapshots: Iterable[Any]) -> set[int]:
    """User ids that snapshot fields such as `owner` hold, to name them in one query."""
    found: set[int] = set()

    def walk(value: Any, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, str(k))
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif key in USER_FIELDS and isinstance(value, int) and not isinstance(value, bool):
            found.add(value)

    for snapshot in snapshots:
        walk(snapshot)
    return found
