"""Thin HTML views of the incidents app. Rules live in services; reads in selectors.

Every view renders and parses date-times in the organisation's time zone."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.common.querystrings import query_without
from riskhub.common.updates import EditConflict
from riskhub.incidents import selectors, services
from riskhub.incidents.clocks import humanise, zone_or_utc
from riskhub.incidents.forms import (
    ActionForm,
    CloseForm,
    FilterForm,
    IncidentEditForm,
    IncidentForm,
    NotificationForm,
    StatusForm,
    writers,
)
from riskhub.incidents.models import Incident
from riskhub.risk.models import Threat

PAGE_SIZE = 25


def org_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        org = selectors.organisation()
        zone = zone_or_utc(org.time_zone)
        request.organisation = org  # type: ignore[attr-defined]
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapper


@requires("incidents.view")
@org_time
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    filters = selectors.IncidentFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.IncidentFilters(
            status=data["status"],
            severity=data["severity"],
            category=data["category"],
            owner=data["owner"],
            clocks=data["clocks"],
            q=data["q"].strip(),
        )
    page = Paginator(selectors.incidents(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = selectors.with_clocks(list(page.object_list), request.organisation, now)  # type: ignore[attr-defined]
    return render(
        request,
        "incidents/index.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "rows": rows,
            "now": now,
            "owners": writers(),
            "query": query_without(request.GET, "page"),
            "can_edit": has_perm(request.user, "incidents.edit"),
            "any_incident": bool(rows) or Incident.objects.exists(),
        },
    )


@requires("incidents.edit")
@org_time
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = IncidentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                incident = services.incident_create(actor=request.user, **_details(data))
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Incident opened. Check the duties below.")
                return redirect("incidents:detail", uuid=incident.uuid)
    else:
        initial: dict[str, Any] = {
            "aware_at": timezone.localtime().replace(second=0, microsecond=0)
        }
        if request.GET.get("asset"):
            initial["assets"] = selectors.active_assets().filter(
                uuid__in=request.GET.getlist("asset")
            )
        initial.update(_prefill(request))
        form = IncidentForm(initial=initial)
    return render(request, "incidents/form.html", {"form": form})


def _prefill(request: AuthenticatedHttpRequest) -> dict[str, Any]:
    """Facts another page offers to start from (a security scan's serious finding links
    here with them): shown in the form for the person to check, never submitted."""
    initial: dict[str, Any] = {}
    for name, limit in (("title", 200), ("description", 2000)):
        if value := request.GET.get(name, "").strip():
            initial[name] = value[:limit]
    if request.GET.get("severity") in Incident.Severity.values:
        initial["severity"] = request.GET["severity"]
    categories = [c for c in request.GET.getlist("category") if c in Incident.Category.values]
    if categories:
        initial["categories"] = categories
    if code := request.GET.get("threat"):
        initial["threat"] = Threat.objects.filter(code=code, active=True).first()
    return initial


def _details(data: dict[str, Any]) -> dict[str, Any]:
    """The incident form's cleaned data as the services' keyword arguments."""
    return {
        "title": data["title"],
        "description": data["description"],
        "aware_at": data["aware_at"],
        "occurred_at": data["occurred_at"],
        "assets": list(data["assets"]),
        "categories": data["categories"],
        "threat": data["threat"],
        "personal_data_breach": data["personal_data_breach"],
        "breach_risk_unlikely": data["breach_risk_unlikely"],
        "high_risk_to_individuals": data["high_risk_to_individuals"],
        "serious_incident": data["serious_incident"],
        "california_residents": data["california_residents"] or 0,
        "severity": data["severity"],
        "owner": data["owner"],
    }


def _to_the_minute(value: Any) -> Any:
    return value.replace(second=0, microsecond=0) if value else value


def _keep_seconds(details: dict[str, Any], incident: Incident) -> None:
    """The form shows moments to the minute: an unchanged minute keeps the stored
    moment, so saving other fields never moves a legal clock's start by seconds."""
    for name in ("aware_at", "occurred_at"):
        stored = getattr(incident, name)
        if stored and details[name] == _to_the_minute(stored):
            details[name] = stored


def _comparable(name: str, value: Any) -> Any:
    if name == "assets":
        return sorted(a.pk for a in value)
    if name in ("owner", "threat"):
        return value.pk if value else None
    if name in ("aware_at", "occurred_at"):
        return _to_the_minute(value)
    return value or ("" if name == "serious_incident" else value)


def _conflict_rows(
    form: IncidentEditForm, details: dict[str, Any], current: Incident
) -> list[dict[str, str]]:
    """The fields where the incident as saved now differs from what this editor sent."""
    rows = []
    for name, mine in details.items():
        theirs = list(current.assets.all()) if name == "assets" else getattr(current, name)
        if _comparable(name, mine) == _comparable(name, theirs):
            continue
        if name == "assets":
            seen = (
                ", ".join(sorted(a.name for a in theirs)),
                ", ".join(sorted(a.name for a in mine)),
            )
        elif name in ("owner", "threat"):
            seen = str(theirs or "none"), str(mine or "none")
        else:
            seen = services.shown(name, theirs), services.shown(name, mine)
        rows.append({"label": str(form[name].label), "theirs": seen[0], "mine": seen[1]})
    return rows


@requires("incidents.view")
@org_time
def edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    """Correct an open incident (officers, admins, its owner); the legal clocks are
    recomputed and the timeline says which duty appeared or went away, and why."""
    incident = selectors.incident_get(uuid)
    if not services.may_edit(request.user, incident):
        raise PermissionDenied("Only risk officers, admins and the incident's owner edit it.")
    if incident.is_closed:
        messages.info(request, "A closed incident cannot be changed.")
        return redirect("incidents:detail", uuid=uuid)
    conflict: EditConflict | None = None
    conflict_rows: list[dict[str, str]] = []
    status = 200
    if request.method == "POST":
        form = IncidentEditForm(request.POST)
        if form.is_valid():
            details = _details(form.cleaned_data)
            if not details["owner"]:
                details["owner"] = incident.owner
            _keep_seconds(details, incident)
            try:
                services.incident_update(
                    actor=request.user,
                    incident=incident,
                    expected_version=form.cleaned_data["version"],
                    **details,
                )
            except EditConflict as exc:
                conflict, status = exc, 409
                conflict_rows = _conflict_rows(form, details, selectors.incident_get(uuid))
                # Keep what was typed; only the version moves on, so saving again is a
                # deliberate decision to overwrite the other person's change.
                data = request.POST.copy()
                data["version"] = str(exc.version)
                form = IncidentEditForm(data)
                form.is_valid()
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, "Incident saved. The legal duties were recomputed.")
                return redirect("incidents:detail", uuid=uuid)
        if status == 200:
            status = 400
    else:
        form = IncidentEditForm(initial=IncidentEditForm.initial_for(incident))
    return render(
        request,
        "incidents/form.html",
        {"form": form, "incident": incident, "conflict": conflict, "conflict_rows": conflict_rows},
        status=status,
    )


def _detail_context(request: HttpRequest, uuid: UUID, **forms: Form) -> dict[str, Any]:
    now = timezone.now()
    detail = selectors.incident_detail(uuid, now)
    running = [c for c in detail.clocks if c.notified_at is None]
    return {
        "d": detail,
        "incident": detail.incident,
        "now": now,
        "left": {c.code: humanise(c.time_left(now)) for c in detail.clocks},
        "can_edit": has_perm(request.user, "incidents.edit") and not detail.incident.is_closed,
        "can_correct": services.may_edit(request.user, detail.incident)
        and not detail.incident.is_closed,
        "notification_form": forms.get("notification_form")
        or NotificationForm(
            clocks=running or detail.clocks,
            initial={"at": timezone.localtime().replace(second=0, microsecond=0)},
        ),
        "action_form": forms.get("action_form") or ActionForm(),
        "status_form": forms.get("status_form")
        or StatusForm(initial={"status": detail.incident.status}),
    }


@requires("incidents.view")
@org_time
def detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return render(request, "incidents/detail.html", _detail_context(request, uuid))


def _detail_form_post(
    request: HttpRequest,
    uuid: UUID,
    form: Form,
    context_key: str,
    save: Callable[[dict[str, Any]], object],
    done: str,
) -> HttpResponse:
    """The incident page's small forms: validate, call the service, then redirect with a
    message, or show the page again with the errors beside the fields."""
    if form.is_valid():
        try:
            save(form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("incidents:detail", uuid=uuid)
    context = _detail_context(request, uuid, **{context_key: form})
    return render(request, "incidents/detail.html", context, status=400)


@requires("incidents.edit")
@require_POST
@org_time
def notify(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    incident = selectors.incident_get(uuid)
    clocks = selectors.incident_detail(uuid).clocks
    form = NotificationForm(request.POST, clocks=clocks)
    return _detail_form_post(
        request,
        uuid,
        form,
        "notification_form",
        lambda data: services.notification_record(
            actor=request.user,
            incident=incident,
            clock=data["clock"],
            recipient=data["recipient"],
            at=data["at"],
            reference=data["reference"],
            notified_by=data["notified_by"],
        ),
        "Notification recorded.",
    )


@requires("incidents.edit")
@require_POST
@org_time
def action(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    incident = selectors.incident_get(uuid)
    return _detail_form_post(
        request,
        uuid,
        ActionForm(request.POST),
        "action_form",
        lambda data: services.timeline_add_action(
            actor=request.user,
            incident=incident,
            summary=data["summary"],
            at=data["at"],
        ),
        "Added to the timeline.",
    )


@requires("incidents.edit")
@require_POST
@org_time
def status(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    incident = selectors.incident_get(uuid)
    return _detail_form_post(
        request,
        uuid,
        StatusForm(request.POST),
        "status_form",
        lambda data: services.incident_set_status(
            actor=request.user,
            incident=incident,
            status=data["status"],
            note=data["note"],
        ),
        "Status changed.",
    )


@requires("incidents.edit")
@org_time
def close(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    incident = selectors.incident_get(uuid)
    if incident.is_closed:
        messages.info(request, "This incident is already closed.")
        return redirect("incidents:detail", uuid=uuid)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_close(
                actor=request.user,
                incident=incident,
                what_failed=form.cleaned_data["what_failed"],
                what_changes=form.cleaned_data["what_changes"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "Incident closed with its post-incident review.")
            return redirect("incidents:detail", uuid=uuid)
    return render(request, "incidents/close.html", {"incident": incident, "form": form})
