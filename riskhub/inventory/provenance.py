"""Field provenance (DESIGN.md "Field provenance"): who set each asset field last.

`Asset.field_sources` maps a field name to the last writer of that field:
``{"by": "person", "user": <user id>, "at": "<iso>"}``, ``{"by": "import", ...}`` or
``{"by": "connector", "source": "MLflow: <registry>", "at": "<iso>"}``. The model card
is tracked per part (``model_card.metrics``, ``model_card.limitations``...), so a
person who writes the limitations does not freeze the metrics a connector keeps
current. A connector never overwrites a field whose last writer is a person
(`connector_may_write`); a person or an import may overwrite anything.

Users are stored by id (like the audit trail), so erasing a person keeps the map valid.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import timezone

PERSON = "person"
IMPORT = "import"
CONNECTOR = "connector"
CARD_PREFIX = "model_card."


def _keys(field: str, before: Any, after: Any) -> list[str]:
    """The provenance keys a change of `field` touches: the field itself, or for the
    model card each part whose value changed."""
    if field != "model_card":
        return [field]
    old = before if isinstance(before, dict) else {}
    new = after if isinstance(after, dict) else {}
    return [CARD_PREFIX + k for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)]


def mark(
    asset: Any,
    changed: Mapping[str, tuple[Any, Any]] | Iterable[str],
    *,
    by: str,
    user: Any = None,
    source: str = "",
    at: Any = None,
) -> list[str]:
    """Record `by` as the last writer of the changed fields on `asset.field_sources`
    (not saved). `changed` is field -> (before, after), or just field names (the
    model card then counts as every part it now has). Returns the keys marked."""
    stamp = (at or timezone.now()).isoformat()
    entry: dict[str, Any] = {"by": by, "at": stamp}
    if user is not None:
        entry["user"] = getattr(user, "pk", user)
    if source:
        entry["source"] = source
    if isinstance(changed, Mapping):
        pairs = dict(changed)
    else:
        pairs = {name: ({}, getattr(asset, name, None)) for name in changed}
    sources = dict(asset.field_sources or {})
    marked: list[str] = []
    for name, (before, after) in pairs.items():
        for key in _keys(name, before, after):
            sources[key] = dict(entry)
            marked.append(key)
    asset.field_sources = sources
    return marked


def last_writer(asset: Any, key: str) -> str:
    """'person', 'import', 'connector', or '' when nobody is recorded."""
    return str((asset.field_sources or {}).get(key, {}).get("by", ""))


def connector_may_write(asset: Any, key: str) -> bool:
    """A connector never overwrites a person's edit."""
    return last_writer(asset, key) != PERSON


def from_connector(asset: Any, source_prefix: str = "") -> dict[str, dict[str, Any]]:
    """The keys whose last writer is a connector (optionally one whose source starts
    with `source_prefix`), for the asset page."""
    return {
        key: entry
        for key, entry in (asset.field_sources or {}).items()
        if entry.get("by") == CONNECTOR and str(entry.get("source", "")).startswith(source_prefix)
    }


def label(entry: Mapping[str, Any] | None) -> str:
    """How the asset page names the last writer: "MLflow: prod", "an import", "a person"."""
    if not entry:
        return ""
    by = entry.get("by")
    if by == CONNECTOR:
        return str(entry.get("source") or "a connector")
    if by == IMPORT:
        return "an import"
    return "a person"
