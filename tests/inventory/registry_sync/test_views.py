"""The connector's pages: registries, "Sync now", live run status, the asset page's
provenance, and the confirmation before archiving a model deleted upstream."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory.mlflow import sync
from riskhub.inventory.mlflow.models import ModelRegistry
from riskhub.inventory.models import Asset, ImportJob
from tests.support import own_callbacks

pytestmark = pytest.mark.django_db


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _sync_now(client: Client, registry: ModelRegistry, capture: Any) -> ImportJob:
    """Press "Sync now", then do the worker's part in-process."""
    with capture(execute=False) as queued:
        response = client.post(reverse("mlflow:sync_now", args=[registry.uuid]))
    run = ImportJob.objects.get(registry=registry, status=ImportJob.Status.QUEUED)
    assert run.kind == ImportJob.Kind.SYNC
    assert response.status_code == 302 and response["Location"] == reverse(
        "inventory:job", args=[run.uuid]
    )
    assert len(own_callbacks(queued)) == 1
    sync.run_sync(run.pk)
    run.refresh_from_db()
    return run


def test_an_officer_adds_a_registry_with_the_tokens_variable_name(officer: User) -> None:
    client = _client(officer)
    response = client.post(
        reverse("mlflow:registry_create"),
        {
            "name": "Prod",
            "tracking_uri": "https://mlflow.example.com",
            "token_env": "MLFLOW_TRACKING_TOKEN",
            "enabled": "on",
        },
    )
    assert response.status_code == 302
    registry = ModelRegistry.objects.get(name="Prod")
    assert registry.token_env == "MLFLOW_TRACKING_TOKEN"
    event = AuditEvent.objects.get(action="model_registry.create")
    assert event.actor_id == officer.pk and event.after["token_env"] == "MLFLOW_TRACKING_TOKEN"
    page = client.get(reverse("mlflow:index")).content.decode()
    assert "Prod" in page and "MLFLOW_TRACKING_TOKEN" in page and "Sync now" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tracking_uri", "ftp://mlflow.example.com", "http(s) address"),
        ("token_env", "my token", "environment variable name"),
        ("name", "", "This field is required"),
    ],
)
def test_a_bad_registry_is_refused_next_to_its_field(
    officer: User, field: str, value: str, message: str
) -> None:
    data = {"name": "Prod", "tracking_uri": "https://mlflow.example.com", "token_env": ""}
    data[field] = value
    response = _client(officer).post(reverse("mlflow:registry_create"), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html and message in html
    assert not ModelRegistry.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE])
def test_readers_see_the_runs_but_cannot_sync_or_configure(
    client_for, role: Role, officer: User
) -> None:  # type: ignore[no-untyped-def]
    registry = ModelRegistry.objects.create(name="Prod", tracking_uri="https://mlflow.example.com")
    client = client_for(role)
    page = client.get(reverse("mlflow:index"))
    assert page.status_code == 200 and "Sync now" not in page.content.decode()
    assert client.post(reverse("mlflow:sync_now", args=[registry.uuid])).status_code == 403
    assert client.get(reverse("mlflow:registry_create")).status_code == 403
    assert not ImportJob.objects.exists()


def test_sync_now_shows_the_summary_and_the_asset_page_names_mlflow_fields(
    officer: User,
    registry: ModelRegistry,
    train,
    register,
    prefix: str,
    django_capture_on_commit_callbacks: Any,
) -> None:  # type: ignore[no-untyped-def]
    register(f"{prefix}-pricing", train(f"{prefix}-exp", metrics={"mape": 0.12}))
    client = _client(officer)
    run = _sync_now(client, registry, django_capture_on_commit_callbacks)
    assert run.status == ImportJob.Status.SUCCEEDED, run.problems

    page = client.get(reverse("inventory:job", args=[run.uuid])).content.decode()
    assert "Succeeded" in page and f'<dd class="col-sm-8">{run.created}</dd>' in page
    assert "model version" in page and "Deleted upstream (flagged)" in page
    # The htmx partial of a finished run stops polling.
    partial = client.get(reverse("inventory:job_status", args=[run.uuid]))
    assert 'id="job-status"' in partial.content.decode()
    assert "hx-trigger" not in partial.content.decode()
    # The old address of a run's page leads to the job's page.
    old = client.get(reverse("mlflow:run", args=[run.uuid]))
    assert old.status_code == 301 and old["Location"] == reverse("inventory:job", args=[run.uuid])

    asset = Asset.objects.get(kind="model", name=f"{prefix}-pricing v1")
    detail = client.get(reverse("inventory:detail", args=[asset.uuid])).content.decode()
    assert "from MLflow: Platform MLflow" in detail
    assert "Last synced" in detail and f"{prefix}-pricing/1" in detail
    assert "Model card: performance metrics" in detail


def test_a_running_sync_page_polls_for_progress(officer: User, auditor: User) -> None:
    registry = ModelRegistry.objects.create(name="Prod", tracking_uri="https://mlflow.example.com")
    run = ImportJob.objects.create(
        kind="sync",
        registry=registry,
        source="Prod",
        trigger="schedule",
        status="running",
        rows_done=40,
        rows_total=160,
    )
    html = _client(officer).get(reverse("inventory:job", args=[run.uuid])).content.decode()
    assert 'hx-trigger="every 2s"' in html
    assert "40 of 160 model versions" in html and 'value="25"' in html
    assert "the schedule" in html
    # A sync is the register's business: every reader follows it, as the list does.
    for user in (officer, auditor):
        listing = _client(user).get(reverse("inventory:jobs")).content.decode()
        assert str(run.uuid) in listing


def test_archiving_a_model_deleted_upstream_asks_first(
    officer: User,
    auditor: User,
    registry: ModelRegistry,
    train,
    register,
    upstream,
    prefix: str,
    django_capture_on_commit_callbacks: Any,
) -> None:  # type: ignore[no-untyped-def]
    name = f"{prefix}-retired"
    register(name, train(f"{prefix}-exp"))
    client = _client(officer)
    _sync_now(client, registry, django_capture_on_commit_callbacks)
    asset = Asset.objects.get(kind="model", name=f"{name} v1")
    url = reverse("mlflow:confirm_archive", args=[asset.uuid])
    assert client.get(url).status_code == 404  # nothing deleted upstream yet

    upstream.delete_model_version(name, "1")
    _sync_now(client, registry, django_capture_on_commit_callbacks)

    listing = client.get(reverse("mlflow:flagged")).content.decode()
    assert asset.name in listing and "Review and archive" in listing
    page = client.get(url)
    assert page.status_code == 200
    assert f"{name}/1" in page.content.decode() and "Keep it" in page.content.decode()
    asset.refresh_from_db()
    assert asset.archived_at is None  # looking is not deciding

    assert _client(auditor).post(url).status_code == 403
    response = client.post(url)
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.archived_at is not None
    assert (
        "Nothing deleted upstream awaits" in client.get(reverse("mlflow:flagged")).content.decode()
    )
