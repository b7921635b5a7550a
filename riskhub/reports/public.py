"""What an outsider can check without a RiskHub account.

- /reports/signing-certificate/ (and its API): the report-signing certificate's SHA-256
  fingerprint, as printed on every report, with the certificate and its CA chain as
  PEM downloads.
- /reports/check/ and POST /api/v1/reports/check/: upload a PDF, learn only whether it
  is intact, altered after signing or unknown, and for a report whose signature
  validates its title, scope and issue date. REPORT_PUBLIC_VERIFY=off answers 404 on
  both. Uploads are capped at REPORT_PUBLIC_VERIFY_MAX_BYTES, must be PDFs by content,
  and each client is held to REPORT_PUBLIC_VERIFY_RATE checks (DRF's throttle, keyed by
  the client address that riskhub.audit.middleware.client_ip reads).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import parsers, serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    parser_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from riskhub.accounts.policy import public
from riskhub.audit.middleware import client_ip
from riskhub.reports import signing, verification


class PublicVerifyThrottle(SimpleRateThrottle):
    """REPORT_PUBLIC_VERIFY_RATE checks per client address, page and API together."""

    scope = "report-public-verify"

    def get_rate(self) -> str:
        return str(settings.REPORT_PUBLIC_VERIFY_RATE)

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request) or "none"}


def _switched_on() -> None:
    if not settings.REPORT_PUBLIC_VERIFY:
        raise Http404("Public report verification is switched off.")


def upload_problem(upload: Any) -> str | None:
    """Why an uploaded file is refused before its signature is checked, or None."""
    limit = settings.REPORT_PUBLIC_VERIFY_MAX_BYTES
    if upload.size > limit:
        return f"The file is larger than {limit // (1024 * 1024) or 1} MB."
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(0)
    if not verification.looks_like_pdf(head):
        return "The file is not a PDF."
    return None


class PublicVerifyForm(forms.Form):
    file = forms.FileField(label="Report (PDF)")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"class": "form-control", "accept": "application/pdf,.pdf"}
        )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        problem = upload_problem(upload)
        if problem:
            raise forms.ValidationError(problem)
        return upload


@public
@require_http_methods(["GET", "POST"])
def verify_page(request: HttpRequest) -> HttpResponse:
    _switched_on()
    verdict = None
    status = 200
    refused = ""
    form = PublicVerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not PublicVerifyThrottle().allow_request(request, None):  # type: ignore[arg-type]
            form = PublicVerifyForm()
            refused = "Too many checks from your address. Wait an hour and try again."
            status = 429
        elif form.is_valid():
            verdict = verification.verify_bytes(form.cleaned_data["file"].read())
        else:
            status = 400
    return render(
        request,
        "reports/public_verify.html",
        {
            "form": form,
            "refused": refused,
            "verdict": verdict,
            "public": verdict.public_dict() if verdict else None,
            "max_mb": settings.REPORT_PUBLIC_VERIFY_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


class PublicVerifySerializer(serializers.Serializer):
    file = serializers.FileField()


@extend_schema(
    request={"multipart/form-data": PublicVerifySerializer},
    responses={200: OpenApiTypes.OBJECT},
    tags=["reports"],
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([PublicVerifyThrottle])
@parser_classes([parsers.MultiPartParser])
def verify_api(request: Request) -> Response:
    """Upload a PDF: "intact", "altered" (after signing) or "unknown"; for a report whose
    signature validates, its title, scope and issue date. No login."""
    if not settings.REPORT_PUBLIC_VERIFY:
        raise NotFound("Public report verification is switched off.")
    given = PublicVerifySerializer(data=request.data)
    given.is_valid(raise_exception=True)
    upload = given.validated_data["file"]
    problem = upload_problem(upload)
    if problem:
        raise ValidationError({"file": [problem]})
    return Response(verification.verify_bytes(upload.read()).public_dict())


verify_api.cls.riskhub_permission = None  # type: ignore[attr-defined]  # public: no login


def certificate_facts() -> dict[str, Any]:
    found = signing.material()
    return {
        "fingerprint_sha256": found.fingerprint,
        "fingerprint_display": signing.fingerprint_display(found.fingerprint),
        "subject": found.subject,
        "issuer": found.issuer,
        "not_after": found.not_after,
        "certificate_pem": found.cert_pem.decode(),
        "chain_pem": b"".join(found.chain_pem).decode(),
        "timestamp_authority": bool(settings.REPORT_TSA_URL),
    }


@public
@require_GET
def signing_certificate(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/signing_certificate.html",
        {"cert": certificate_facts(), "public_verify": settings.REPORT_PUBLIC_VERIFY},
    )


PEM_FILES = {
    "certificate": "riskhub-report-signing.pem",
    "chain": "riskhub-report-signing-chain.pem",
}


@public
@require_GET
def signing_certificate_pem(request: HttpRequest, which: str) -> HttpResponse:
    if which not in PEM_FILES:
        raise Http404("No such file.")
    found = signing.material()
    body = found.cert_pem if which == "certificate" else found.bundle_pem
    response = HttpResponse(body, content_type="application/x-pem-file")
    response["Content-Disposition"] = f'attachment; filename="{PEM_FILES[which]}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["reports"], auth=[])
@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def signing_certificate_api(request: Request) -> Response:
    """The report-signing certificate: SHA-256 fingerprint, subject, issuer, PEM, chain."""
    return Response(certificate_facts())


signing_certificate_api.cls.riskhub_permission = None  # type: ignore[attr-defined]  # public
