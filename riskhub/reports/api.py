"""Thin DRF views over the reports services: request, read, download, verify."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, parsers, serializers, status, viewsets
from rest_framework.decorators import action, api_view, parser_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from riskhub.api.parsers import JSONParser
from riskhub.api.permissions import policy
from riskhub.reports import services, verification
from riskhub.reports.models import Kind, Report


class ReportSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    requested_by = serializers.SerializerMethodField()
    approved_by = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id",
            "kind",
            "title",
            "parameters",
            "status",
            "progress",
            "stage",
            "attempt",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
            "pages",
            "size",
            "sha256",
            "data_sha256",
            "signer",
            "error",
            "download_url",
            "approved_by",
            "approved_at",
            "prepared_sha256",
        ]
        read_only_fields = fields

    def get_requested_by(self, report: Report) -> str | None:
        return report.requested_by.email if report.requested_by else None

    def get_approved_by(self, report: Report) -> str | None:
        return report.approved_by.email if report.approved_by else None

    def get_download_url(self, report: Report) -> str | None:
        if not report.has_file:
            return None
        path = reverse("api:report-download", args=[report.uuid])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Kind.choices)
    framework = serializers.ChoiceField(
        choices=["eu-ai-act", "gdpr", "ccpa"], required=False, allow_blank=True
    )
    business_unit = serializers.UUIDField(required=False, allow_null=True)
    system = serializers.UUIDField(required=False, allow_null=True)
    assets = serializers.ListField(child=serializers.UUIDField(), required=False)
    as_of = serializers.CharField(
        required=False, allow_blank=True, help_text="YYYY-MM-DD or an ISO 8601 datetime."
    )


class VerifySerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="The PDF to check.")
    sha256 = serializers.CharField(required=False, allow_blank=True, max_length=64)


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reports rendered in the background. POST answers 201 at once with the queued
    report; poll GET /reports/{id}/ for status and progress."""

    serializer_class = ReportSerializer
    lookup_field = "uuid"
    read_permission = "reports.view"
    write_permission = "reports.request"
    action_permissions = {"download": "reports.download", "approve": "reports.approve"}

    def get_queryset(self) -> QuerySet[Report]:
        return Report.objects.select_related("requested_by", "approved_by").order_by(
            "-created_at", "-id"
        )

    @extend_schema(request=ReportRequestSerializer, responses={201: ReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ReportRequestSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        values = {k: v for k, v in given.validated_data.items() if v not in (None, "", [])}
        kind = values.pop("kind")
        report = services.report_request(
            actor=request.user,  # type: ignore[arg-type]
            kind=kind,
            parameters={
                k: (str(v) if k != "assets" else [str(a) for a in v]) for k, v in values.items()
            },
        )
        body = ReportSerializer(report, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ReportSerializer})
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, uuid: str | None = None) -> Response:
        """Sign off the report: an executive or admin other than its requester. The
        signed PDF is re-issued with the sign-off filled; the prepared issue is kept
        (its SHA-256 in prepared_sha256). 403 for the requester, 400 when the report
        is not generated or already approved."""
        report = services.report_approve(actor=request.user, report=self.get_object())  # type: ignore[arg-type]
        return Response(ReportSerializer(report, context={"request": request}).data)

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, uuid: str | None = None) -> FileResponse:
        report = self.get_object()
        if not report.has_file:
            raise NotFound("This report has no file (not finished, failed or expired).")
        services.report_record_download(actor=request.user, report=report)  # type: ignore[arg-type]
        return pdf_response(report)


def pdf_response(report: Report) -> FileResponse:
    response = FileResponse(
        report.file.open("rb"),
        as_attachment=True,
        filename=report.download_name,
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@policy("reports.verify", "reports.verify")
@extend_schema(
    request={"multipart/form-data": VerifySerializer, "application/json": VerifySerializer},
    responses={200: OpenApiTypes.OBJECT},
    tags=["reports"],
)
@api_view(["POST"])
@parser_classes([parsers.MultiPartParser, parsers.FormParser, JSONParser])
def verify(request: Request) -> Response:
    """Upload a PDF or give a SHA-256: did RiskHub produce it, is its signature intact,
    when, for whom, with which parameters."""
    given = VerifySerializer(data=request.data)
    given.is_valid(raise_exception=True)
    upload = given.validated_data.get("file")
    digest = given.validated_data.get("sha256") or ""
    if upload is not None:
        if upload.size > verification.MAX_UPLOAD:
            raise ValidationError({"file": ["The file is larger than 100 MB."]})
        verdict = verification.verify_bytes(upload.read())
    elif digest:
        try:
            verdict = verification.verify_digest(digest)
        except ValueError as exc:
            raise ValidationError({"sha256": [str(exc)]}) from None
    else:
        raise ValidationError({"file": ["Upload a PDF or give its SHA-256."]})
    return Response(verdict.as_dict())
