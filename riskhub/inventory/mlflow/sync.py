"""One sync of one MLflow registry: model versions in, assets, datasets and lineage out.

Every registered model version becomes a model asset named "<model> v<version>" with
the version, its aliases and stage, the model's and the version's tags, the description,
the source run's metrics (model card metrics) and parameters (model card architecture
text). The run's dataset inputs become dataset assets, linked "trained on" (training
inputs) or "depends on" (evaluation and other inputs) under the lineage rules (kinds,
no cycles). A metric measured on one of the run's dataset inputs names that dataset on
the model card (`measured_on`).

A sync is an ImportJob of kind "sync" (riskhub.inventory.jobs: claim, heartbeat and
progress, complete or fail, requeue when a worker stops). It writes in chunks of
`CHUNK` versions, each chunk one transaction with the import's bulk path: the assets
created and changed in two bulk statements (with their history), the links and the
upstream records likewise, one audit `record_events` for the chunk, provenance set in
memory before the write.

Incremental and idempotent: what the connector would write is fingerprinted per record,
so a second run over an unchanged registry writes nothing but "last synced". A field
whose last writer is a person is never overwritten (riskhub.inventory.provenance). The
links a sync made are remembered on the record; when the run's inputs change, those
links (and only those) are removed, audited. A version that disappeared upstream is
flagged; a person confirms the archive.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from riskhub.audit.services import EventSpec, record_events
from riskhub.inventory import jobs, lineage, model_card, provenance, services, signals
from riskhub.inventory.mlflow.client import MlflowClient, MlflowError, NotFound, tags
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord
from riskhub.inventory.models import Asset, AssetLink, ImportJob

log = logging.getLogger(__name__)

CHUNK = 500
# Source runs are read this many at a time (MLflow answers each runs/get on its own).
RUN_READERS = 8
MAX_PROBLEMS = 200
STAGE_LIFECYCLE = {
    "Staging": Asset.Lifecycle.VALIDATION,
    "Production": Asset.Lifecycle.PRODUCTION,
    "Archived": Asset.Lifecycle.RETIRED,
}
TRAINING_CONTEXTS = {"", "train", "training"}
# Dataset inputs whose metrics describe the model's measured performance.
EVALUATION_CONTEXTS = {
    "eval",
    "evaluation",
    "validation",
    "valid",
    "val",
    "test",
    "testing",
    "holdout",
}
PROMPT_TAG = "mlflow.prompt.is_prompt"
SKIPPED_STATUSES = {"FAILED_REGISTRATION"}
CARD_PARTS = ("metrics", "model_architecture")


@dataclass
class _Dataset:
    external_id: str
    values: dict[str, Any]
    relation: str
    context: str = ""


@dataclass
class _Version:
    external_id: str
    values: dict[str, Any]
    # Metrics name their dataset by the dataset's external id until it is written.
    card: dict[str, Any]
    datasets: list[_Dataset] = field(default_factory=list)

    def fingerprint(self) -> str:
        body = {
            "values": self.values,
            "card": self.card,
            "datasets": [(d.external_id, d.values, d.relation) for d in self.datasets],
        }
        text = json.dumps(body, sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()


def client_for(registry: ModelRegistry) -> MlflowClient:
    token = ""
    if registry.token_env:
        token = os.environ.get(registry.token_env, "")
        if not token:
            raise MlflowError(
                f"The environment variable {registry.token_env} (the registry's token) is "
                "not set for the worker."
            )
    return MlflowClient(
        registry.tracking_uri,
        token=token,
        timeout=settings.MLFLOW_TIMEOUT_SECONDS,
        page_size=settings.MLFLOW_PAGE_SIZE,
    )


# --- reading MLflow -------------------------------------------------------------------------


def _text(value: Any, limit: int) -> str:
    return str(value or "").strip()[:limit]


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _json(value: Any) -> dict[str, Any]:
    try:
        loaded = json.loads(value) if isinstance(value, str) else value
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _dataset(entry: dict[str, Any]) -> _Dataset | None:
    data = entry.get("dataset")
    if not isinstance(data, dict) or not data.get("name"):
        return None
    name, digest = _text(data.get("name"), 150), _text(data.get("digest"), 40)
    source = _json(data.get("source"))
    origin = source.get("uri") or source.get("url") or source.get("path") or ""
    if not origin and data.get("source_type"):
        origin = f"{data['source_type']} source"
    rows = _json(data.get("profile")).get("num_rows")
    context = tags(entry.get("tags")).get("mlflow.data.context", "").strip().lower()
    values = {
        "name": f"{name} ({digest})" if digest else name,
        "description": f"Dataset “{name}” logged to MLflow"
        + (f" with digest {digest}" if digest else "")
        + ".",
        "data_origin": _text(origin, 200),
        "record_count": rows if isinstance(rows, int) and rows >= 0 else None,
        "tags": ["mlflow", *([f"digest:{digest}"] if digest else [])],
    }
    relation = (
        AssetLink.Relation.TRAINED_ON
        if context in TRAINING_CONTEXTS
        else AssetLink.Relation.DEPENDS_ON
    )
    return _Dataset(f"{name}@{digest}", values, relation, context)


def _base_name(dataset: _Dataset) -> str:
    return dataset.external_id.rsplit("@", 1)[0]


def measured_on(metric: dict[str, Any], datasets: list[_Dataset]) -> _Dataset | None:
    """The dataset input a metric was measured on, or None when the run does not say.

    In order: the dataset MLflow names on the metric itself (`dataset_name`, with
    `dataset_digest`, as MLflow 3 logs model metrics); a key that starts with a dataset
    input's name ("holdout_auc"); a training metric ("training_loss", "train_f1") and the
    run's one training input; otherwise the run's one evaluation input ("eval",
    "validation", "test"...), which is what `mlflow.evaluate` logs its metrics against."""
    name = str(metric.get("dataset_name") or "").strip()
    if name:
        digest = str(metric.get("dataset_digest") or "").strip()
        for dataset in datasets:
            if _base_name(dataset) == name and (not digest or dataset.external_id.endswith(digest)):
                return dataset
        return None
    key = str(metric.get("key") or "").lower()
    prefixed = [
        d
        for d in datasets
        if key.startswith(_base_name(d).lower())
        and key[len(_base_name(d)) : len(_base_name(d)) + 1] in ("_", "/", ".", "-", " ")
    ]
    if prefixed:
        return max(prefixed, key=lambda d: len(_base_name(d)))
    training = [d for d in datasets if d.context in TRAINING_CONTEXTS]
    if key.startswith(("train_", "training_", "train/", "training/")):
        return training[0] if len(training) == 1 else None
    evaluation = [d for d in datasets if d.context in EVALUATION_CONTEXTS]
    return evaluation[0] if len(evaluation) == 1 else None


def _version(
    registry: ModelRegistry,
    model: dict[str, Any],
    version: dict[str, Any],
    run: dict[str, Any] | None,
) -> _Version:
    name, number = str(version["name"]), str(version["version"])
    aliases = sorted(
        str(a.get("alias"))
        for a in model.get("aliases") or []
        if isinstance(a, dict) and str(a.get("version")) == number and a.get("alias")
    )
    stage = str(version.get("current_stage") or "None")
    labels = ["mlflow", *(f"alias:{a}" for a in aliases)]
    if stage != "None":
        labels.append(f"stage:{stage}")
    for key, value in sorted({**tags(model.get("tags")), **tags(version.get("tags"))}.items()):
        if not key.startswith("mlflow."):
            labels.append(f"{key}={value}"[:100])
    values: dict[str, Any] = {
        "name": f"{name} v{number}"[:200],
        "model_version": number[:50],
        "description": _text(version.get("description") or model.get("description"), 20000),
        "tags": labels,
    }
    if stage in STAGE_LIFECYCLE:
        values["lifecycle"] = STAGE_LIFECYCLE[stage]
    card: dict[str, Any] = {}
    datasets: list[_Dataset] = []
    if run is not None:
        for entry in (run.get("inputs") or {}).get("dataset_inputs") or []:
            found = _dataset(entry) if isinstance(entry, dict) else None
            if found is not None and found.external_id not in {d.external_id for d in datasets}:
                datasets.append(found)
        data = run.get("data") or {}
        metrics = sorted(
            (m for m in data.get("metrics") or [] if isinstance(m, dict) and m.get("key")),
            key=lambda m: str(m["key"]),
        )
        card["metrics"] = []
        for metric in metrics[: model_card.MAX_ITEMS]:
            entry = {"type": str(metric["key"])[:200], "value": _number(metric.get("value"))}
            dataset = measured_on(metric, datasets)
            if dataset is not None:
                entry["dataset"] = dataset.external_id
            card["metrics"].append(entry)
        params = tags(data.get("params"))
        if params:
            run_id = (run.get("info") or {}).get("run_id", "")
            shown = ", ".join(f"{k}={v}" for k, v in sorted(params.items()))
            card["model_architecture"] = _text(
                f"Training parameters (MLflow run {run_id}): {shown}", model_card.MAX_TEXT
            )
    return _Version(f"{name}/{number}", values, card, datasets)


def _listing(client: MlflowClient) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (registered model, version) pair to sync, prompts and failed registrations
    left out, in a stable order."""
    models = {
        str(m.get("name")): m
        for m in client.registered_models()
        if tags(m.get("tags")).get(PROMPT_TAG) != "true"
    }
    pairs = [
        (models[str(v.get("name"))], v)
        for v in client.model_versions()
        if str(v.get("name")) in models
        and v.get("version") is not None
        and v.get("status") not in SKIPPED_STATUSES
        and tags(v.get("tags")).get(PROMPT_TAG) != "true"
    ]
    pairs.sort(
        key=lambda p: (
            str(p[1]["name"]),
            int(str(p[1]["version"])) if str(p[1]["version"]).isdigit() else 0,
        )
    )
    return pairs


# --- the state of one job -------------------------------------------------------------------


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0
    links_created: int = 0
    links_removed: int = 0
    problems: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: _Counts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.kept += other.kept
        self.links_created += other.links_created
        self.links_removed += other.links_removed
        self.problem_list(other.problems)

    def problem(self, where: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"where": where, "message": message})

    def problem_list(self, problems: Iterable[dict[str, str]]) -> None:
        for found in problems:
            self.problem(found["where"], found["message"])


@dataclass
class _Job:
    job: ImportJob
    registry: ModelRegistry
    counts: _Counts = field(default_factory=_Counts)
    flagged: int = 0
    seen: set[str] = field(default_factory=set)

    @property
    def source(self) -> str:
        return self.registry.source_label

    def summary(self) -> dict[str, Any]:
        return {
            "flagged": self.flagged,
            "kept": self.counts.kept,
            "links_created": self.counts.links_created,
            "links_removed": self.counts.links_removed,
            "problems": self.counts.problems,
        }


# --- writing one chunk ----------------------------------------------------------------------


@dataclass
class _Plan:
    """What the chunk does with one upstream record's asset."""

    kind: str
    external_id: str
    record: SyncedRecord | None
    asset: Asset
    is_new: bool
    values: dict[str, Any]
    card: dict[str, Any] | None = None
    before: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    failed: bool = False


def _new_asset(kind: str) -> Asset:
    return Asset(
        kind=kind,
        source=Asset.Source.IN_HOUSE,
        lifecycle=Asset.Lifecycle.DEVELOPMENT,
        model_type=Asset.ModelType.OTHER if kind == Asset.Kind.MODEL else "",
    )


def _plans(
    kind: str,
    wanted: dict[str, dict[str, Any]],
    records: dict[str, SyncedRecord],
) -> dict[str, _Plan]:
    """The asset of each upstream record: its own, an unsynced asset a person registered
    under the same name (adopted, not duplicated; one query), or a new one."""
    orphans = {
        values["name"].lower(): external_id
        for external_id, values in wanted.items()
        if external_id not in records
    }
    adopted: dict[str, Asset] = {}
    if orphans:
        for found in Asset.objects.annotate(lname=Lower("name")).filter(
            kind=kind, lname__in=list(orphans), synced_records__isnull=True
        ):
            adopted.setdefault(orphans[found.name.lower()], found)
    plans = {}
    for external_id, values in wanted.items():
        record = records.get(external_id)
        asset = record.asset if record is not None else adopted.get(external_id)
        is_new = asset is None
        if asset is None:
            asset = _new_asset(kind)
        plans[external_id] = _Plan(
            kind,
            external_id,
            record,
            asset,
            is_new,
            values,
            before={} if is_new else services.asset_snapshot(asset),
        )
    return plans


def _free_names(plans: Iterable[_Plan], registry: ModelRegistry) -> None:
    """A wanted name another asset of the kind already carries becomes "<name>
    (<registry>)" (one query per kind for the chunk, as the importer does)."""
    moving = [p for p in plans if p.values["name"] != p.asset.name]
    by_kind: dict[str, list[_Plan]] = {}
    for plan in moving:
        by_kind.setdefault(plan.kind, []).append(plan)
    for kind, group in by_kind.items():
        taken: dict[str, set[int]] = {}
        names = sorted({p.values["name"].lower() for p in group})
        for part in range(0, len(names), 5000):
            for pk, lname in (
                Asset.objects.annotate(lname=Lower("name"))
                .filter(kind=kind, lname__in=names[part : part + 5000])
                .values_list("pk", "lname")
            ):
                taken.setdefault(lname, set()).add(pk)
        for plan in group:
            holders = taken.get(plan.values["name"].lower(), set()) - {plan.asset.pk}
            if holders:
                plan.values = {
                    **plan.values,
                    "name": f"{plan.values['name']} ({registry.name})"[:200],
                }


def _apply(plan: _Plan, counts: _Counts, source: str, now: Any) -> None:
    """Set the connector's values on the asset in memory, keeping every field a person
    edited last (counted); validate the result. Marks provenance."""
    asset = plan.asset
    for name, value in plan.values.items():
        current = getattr(asset, name)
        if current == value:
            continue
        if not plan.is_new and not provenance.connector_may_write(asset, name):
            counts.kept += 1
            continue
        plan.changed[name] = (current, value)
        setattr(asset, name, value)
    if plan.card is not None:
        old_card = asset.model_card or {}
        new_card = dict(old_card)
        for part in CARD_PARTS:
            wanted = plan.card.get(part)
            if new_card.get(part) == wanted or (not wanted and part not in new_card):
                continue
            if not provenance.connector_may_write(asset, provenance.CARD_PREFIX + part):
                counts.kept += 1
                continue
            if wanted:
                new_card[part] = wanted
            else:
                new_card.pop(part, None)
        if new_card != old_card:
            plan.changed["model_card"] = (asset.model_card, new_card)
            asset.model_card = new_card
    if not plan.changed and not plan.is_new:
        return
    # Field rules only: names were made free above, and the connector never sets an
    # owner or business unit. A metric's dataset is one this chunk links (see _links).
    asset.clean_fields(exclude=["owner", "business_unit", "uuid"])
    services._clean_kind_fields(asset)
    provenance.mark(asset, plan.changed, by=provenance.CONNECTOR, source=source, at=now)


def _after(plan: _Plan, state: _Job, fields: dict[str, Any]) -> dict[str, Any]:
    """An asset event's "after": the fields, and where the sync read them."""
    return {
        **fields,
        "upstream_record": plan.external_id,
        "source": state.source,
        "sync_job": str(state.job.uuid),
    }


def _write_assets(
    plans: list[_Plan], state: _Job, counts: _Counts, specs: list[EventSpec], now: Any
) -> None:
    creates = [p for p in plans if p.is_new and not p.failed]
    updates = [p for p in plans if not p.is_new and p.changed and not p.failed]
    for plan in creates:
        plan.asset.created_at = plan.asset.updated_at = now
    if creates:
        bulk_create_with_history(
            [p.asset for p in creates], Asset, batch_size=1000, default_date=now
        )
    fields: set[str] = set()
    for plan in updates:
        plan.asset.version += 1
        plan.asset.updated_at = now
        fields |= set(plan.changed)
    if updates:
        bulk_update_with_history(
            [p.asset for p in updates],
            Asset,
            sorted(fields | {"version", "updated_at", "field_sources"}),
            batch_size=1000,
            default_date=now,
        )
    for plan in creates:
        after = _after(plan, state, services.asset_snapshot(plan.asset))
        specs.append(
            EventSpec(
                "asset.sync_create", "asset", str(plan.asset.uuid), plan.asset.name, None, after
            )
        )
    for plan in updates:
        old, new = services._changes(plan.before, services.asset_snapshot(plan.asset))
        after = _after(plan, state, new)
        specs.append(
            EventSpec(
                "asset.sync_update", "asset", str(plan.asset.uuid), plan.asset.name, old, after
            )
        )
    if plans and plans[0].kind == Asset.Kind.MODEL:
        counts.created += len(creates)
        counts.updated += len(updates)


def _write_chunk(state: _Job, items: list[_Version], now: Any) -> tuple[_Counts, set[int]]:
    """One chunk of versions, in the caller's transaction. Returns the counts and the
    assets whose lineage changed."""
    registry = state.registry
    counts = _Counts()
    specs: list[EventSpec] = []
    affected: set[int] = set()
    detached: set[int] = set()
    version_records = {
        r.external_id: r
        for r in SyncedRecord.objects.select_related("asset")
        .select_for_update(of=("self",))
        .filter(
            registry=registry,
            kind=SyncedRecord.Kind.MODEL_VERSION,
            external_id__in=[i.external_id for i in items],
        )
    }
    touched: list[int] = []
    changed: list[tuple[_Version, str]] = []
    for item in items:
        record = version_records.get(item.external_id)
        fingerprint = item.fingerprint()
        if record is not None and record.fingerprint == fingerprint:
            counts.unchanged += 1
            touched.append(record.pk)
        else:
            changed.append((item, fingerprint))
    if touched:
        SyncedRecord.objects.filter(pk__in=touched).update(
            last_synced_at=now, last_job=state.job, deleted_upstream_at=None, flagged_by_job=None
        )
    if not changed:
        return counts, affected

    # Datasets first: the models link to them and their metrics name them.
    wanted_datasets = {d.external_id: d for item, _ in changed for d in item.datasets}
    dataset_records = {
        r.external_id: r
        for r in SyncedRecord.objects.select_related("asset")
        .select_for_update(of=("self",))
        .filter(
            registry=registry,
            kind=SyncedRecord.Kind.DATASET,
            external_id__in=list(wanted_datasets),
        )
    }
    datasets = _plans(
        Asset.Kind.DATASET,
        {k: d.values for k, d in wanted_datasets.items()},
        dataset_records,
    )
    models = _plans(
        Asset.Kind.MODEL, {i.external_id: i.values for i, _ in changed}, version_records
    )
    _free_names([*datasets.values(), *models.values()], registry)
    for plan in datasets.values():
        try:
            _apply(plan, counts, state.source, now)
        except ValidationError as exc:
            plan.failed = True
            counts.problem(plan.external_id, _messages(exc))

    # The links each model wants, with the lineage rules: kinds are fixed (dataset to
    # model), and a cycle is possible only through a model that already has links.
    wanted_links: dict[str, list[tuple[_Plan, str]]] = {}
    existing_models = [p.asset.pk for p in models.values() if not p.is_new]
    graph = lineage.around(existing_models) if existing_models else None
    for item, _ in changed:
        plan = models[item.external_id]
        links = []
        for dataset in item.datasets:
            target = datasets[dataset.external_id]
            if target.failed:
                continue
            if graph is not None and not plan.is_new and not target.is_new:
                cycle = graph.path(plan.asset.pk, target.asset.pk)
                if cycle and len(cycle) > 1:
                    counts.problem(
                        item.external_id,
                        f"Lineage to “{target.asset.name}” not added: it would form a cycle "
                        f"(“{target.asset.name}” already depends on “{plan.asset.name}”).",
                    )
                    continue
            links.append((target, dataset.relation))
        wanted_links[item.external_id] = links
        linked = {target.external_id: target for target, _ in links}
        # The card's metrics name the dataset assets this sync links.
        card = dict(item.card)
        if "metrics" in card:
            card["metrics"] = [
                {k: v for k, v in m.items() if k != "dataset"}
                | (
                    {"dataset": str(linked[m["dataset"]].asset.uuid)}
                    if m.get("dataset") in linked
                    else {}
                )
                for m in card["metrics"]
            ]
        plan.card = card
        try:
            _apply(plan, counts, state.source, now)
        except ValidationError as exc:
            plan.failed = True
            counts.problem(item.external_id, "Not synced: " + _messages(exc))

    _write_assets(list(datasets.values()), state, counts, specs, now)
    _write_assets(list(models.values()), state, counts, specs, now)

    # Lineage: add the wanted links that are missing; remove the links this sync made
    # earlier that the run no longer lists (a person's links are never touched).
    model_plans = [models[i.external_id] for i, _ in changed if not models[i.external_id].failed]
    down = [p.asset.pk for p in model_plans if not p.is_new]
    current: dict[tuple[int, int, str], AssetLink] = {}
    for part in range(0, len(down), 5000):
        for link in AssetLink.objects.filter(
            downstream_id__in=down[part : part + 5000]
        ).select_related("upstream"):
            current[(link.upstream_id, link.downstream_id, link.relation)] = link
    by_uuid = {str(link.uuid): link for link in current.values()}
    added: list[tuple[AssetLink, _Plan, _Plan]] = []
    removed: list[tuple[AssetLink, _Plan]] = []
    owned: dict[str, list[str]] = {}
    for plan in model_plans:
        record = plan.record
        made = set(record.links if record is not None else [])
        wanted = {
            (t.asset.pk, plan.asset.pk, relation): t
            for t, relation in wanted_links[plan.external_id]
        }
        keep: list[str] = []
        for key, target in wanted.items():
            present = current.get(key)
            if present is None:
                new = AssetLink(upstream=target.asset, downstream=plan.asset, relation=key[2])
                new.created_at = now
                added.append((new, target, plan))
                keep.append(str(new.uuid))
            elif str(present.uuid) in made:
                keep.append(str(present.uuid))
        named = model_card.metric_datasets(plan.asset.model_card or {})
        for link_uuid in sorted(made - set(keep)):
            old = by_uuid.get(link_uuid)
            if old is None:
                continue  # a person removed it already
            if (old.upstream_id, old.downstream_id, old.relation) in wanted:
                continue
            if str(old.upstream.uuid) in named:
                keep.append(link_uuid)  # a metric a person wrote still names it
                continue
            removed.append((old, plan))
        owned[plan.external_id] = sorted(keep)
    if removed:
        for link, plan in removed:
            specs.append(
                EventSpec(
                    "asset_link.sync_delete",
                    "asset_link",
                    str(link.uuid),
                    f"{plan.asset.name} {link.get_relation_display()} {link.upstream.name}",
                    before={
                        "upstream": link.upstream.uuid,
                        "downstream": plan.asset.uuid,
                        "relation": link.relation,
                    },
                    after={
                        "reason": "The source run no longer lists this dataset input.",
                        "upstream_record": plan.external_id,
                        "source": state.source,
                        "sync_job": str(state.job.uuid),
                    },
                )
            )
            affected.add(plan.asset.pk)
            detached.add(link.upstream_id)
        AssetLink.objects.filter(pk__in=[link.pk for link, _ in removed]).delete()
    if added:
        bulk_create_with_history(
            [link for link, _, _ in added], AssetLink, batch_size=1000, default_date=now
        )
        for link, target, plan in added:
            specs.append(
                EventSpec(
                    "asset_link.create",
                    "asset_link",
                    str(link.uuid),
                    f"{plan.asset.name} {link.get_relation_display()} {target.asset.name}",
                    after={
                        "upstream": target.asset.uuid,
                        "downstream": plan.asset.uuid,
                        "relation": link.relation,
                        "source": state.source,
                        "sync_job": str(state.job.uuid),
                    },
                )
            )
            affected.add(plan.asset.pk)
    counts.links_created += len(added)
    counts.links_removed += len(removed)
    affected |= {p.asset.pk for p in model_plans if p.is_new}

    # The upstream records: what each became, its fingerprint, the links it made.
    fingerprints = dict((i.external_id, f) for i, f in changed)
    new_records: list[SyncedRecord] = []
    old_records: list[SyncedRecord] = []
    for plan in [*datasets.values(), *model_plans]:
        if plan.failed:
            continue
        is_model = plan.kind == Asset.Kind.MODEL
        record = plan.record or SyncedRecord(
            registry=registry,
            kind=SyncedRecord.Kind.MODEL_VERSION if is_model else SyncedRecord.Kind.DATASET,
            external_id=plan.external_id,
        )
        record.asset = plan.asset
        record.fingerprint = fingerprints.get(plan.external_id, "") if is_model else ""
        record.links = owned.get(plan.external_id, []) if is_model else []
        record.last_synced_at = now
        record.last_job = state.job
        record.deleted_upstream_at = None
        record.flagged_by_job = None
        (old_records if record.pk else new_records).append(record)
    if new_records:
        SyncedRecord.objects.bulk_create(new_records, batch_size=1000)
    if old_records:
        SyncedRecord.objects.bulk_update(
            old_records,
            [
                "asset",
                "fingerprint",
                "links",
                "last_synced_at",
                "last_job",
                "deleted_upstream_at",
                "flagged_by_job",
            ],
            batch_size=1000,
        )
    counts.unchanged += sum(1 for p in model_plans if not p.is_new and not p.changed)
    record_events(None, specs)
    if affected or detached:
        signals.lineage_changed.send(
            sender=AssetLink,
            asset_ids=sorted(lineage.downstream(affected, inclusive=True)),
            detached=sorted(detached),
        )
    return counts, affected


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
            for k, v in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _sync_chunk(state: _Job, items: list[_Version]) -> None:
    """Write a chunk in one transaction; if the database refuses it (two records
    racing for one name, say), write its versions one by one so one bad record costs
    only itself."""
    now = timezone.now()
    try:
        with transaction.atomic():
            counts, _ = _write_chunk(state, items, now)
    except IntegrityError:
        if len(items) == 1:
            raise
        counts = _Counts()
        for item in items:
            try:
                with transaction.atomic():
                    one, _ = _write_chunk(state, [item], now)
            except IntegrityError as exc:
                counts.problem(item.external_id, f"Not synced: the database refused it ({exc}).")
            else:
                counts.add(one)
    state.counts.add(counts)


# --- the job -------------------------------------------------------------------------------


def _read_runs(
    client: MlflowClient,
    batch: list[tuple[dict[str, Any], dict[str, Any]]],
    runs: dict[str, dict[str, Any] | None],
    counts: _Counts,
) -> None:
    """Fetch the batch's source runs not read yet, RUN_READERS at a time."""
    wanted: dict[str, str] = {}
    for _, version in batch:
        run_id = str(version.get("run_id") or "")
        if run_id and run_id not in runs and run_id not in wanted:
            wanted[run_id] = f"{version['name']}/{version['version']}"

    def read(run_id: str) -> tuple[str, dict[str, Any] | None, str]:
        try:
            return run_id, client.run(run_id), ""
        except NotFound:
            return (
                run_id,
                None,
                f"Its source run {run_id} no longer exists in MLflow; metrics and "
                "datasets were not read.",
            )
        except MlflowError as exc:
            return run_id, None, str(exc)

    if not wanted:
        return
    with ThreadPoolExecutor(max_workers=min(RUN_READERS, len(wanted))) as pool:
        for run_id, run, problem in pool.map(read, list(wanted)):
            runs[run_id] = run
            if problem:
                counts.problem(wanted[run_id], problem)


def run_sync(
    job_id: int, *, make_client: Callable[[ModelRegistry], MlflowClient] = client_for
) -> ImportJob | None:
    """Carry out a queued sync job (the Celery task's body). Returns None when the job
    was not this worker's to run (finished, or another attempt still beats)."""
    claimed = jobs.claim(job_id)
    if claimed is None:
        return None
    job = ImportJob.objects.select_related("registry").get(pk=job_id)
    assert job.registry is not None, "a sync job names its registry"
    state = _Job(job, job.registry)
    with jobs.Tracker(claimed) as tracker:
        tracker.set_stage("Reading the registry")
        try:
            client = make_client(state.registry)
            pairs = _listing(client)
        except MlflowError as exc:
            tracker.stop()
            jobs.fail(
                claimed,
                str(exc),
                summary={"problems": [{"where": "registry", "message": str(exc)}]},
                stage="Nothing was synced",
            )
            _finish_event(state, ImportJob.Status.FAILED)
            job.refresh_from_db()
            return job
        tracker.total(len(pairs))
        tracker.set_stage("Syncing model versions")
        runs: dict[str, dict[str, Any] | None] = {}
        for start in range(0, len(pairs), CHUNK):
            batch = pairs[start : start + CHUNK]
            _read_runs(client, batch, runs, state.counts)
            items = [
                _version(state.registry, model, version, runs.get(str(version.get("run_id") or "")))
                for model, version in batch
            ]
            state.seen.update(item.external_id for item in items)
            _sync_chunk(state, items)
            tracker.set_done(start + len(batch))
        tracker.set_stage("Looking for versions deleted upstream")
        _flag_deleted(state)
        tracker.stop()
    counts = state.counts
    with transaction.atomic():
        if jobs.complete(
            claimed,
            created=counts.created,
            updated=counts.updated,
            unchanged=counts.unchanged,
            errors=len(counts.problems),
            rows_done=len(pairs),
            summary=state.summary(),
        ):
            _finish_event(state, ImportJob.Status.SUCCEEDED)
    job.refresh_from_db()
    return job


def _finish_event(state: _Job, status: str) -> None:
    counts = state.counts
    record_events(
        None,
        [
            EventSpec(
                "mlflow_sync.finish",
                "import_job",
                str(state.job.uuid),
                str(state.job),
                after={
                    "registry": state.registry.name,
                    "status": status,
                    "created": counts.created,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "flagged": state.flagged,
                    "kept": counts.kept,
                    "links_created": counts.links_created,
                    "links_removed": counts.links_removed,
                    "errors": len(counts.problems),
                },
            )
        ],
    )


def _flag_deleted(state: _Job) -> None:
    """Versions this registry no longer lists: flag their assets for a person."""
    now = timezone.now()
    with transaction.atomic():
        candidates = SyncedRecord.objects.filter(
            registry=state.registry,
            kind=SyncedRecord.Kind.MODEL_VERSION,
            deleted_upstream_at__isnull=True,
        ).values_list("pk", "external_id")
        gone_ids = [pk for pk, external_id in candidates if external_id not in state.seen]
        gone = []
        for part in range(0, len(gone_ids), 5000):
            gone += list(
                SyncedRecord.objects.select_for_update(of=("self",))
                .select_related("asset")
                .filter(pk__in=gone_ids[part : part + 5000], deleted_upstream_at__isnull=True)
            )
        SyncedRecord.objects.filter(pk__in=[r.pk for r in gone]).update(
            deleted_upstream_at=now, flagged_by_job=state.job
        )
        record_events(
            None,
            [
                EventSpec(
                    "asset.sync_flag_deleted",
                    "asset",
                    str(record.asset.uuid),
                    record.asset.name,
                    after={
                        "upstream_record": record.external_id,
                        "source": state.source,
                        "sync_job": str(state.job.uuid),
                    },
                )
                for record in gone
            ],
        )
        state.flagged = len(gone)
