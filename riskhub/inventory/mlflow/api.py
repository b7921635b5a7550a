"""The MLflow connector's REST API: registries (read by every role, configured by risk
officers and admins, as on /inventory/mlflow/), "sync now" (202 with the job), and each
registry's sync jobs. Thin: the services write and audit, the selectors read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.inventory.api import ImportJobSerializer
from riskhub.inventory.mlflow import selectors, services
from riskhub.inventory.mlflow.models import ModelRegistry
from riskhub.inventory.models import ImportJob


class LastSyncSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ImportJob.Status.choices)
    finished_at = serializers.DateTimeField(allow_null=True)
    problems = serializers.IntegerField()
    url = serializers.CharField()


class ModelRegistrySerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.SerializerMethodField()
    model_versions = serializers.IntegerField(source="synced", read_only=True, default=0)
    deleted_upstream = serializers.IntegerField(
        source="flagged",
        read_only=True,
        default=0,
        help_text="Synced model versions deleted in MLflow whose asset awaits a person.",
    )
    last_sync = serializers.SerializerMethodField()

    class Meta:
        model = ModelRegistry
        fields = [
            "id",
            "url",
            "name",
            "tracking_uri",
            "token_env",
            "enabled",
            "model_versions",
            "deleted_upstream",
            "last_sync",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "token_env": {
                "help_text": "The name of the environment variable that holds the token "
                "(never the token itself)."
            }
        }

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, registry: ModelRegistry) -> str:
        from django.urls import reverse

        return self._absolute(reverse("api:mlflow-registry-detail", args=[registry.uuid]))

    @extend_schema_field(LastSyncSerializer(allow_null=True))
    def get_last_sync(self, registry: ModelRegistry) -> dict[str, Any] | None:
        from django.urls import reverse

        job_uuid = getattr(registry, "last_run_uuid", None)
        if job_uuid is None:
            return None
        return {
            "id": job_uuid,
            "status": registry.last_run_status,  # type: ignore[attr-defined]
            "finished_at": registry.last_run_finished,  # type: ignore[attr-defined]
            "problems": registry.last_run_errors or 0,  # type: ignore[attr-defined]
            "url": self._absolute(reverse("api:import-job-detail", args=[job_uuid])),
        }


@extend_schema(tags=["inventory"])
class ModelRegistryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """MLflow model registries whose registered model versions RiskHub syncs. A token is
    never stored: `token_env` names the environment variable of the web and worker
    processes that holds it. POST `{id}/sync/` queues a sync (202 with the job; a sync
    already queued or running is returned instead of a second one); poll the job at its
    `url` (`/import-jobs/{id}/`, kind "sync")."""

    serializer_class = ModelRegistrySerializer
    lookup_field = "uuid"
    read_permission = "inventory.view"
    write_permission = "inventory.edit"
    action_permissions = {"runs": "inventory.view"}
    search_fields: list[str] = []
    ordering_fields = ["name"]

    def get_queryset(self) -> QuerySet[ModelRegistry]:
        return selectors.registries().order_by("name", "pk")

    def perform_create(self, serializer: ModelRegistrySerializer) -> None:  # type: ignore[override]
        created = services.registry_create(
            actor=self.request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=created.pk)

    def perform_update(self, serializer: ModelRegistrySerializer) -> None:  # type: ignore[override]
        assert serializer.instance is not None
        updated = services.registry_update(
            actor=self.request.user,  # type: ignore[arg-type]
            registry=serializer.instance,
            **serializer.validated_data,
        )
        serializer.instance = self.get_queryset().get(pk=updated.pk)

    @extend_schema(request=None, responses={202: ImportJobSerializer})
    @action(detail=True, methods=["post"])
    def sync(self, request: Request, uuid: str | None = None) -> Response:
        job = services.sync_request(
            actor=request.user,  # type: ignore[arg-type]
            registry=self.get_object(),
        )
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(responses={200: ImportJobSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def runs(self, request: Request, uuid: str | None = None) -> Response:
        """The registry's sync jobs, newest first."""
        registry = self.get_object()
        page = self.paginate_queryset(selectors.runs(registry))
        data = ImportJobSerializer(page, many=True, context={"request": request}).data
        return self.get_paginated_response(data)
