"""Thin DRF views over the scans services and selectors: officers and admins import,
every role reads (the same permissions as the pages)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.inventory.models import Asset
from riskhub.risk.models import Threat
from riskhub.scans import services
from riskhub.scans.models import Finding, ScanRun, Tool


class FindingSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    threats = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    pass_rate = serializers.FloatField(read_only=True)
    examples = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()), read_only=True
    )

    class Meta:
        model = Finding
        fields = [
            "id",
            "probe",
            "detector",
            "threats",
            "attempts",
            "failures",
            "pass_rate",
            "serious",
            "examples",
        ]


class ScanRunSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    asset = serializers.UUIDField(source="asset.uuid", read_only=True)
    imported_by = serializers.EmailField(
        source="imported_by.email", default=None, read_only=True, allow_null=True
    )
    evidence = serializers.SlugRelatedField(slug_field="uuid", many=True, read_only=True)
    findings = FindingSerializer(many=True, read_only=True)
    pass_rate = serializers.FloatField(read_only=True, allow_null=True)
    outcome = serializers.JSONField(read_only=True)

    class Meta:
        model = ScanRun
        fields = [
            "id",
            "asset",
            "tool",
            "tool_version",
            "ran_at",
            "target",
            "report_name",
            "report_sha256",
            "report_size",
            "mapping_version",
            "attempts",
            "failures",
            "pass_rate",
            "evidence",
            "outcome",
            "imported_by",
            "imported_at",
            "findings",
        ]


class ScanImportSerializer(serializers.Serializer):
    asset = serializers.SlugRelatedField(slug_field="uuid", queryset=Asset.objects.all())
    file = serializers.FileField(help_text="garak's report.jsonl or promptfoo's results JSON.")
    tool = serializers.ChoiceField(
        choices=Tool.choices, required=False, help_text="Default: recognised from the content."
    )


class ScanRunFilter(filters.FilterSet):
    asset = filters.UUIDFilter(field_name="asset__uuid")
    tool = filters.ChoiceFilter(choices=Tool.choices)

    class Meta:
        model = ScanRun
        fields = ["asset", "tool"]


class ScanRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Imported AI security scans (garak, promptfoo) with their findings. POST a
    report as multipart/form-data: all or nothing, 400 with one message per problem."""

    serializer_class = ScanRunSerializer
    filterset_class = ScanRunFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"
    parser_classes = [parsers.MultiPartParser, parsers.FormParser]

    def get_queryset(self) -> QuerySet[ScanRun]:
        return (
            ScanRun.objects.select_related("asset", "imported_by")
            .prefetch_related(
                "evidence",
                Prefetch(
                    "findings",
                    queryset=Finding.objects.prefetch_related(
                        Prefetch("threats", queryset=Threat.objects.order_by("code"))
                    ),
                ),
            )
            .order_by("-ran_at", "-id")
        )

    @extend_schema(request=ScanImportSerializer, responses={201: ScanRunSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ScanImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            run = services.scan_import(
                actor=request.user,  # type: ignore[arg-type]
                asset=data.validated_data["asset"],
                file=upload,
                name=upload.name,
                size=upload.size,
                tool=data.validated_data.get("tool"),
            )
        except services.ScanImportError as exc:
            raise serializers.ValidationError({"file": exc.messages}) from None
        fresh = self.get_queryset().get(pk=run.pk)
        return Response(ScanRunSerializer(fresh).data, status=status.HTTP_201_CREATED)
