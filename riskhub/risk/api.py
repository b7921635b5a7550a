"""Thin DRF views over the risk services and selectors (same rules as the UI)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.accounts.models import User
from riskhub.inventory.models import Asset
from riskhub.risk import selectors as risk_figures
from riskhub.risk import services
from riskhub.risk.bands import band as band_definition
from riskhub.risk.models import (
    Assessment,
    AssessmentContribution,
    Risk,
    RiskAcceptance,
    RiskMatrix,
    Threat,
    band_slug,
)

# --- matrices and threats ----------------------------------------------------------------


class LevelSerializer(serializers.Serializer):
    value = serializers.IntegerField(min_value=1)
    label = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    dimensions = serializers.DictField(child=serializers.CharField(), required=False)


class BandSerializer(serializers.Serializer):
    name = serializers.CharField()
    min_score = serializers.IntegerField()
    max_score = serializers.IntegerField()
    colour = serializers.SerializerMethodField(
        help_text="The band's colour, the same on every matrix (read-only)."
    )

    def get_colour(self, band: dict[str, Any]) -> str:
        return band_definition(band_slug(str(band.get("name", "")))).colour


class MatrixSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    impact_levels = LevelSerializer(many=True)
    likelihood_levels = LevelSerializer(many=True)
    bands = BandSerializer(many=True)
    is_default = serializers.BooleanField(required=False, default=False)

    class Meta:
        model = RiskMatrix
        fields = [
            "id",
            "code",
            "name",
            "description",
            "version",
            "shipped",
            "is_default",
            "impact_levels",
            "likelihood_levels",
            "bands",
        ]
        read_only_fields = ["version", "shipped"]
        extra_kwargs = {"code": {"validators": []}}


class MatrixViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Risk matrices. Everyone reads; admins (catalog.manage) add their own."""

    serializer_class = MatrixSerializer
    lookup_field = "uuid"
    read_permission = "risk.view"
    write_permission = "catalog.manage"
    queryset = RiskMatrix.objects.order_by("-is_default", "name")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        matrix = services.matrix_create(actor=request.user, **serializer.validated_data)  # type: ignore[arg-type]
        return Response(MatrixSerializer(matrix).data, status=status.HTTP_201_CREATED)


class ThreatSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)

    class Meta:
        model = Threat
        fields = [
            "id",
            "code",
            "name",
            "description",
            "atlas",
            "owasp_llm",
            "asset_kinds",
            "model_types",
            "exposures",
            "note",
            "active",
        ]


class ThreatViewSet(viewsets.ReadOnlyModelViewSet):
    """The AI threat catalog (MITRE ATLAS and OWASP LLM 2025 references)."""

    serializer_class = ThreatSerializer
    lookup_field = "uuid"
    filterset_fields = ["code", "active"]
    read_permission = "risk.view"
    write_permission = "catalog.manage"
    queryset = Threat.objects.order_by("code")


# --- assessments ---------------------------------------------------------------------------


class ContributionSerializer(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", read_only=True)

    class Meta:
        model = AssessmentContribution
        fields = ["user", "what", "first_at", "last_at"]
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    asset = serializers.SlugRelatedField(slug_field="uuid", queryset=Asset.objects.all())
    matrix = serializers.SlugRelatedField(
        slug_field="uuid", queryset=RiskMatrix.objects.all(), required=False
    )
    author = serializers.IntegerField(source="author_id", read_only=True)
    reviewer = serializers.IntegerField(source="reviewer_id", read_only=True, allow_null=True)
    risk_count = serializers.IntegerField(read_only=True)
    contributions = ContributionSerializer(
        many=True,
        read_only=True,
        help_text="Who contributed what to this version: none of them may review it.",
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "asset",
            "version",
            "status",
            "summary",
            "matrix",
            "matrix_version",
            "author",
            "reviewer",
            "review_comments",
            "submitted_at",
            "approved_at",
            "returned_at",
            "next_review_due",
            "is_current",
            "revision",
            "risk_count",
            "contributions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "version",
            "status",
            "matrix_version",
            "review_comments",
            "submitted_at",
            "approved_at",
            "returned_at",
            "next_review_due",
            "is_current",
            "revision",
            "created_at",
            "updated_at",
        ]


class AssessmentUpdateSerializer(serializers.Serializer):
    revision = serializers.IntegerField(help_text="The revision you started from.")
    summary = serializers.CharField(allow_blank=True)


class RevisionSerializer(serializers.Serializer):
    revision = serializers.IntegerField(required=False)


class ReviewSerializer(serializers.Serializer):
    comments = serializers.CharField(required=False, allow_blank=True, default="")


class AssessmentFilter(filters.FilterSet):
    asset = filters.UUIDFilter(field_name="asset__uuid")
    current = filters.BooleanFilter(field_name="is_current")

    class Meta:
        model = Assessment
        fields = ["status", "asset", "current"]


class AssessmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Versioned assessments and their workflow: draft -> in_review -> approved | returned.

    Writes name the `revision` they started from; a stale one answers 409."""

    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    lookup_field = "uuid"
    read_permission = "risk.view"
    write_permission = "risk.edit"
    action_permissions = {
        "submit": "risk.edit",
        "approve": "risk.review",
        "return_for_changes": "risk.review",
    }
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Assessment]:
        return (
            Assessment.objects.select_related("asset", "matrix")
            .prefetch_related("contributions")
            .annotate(risk_count=Count("risks"))
            .order_by("-updated_at", "-id")
        )

    def _fresh(self, assessment: Assessment) -> dict[str, Any]:
        return AssessmentSerializer(self.get_queryset().get(pk=assessment.pk)).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AssessmentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = services.assessment_start(
            actor=request.user,  # type: ignore[arg-type]
            asset=serializer.validated_data["asset"],
            matrix=serializer.validated_data.get("matrix"),
        )
        return Response(self._fresh(assessment), status=status.HTTP_201_CREATED)

    @extend_schema(request=AssessmentUpdateSerializer, responses=AssessmentSerializer)
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self.get_object()
        data = AssessmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.assessment_save(
            actor=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            expected_revision=data.validated_data["revision"],
            summary=data.validated_data["summary"],
        )
        return Response(self._fresh(assessment))

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.assessment_delete(actor=request.user, assessment=self.get_object())  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=RevisionSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, uuid: str | None = None) -> Response:
        data = RevisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = self.get_object()
        services.assessment_submit(
            actor=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            expected_revision=data.validated_data.get("revision"),
        )
        return Response(self._fresh(assessment))

    @extend_schema(request=ReviewSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, uuid: str | None = None) -> Response:
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = self.get_object()
        services.assessment_approve(
            actor=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            comments=data.validated_data["comments"],
        )
        return Response(self._fresh(assessment))

    @extend_schema(request=ReviewSerializer, responses=AssessmentSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_for_changes(self, request: Request, uuid: str | None = None) -> Response:
        data = ReviewSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        assessment = self.get_object()
        services.assessment_return(
            actor=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            comments=data.validated_data["comments"],
        )
        return Response(self._fresh(assessment))


# --- risks -----------------------------------------------------------------------------------


class RiskSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    assessment = serializers.SlugRelatedField(slug_field="uuid", queryset=Assessment.objects.all())
    asset = serializers.UUIDField(source="assessment.asset.uuid", read_only=True)
    threat = serializers.SlugRelatedField(
        slug_field="code", queryset=Threat.objects.all(), required=False, allow_null=True
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )
    revision = serializers.IntegerField(
        write_only=True, help_text="The assessment revision you started from."
    )
    created_by = serializers.IntegerField(
        source="created_by_id", read_only=True, allow_null=True, help_text="Who wrote it."
    )
    updated_by = serializers.IntegerField(
        source="updated_by_id",
        read_only=True,
        allow_null=True,
        help_text="Who last changed its content.",
    )

    class Meta:
        model = Risk
        fields = [
            "id",
            "assessment",
            "asset",
            "threat",
            "title",
            "description",
            "inherent_impact",
            "inherent_likelihood",
            "inherent_score",
            "inherent_band",
            "existing_controls",
            "residual_impact",
            "residual_likelihood",
            "residual_score",
            "residual_band",
            "treatment",
            "owner",
            "due_date",
            "status",
            "created_by",
            "updated_by",
            "revision",
        ]
        read_only_fields = ["inherent_score", "inherent_band", "residual_score", "residual_band"]
        # Cross-field rules (residual <= inherent, levels within the matrix) live in the
        # service, which answers with the one error shape.
        validators: list = []


class RiskUpdateSerializer(RiskSerializer):
    class Meta(RiskSerializer.Meta):
        read_only_fields = [*RiskSerializer.Meta.read_only_fields, "assessment"]


class RiskFilter(filters.FilterSet):
    assessment = filters.UUIDFilter(field_name="assessment__uuid")
    asset = filters.UUIDFilter(field_name="assessment__asset__uuid")
    current = filters.BooleanFilter(field_name="assessment__is_current")
    band = filters.CharFilter(field_name="residual_band")

    class Meta:
        model = Risk
        fields = ["assessment", "asset", "current", "band", "treatment", "status", "owner"]


class RiskViewSet(viewsets.ModelViewSet):
    """Risks; filter by assessment or asset. Writes only on drafts, naming `revision`."""

    serializer_class = RiskSerializer
    filterset_class = RiskFilter
    lookup_field = "uuid"
    read_permission = "risk.view"
    write_permission = "risk.edit"
    http_method_names = ["get", "post", "patch", "delete"]

    def get_queryset(self) -> QuerySet[Risk]:
        return Risk.objects.select_related("assessment__asset", "threat").order_by(
            *risk_figures.RANK_ORDER
        )

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        return RiskUpdateSerializer if self.action == "partial_update" else RiskSerializer

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = RiskSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        assessment = data.pop("assessment")
        revision = data.pop("revision")
        risk = services.risk_create(
            actor=request.user,  # type: ignore[arg-type]
            assessment=assessment,
            expected_revision=revision,
            **data,
        )
        return Response(RiskSerializer(risk).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        risk = self.get_object()
        serializer = RiskUpdateSerializer(risk, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "revision" not in data:
            raise serializers.ValidationError({"revision": ["This field is required."]})
        revision = data.pop("revision")
        risk = services.risk_update(
            actor=request.user,  # type: ignore[arg-type]
            risk=risk,
            expected_revision=revision,
            **data,
        )
        return Response(RiskSerializer(risk).data)

    @extend_schema(
        parameters=[],
        request=RevisionSerializer,
        responses={204: None},
        description="Pass the assessment revision as `?revision=N`.",
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        risk = self.get_object()
        data = RevisionSerializer(data={"revision": request.query_params.get("revision")})
        data.is_valid(raise_exception=True)
        if data.validated_data.get("revision") is None:
            raise serializers.ValidationError({"revision": ["Pass ?revision=N."]})
        services.risk_delete(
            actor=request.user,  # type: ignore[arg-type]
            risk=risk,
            expected_revision=data.validated_data["revision"],
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- acceptances -------------------------------------------------------------------------------


class AcceptanceSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    risk = serializers.SlugRelatedField(slug_field="uuid", queryset=Risk.objects.all())
    approved_by = serializers.IntegerField(source="approved_by_id", read_only=True)
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = RiskAcceptance
        fields = [
            "id",
            "risk",
            "approved_by",
            "rationale",
            "expires_on",
            "created_at",
            "revoked",
            "revoked_at",
            "expired_at",
            "active",
        ]
        read_only_fields = ["created_at", "revoked", "revoked_at", "expired_at"]
        validators: list = []


class AcceptanceFilter(filters.FilterSet):
    risk = filters.UUIDFilter(field_name="risk__uuid")
    active = filters.BooleanFilter(method="filter_active")

    class Meta:
        model = RiskAcceptance
        fields = ["risk", "active"]

    def filter_active(self, qs: QuerySet, name: str, value: bool) -> QuerySet:
        active = {"revoked": False, "expired_at__isnull": True}
        return qs.filter(**active) if value else qs.exclude(**active)


class AcceptanceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Formal acceptances of residual risk (executives and admins), with expiry."""

    serializer_class = AcceptanceSerializer
    filterset_class = AcceptanceFilter
    lookup_field = "uuid"
    read_permission = "risk.view"
    write_permission = "risk.accept"
    action_permissions = {"revoke": "risk.accept"}

    def get_queryset(self) -> QuerySet[RiskAcceptance]:
        return RiskAcceptance.objects.select_related("risk").order_by("-created_at", "-id")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = AcceptanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance = services.acceptance_create(
            actor=request.user,  # type: ignore[arg-type]
            risk=serializer.validated_data["risk"],
            rationale=serializer.validated_data["rationale"],
            expires_on=serializer.validated_data["expires_on"],
        )
        return Response(AcceptanceSerializer(acceptance).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=inline_serializer("Empty", fields={}), responses=AcceptanceSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, uuid: str | None = None) -> Response:
        acceptance = services.acceptance_revoke(actor=request.user, acceptance=self.get_object())  # type: ignore[arg-type]
        return Response(AcceptanceSerializer(acceptance).data)
