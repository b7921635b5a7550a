"""The registries' REST API: what the web page allows, through /api/v1/mlflow-registries/,
with the same roles, services and audit trail; "sync" answers 202 with the job."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.inventory.mlflow import services
from riskhub.inventory.mlflow.models import ModelRegistry
from riskhub.inventory.models import ImportJob
from tests.support import own_callbacks

pytestmark = pytest.mark.django_db
REGISTRIES = "/api/v1/mlflow-registries/"


@pytest.fixture
def api_as(make_user: Callable[..., User]) -> Callable[[Role | User], APIClient]:
    def make(who: Role | User) -> APIClient:
        client = APIClient()
        client.force_authenticate(who if isinstance(who, User) else make_user(who))
        return client

    return make


def _registry(officer: User, name: str = "Prod") -> ModelRegistry:
    return services.registry_create(
        actor=officer, name=name, tracking_uri="https://mlflow.example.com"
    )


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.ADMIN])
def test_officers_and_admins_add_and_edit_a_registry_audited(api_as: Any, role: Role) -> None:
    client = api_as(role)
    created = client.post(
        REGISTRIES,
        {
            "name": "Prod",
            "tracking_uri": "https://mlflow.example.com",
            "token_env": "MLFLOW_TRACKING_TOKEN",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["token_env"] == "MLFLOW_TRACKING_TOKEN" and body["enabled"] is True
    assert body["last_sync"] is None and body["model_versions"] == 0
    assert AuditEvent.objects.filter(action="model_registry.create").count() == 1

    changed = client.patch(body["url"], {"enabled": False}, format="json")
    assert changed.status_code == 200 and changed.json()["enabled"] is False
    event = AuditEvent.objects.get(action="model_registry.update")
    assert event.before == {"enabled": True} and event.after == {"enabled": False}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tracking_uri", "ftp://mlflow.example.com", "http(s) address"),
        ("token_env", "my token", "environment variable name"),
    ],
)
def test_a_bad_registry_is_refused_in_the_error_shape(
    api_as: Any, field: str, value: str, message: str
) -> None:
    data = {"name": "Prod", "tracking_uri": "https://mlflow.example.com", field: value}
    response = api_as(Role.RISK_OFFICER).post(REGISTRIES, data, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert message in " ".join(error["fields"][field])
    assert not ModelRegistry.objects.exists()


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.EXECUTIVE])
def test_readers_list_registries_and_runs_but_change_nothing(
    api_as: Any, officer: User, role: Role, django_capture_on_commit_callbacks: Any
) -> None:
    registry = _registry(officer)
    with django_capture_on_commit_callbacks(execute=False):
        job = services.sync_request(actor=officer, registry=registry)
    client = api_as(role)
    [listed] = client.get(REGISTRIES).json()["results"]
    assert listed["name"] == "Prod" and listed["last_sync"]["id"] == str(job.uuid)
    assert listed["last_sync"]["status"] == "queued"
    runs = client.get(f"{REGISTRIES}{registry.uuid}/runs/").json()["results"]
    assert [r["id"] for r in runs] == [str(job.uuid)] and runs[0]["kind"] == "sync"
    # The job itself, as every reader sees a sync (an import only its requester).
    assert client.get(listed["last_sync"]["url"]).status_code == 200
    assert client.post(f"{REGISTRIES}{registry.uuid}/sync/").status_code == 403
    assert client.patch(listed["url"], {"enabled": False}, format="json").status_code == 403
    assert client.post(REGISTRIES, {"name": "X"}, format="json").status_code == 403
    assert ImportJob.objects.count() == 1 and ModelRegistry.objects.count() == 1


def test_sync_now_answers_202_with_the_job_and_joins_a_queued_one(
    api_as: Any, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    registry = _registry(officer)
    client = api_as(officer)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = client.post(f"{REGISTRIES}{registry.uuid}/sync/")
        again = client.post(f"{REGISTRIES}{registry.uuid}/sync/")
    assert first.status_code == 202 and again.status_code == 202
    body = first.json()
    assert body["kind"] == "sync" and body["status"] == "queued"
    assert body["registry"] == str(registry.uuid) and body["trigger"] == "manual"
    assert first["Location"] == body["url"] and "/api/v1/import-jobs/" in body["url"]
    assert again.json()["id"] == body["id"], "a second request joins the queued sync"
    assert len(own_callbacks(queued)) == 1
    assert (
        AuditEvent.objects.filter(action="import_job.requested", actor_id=officer.pk).count() == 1
    )
    polled = client.get(body["url"]).json()
    assert polled["id"] == body["id"] and polled["summary"] == {}


def test_the_list_costs_the_same_queries_for_many_registries(
    api_as: Any, officer: User, django_assert_max_num_queries: Any
) -> None:
    client = api_as(Role.AUDITOR)
    _registry(officer, "One")
    with django_assert_max_num_queries(8) as few:
        client.get(REGISTRIES)
    for i in range(5):
        services.sync_request(actor=officer, registry=_registry(officer, f"More {i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(REGISTRIES)
    assert response.json()["count"] == 6
