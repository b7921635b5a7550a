"""Thin HTML views over the scans services and selectors."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.inventory.models import Asset
from riskhub.scans import charts, selectors, services
from riskhub.scans.forms import ScanImportForm
from riskhub.scans.mapping import load_mapping
from riskhub.scans.models import Finding, ScanRun


@requires("compliance.view")
@require_GET
def run_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.runs(), 50).get_page(request.GET.get("page"))
    return render(request, "scans/list.html", {"page": page})


def incident_offer(run: ScanRun, finding: Finding) -> str:
    """The incident form's address, pre-filled with the finding's facts. The person
    reads, completes and submits it: a scan never opens an incident by itself."""
    threat = next(iter(finding.threats.all()), None)
    description = (
        f"{run.get_tool_display()} {run.tool_version} scan of {run.asset.name} on "
        f"{run.ran_at:%Y-%m-%d %H:%M} UTC: {finding} failed {finding.failures} of "
        f"{finding.attempts} attempts. Report SHA-256 {run.report_sha256}."
    )
    params: list[tuple[str, str]] = [
        ("asset", str(run.asset.uuid)),
        ("title", f"Security scan: {finding.probe} failed on {run.asset.name}"[:200]),
        ("description", description),
        ("severity", "high"),
        ("category", "security-attack"),
    ]
    entry = load_mapping().entry(run.tool, finding.probe, finding.detector)
    if entry is not None and entry.category and entry.category != "security-attack":
        # Pre-selects the category only: whether personal data was breached (which
        # starts the legal clocks) is for the person to tick.
        params.append(("category", entry.category))
    if threat is not None:
        params.append(("threat", threat.code))
    return f"{reverse('incidents:create')}?{urlencode(params)}"


@requires("compliance.view")
@require_GET
def run_detail(request: AuthenticatedHttpRequest, run_uuid: UUID) -> HttpResponse:
    try:
        run = selectors.run_detail(run_uuid)
    except ScanRun.DoesNotExist:
        return render(request, "404.html", status=404)
    can_open_incident = has_perm(request.user, "incidents.edit")
    findings = [
        (f, incident_offer(run, f) if can_open_incident and f.serious and f.failures else "")
        for f in run.findings.all()
    ]
    return render(
        request,
        "scans/run_detail.html",
        {
            "run": run,
            "findings": findings,
            "threat_results": services.threat_results(run),
            "assessment_uuid": (run.outcome or {}).get("assessment"),
        },
    )


@requires("compliance.edit")
@require_http_methods(["GET", "POST"])
def import_upload(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = get_object_or_404(Asset, uuid=asset_uuid)
    form = ScanImportForm(request.POST or None, request.FILES or None)
    rows = []
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            run = services.scan_import(
                actor=request.user,
                asset=asset,
                file=upload,
                name=upload.name,
                size=upload.size,
                tool=form.cleaned_data["tool"] or None,
            )
        except services.ScanImportError as exc:
            rows = exc.rows
            status = 400
        except ValidationError as exc:
            form.add_error(None, exc.messages)
            status = 400
        else:
            messages.success(
                request,
                f"Imported {run.findings.count()} findings from the "
                f"{run.get_tool_display()} report: {run.failures} of {run.attempts} "
                "attempts failed.",
            )
            return redirect("scans:run", run_uuid=run.uuid)
    elif request.method == "POST":
        status = 400
    return render(
        request, "scans/import.html", {"asset": asset, "form": form, "rows": rows}, status=status
    )


@requires("compliance.view")
@require_GET
def asset_tab(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The asset page's security-tests tab (an htmx partial; a full page when opened
    directly)."""
    asset = get_object_or_404(Asset, uuid=asset_uuid)
    histories = selectors.threat_history(asset)
    return render(
        request,
        "scans/asset_tab.html",
        {
            "asset": asset,
            "runs": selectors.asset_runs(asset),
            "histories": histories,
            "figure": charts.pass_rate_history(histories) if histories else None,
            "partial_only": bool(getattr(request, "htmx", False)),
            "can_import": has_perm(request.user, "compliance.edit"),
        },
    )
