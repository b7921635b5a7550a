"""The audit trail pages: the filtered trail with readable differences, its exports,
email suggestions for the "who" filter, and verifying the chain from the browser."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import wraps
from typing import Any

from django.apps import apps
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.audit import selectors, tasks
from riskhub.audit.changes import difference
from riskhub.audit.forms import AuditFilterForm
from riskhub.audit.labels import action_choices, action_label, object_type_label
from riskhub.audit.models import AuditEvent
from riskhub.audit.selectors import AuditFilters, actor_labels, audit_events, event_row
from riskhub.common.exports import csv_stream
from riskhub.common.querystrings import query_without
from riskhub.common.timezones import zone_named

PAGE_SIZE = 50
EXPORT_COLUMNS = [
    "seq",
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
    "ip_address",
    "hash",
]
# Verification runs this session started and waits for (run id -> started, ISO).
RUNS_SESSION_KEY = "audit_verify_runs"
# A walk of a million events takes about two minutes; longer than this, say so.
STALLED_AFTER = 300


def organisation_time(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Show and filter days in the organisation's time zone. The profile is read by
    name: the audit app sits below inventory and must not import it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        zone = timezone.get_current_timezone()
        try:
            profile = apps.get_model("inventory", "OrganisationProfile").objects.first()
        except LookupError:
            profile = None
        if profile is not None:
            zone = zone_named(getattr(profile, "time_zone", ""), zone)
        with timezone.override(zone):
            return view(request, *args, **kwargs)

    return wrapper


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters | None]:
    """The form and its filters; None when a filter is wrong (never "everything")."""
    form = AuditFilterForm(request.GET)
    if form.is_valid():
        return form, form.filters()
    return form, None


def _rows(events: list[AuditEvent]) -> list[dict[str, Any]]:
    people = selectors.people_on_page(events)
    labels = {pk: label for pk, (label, _) in people.items()}
    rows = []
    for event in events:
        label, email = people.get(event.actor_id, ("", "")) if event.actor_id else ("", "")
        rows.append(
            {
                "event": event,
                "actor": label,
                "actor_email": email,
                "action_label": action_label(event.action),
                "object_type_label": object_type_label(event.object_type),
                "difference": difference(event.before, event.after, labels),
            }
        )
    return rows


@requires("audit.view")
@require_GET
@organisation_time
def event_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(audit_events(filters) if filters else AuditEvent.objects.none(), PAGE_SIZE)
    current = page.get_page(request.GET.get("page"))
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "filtered": bool(filters and query_without(request.GET, "page")),
            "page": current,
            "rows": _rows(list(current.object_list)),
            "query": query_without(request.GET, "page"),
            "action_groups": action_choices(),
            "zone": timezone.get_current_timezone_name(),
            "last_verification": selectors.last_verification(),
            "can_verify": has_perm(request.user, "audit.verify"),
        },
        status=200 if filters is not None else 400,
    )


@requires("audit.view")
@require_GET
def actor_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """`<option>`s for the "who" filter's suggestions (htmx, as the person types):
    at most 10 people whose email or name contains the text."""
    term = request.GET.get("actor", "")[:254]
    return render(
        request,
        "audit/partials/actor_options.html",
        {"options": selectors.email_suggestions(term)},
    )


def _export_rows(filters: AuditFilters) -> Iterator[dict[str, Any]]:
    qs = audit_events(filters)
    batch: list[AuditEvent] = []
    for event in qs.iterator(chunk_size=2000):
        batch.append(event)
        if len(batch) == 2000:
            labels = actor_labels(batch)
            yield from (event_row(e, labels) for e in batch)
            batch = []
    labels = actor_labels(batch)
    yield from (event_row(e, labels) for e in batch)


def _refused(form: AuditFilterForm) -> HttpResponse:
    """An export with a wrong filter is refused: exporting everything instead would
    hand over what the person did not ask for."""
    lines = [f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items()]
    return HttpResponse(
        "The export was not made: " + "; ".join(lines) + "\n",
        status=400,
        content_type="text/plain; charset=utf-8",
    )


@requires("audit.view")
@require_GET
@organisation_time
def export_csv(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _refused(form)
    rows = (
        [json.dumps(r[c]) if c in ("before", "after") else r[c] for c in EXPORT_COLUMNS]
        for r in _export_rows(filters)
    )
    response = StreamingHttpResponse(csv_stream(EXPORT_COLUMNS, rows), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="riskhub-audit-{stamp}.csv"'
    return response


@requires("audit.view")
@require_GET
@organisation_time
def export_json(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    if filters is None:
        return _refused(form)

    def stream() -> Iterator[str]:
        yield "["
        first = True
        for row in _export_rows(filters):
            yield ("" if first else ",\n") + json.dumps(row)
            first = False
        yield "]\n"

    response = StreamingHttpResponse(stream(), content_type="application/json")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="riskhub-audit-{stamp}.json"'
    return response


@requires("audit.verify")
@require_POST
def verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Start a verification of the whole chain in the background."""
    run = str(uuid.uuid4())
    runs = dict(request.session.get(RUNS_SESSION_KEY, {}))
    runs[run] = timezone.now().isoformat()
    # Keep the few latest runs only: the session is not a store.
    request.session[RUNS_SESSION_KEY] = dict(sorted(runs.items(), key=lambda r: r[1])[-10:])
    actor_id = request.user.pk
    transaction.on_commit(lambda: tasks.verify_chain.delay(actor_id, run))
    return redirect("audit:verify_result", run=run)


@requires("audit.verify")
@require_GET
@organisation_time
def verify_result(request: AuthenticatedHttpRequest, run: uuid.UUID) -> HttpResponse:
    """The outcome of a verification run; while it runs, a page that checks again
    every two seconds (htmx swaps in the result)."""
    event = selectors.verification_result(str(run))
    started = request.session.get(RUNS_SESSION_KEY, {}).get(str(run))
    if event is None and started is None:
        raise Http404("No such verification.")
    waited = 0.0
    if event is None and started:
        waited = (timezone.now() - datetime.fromisoformat(started)).total_seconds()
    context = {
        "run": run,
        "event": event,
        "result": event.after if event is not None else None,
        # Minutes without a result: no worker is taking background jobs.
        "stalled": waited > STALLED_AFTER,
    }
    if getattr(request, "htmx", False):
        return render(request, "audit/partials/verify_result.html", context)
    return render(request, "audit/verify.html", context)
