"""The sync's bulk write path, with a stand-in for the MLflow REST API (the outside
world) where the real server cannot do what a test needs (a run's inputs changing):
chunks, query counts that do not grow with the versions, links the sync made removed
when the inputs change (and a person's kept), metrics tied to the dataset they were
measured on, and the data migration from the old SyncRun table."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from riskhub.accounts.models import User
from riskhub.audit.models import AuditEvent
from riskhub.inventory import model_card
from riskhub.inventory import services as inventory
from riskhub.inventory.mlflow import services, sync
from riskhub.inventory.mlflow.client import NotFound
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord
from riskhub.inventory.models import Asset, AssetLink, ImportJob


def _input(name: str, context: str, digest: str = "") -> dict[str, Any]:
    return {
        "tags": [{"key": "mlflow.data.context", "value": context}],
        "dataset": {
            "name": name,
            "digest": digest or f"{abs(hash(name)) % 10**8:08x}",
            "source": json.dumps({"uri": f"s3://data/{name}"}),
            "profile": json.dumps({"num_rows": 10}),
        },
    }


class Upstream:
    """What MLflow would answer: registered models with one version each, and runs."""

    def __init__(self) -> None:
        self.models: dict[str, dict[str, Any]] = {}
        self.runs: dict[str, dict[str, Any]] = {}

    def add(
        self,
        name: str,
        *,
        inputs: list[dict[str, Any]] = (),  # type: ignore[assignment]
        metrics: list[dict[str, Any]] = (),  # type: ignore[assignment]
        description: str = "",
    ) -> None:
        run_id = f"run-{name}"
        self.models[name] = {"name": name, "description": description}
        self.runs[run_id] = {
            "info": {"run_id": run_id},
            "data": {"metrics": list(metrics), "params": []},
            "inputs": {"dataset_inputs": list(inputs)},
        }

    # the client's interface
    def registered_models(self) -> list[dict[str, Any]]:
        return list(self.models.values())

    def model_versions(self) -> list[dict[str, Any]]:
        return [
            {"name": name, "version": "1", "run_id": f"run-{name}", "status": "READY"}
            for name in self.models
        ]

    def run(self, run_id: str) -> dict[str, Any]:
        if run_id not in self.runs:
            raise NotFound(f"no run {run_id}")
        return self.runs[run_id]


@contextmanager
def _statements() -> Iterator[list[str]]:
    """The statements this thread's connection runs (the job's progress resets Django's
    own query log, so CaptureQueriesContext cannot count a job)."""
    seen: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen


@pytest.fixture
def stand_in(db: None, officer: User) -> tuple[ModelRegistry, Upstream]:
    registry = services.registry_create(
        actor=officer, name="Stand-in", tracking_uri="https://mlflow.example.com"
    )
    return registry, Upstream()


def _sync(officer: User, registry: ModelRegistry, upstream: Upstream, capture: Any) -> ImportJob:
    with capture(execute=False):
        job = services.sync_request(actor=officer, registry=registry)
    done = sync.run_sync(job.pk, make_client=lambda _: upstream)  # type: ignore[arg-type,return-value]
    assert done is not None and done.status == ImportJob.Status.SUCCEEDED, done and done.problems
    return done


def _model(name: str) -> Asset:
    return Asset.objects.get(kind="model", name=f"{name} v1")


@pytest.mark.django_db
def test_a_first_sync_writes_in_chunks_with_queries_that_do_not_grow_with_versions(
    officer: User, stand_in: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    registry, upstream = stand_in
    monkeypatch.setattr(sync, "CHUNK", 10)
    shared = [_input(f"data-{d}", "training") for d in range(3)]

    def fill(count: int) -> None:
        for i in range(count):
            upstream.add(
                f"bulk-{len(upstream.models):03d}",
                inputs=[shared[i % 3], _input("holdout", "evaluation")],
                metrics=[{"key": "auc", "value": 0.9}],
            )

    fill(10)
    with _statements() as ten:
        small = _sync(officer, registry, upstream, django_capture_on_commit_callbacks)
    fill(30)
    with _statements() as forty:
        large = _sync(officer, registry, upstream, django_capture_on_commit_callbacks)

    assert (small.created, large.created, large.unchanged) == (10, 30, 10)
    assert large.rows_done == large.rows_total == 40
    assert large.summary["links_created"] == 60 and large.errors == 0
    # Per chunk of 10 new versions a bounded number of statements (one bulk write per
    # table, one audit append), never ~11 per version as when it wrote row by row.
    # (53 and 94 statements when written: 30 more versions cost about 14 per chunk.)
    per_chunk_new = (len(forty) - len(ten)) / 3
    assert per_chunk_new < 25, per_chunk_new
    assert len(forty) < 120, len(forty)
    # Every new asset and link is in the audit trail, chained in per-chunk appends.
    assert AuditEvent.objects.filter(action="asset.sync_create").count() == 40 + 4
    assert AuditEvent.objects.filter(action="asset_link.create").count() == 80
    assert SyncedRecord.objects.filter(kind="model_version").count() == 40
    assert set(_model("bulk-000").field_sources) >= {"model_version", "model_card.metrics"}


@pytest.mark.django_db
def test_links_the_sync_made_go_when_the_runs_inputs_change_and_a_persons_stay(
    officer: User, stand_in: Any, django_capture_on_commit_callbacks: Any, make_asset: Any
) -> None:
    registry, upstream = stand_in
    upstream.add("churn", inputs=[_input("events", "training"), _input("crm", "training")])
    _sync(officer, registry, upstream, django_capture_on_commit_callbacks)
    model = _model("churn")
    names = lambda: {  # noqa: E731
        (link.upstream.name.split(" (")[0], link.relation)
        for link in AssetLink.objects.filter(downstream=model).select_related("upstream")
    }
    assert names() == {("events", "trained_on"), ("crm", "trained_on")}
    # A person links a dataset of their own by hand.
    survey = make_asset("dataset", name="survey")
    inventory.link_create(actor=officer, upstream=survey, downstream=model, relation="depends_on")

    # Upstream the run is now trained on "events" only, and evaluated on "holdout".
    upstream.add(
        "churn",
        inputs=[_input("events", "training"), _input("holdout", "validation")],
        metrics=[{"key": "f1", "value": 0.7}],
    )
    job = _sync(officer, registry, upstream, django_capture_on_commit_callbacks)

    assert names() == {
        ("events", "trained_on"),
        ("holdout", "depends_on"),
        ("survey", "depends_on"),
    }
    assert job.summary["links_removed"] == 1 and job.summary["links_created"] == 1
    removal = AuditEvent.objects.get(action="asset_link.sync_delete")
    assert removal.before["relation"] == "trained_on" and removal.actor_id is None
    assert removal.after["upstream_record"] == "churn/1"
    assert "no longer lists" in removal.after["reason"]
    crm = Asset.objects.get(kind="dataset", name__startswith="crm (")
    assert crm.archived_at is None, "the dataset itself stays; only the sync's link goes"

    # A sync over unchanged inputs removes nothing more, and a sync never removes the
    # person's link even when every input is gone.
    upstream.add("churn", inputs=[])
    _sync(officer, registry, upstream, django_capture_on_commit_callbacks)
    assert names() == {("survey", "depends_on")}


@pytest.mark.django_db
def test_metrics_name_the_dataset_they_were_measured_on(
    officer: User, stand_in: Any, django_capture_on_commit_callbacks: Any
) -> None:
    registry, upstream = stand_in
    upstream.add(
        "credit",
        inputs=[
            _input("loans", "training"),
            _input("holdout", "eval"),
            _input("fairness-slice", "test"),
        ],
        metrics=[
            {"key": "training_loss", "value": 0.2},
            {"key": "holdout_auc", "value": 0.91},
            {"key": "auc", "value": 0.9, "dataset_name": "fairness-slice"},
            {"key": "latency_ms", "value": 12.0},
        ],
    )
    _sync(officer, registry, upstream, django_capture_on_commit_callbacks)
    model = _model("credit")
    uuid_of = {a.name.split(" (")[0]: str(a.uuid) for a in Asset.objects.filter(kind="dataset")}
    on = {m["type"]: m.get("dataset") for m in model.model_card["metrics"]}
    assert on == {
        "training_loss": uuid_of["loans"],
        "holdout_auc": uuid_of["holdout"],
        "auc": uuid_of["fairness-slice"],
        "latency_ms": None,  # two evaluation inputs: the run does not say which
    }
    # The card's rule holds: every metric's dataset is linked to the model.
    model_card.check_links(model)
    # One evaluation input: every other metric was measured on it.
    upstream.add(
        "scoring",
        inputs=[_input("loans", "training"), _input("holdout", "validation")],
        metrics=[{"key": "accuracy", "value": 0.8}],
    )
    _sync(officer, registry, upstream, django_capture_on_commit_callbacks)
    [metric] = _model("scoring").model_card["metrics"]
    assert metric["dataset"] == uuid_of["holdout"]


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_turns_each_sync_run_into_a_sync_job(officer: User) -> None:
    before = [("inventory", "0007_import_jobs")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        Registry = old.get_model("inventory", "ModelRegistry")
        SyncRun = old.get_model("inventory", "SyncRun")
        Record = old.get_model("inventory", "SyncedRecord")
        OldAsset = old.get_model("inventory", "Asset")
        registry = Registry.objects.create(name="Prod", tracking_uri="https://m.example")
        run = SyncRun.objects.create(
            registry=registry,
            trigger="schedule",
            status="partial",
            done=5,
            total=5,
            created=4,
            unchanged=1,
            flagged=1,
            kept=2,
            errors=[{"where": "m/2", "message": "Its source run is gone"}],
        )
        asset = OldAsset.objects.create(kind="model", name="m v1", model_type="other")
        Record.objects.create(
            registry=registry,
            kind="model_version",
            external_id="m/1",
            asset=asset,
            last_synced_at=run.queued_at,
            last_run=run,
            flagged_by_run=run,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    job = ImportJob.objects.get(uuid=run.uuid)
    assert (job.kind, job.registry.name, job.trigger, job.status) == (
        "sync",
        "Prod",
        "schedule",
        "succeeded",
    )
    assert (job.rows_done, job.rows_total, job.created, job.unchanged, job.errors) == (
        5,
        5,
        4,
        1,
        1,
    )
    assert (job.flagged, job.kept) == (1, 2)
    assert job.problems == [{"where": "m/2", "message": "Its source run is gone"}]
    assert job.created_at == run.queued_at
    record = SyncedRecord.objects.get(external_id="m/1")
    assert record.last_job_id == job.pk and record.flagged_by_job_id == job.pk
