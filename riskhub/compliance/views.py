"""Thin HTML views over the compliance selectors and services."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.common.pagination import page_by_ids
from riskhub.common.querystrings import query_without
from riskhub.compliance import evidence_notes, selectors, services, uploads
from riskhub.compliance.forms import EvidenceForm, ImplementationForm
from riskhub.compliance.models import (
    Control,
    ControlImplementation,
    Evidence,
    Framework,
)
from riskhub.inventory.models import Asset


def _today_context() -> dict[str, Any]:
    return {"today": selectors.local_today()}


def _evidence_rows(implementation: ControlImplementation) -> list[Evidence]:
    """The implementation's evidence, each with what it counts for (`notes`)."""
    rows = list(implementation.evidence.select_related("uploaded_by"))
    notes = evidence_notes.counts_for(implementation, rows, selectors.local_today())
    for row in rows:
        row.notes = notes[row.pk]  # type: ignore[attr-defined]
    return rows


@requires("compliance.view")
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    coverage = selectors.overall_coverage()
    return render(
        request,
        "compliance/index.html",
        {
            "coverage": coverage,
            "frameworks": selectors.frameworks(),
            "needs_review": ControlImplementation.objects.filter(needs_review=True).count(),
            "implemented": ControlImplementation.objects.filter(
                status=ControlImplementation.Status.IMPLEMENTED
            ).count(),
            "controls": Control.objects.filter(retired=False).count(),
            "can_edit": has_perm(request.user, "compliance.edit"),
        },
    )


def _date_or_none(value: str | None) -> dt.date | None:
    try:
        return parse_date(value or "")
    except ValueError:  # well formed but no such day
        return None


@requires("compliance.view")
@require_GET
def framework_detail(request: AuthenticatedHttpRequest, slug: str) -> HttpResponse:
    framework = get_object_or_404(Framework.objects.select_related("coverage"), slug=slug)
    starts = _date_or_none(request.GET.get("starts"))
    rows = selectors.framework_requirements(framework, starts=starts)
    return render(
        request,
        "compliance/framework_detail.html",
        {"framework": framework, "rows": rows, "starts": starts, **_today_context()},
    )


@requires("compliance.view")
@require_GET
def control_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    theme = request.GET.get("theme", "")
    query = request.GET.get("q", "").strip()
    controls = selectors.control_list(theme=theme, query=query)
    return render(
        request,
        "compliance/control_list.html",
        {
            "controls": controls,
            "themes": selectors.control_themes(),
            "theme": theme,
            "q": query,
            "can_edit": has_perm(request.user, "compliance.edit"),
        },
    )


@requires("compliance.view")
@require_GET
def control_detail(request: AuthenticatedHttpRequest, control_uuid: UUID) -> HttpResponse:
    control = get_object_or_404(selectors.control_list(), uuid=control_uuid)
    implementations = selectors.implementation_list().filter(control=control)
    return render(
        request,
        "compliance/control_detail.html",
        {
            "control": control,
            "implementations": implementations,
            "can_edit": has_perm(request.user, "compliance.edit"),
        },
    )


@requires("compliance.view")
@require_GET
def threat(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    info = selectors.threat(code)
    if info is None:
        raise Http404("Unknown threat code")
    controls = selectors.controls_for_threat(info)
    return render(
        request, "compliance/threat.html", {"code": code, "threat": info, "controls": controls}
    )


@requires("compliance.view")
@require_GET
def crosswalk(request: AuthenticatedHttpRequest) -> HttpResponse:
    frameworks, rows = selectors.crosswalk()
    return render(request, "compliance/crosswalk.html", {"frameworks": frameworks, "rows": rows})


@requires("compliance.view")
@require_GET
def gaps(request: AuthenticatedHttpRequest) -> HttpResponse:
    frameworks = selectors.frameworks()
    slug = request.GET.get("framework") or (frameworks[0].slug if frameworks else "")
    framework = next((f for f in frameworks if f.slug == slug), None)
    report = selectors.gap_list(framework, number=request.GET.get("page")) if framework else None
    return render(
        request,
        "compliance/gaps.html",
        {
            "frameworks": frameworks,
            "framework": framework,
            "report": report,
            "page": report.page if report else None,
            "query": query_without(request.GET, "page"),
            **_today_context(),
        },
    )


@requires("compliance.view")
@require_GET
def asset_tab(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The asset page's compliance tab (an htmx partial; a full page when opened directly)."""
    asset = get_object_or_404(Asset, uuid=asset_uuid)
    today = selectors.local_today()
    obligations = selectors.asset_obligations(asset)
    frameworks = selectors.frameworks()
    summary = [
        (f, asset.coverage_summary.get(f.slug))
        for f in frameworks
        if asset.coverage_summary.get(f.slug)
    ]
    return render(
        request,
        "compliance/asset_tab.html",
        {
            "asset": asset,
            "obligations": obligations,
            "summary": summary,
            "implementations": selectors.implementations_in_scope(asset, today),
            "today": today,
            "partial_only": bool(getattr(request, "htmx", False)),
            "can_edit": has_perm(request.user, "compliance.edit"),
        },
    )


@requires("compliance.view")
@require_GET
def implementation_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    scope = request.GET.get("scope", "")
    review = request.GET.get("review") == "1"
    qs = selectors.implementation_list(status=status, scope=scope, needs_review=review)
    page = page_by_ids(qs, 50, request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in (("status", status), ("scope", scope)) if v)
    return render(
        request,
        "compliance/implementation_list.html",
        {
            "page": page,
            "status": status,
            "scope": scope,
            "review": review,
            "query": query,
            "statuses": ControlImplementation.Status.choices,
            "scopes": Control.Scope.choices,
            "can_edit": has_perm(request.user, "compliance.edit"),
            **_today_context(),
        },
    )


def _get_implementation(implementation_uuid: UUID) -> ControlImplementation:
    return get_object_or_404(
        ControlImplementation.objects.select_related("control", "asset", "owner"),
        uuid=implementation_uuid,
    )


@requires("compliance.view")
@require_GET
def implementation_detail(
    request: AuthenticatedHttpRequest, implementation_uuid: UUID
) -> HttpResponse:
    implementation = _get_implementation(implementation_uuid)
    return render(
        request,
        "compliance/implementation_detail.html",
        {
            "implementation": implementation,
            "evidence": _evidence_rows(implementation),
            "mappings": implementation.control.mappings.select_related(
                "requirement__framework"
            ).order_by("requirement__framework__position", "requirement__position"),
            "form": EvidenceForm(),
            "can_edit": has_perm(request.user, "compliance.edit"),
            **_today_context(),
        },
    )


@requires("compliance.edit")
@require_http_methods(["GET", "POST"])
def implementation_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {"owner": request.user, "status": "in-progress"}
    # A missing or malformed uuid is None, which matches no row.
    control = Control.objects.filter(uuid=_uuid_or_none(request.GET.get("control"))).first()  # type: ignore[misc]
    if control:
        initial.update(control=control, scope=control.default_scope)
    asset = Asset.objects.filter(uuid=_uuid_or_none(request.GET.get("asset"))).first()  # type: ignore[misc]
    if asset:
        initial["asset"] = asset
        if asset.kind == Asset.Kind.SYSTEM and initial.get("scope") != "organisation":
            initial["scope"] = "system"
    form = ImplementationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            implementation = services.implementation_create(
                actor=request.user,
                control=data["control"],
                scope=data["scope"],
                asset=data.get("asset"),
                status=data["status"],
                justification=data.get("justification") or "",
                owner=data.get("owner"),
                notes=data.get("notes") or "",
                due_date=data.get("due_date"),
                last_verified=data.get("last_verified"),
                next_verification=data.get("next_verification"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Implementation of {implementation.control.code} recorded.")
            return redirect("compliance:implementation_detail", implementation.uuid)
    return render(request, "compliance/implementation_form.html", {"form": form, "editing": False})


def _uuid_or_none(value: str | None) -> UUID | None:
    try:
        return UUID(value) if value else None
    except ValueError:
        return None


@requires("compliance.edit")
@require_http_methods(["GET", "POST"])
def implementation_edit(
    request: AuthenticatedHttpRequest, implementation_uuid: UUID
) -> HttpResponse:
    implementation = _get_implementation(implementation_uuid)
    initial = {name: getattr(implementation, name) for name in services.IMPLEMENTATION_FIELDS}
    form = ImplementationForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.implementation_update(
                actor=request.user,
                implementation=implementation,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Implementation saved.")
            return redirect("compliance:implementation_detail", implementation.uuid)
    return render(
        request,
        "compliance/implementation_form.html",
        {"form": form, "editing": True, "implementation": implementation},
    )


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


@requires("compliance.edit")
@require_POST
def evidence_upload(request: AuthenticatedHttpRequest, implementation_uuid: UUID) -> HttpResponse:
    """Multipart upload (plain form, or XMLHttpRequest with progress from compliance.js)."""
    implementation = _get_implementation(implementation_uuid)
    form = EvidenceForm(request.POST, request.FILES)
    detail_url = reverse("compliance:implementation_detail", args=[implementation.uuid])
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data.get("file"):
                upload = data["file"]
                added = services.evidence_add_file(
                    actor=request.user,
                    implementation=implementation,
                    file=upload,
                    name=upload.name,
                    size=upload.size,
                    description=data["description"],
                    valid_until=data.get("valid_until"),
                )
            else:
                added = services.evidence_add_link(
                    actor=request.user,
                    implementation=implementation,
                    url=data["url"],
                    description=data["description"],
                    valid_until=data.get("valid_until"),
                )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Evidence added; coverage updated.")
            for warning in evidence_notes.upload_warnings(added, selectors.local_today()):
                messages.warning(request, warning)
            if _wants_json(request):
                return JsonResponse({"ok": True, "redirect": detail_url})
            return redirect(detail_url)
    if _wants_json(request):
        errors = {name: [str(e) for e in errs] for name, errs in form.errors.items()}
        return JsonResponse({"ok": False, "errors": errors}, status=400)
    return render(
        request,
        "compliance/implementation_detail.html",
        {
            "implementation": implementation,
            "evidence": _evidence_rows(implementation),
            "mappings": implementation.control.mappings.select_related(
                "requirement__framework"
            ).order_by("requirement__framework__position", "requirement__position"),
            "form": form,
            "can_edit": True,
            **_today_context(),
        },
        status=400,
    )


@requires("compliance.view")
@require_GET
def evidence_download(request: AuthenticatedHttpRequest, evidence_uuid: UUID) -> HttpResponseBase:
    try:
        evidence = selectors.evidence_for_download(evidence_uuid)
    except Evidence.DoesNotExist:
        raise Http404("No such evidence file") from None
    services.evidence_record_download(actor=request.user, evidence=evidence)
    return uploads.download_response(evidence)
