"""The integrated impact assessment over the API: read for every role, drafts written by
risk officers and admins, reviewed by executives and admins (not by a contributor).
Writes name the `version` they started from; a stale one answers 409."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.impact import catalog, selectors, services
from riskhub.impact.models import ImpactAssessment
from riskhub.inventory.models import Asset


class ImpactSectionSerializer(serializers.Serializer):
    key = serializers.CharField()
    title = serializers.CharField()
    laws = serializers.ListField(child=serializers.CharField())
    provisions = serializers.SerializerMethodField()
    questions = serializers.SerializerMethodField()

    def get_provisions(self, section: catalog.Section) -> list[dict[str, str]]:
        return [
            {"framework": p.framework, "cite": p.cite, "label": p.label, "note": p.note}
            for p in section.provisions
        ]

    def get_questions(self, section: catalog.Section) -> list[dict[str, Any]]:
        return [
            {
                "key": f.key,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "choices": list(f.choices),
            }
            for f in section.fields
        ]


class ImpactAssessmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    asset = serializers.SlugRelatedField(
        slug_field="uuid", queryset=Asset.objects.filter(archived_at__isnull=True)
    )
    catalog_version = serializers.CharField(source="template.version", read_only=True)
    applicable_laws = serializers.SerializerMethodField()
    sections = serializers.SerializerMethodField()
    created_by = serializers.StringRelatedField()
    submitted_by = serializers.StringRelatedField()
    reviewer = serializers.StringRelatedField()
    evidence = serializers.UUIDField(source="evidence.uuid", read_only=True, allow_null=True)

    class Meta:
        model = ImpactAssessment
        fields = [
            "id",
            "asset",
            "status",
            "version",
            "catalog_version",
            "applicable_laws",
            "sections",
            "answers",
            "created_by",
            "submitted_by",
            "submitted_at",
            "reviewer",
            "reviewed_at",
            "review_comments",
            "approved_on",
            "valid_until",
            "evidence",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [f for f in fields if f != "asset"]

    def _laws(self, item: ImpactAssessment) -> list[str]:
        if item.laws and not item.is_editable:
            return list(item.laws)
        return selectors.laws_for(item.asset, item.template.parsed)

    def get_applicable_laws(self, item: ImpactAssessment) -> list[str]:
        return self._laws(item)

    @extend_schema_field(ImpactSectionSerializer(many=True))
    def get_sections(self, item: ImpactAssessment) -> list[dict[str, Any]]:
        sections = item.template.parsed.sections_for(set(self._laws(item)))
        return [ImpactSectionSerializer(s).data for s in sections]


class ImpactAnswersSerializer(serializers.Serializer):
    version = serializers.IntegerField(help_text="The version you started from.")
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=10_000),
        help_text="Every answer, by question key (a key left out is cleared).",
    )


class ImpactVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class ImpactReviewSerializer(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class ImpactAssessmentFilter(filters.FilterSet):
    asset = filters.UUIDFilter(field_name="asset__uuid")

    class Meta:
        model = ImpactAssessment
        fields = ["status", "asset"]


class ImpactAssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Integrated AI impact assessments (AI Act Art 27, GDPR Art 35, 11 CCR 7150-7157):
    draft -> in_review -> approved | returned. Approval files the rendered document as
    evidence of CTL-IMPACT-INTEGRATED at the asset's scope."""

    serializer_class = ImpactAssessmentSerializer
    filterset_class = ImpactAssessmentFilter
    lookup_field = "uuid"
    read_permission = "compliance.view"
    write_permission = "compliance.edit"
    action_permissions = {
        "submit": "compliance.edit",
        "approve": "impact.review",
        "return_for_changes": "impact.review",
    }
    http_method_names = ["get", "post", "patch"]

    def get_queryset(self) -> QuerySet[ImpactAssessment]:
        return selectors.assessments()

    def _fresh(self, item: ImpactAssessment) -> dict[str, Any]:
        return ImpactAssessmentSerializer(self.get_queryset().get(pk=item.pk)).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = ImpactAssessmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = services.assessment_start(
            actor=request.user,  # type: ignore[arg-type]
            asset=serializer.validated_data["asset"],
        )
        return Response(self._fresh(item), status=status.HTTP_201_CREATED)

    @extend_schema(request=ImpactAnswersSerializer, responses=ImpactAssessmentSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        item = self.get_object()
        data = ImpactAnswersSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.assessment_save(
            actor=request.user,  # type: ignore[arg-type]
            assessment=item,
            expected_version=data.validated_data["version"],
            answers=data.validated_data["answers"],
        )
        return Response(self._fresh(item))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(request=ImpactVersionSerializer, responses=ImpactAssessmentSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, uuid: str | None = None) -> Response:
        data = ImpactVersionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = self.get_object()
        services.assessment_submit(
            actor=request.user,  # type: ignore[arg-type]
            assessment=item,
            expected_version=data.validated_data.get("version"),
        )
        return Response(self._fresh(item))

    def _review(self, request: Request, decide: Any) -> Response:
        data = ImpactReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = self.get_object()
        decide(actor=request.user, assessment=item, comments=data.validated_data["comments"])
        return Response(self._fresh(item))

    @extend_schema(request=ImpactReviewSerializer, responses=ImpactAssessmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, uuid: str | None = None) -> Response:
        return self._review(request, services.assessment_approve)

    @extend_schema(request=ImpactReviewSerializer, responses=ImpactAssessmentSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_changes(self, request: Request, uuid: str | None = None) -> Response:
        return self._review(request, services.assessment_return)
