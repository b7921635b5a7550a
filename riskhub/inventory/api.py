"""The inventory's REST API: thin DRF views over the selectors and services."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from riskhub.accounts.models import User
from riskhub.api.filters import MomentFilter
from riskhub.inventory import io, jobs, selectors, services
from riskhub.inventory.models import (
    Asset,
    AssetLink,
    Classification,
    ImportJob,
    OrganisationProfile,
)

# --- assets --------------------------------------------------------------------------------


class EffectiveRiskSerializer(serializers.Serializer):
    band = serializers.ChoiceField(choices=Asset.RiskBand.choices, allow_null=True)
    score = serializers.FloatField(allow_null=True)
    source = serializers.CharField(allow_blank=True, help_text="own | inherited | empty")
    path = serializers.ListField(child=serializers.JSONField())


class AssetSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    owner = serializers.SlugRelatedField(
        slug_field="email",
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="The owner's email address.",
    )
    business_unit = serializers.CharField(
        source="business_unit.name",
        required=False,
        allow_blank=True,
        allow_null=True,
        max_length=100,
        help_text="Name of the business unit (created if new).",
    )
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, allow_empty=True
    )
    tier = serializers.ChoiceField(
        choices=Asset.Tier.choices,
        read_only=True,
        allow_blank=True,
        help_text="EU AI Act tier from the latest questionnaire; empty when not classified.",
    )
    effective_risk = serializers.SerializerMethodField()
    archived = serializers.SerializerMethodField()
    version = serializers.IntegerField(
        required=False,
        help_text="Required on PUT and PATCH: the version you read. A stale version is "
        "refused with 409.",
    )

    class Meta:
        model = Asset
        fields = [
            "id",
            *services.EDITABLE_FIELDS,
            "tier",
            "gdpr_applies",
            "ccpa_applies",
            "effective_risk",
            "coverage_summary",
            "archived",
            "archived_at",
            "created_at",
            "updated_at",
            "version",
        ]
        extra_kwargs = {
            "model_card": {
                "help_text": "Models only. An object with any of: approach (supervised, "
                "unsupervised, reinforcement-learning, semi-supervised, self-supervised), "
                "architecture_family, model_architecture, environmental (text); inputs, "
                "outputs, users, use_cases, limitations, tradeoffs (lists of text); "
                "metrics (list of {type, value, slice, lower_bound, upper_bound, dataset: "
                "the UUID of a dataset linked to the model}); ethical (list of {name, "
                "mitigation}); fairness (list of {group_at_risk, benefits, harms, "
                "mitigation}). Empty values are dropped; CycloneDX modelCard carries it."
            }
        }
        read_only_fields = [
            "tier",
            "gdpr_applies",
            "ccpa_applies",
            "coverage_summary",
            "archived_at",
            "created_at",
            "updated_at",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Model-level checks (unique names, kind rules) run in the service, which has the
        # lock; the serializer only checks types.
        for field in self.fields.values():
            field.validators = [v for v in field.validators if not hasattr(v, "requires_context")]
        if self.instance is not None and not isinstance(self.instance, list | QuerySet):
            self.fields["kind"].read_only = True

    def get_validators(self) -> list[Any]:
        return []

    @extend_schema_field(EffectiveRiskSerializer)
    def get_effective_risk(self, asset: Asset) -> dict[str, Any]:
        return {
            "band": asset.effective_risk_band or None,
            "score": asset.effective_risk_score,
            "source": asset.effective_risk_source,
            "path": asset.effective_risk_path or [],
        }

    def get_archived(self, asset: Asset) -> bool:
        return asset.archived_at is not None

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.validated_data)
        data.pop("version", None)
        return data


class AssetFilter(filters.FilterSet):
    owner = filters.CharFilter(field_name="owner__email", lookup_expr="iexact")
    business_unit = filters.CharFilter(field_name="business_unit__name", lookup_expr="iexact")
    risk_band = filters.ChoiceFilter(
        field_name="effective_risk_band", choices=Asset.RiskBand.choices
    )
    archived = filters.BooleanFilter(field_name="archived_at", lookup_expr="isnull", exclude=True)
    updated_since = MomentFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Asset
        fields = ["kind", "tier", "lifecycle", "source"]


def _business_unit(actor: User, data: dict[str, Any]) -> None:
    if "business_unit" not in data:
        return
    name = ((data.pop("business_unit") or {}).get("name") or "").strip()
    data["business_unit"] = (
        services.business_unit_get_or_create(actor=actor, name=name) if name else None
    )


@extend_schema(tags=["inventory"])
class AssetViewSet(viewsets.ModelViewSet):
    """Datasets, models, endpoints and AI systems. DELETE archives (history is kept); list
    shows active assets unless `archived=true`."""

    serializer_class = AssetSerializer
    filterset_class = AssetFilter
    lookup_field = "uuid"
    read_permission = "inventory.view"
    write_permission = "inventory.edit"
    search_fields = ["name", "description", "vendor", "tags"]
    ordering_fields = ["name", "kind", "tier", "lifecycle", "updated_at", "created_at"]
    ordering = ["name"]

    def get_queryset(self) -> QuerySet[Asset]:
        qs = Asset.objects.select_related("owner", "business_unit").order_by("name", "pk")
        if self.action == "list" and "archived" not in self.request.query_params:
            qs = qs.filter(archived_at__isnull=True)
        return qs

    def perform_create(self, serializer: AssetSerializer) -> None:  # type: ignore[override]
        data = serializer.service_fields()
        with transaction.atomic():
            _business_unit(self.request.user, data)  # type: ignore[arg-type]
            serializer.instance = services.asset_create(actor=self.request.user, **data)

    @extend_schema(
        responses={200: AssetSerializer, 409: OpenApiResponse(description="Edit conflict")}
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        asset = self.get_object()
        serializer = self.get_serializer(asset, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        if "version" not in serializer.validated_data:
            raise serializers.ValidationError(
                {"version": ["Send the version you read; it protects against lost updates."]}
            )
        data = serializer.service_fields()
        with transaction.atomic():
            _business_unit(request.user, data)  # type: ignore[arg-type]
            asset = services.asset_update(
                actor=request.user,  # type: ignore[arg-type]
                asset=asset,
                expected_version=serializer.validated_data["version"],
                **data,
            )
        asset = Asset.objects.select_related("owner", "business_unit").get(pk=asset.pk)
        return Response(self.get_serializer(asset).data)

    @extend_schema(responses={204: None})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.asset_archive(actor=request.user, asset=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- links ---------------------------------------------------------------------------------


class AssetLinkSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    upstream = serializers.SlugRelatedField(slug_field="uuid", queryset=Asset.objects.all())
    downstream = serializers.SlugRelatedField(slug_field="uuid", queryset=Asset.objects.all())
    upstream_name = serializers.CharField(source="upstream.name", read_only=True)
    downstream_name = serializers.CharField(source="downstream.name", read_only=True)

    class Meta:
        model = AssetLink
        fields = [
            "id",
            "upstream",
            "upstream_name",
            "relation",
            "downstream",
            "downstream_name",
            "created_at",
        ]
        read_only_fields = ["created_at"]
        validators: list[Any] = []


class AssetLinkFilter(filters.FilterSet):
    asset = filters.UUIDFilter(method="filter_asset", label="Either end is this asset")
    upstream = filters.UUIDFilter(field_name="upstream__uuid")
    downstream = filters.UUIDFilter(field_name="downstream__uuid")

    class Meta:
        model = AssetLink
        fields = ["relation"]

    def filter_asset(self, qs: QuerySet[AssetLink], name: str, value: Any) -> QuerySet[AssetLink]:
        from django.db.models import Q

        return qs.filter(Q(upstream__uuid=value) | Q(downstream__uuid=value))


@extend_schema(tags=["inventory"])
class AssetLinkViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Lineage: risk flows from `upstream` to `downstream`."""

    serializer_class = AssetLinkSerializer
    filterset_class = AssetLinkFilter
    lookup_field = "uuid"
    read_permission = "inventory.view"
    write_permission = "inventory.edit"
    search_fields: list[str] = []
    ordering_fields = ["created_at"]

    def get_queryset(self) -> QuerySet[AssetLink]:
        return selectors.links()

    def perform_create(self, serializer: AssetLinkSerializer) -> None:  # type: ignore[override]
        data = serializer.validated_data
        serializer.instance = services.link_create(
            actor=self.request.user,  # type: ignore[arg-type]
            upstream=data["upstream"],
            downstream=data["downstream"],
            relation=data["relation"],
        )

    def perform_destroy(self, instance: AssetLink) -> None:
        services.link_delete(actor=self.request.user, link=instance)  # type: ignore[arg-type]


# --- classification ------------------------------------------------------------------------


class ClassificationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    asset = serializers.UUIDField(source="asset.uuid", read_only=True)
    answered_by = serializers.EmailField(
        source="answered_by.email", read_only=True, allow_null=True
    )

    class Meta:
        model = Classification
        fields = ["id", "asset", "version", "answers", "result", "facts", "answered_by"]
        fields += ["answered_at"]


class AnswersSerializer(serializers.Serializer):
    answers = serializers.JSONField(
        help_text="The questionnaire answers, with the keys of `manage.py classify`."
    )


@extend_schema(tags=["inventory"])
class ClassificationView(APIView):
    """The latest classification of an AI system or model; POST stores a new version."""

    read_permission = "inventory.view"
    write_permission = "inventory.edit"

    def _asset(self, asset_uuid: Any) -> Asset:
        return get_object_or_404(Asset, uuid=asset_uuid)

    @extend_schema(responses=ClassificationSerializer)
    def get(self, request: Request, asset_uuid: Any) -> Response:
        entry = selectors.latest_classification(self._asset(asset_uuid))
        if entry is None:
            from rest_framework.exceptions import NotFound

            raise NotFound("This asset has not been classified yet.")
        return Response(ClassificationSerializer(entry).data)

    @extend_schema(request=AnswersSerializer, responses={201: ClassificationSerializer})
    def post(self, request: Request, asset_uuid: Any) -> Response:
        asset = self._asset(asset_uuid)
        payload = AnswersSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answers = payload.validated_data["answers"]
        if not isinstance(answers, dict):
            raise serializers.ValidationError({"answers": ["Send an object of answers."]})
        entry = services.classification_answer(
            actor=request.user,  # type: ignore[arg-type]
            asset=asset,
            answers=answers,
        )
        return Response(ClassificationSerializer(entry).data, status=status.HTTP_201_CREATED)


# --- organisation --------------------------------------------------------------------------


class OrganisationSerializer(serializers.ModelSerializer):
    ccpa_business = serializers.BooleanField(read_only=True)
    ccpa_cyber_audit = serializers.BooleanField(read_only=True)

    updated_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="Empty until the profile is first saved."
    )

    class Meta:
        model = OrganisationProfile
        fields = [*services.ORG_FIELDS, "ccpa_business", "ccpa_cyber_audit", "updated_at"]
        read_only_fields = ["updated_at"]


@extend_schema(tags=["inventory"])
class OrganisationView(APIView):
    """The organisation profile; admins may PATCH it (classifications are refreshed)."""

    read_permission = "inventory.view"
    write_permission = "org.edit"

    @extend_schema(responses=OrganisationSerializer)
    def get(self, request: Request) -> Response:
        return Response(OrganisationSerializer(selectors.organisation()).data)

    @extend_schema(request=OrganisationSerializer, responses=OrganisationSerializer)
    def patch(self, request: Request) -> Response:
        serializer = OrganisationSerializer(
            selectors.organisation(), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        profile = services.organisation_update(
            actor=request.user,  # type: ignore[arg-type]
            **serializer.validated_data,
        )
        return Response(OrganisationSerializer(profile).data)


# --- import jobs ---------------------------------------------------------------------------


class ImportJobSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    url = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()
    requested_by = serializers.SlugRelatedField(slug_field="email", read_only=True)
    registry = serializers.SlugRelatedField(
        slug_field="uuid",
        read_only=True,
        allow_null=True,
        help_text="The MLflow registry a sync job reads (null for a file import).",
    )
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "source",
            "registry",
            "trigger",
            "file_format",
            "requested_by",
            "status",
            "stage",
            "rows_total",
            "rows_done",
            "percent",
            "created",
            "updated",
            "unchanged",
            "archived",
            "errors",
            "summary",
            "error",
            "errors_url",
            "attempt",
            "created_at",
            "started_at",
            "finished_at",
            "heartbeat_at",
        ]
        read_only_fields = fields

    def _absolute(self, name: str, job: ImportJob) -> str:
        from django.urls import reverse

        path = reverse(name, args=[job.uuid])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_url(self, job: ImportJob) -> str:
        return self._absolute("api:import-job-detail", job)

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_errors_url(self, job: ImportJob) -> str | None:
        return self._absolute("api:import-job-errors", job) if job.errors_file else None


class ImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="CSV, JSON or XLSX with the export's columns, or a CycloneDX BOM."
    )


@extend_schema(tags=["inventory"])
class ImportJobViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Imports run on a worker: POST a file and get 202 Accepted with the job at once;
    poll GET /import-jobs/{id}/ for the rows done, the counts and the outcome. All or
    nothing: a failed job wrote nothing, and its row errors are a CSV at `errors_url`.
    Each person sees their own imports; auditors and admins see everyone's. Registry
    syncs are jobs too (kind "sync", started from /mlflow-registries/{id}/sync/), seen
    by every reader; their `summary` carries the versions flagged as deleted upstream,
    the fields kept as a person edited them, the lineage links added and removed, and
    the problems met."""

    serializer_class = ImportJobSerializer
    lookup_field = "uuid"
    read_permission = "inventory.view"
    write_permission = "inventory.edit"
    action_permissions = {"errors": "inventory.view"}

    def get_queryset(self) -> QuerySet[ImportJob]:
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema has no user
            return ImportJob.objects.none()
        return jobs.jobs_visible_to(self.request.user)  # type: ignore[arg-type]

    @extend_schema(
        request={"multipart/form-data": ImportUploadSerializer},
        responses={202: ImportJobSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ImportUploadSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        problem = io.size_problem(upload.size)
        head = upload.read(4096)
        upload.seek(0)
        fmt = io.file_format(upload.name, head)
        if not problem and fmt == "unknown":
            problem = (
                "Unknown file type: upload a .csv, a .json, an .xlsx workbook, or a "
                "CycloneDX BOM (.cdx.json or .cdx.xml)."
            )
        if problem:
            raise serializers.ValidationError({"file": [problem]})
        job = jobs.import_job_request(
            actor=request.user,  # type: ignore[arg-type]
            upload=upload,
            name=upload.name,
            file_format=fmt,
        )
        body = ImportJobSerializer(job, context={"request": request}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def errors(self, request: Request, uuid: str | None = None) -> FileResponse:
        job = self.get_object()
        if not job.errors_file:
            raise NotFound("This job has no errors file (it did not fail on rows).")
        return errors_csv_response(job)


def errors_csv_response(job: ImportJob) -> FileResponse:
    """A job's row errors as a CSV download (the page and the API serve the same)."""
    return FileResponse(
        job.errors_file.open("rb"),
        as_attachment=True,
        filename=f"riskhub-import-errors-{str(job.uuid)[:8]}.csv",
        content_type="text/csv; charset=utf-8",
    )
