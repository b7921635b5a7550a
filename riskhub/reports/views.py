"""Thin HTML views: the reports page with live progress, download, re-run, schedules
and verification. Rendering never happens here: a request only enqueues."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.querystrings import query_without
from riskhub.reports import selectors, services, verification
from riskhub.reports.api import pdf_response
from riskhub.reports.forms import (
    ReportListFilterForm,
    ReportRequestForm,
    ScheduleForm,
    VerifyForm,
)
from riskhub.reports.models import Report, ScheduledReport


def _report(uuid: UUID) -> Report:
    try:
        return selectors.report_by_uuid(uuid)
    except Report.DoesNotExist:
        raise Http404("No such report.") from None


def _schedules(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """The schedules, and which of them this user may delete (the button shows only
    for those)."""
    schedules = list(selectors.scheduled_reports())
    user = request.user
    return {
        "schedules": schedules,
        "deletable_schedules": {s.uuid for s in schedules if services.schedule_may_delete(user, s)},
    }


LIST_PAGE_SIZE = 25
LIST_COLUMNS = [
    ("title", "Report"),
    ("requested", "Requested"),
    ("requester", "Requested by"),
    ("status", "Status"),
]


def _report_list(request: HttpRequest) -> dict[str, Any]:
    """The filtered, sorted, paginated reports list (25 a page), its filter form and
    sortable column headers, from the query string."""
    form = ReportListFilterForm(request.GET)
    valid = form.is_valid()
    sort = form.sort_key()
    # A wrong filter shows its error and no list, never the unfiltered list.
    reports = selectors.reports_list(form.filters(), sort) if valid else Report.objects.none()
    page = Paginator(reports, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    base = query_without(request.GET, "page", "sort")
    headers = []
    for key, label in LIST_COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        # A date reads newest first on the first click; words read A to Z.
        first = "-" + key if key == "requested" else key
        next_sort = (key if descending else "-" + key) if current else first
        headers.append(
            {
                "key": key,
                "label": label,
                "url": "?" + (base + "&" if base else "") + f"sort={next_sort}",
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    return {
        "list_form": form,
        "list_valid": valid,
        "page": page,
        "headers": headers,
        "sort": sort,
        "query": query_without(request.GET, "page"),
        "filtered": bool(query_without(request.GET, "page", "sort")),
        "requesters": selectors.report_requesters(),
    }


@requires("reports.view")
@require_GET
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    choices = selectors.scope_choices()
    context = _report_list(request)
    return render(
        request,
        "reports/index.html",
        {
            **context,
            "form": ReportRequestForm(choices=choices),
            "schedule_form": ScheduleForm(),
            **_schedules(request),
            "can_request": has_perm(request.user, "reports.request"),
        },
        status=200 if context["list_valid"] else 400,
    )


@requires("reports.request")
@require_POST
def request_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST, choices=selectors.scope_choices())
    if form.is_valid():
        try:
            report = services.report_request(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                parameters=form.parameters(),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"“{report.title}” is queued; it renders in the background.")
            return redirect("reports:index")
    return render(
        request,
        "reports/index.html",
        {
            **_report_list(request),
            "form": form,
            "schedule_form": ScheduleForm(),
            **_schedules(request),
            "can_request": True,
        },
        status=400,
    )


@requires("reports.view")
@require_GET
def detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    report = _report(uuid)
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "can_approve": report.has_file
            and not report.is_approved
            and services.report_may_approve(request.user, report),
        },
    )


@requires("reports.view")
@require_GET
def status(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    """The htmx partial polled every 2 s while the report renders."""
    template = (
        "reports/partials/status_card.html"
        if request.GET.get("view") == "card"
        else "reports/partials/report_row.html"
    )
    return render(request, template, {"report": _report(uuid)})


@requires("reports.download")
@require_GET
def download(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponseBase:
    report = _report(uuid)
    if not report.has_file:
        raise Http404("This report has no file (not finished, failed or expired).")
    services.report_record_download(actor=request.user, report=report)
    return pdf_response(report)


@requires("reports.approve")
@require_POST
def approve(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    report = _report(uuid)
    try:
        services.report_approve(actor=request.user, report=report)
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
    else:
        messages.success(request, f"“{report.title}” is approved; its signed PDF is re-issued.")
    return redirect("reports:detail", uuid=report.uuid)


@requires("reports.request")
@require_POST
def rerun(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    report = services.report_rerun(actor=request.user, report=_report(uuid))
    messages.success(request, f"“{report.title}” is queued again as a new report.")
    return redirect("reports:index")


@requires("reports.request")
@require_POST
def schedule_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = ScheduleForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.schedule_create(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                parameters={"framework": data.get("framework") or ""},
                cadence=data["cadence"],
                recipient_roles=data["recipient_roles"],
            )
        except ValidationError as exc:
            messages.error(request, "; ".join(exc.messages))
        else:
            messages.success(request, f"Schedule “{data['name']}” saved.")
    else:
        messages.error(request, "The schedule needs a name, a report, a cadence and roles.")
    return redirect("reports:index")


@requires("reports.request")
@require_POST
def schedule_delete(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    try:
        schedule = ScheduledReport.objects.get(uuid=uuid)
    except ScheduledReport.DoesNotExist:
        raise Http404("No such schedule.") from None
    services.schedule_delete(actor=request.user, schedule=schedule)
    messages.success(request, f"Schedule “{schedule.name}” deleted.")
    return redirect("reports:index")


@requires("reports.verify")
@require_http_methods(["GET", "POST"])
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    verdict = None
    form = VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("file")
        if upload is not None:
            if upload.size > verification.MAX_UPLOAD:
                form.add_error("file", "The file is larger than 100 MB.")
            else:
                verdict = verification.verify_bytes(upload.read())
        else:
            try:
                verdict = verification.verify_digest(form.cleaned_data["sha256"])
            except ValueError as exc:
                form.add_error("sha256", str(exc))
    return render(
        request,
        "reports/verify.html",
        {"form": form, "verdict": verdict},
        status=400 if request.method == "POST" and verdict is None else 200,
    )
