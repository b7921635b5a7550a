"""The MLflow sync against a real tracking server: models and runs made with MLflow's own
client, synced through RiskHub's REST connector, checked as a user would see them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.audit.models import AuditEvent
from riskhub.inventory import provenance
from riskhub.inventory import services as inventory
from riskhub.inventory.mlflow import services, sync
from riskhub.inventory.mlflow.client import MlflowClient
from riskhub.inventory.mlflow.models import ModelRegistry, SyncedRecord
from riskhub.inventory.models import Asset, AssetLink, ImportJob
from tests.support import own_callbacks

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_sync(
    officer: User, django_capture_on_commit_callbacks: Any
) -> Callable[[ModelRegistry], ImportJob]:
    """Ask for a sync as the officer would, then do the worker's part in-process."""

    def go(registry: ModelRegistry) -> ImportJob:
        with django_capture_on_commit_callbacks(execute=False) as queued:
            run = services.sync_request(actor=officer, registry=registry)
        assert len(own_callbacks(queued)) == 1, "the sync was not queued for the worker"
        done = sync.run_sync(run.pk)
        assert done is not None
        done.refresh_from_db()
        return done

    return go


def _model(name: str) -> Asset:
    return Asset.objects.get(kind="model", name=name)


def test_versions_become_model_assets_with_card_tags_and_lineage(
    registry, run_sync, train, register, upstream, prefix
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-credit"
    run_id = train(
        f"{prefix}-exp",
        params={"learning_rate": 0.1, "max_depth": 6},
        metrics={"auc": 0.91, "f1": 0.8},
        training=f"{prefix}-loans",
        evaluation=f"{prefix}-holdout",
        rows=7,
    )
    register(
        name,
        run_id,
        description="Scores loan applications",
        tags={"validated": "yes"},
        model_tags={"team": "credit-risk"},
    )
    upstream.set_registered_model_alias(name, "champion", "1")

    run = run_sync(registry)

    assert run.status == ImportJob.Status.SUCCEEDED, run.problems
    assert run.created >= 1 and run.errors == 0 and run.problems == []
    model = _model(f"{name} v1")
    assert model.model_version == "1"
    assert model.description == "Scores loan applications"
    assert "alias:champion" in model.tags
    assert "validated=yes" in model.tags and "team=credit-risk" in model.tags
    metrics = {m["type"]: m["value"] for m in model.model_card["metrics"]}
    assert metrics == {"auc": "0.91", "f1": "0.8"}
    assert "learning_rate=0.1" in model.model_card["model_architecture"]
    assert "max_depth=6" in model.model_card["model_architecture"]
    # The run's dataset inputs: a training set (trained on) and a held-out set.
    links = {
        (link.upstream.name.split(" (")[0], link.relation)
        for link in AssetLink.objects.filter(downstream=model).select_related("upstream")
    }
    assert links == {(f"{prefix}-loans", "trained_on"), (f"{prefix}-holdout", "depends_on")}
    loans = Asset.objects.get(kind="dataset", name__startswith=f"{prefix}-loans (")
    assert loans.record_count == 7
    # The run's one evaluation input is what its metrics were measured on.
    holdout = Asset.objects.get(kind="dataset", name__startswith=f"{prefix}-holdout (")
    assert {m.get("dataset") for m in model.model_card["metrics"]} == {str(holdout.uuid)}
    assert loans.data_origin == f"s3://data/{prefix}-loans.parquet"
    # Provenance: the connector wrote these fields, and the asset page says so.
    for key in ("model_version", "description", "tags", "model_card.metrics"):
        assert model.field_sources[key]["by"] == provenance.CONNECTOR, key
        assert model.field_sources[key]["source"] == "MLflow: Platform MLflow"
    record = SyncedRecord.objects.get(asset=model)
    assert record.last_synced_at == run.finished_at or record.last_synced_at <= run.finished_at
    # Audited: each created asset and link, and the run's summary.
    assert AuditEvent.objects.filter(action="asset.sync_create", object_id=str(model.uuid)).exists()
    assert AuditEvent.objects.filter(
        action="asset_link.create", after__relation="trained_on", after__downstream=str(model.uuid)
    ).exists()
    finish = AuditEvent.objects.get(action="mlflow_sync.finish", object_id=str(run.uuid))
    assert finish.after["created"] == run.created and finish.actor_id is None


def test_second_sync_changes_nothing_and_later_changes_arrive_incrementally(
    registry, run_sync, train, register, upstream, prefix
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-churn"
    register(name, train(f"{prefix}-exp", metrics={"auc": 0.7}), description="first")
    first = run_sync(registry)
    assert first.status == ImportJob.Status.SUCCEEDED, first.problems
    asset = _model(f"{name} v1")
    version_before = asset.version
    events_before = AuditEvent.objects.filter(object_id=str(asset.uuid)).count()

    second = run_sync(registry)

    assert (second.created, second.updated, second.flagged) == (0, 0, 0)
    assert second.unchanged == first.created + first.updated + first.unchanged
    asset.refresh_from_db()
    assert asset.version == version_before
    assert AuditEvent.objects.filter(object_id=str(asset.uuid)).count() == events_before
    assert SyncedRecord.objects.get(asset=asset).last_job_id == second.pk

    # Upstream: a new version, and a changed description of the first.
    register(name, train(f"{prefix}-exp", metrics={"auc": 0.75}), description="second")
    upstream.update_model_version(name, "1", description="first, revised")
    third = run_sync(registry)

    assert (third.created, third.updated) == (1, 1), third.problems
    asset.refresh_from_db()
    assert asset.description == "first, revised"
    assert _model(f"{name} v2").model_card["metrics"] == [{"type": "auc", "value": "0.75"}]
    update = AuditEvent.objects.get(action="asset.sync_update", object_id=str(asset.uuid))
    assert update.before == {"description": "first"}
    assert update.after["description"] == "first, revised"


def test_a_persons_edit_is_never_overwritten_by_a_sync(
    registry, run_sync, train, register, upstream, prefix, officer
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-fraud"
    register(name, train(f"{prefix}-exp", metrics={"recall": 0.6}), description="from MLflow")
    run_sync(registry)
    asset = _model(f"{name} v1")
    card = {**asset.model_card, "limitations": ["Not for card-not-present fraud"]}
    asset = inventory.asset_update(
        actor=officer,
        asset=asset,
        expected_version=asset.version,
        description="Reviewed by the risk team",
        model_card=card,
    )
    assert asset.field_sources["description"]["by"] == provenance.PERSON
    assert asset.field_sources["description"]["user"] == officer.pk
    assert asset.field_sources["model_card.limitations"]["by"] == provenance.PERSON
    # The metrics part was not touched by the person: still the connector's.
    assert asset.field_sources["model_card.metrics"]["by"] == provenance.CONNECTOR

    upstream.update_model_version(name, "1", description="changed in MLflow")
    upstream.set_model_version_tag(name, "1", "reviewed", "no")
    run = run_sync(registry)

    asset.refresh_from_db()
    assert asset.description == "Reviewed by the risk team"
    assert asset.model_card["limitations"] == ["Not for card-not-present fraud"]
    assert "reviewed=no" in asset.tags  # a field nobody edited still follows MLflow
    assert run.updated == 1 and run.kept >= 1


def test_a_model_deleted_upstream_is_flagged_and_archived_only_when_a_person_confirms(
    registry, run_sync, train, register, upstream, prefix, officer
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-legacy"
    register(name, train(f"{prefix}-exp"))
    run_sync(registry)
    asset = _model(f"{name} v1")

    upstream.delete_registered_model(name)
    run = run_sync(registry)

    assert run.flagged == 1
    asset.refresh_from_db()
    assert asset.archived_at is None, "a sync must never archive"
    record = SyncedRecord.objects.get(asset=asset)
    assert record.deleted_upstream_at is not None and record.flagged_by_job_id == run.pk
    assert AuditEvent.objects.filter(
        action="asset.sync_flag_deleted", object_id=str(asset.uuid)
    ).exists()
    # A later sync does not flag it again.
    assert run_sync(registry).flagged == 0

    services.confirm_archive(actor=officer, asset=asset)

    asset.refresh_from_db()
    assert asset.archived_at is not None
    run.refresh_from_db()
    assert run.archived == 1
    confirm = AuditEvent.objects.get(action="mlflow_sync.confirm_archive")
    assert confirm.actor_id == officer.pk and confirm.after["upstream_records"] == [f"{name}/1"]


def test_listings_follow_page_tokens_to_the_end(
    registry, train, register, prefix, mlflow_server
) -> None:  # type: ignore[no-untyped-def]
    run_id = train(f"{prefix}-exp")
    for i in range(3):
        register(f"{prefix}-paged-{i}", run_id)
    whole = MlflowClient(mlflow_server.url)
    paged = MlflowClient(mlflow_server.url, page_size=1)
    assert [m["name"] for m in paged.registered_models()] == [
        m["name"] for m in whole.registered_models()
    ]
    names = {v["name"] for v in paged.model_versions()}
    assert {f"{prefix}-paged-{i}" for i in range(3)} <= names


def test_an_unreachable_server_fails_the_run_with_a_clear_reason(
    db: None, officer: User, run_sync
) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    registry = services.registry_create(
        actor=officer, name="Gone", tracking_uri=f"http://127.0.0.1:{port}"
    )
    run = run_sync(registry)
    assert run.status == ImportJob.Status.FAILED
    assert run.problems[0]["message"].startswith(
        f"Could not reach MLflow at http://127.0.0.1:{port}"
    )
    assert Asset.objects.count() == 0


def test_a_missing_token_variable_fails_the_run_and_says_which(
    registry, run_sync, officer, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("RISKHUB_TEST_MLFLOW_TOKEN", raising=False)
    registry = services.registry_update(
        actor=officer, registry=registry, token_env="RISKHUB_TEST_MLFLOW_TOKEN"
    )
    run = run_sync(registry)
    assert run.status == ImportJob.Status.FAILED
    assert "RISKHUB_TEST_MLFLOW_TOKEN" in run.problems[0]["message"]


def test_a_sync_never_closes_a_lineage_cycle(
    registry, run_sync, train, register, prefix, officer
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-loop"
    register(name, train(f"{prefix}-exp", training=f"{prefix}-feed"))
    run_sync(registry)
    model = _model(f"{name} v1")
    dataset = Asset.objects.get(kind="dataset", name__startswith=f"{prefix}-feed (")
    # A person removes the trained-on link and makes the dataset depend on the model.
    link = AssetLink.objects.get(upstream=dataset, downstream=model)
    inventory.link_delete(actor=officer, link=link)
    inventory.link_create(actor=officer, upstream=model, downstream=dataset, relation="depends_on")
    # Something changes upstream so the version is synced again.
    from riskhub.inventory.mlflow.models import SyncedRecord as Record

    Record.objects.filter(asset=model).update(fingerprint="")
    run = run_sync(registry)

    assert not AssetLink.objects.filter(upstream=dataset, downstream=model).exists()
    assert run.status == ImportJob.Status.SUCCEEDED and run.errors == 1
    assert any("cycle" in e["message"] for e in run.problems), run.problems


def test_a_tracking_uri_that_is_not_mlflows_api_fails_the_run_and_says_so(
    db: None, officer: User, run_sync, mlflow_server
) -> None:  # type: ignore[no-untyped-def]
    registry = services.registry_create(
        actor=officer, name="Typo", tracking_uri=f"{mlflow_server.url}/not-mlflow"
    )
    run = run_sync(registry)
    assert run.status == ImportJob.Status.FAILED
    message = run.problems[0]["message"]
    assert "has no MLflow REST API" in message and "check the tracking URI" in message
