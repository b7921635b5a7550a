"""Thin DRF views: serializers in and out, services for every write."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.accounts.models import User
from riskhub.api.parsers import JSONParser
from riskhub.compliance import selectors, services, uploads
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    ControlRequirement,
    Evidence,
    Framework,
    FrameworkCoverage,
    Requirement,
)
from riskhub.inventory.models import Asset


class FrameworkSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Framework
        fields = ["id", "slug", "name", "citation", "version", "source_url"]


class RequirementSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    framework = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Requirement
        fields = [
            "id",
            "framework",
            "ref",
            "title",
            "summary",
            "group",
            "holders",
            "also_cited_as",
            "rule",
            "applies_from",
            "source_url",
            "note",
            "catalog_version",
        ]


class MappingSerializer(serializers.ModelSerializer):
    framework = serializers.CharField(source="requirement.framework.slug")
    ref = serializers.CharField(source="requirement.ref")

    class Meta:
        model = ControlRequirement
        fields = ["framework", "ref", "coverage"]


class ControlSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    requirements = MappingSerializer(source="mappings", many=True, read_only=True)
    threats = serializers.ListField(
        source="threat_codes",
        child=serializers.CharField(),
        read_only=True,
        help_text="Codes of the threats the control treats, in catalog order.",
    )

    class Meta:
        model = Control
        fields = [
            "id",
            "code",
            "name",
            "description",
            "theme",
            "default_scope",
            "threats",
            "requirements",
            "catalog_version",
        ]


class EvidenceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    implementation = serializers.UUIDField(source="implementation.uuid", read_only=True)
    uploaded_by = serializers.UUIDField(
        source="uploaded_by.uuid", read_only=True, default=None, allow_null=True
    )
    name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "implementation",
            "kind",
            "name",
            "content_type",
            "size",
            "url",
            "description",
            "valid_until",
            "sha256",
            "uploaded_by",
            "uploaded_at",
        ]
        read_only_fields = fields


class EvidenceInputSerializer(serializers.Serializer):
    implementation = serializers.SlugRelatedField(
        slug_field="uuid", queryset=ControlImplementation.objects.all()
    )
    file = serializers.FileField(required=False)
    url = serializers.URLField(required=False, allow_blank=True, allow_null=True)
    description = serializers.CharField(max_length=500)
    valid_until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("file")) == bool(attrs.get("url")):
            raise serializers.ValidationError({"file": ["Give a file or a link (one of them)."]})
        return attrs


class ImplementationSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    control = serializers.SlugRelatedField(
        slug_field="code", queryset=Control.objects.filter(retired=False)
    )
    asset = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Asset.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SlugRelatedField(
        slug_field="uuid", queryset=User.objects.all(), required=False, allow_null=True
    )
    reviewed = serializers.BooleanField(write_only=True, required=False)
    has_valid_evidence = serializers.BooleanField(read_only=True, default=False)

    class Meta:
        model = ControlImplementation
        fields = [
            "id",
            "control",
            "scope",
            "asset",
            "status",
            "justification",
            "owner",
            "notes",
            "due_date",
            "last_verified",
            "next_verification",
            "needs_review",
            "review_reason",
            "has_valid_evidence",
            "reviewed",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["needs_review", "review_reason", "created_at", "updated_at"]
        # Uniqueness is checked by the service, which says it in the domain's words.
        validators: list[Any] = []


class CoverageSerializer(serializers.ModelSerializer):
    framework = serializers.CharField(source="framework.slug")
    id = serializers.UUIDField(source="framework.uuid", read_only=True)

    class Meta:
        model = FrameworkCoverage
        fields = ["id", "framework", "met", "partial", "gap", "applicable", "assets", "computed_at"]


class FrameworkViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = FrameworkSerializer
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"
    queryset = Framework.objects.order_by("position")


class RequirementFilter(filters.FilterSet):
    framework = filters.CharFilter(field_name="framework__slug")

    class Meta:
        model = Requirement
        fields = ["framework", "ref"]


class RequirementViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RequirementSerializer
    filterset_class = RequirementFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"

    def get_queryset(self) -> QuerySet[Requirement]:
        return Requirement.objects.filter(retired=False).select_related("framework")


class ControlFilter(filters.FilterSet):
    class Meta:
        model = Control
        fields = ["code", "theme", "default_scope"]


class ControlViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ControlSerializer
    filterset_class = ControlFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"

    def get_queryset(self) -> QuerySet[Control]:
        return selectors.control_list()


class ImplementationFilter(filters.FilterSet):
    control = filters.CharFilter(field_name="control__code")
    asset = filters.UUIDFilter(field_name="asset__uuid")

    class Meta:
        model = ControlImplementation
        fields = ["control", "asset", "scope", "status", "needs_review"]


class ImplementationViewSet(viewsets.ModelViewSet):
    serializer_class = ImplementationSerializer
    filterset_class = ImplementationFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[ControlImplementation]:
        return selectors.implementation_list().select_related("owner")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("reviewed", None)
        implementation = services.implementation_create(actor=request.user, **data)  # type: ignore[arg-type]
        return Response(
            self.get_serializer(self.get_queryset().get(pk=implementation.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        implementation = self.get_object()
        serializer = self.get_serializer(implementation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        fields = {
            k: v
            for k, v in serializer.validated_data.items()
            if k in services.IMPLEMENTATION_FIELDS or k == "reviewed"
        }
        services.implementation_update(
            actor=request.user,  # type: ignore[arg-type]
            implementation=implementation,
            **fields,
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=implementation.pk)).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.implementation_delete(actor=request.user, implementation=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class EvidenceFilter(filters.FilterSet):
    implementation = filters.UUIDFilter(field_name="implementation__uuid")

    class Meta:
        model = Evidence
        fields = ["implementation", "kind"]


class EvidenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Evidence files and links. Create with multipart/form-data (file) or JSON (url)."""

    serializer_class = EvidenceSerializer
    filterset_class = EvidenceFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"
    parser_classes = [parsers.MultiPartParser, parsers.FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[Evidence]:
        return Evidence.objects.select_related("implementation", "uploaded_by").order_by(
            "-uploaded_at", "-id"
        )

    @extend_schema(request=EvidenceInputSerializer, responses={201: EvidenceSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = EvidenceInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if values.get("file"):
            upload = values["file"]
            evidence = services.evidence_add_file(
                actor=request.user,  # type: ignore[arg-type]
                implementation=values["implementation"],
                file=upload,
                name=upload.name,
                size=upload.size,
                description=values["description"],
                valid_until=values.get("valid_until"),
            )
        else:
            evidence = services.evidence_add_link(
                actor=request.user,  # type: ignore[arg-type]
                implementation=values["implementation"],
                url=values["url"],
                description=values["description"],
                valid_until=values.get("valid_until"),
            )
        return Response(EvidenceSerializer(evidence).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, uuid: str | None = None) -> FileResponse:
        evidence = self.get_object()
        if evidence.kind != Evidence.Kind.FILE:
            from rest_framework.exceptions import NotFound

            raise NotFound("This evidence is a link, not a file.")
        services.evidence_record_download(actor=request.user, evidence=evidence)  # type: ignore[arg-type]
        return uploads.download_response(evidence)


class CoverageViewSet(viewsets.ReadOnlyModelViewSet):
    """The stored coverage totals per framework (asset x applicable requirement pairs)."""

    serializer_class = CoverageSerializer
    lookup_field = "framework__uuid"
    lookup_url_kwarg = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"

    def get_queryset(self) -> QuerySet[FrameworkCoverage]:
        return FrameworkCoverage.objects.select_related("framework").order_by("framework__position")
