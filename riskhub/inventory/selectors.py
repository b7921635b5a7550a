"""Every read of the inventory that a view, the API, a task or a report needs.

Each function issues a bounded number of queries, whatever the size of the register.
"""

from __future__ import annotations

import uuid as uuid_lib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from riskhub.accounts.models import User
from riskhub.audit.changes import FieldChange, field_change, readable
from riskhub.audit.labels import model_field_label
from riskhub.inventory.classification import TIERS
from riskhub.inventory.facts import token_label
from riskhub.inventory.lineage import DOWN, UP, around
from riskhub.inventory.models import (
    CLASSIFIABLE_KINDS,
    Asset,
    AssetLink,
    BusinessUnit,
    Classification,
    OrganisationProfile,
)

# Lowest first; Asset.RiskBand follows riskhub.risk.bands (tests/risk/test_bands.py).
BAND_ORDER = list(Asset.RiskBand.values)


# --- the "unassessed" figure (DESIGN.md "One truth") -----------------------------------
# An active (not archived) asset without a current approved assessment is "not
# assessed", never Low. Which assets have one is the risk app's knowledge
# (``riskhub.risk.selectors.assessed_asset_ids``); the inventory only applies it.


def active_q(prefix: str = "") -> Q:
    """Not archived; `prefix` reaches the asset from another model ("assessment__asset__")."""
    return Q(**{f"{prefix}archived_at__isnull": True})


def unassessed_q(assessed_asset_ids: Any) -> Q:
    """Among active assets, those not in `assessed_asset_ids` (ids or a subquery).

    For counting (inside a FILTER): PostgreSQL hashes the subquery once. To pick a few
    rows, use `unassessed_anti_join_q`, the same rule."""
    return ~Q(id__in=assessed_asset_ids)


def unassessed_anti_join_q(assessed_asset_ids: QuerySet[Any]) -> Q:
    """The rule of `unassessed_q` as NOT EXISTS over a subquery with an `asset_id`
    column: an anti-join read from indexes, for finding the first few unassessed assets
    (with NOT IN the planner expected half the assets to qualify and walked every name
    at 100,000 assets). Inside a counting FILTER it would be probed once per row: count
    with `unassessed_q`."""
    return ~Q(Exists(assessed_asset_ids.filter(asset_id=OuterRef("id"))))


# The risk app's answer to "which assets have a current approved assessment", set by
# riskhub.risk.apps at start-up (the inventory sits below risk and cannot ask it).
assessed_asset_ids_source: Callable[[], Any] | None = None


def is_unassessed(asset: dict[str, Any], assessed_asset_ids: set[int]) -> bool:
    """The same rule over a plain asset row (a report's state)."""
    return asset["archived_at"] is None and asset["id"] not in assessed_asset_ids


@dataclass
class AssetFilters:
    q: str = ""
    kind: str = ""
    tier: str = ""
    owner: uuid_lib.UUID | None = None
    business_unit: uuid_lib.UUID | None = None
    lifecycle: str = ""
    risk_band: str = ""
    # "missing": no current approved assessment (the dashboard's "not assessed")
    assessment: str = ""
    # "active" (default), "archived" or "all"
    archived: str = "active"


def _rank(field_name: str, order: list[str]) -> Case:
    return Case(
        *[When(**{field_name: value}, then=Value(i)) for i, value in enumerate(order)],
        default=Value(-1),
        output_field=IntegerField(),
    )


# Sort key (as in ?sort=) -> the expression; "-key" sorts descending.
SORTS: dict[str, Any] = {
    "name": Lower("name"),
    "kind": "kind",
    "tier": _rank("tier", list(TIERS)),
    "owner": Lower("owner__email"),
    "business_unit": Lower("business_unit__name"),
    "lifecycle": _rank("lifecycle", list(Asset.Lifecycle.values)),
    "risk": _rank("effective_risk_band", BAND_ORDER),
    "updated": "updated_at",
}


def assets(filters: AssetFilters | None = None, sort: str = "name") -> QuerySet[Asset]:
    """The filtered, sorted register with owner and business unit joined (one query)."""
    filters = filters or AssetFilters()
    qs = Asset.objects.select_related("owner", "business_unit")
    if filters.archived == "archived":
        qs = qs.filter(archived_at__isnull=False)
    elif filters.archived != "all":
        qs = qs.filter(archived_at__isnull=True)
    if filters.q:
        term = filters.q.strip()
        qs = qs.filter(
            Q(name__icontains=term)
            | Q(description__icontains=term)
            | Q(vendor__icontains=term)
            | Q(tags__icontains=term)
        )
    for name in ("kind", "tier", "lifecycle"):
        value = getattr(filters, name)
        if value == "none" and name == "tier":  # "Not yet classified"
            qs = qs.filter(tier="", kind__in=CLASSIFIABLE_KINDS)
        elif value == "not-applicable" and name == "tier":  # datasets, endpoints
            qs = qs.filter(tier="").exclude(kind__in=CLASSIFIABLE_KINDS)
        elif value:
            qs = qs.filter(**{name: value})
    if filters.risk_band:
        qs = qs.filter(effective_risk_band=filters.risk_band)
    if filters.assessment == "missing" and assessed_asset_ids_source is not None:
        qs = qs.filter(unassessed_q(assessed_asset_ids_source()))
    if filters.owner:
        qs = qs.filter(owner__uuid=filters.owner)
    if filters.business_unit:
        qs = qs.filter(business_unit__uuid=filters.business_unit)
    key = sort.lstrip("-")
    expression = SORTS.get(key, SORTS["name"])
    descending = sort.startswith("-") and key in SORTS
    if isinstance(expression, str):
        ordering: Any = f"-{expression}" if descending else expression
    else:
        ordering = expression.desc() if descending else expression.asc()
    # The primary key breaks ties so pages never repeat or skip a row.
    return qs.order_by(ordering, "-pk" if descending else "pk")


def asset_get(asset_uuid: uuid_lib.UUID | str) -> Asset:
    return Asset.objects.select_related("owner", "business_unit").get(uuid=asset_uuid)


def owners() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("email")


def open_assets_owned_by(user: User) -> QuerySet[Asset]:
    """The assets a person still looks after: theirs and not archived (an archived
    asset keeps its owner, as its history does)."""
    return Asset.objects.filter(owner=user, archived_at__isnull=True)


def business_units() -> QuerySet[BusinessUnit]:
    return BusinessUnit.objects.order_by("name")


def organisation() -> OrganisationProfile:
    profile = OrganisationProfile.objects.filter(pk=1).first()
    return profile or OrganisationProfile(id=1)


# --- lineage ------------------------------------------------------------------------------


@dataclass
class LineageEdge:
    link: AssetLink
    upstream: Asset
    downstream: Asset

    @property
    def reads_from_upstream(self) -> bool:
        """Every relation reads "downstream <relation> upstream" ("the model is trained on
        the dataset") except part_of, which reads "the component is part of the system"."""
        return self.link.relation == AssetLink.Relation.PART_OF


@dataclass
class Lineage:
    """Everything upstream and downstream of one asset, level by level."""

    asset: Asset
    upstream: list[LineageEdge] = field(default_factory=list)  # direct links into the asset
    downstream: list[LineageEdge] = field(default_factory=list)  # direct links out of it
    nodes: dict[int, Asset] = field(default_factory=dict)
    edges: list[AssetLink] = field(default_factory=list)
    levels: dict[int, int] = field(default_factory=dict)  # asset id -> column (0 = asset)
    truncated: bool = False


# The asset page draws this many columns each way at most.
MAX_LEVELS = 12


def lineage(asset: Asset, limit: int = 60) -> Lineage:
    """Upstream and downstream of `asset`, with a bound on the nodes drawn each way
    (four queries, whatever the depth)."""
    up = around([asset.pk], UP).walk([asset.pk], UP, max_depth=MAX_LEVELS, limit=limit)
    down = around([asset.pk], DOWN).walk([asset.pk], DOWN, max_depth=MAX_LEVELS, limit=limit)
    levels = {**{pk: -depth for pk, depth in up.depth.items()}, **down.depth}
    nodes = {
        a.pk: a
        for a in Asset.objects.filter(pk__in=levels).only(
            "pk", "uuid", "name", "kind", "tier", "effective_risk_band", "archived_at"
        )
    }
    nodes[asset.pk] = asset
    drawn = {
        e.link_id
        for e in up.edges + down.edges
        if e.link_id is not None and e.upstream in nodes and e.downstream in nodes
    }
    edges = list(AssetLink.objects.filter(pk__in=drawn).order_by("pk"))
    result = Lineage(asset=asset, nodes=nodes, edges=edges, levels=levels)
    result.truncated = up.truncated or down.truncated
    for edge in edges:
        pair = LineageEdge(edge, nodes[edge.upstream_id], nodes[edge.downstream_id])
        if edge.downstream_id == asset.pk:
            result.upstream.append(pair)
        if edge.upstream_id == asset.pk:
            result.downstream.append(pair)
    result.upstream.sort(key=lambda e: (e.link.relation, e.upstream.name.lower()))
    result.downstream.sort(key=lambda e: (e.link.relation, e.downstream.name.lower()))
    return result


def systems_fed(asset: Asset, graph: Lineage | None = None) -> list[Asset]:
    """The AI systems downstream of a dataset, model or endpoint, with their tiers."""
    graph = graph or lineage(asset, limit=500)
    return sorted(
        (
            node
            for pk, node in graph.nodes.items()
            if node.kind == Asset.Kind.SYSTEM and graph.levels.get(pk, 0) > 0
        ),
        key=lambda a: (-TIERS.index(a.tier) if a.tier in TIERS else 1, a.name.lower()),
    )


def risk_path_names(asset: Asset) -> list[dict[str, str]]:
    """The effective-risk path as assets a person can read and follow.

    The risk app stores the path as asset UUIDs (or ids, or {"uuid", "name"} objects);
    unknown entries are shown as given rather than dropped."""
    raw = asset.effective_risk_path or []
    keys: list[str] = []
    for item in raw:
        if isinstance(item, dict):
            keys.append(str(item.get("uuid") or item.get("id") or item.get("name") or ""))
        else:
            keys.append(str(item))
    uuids = []
    ids = []
    for key in keys:
        try:
            uuids.append(uuid_lib.UUID(key))
        except ValueError:
            if key.isdigit():
                ids.append(int(key))
    found: dict[str, Asset] = {}
    if uuids or ids:
        for a in Asset.objects.filter(Q(uuid__in=uuids) | Q(pk__in=ids)).only(
            "pk", "uuid", "name", "kind"
        ):
            found[str(a.uuid)] = a
            found[str(a.pk)] = a
    path = []
    for item, key in zip(raw, keys, strict=True):
        try:
            key = str(uuid_lib.UUID(key))
        except ValueError:
            pass
        node = found.get(key)
        if node is not None:
            path.append({"name": node.name, "uuid": str(node.uuid), "kind": node.kind})
        else:
            name = item.get("name", key) if isinstance(item, dict) else key
            path.append({"name": str(name), "uuid": "", "kind": ""})
    return path


def latest_classification(asset: Asset) -> Classification | None:
    return asset.classifications.select_related("answered_by").order_by("-version").first()


def classification_versions(asset: Asset, limit: int = 10) -> list[Classification]:
    return list(asset.classifications.select_related("answered_by").order_by("-version")[:limit])


# Bookkeeping columns a person never edits: not listed as changes in the history.
_HISTORY_QUIET = frozenset({"version", "field_sources", "effective_risk_path"})


def asset_history(asset: Asset, limit: int = 25) -> list[Any]:
    """The asset's history rows, newest first, each with what changed in words: the
    field's label and its value before and after (the audit trail's one rule for
    field labels and values, riskhub.audit.changes)."""
    rows = list(asset.history.select_related("history_user").order_by("-history_id")[: limit + 1])
    pairs = []
    for i, row in enumerate(rows[:limit]):
        previous = rows[i + 1] if i + 1 < len(rows) else None
        delta = []
        if previous is not None and row.history_type == "~":
            delta = [c for c in row.diff_against(previous).changes if c.field not in _HISTORY_QUIET]
        pairs.append((row, delta))

    def ids_in(field: str) -> set[int]:
        return {
            value
            for _, delta in pairs
            for c in delta
            if c.field == field
            for value in (c.old, c.new)
            if isinstance(value, int)
        }

    people = dict(User.objects.filter(pk__in=ids_in("owner")).values_list("pk", "email"))
    units = dict(
        BusinessUnit.objects.filter(pk__in=ids_in("business_unit")).values_list("pk", "name")
    )
    return [
        {
            "row": row,
            "changes": [_field_change(c.field, c.old, c.new, people, units) for c in delta],
        }
        for row, delta in pairs
    ]


def _field_change(
    name: str, old: Any, new: Any, people: dict[int, str], units: dict[int, str]
) -> FieldChange:
    label = model_field_label(Asset, name)
    if name == "facts":
        before, after = set(old or ()), set(new or ())
        added = [token_label(t) for t in sorted(after - before)]
        removed = [token_label(t) for t in sorted(before - after)]
        return FieldChange(
            label,
            "changed",
            readable("Removed: " + "; ".join(removed)) if removed else None,
            readable("Added: " + "; ".join(added)) if added else None,
        )
    field = Asset._meta.get_field(name)
    choices = dict(getattr(field, "flatchoices", None) or ())

    def words(value: Any) -> Any:
        if name == "business_unit" and isinstance(value, int):
            return units.get(value, value)
        if choices and value in choices:
            return str(choices[value])
        return value

    return field_change(label, name, words(old), words(new), people)


def links(asset_uuid: uuid_lib.UUID | None = None) -> QuerySet[AssetLink]:
    qs = AssetLink.objects.select_related("upstream", "downstream").order_by("pk")
    if asset_uuid is not None:
        qs = qs.filter(Q(upstream__uuid=asset_uuid) | Q(downstream__uuid=asset_uuid))
    return qs


def model_card(asset: Asset) -> dict[str, Any]:
    """The model card as the asset page shows it: each metric with the name of the
    dataset it was measured on, and whether that dataset is still linked."""
    card = dict(asset.model_card or {})
    wanted = [m["dataset"] for m in card.get("metrics", []) if m.get("dataset")]
    linked = set()
    names: dict[str, str] = {}
    if wanted:
        names = {
            str(u): n for u, n in Asset.objects.filter(uuid__in=wanted).values_list("uuid", "name")
        }
        linked = {
            str(u)
            for u in AssetLink.objects.filter(
                downstream=asset, upstream__uuid__in=wanted
            ).values_list("upstream__uuid", flat=True)
        }
    card["metrics"] = [
        {
            **metric,
            "dataset_name": names.get(metric.get("dataset", ""), ""),
            "dataset_linked": metric.get("dataset", "") in linked,
        }
        for metric in card.get("metrics", [])
    ]
    return card


def linked_datasets(asset: Asset) -> list[tuple[str, str]]:
    """(uuid, name) of the datasets linked upstream of the asset, for choosing the
    dataset a metric was measured on."""
    return [
        (str(u), n)
        for u, n in Asset.objects.filter(
            kind=Asset.Kind.DATASET, downstream_links__downstream=asset
        )
        .distinct()
        .order_by("name")
        .values_list("uuid", "name")
    ]
