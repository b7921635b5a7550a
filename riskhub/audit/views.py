from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from riskhub.accounts.policy import requires
from riskhub.audit.forms import AuditFilterForm
from riskhub.audit.selectors import (
    AuditFilters,
    actor_labels,
    audit_events,
    distinct_actions,
    event_row,
)
from riskhub.common.exports import csv_stream
from riskhub.common.querystrings import query_without

EXPORT_COLUMNS = [
    "seq",
    "timestamp",
    "actor_id",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
    "request_id",
    "ip_address",
    "hash",
]


def _filters(request: HttpRequest) -> tuple[AuditFilterForm, AuditFilters]:
    form = AuditFilterForm(request.GET or None)
    if form.is_valid():
        return form, AuditFilters(
            **{k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        )
    return form, AuditFilters()


@requires("audit.view")
def event_list(request: HttpRequest) -> HttpResponse:
    form, filters = _filters(request)
    page = Paginator(audit_events(filters), 50).get_page(request.GET.get("page"))
    labels = actor_labels(list(page.object_list))
    for event in page.object_list:
        event.actor_label = labels.get(event.actor_id, "system")  # type: ignore[attr-defined]
    return render(
        request,
        "audit/event_list.html",
        {
            "form": form,
            "page": page,
            "actions": distinct_actions(),
            "query": query_without(request.GET, "page"),
        },
    )


def _export_rows(filters: AuditFilters):  # type: ignore[no-untyped-def]
    qs = audit_events(filters)
    batch: list = []
    for event in qs.iterator(chunk_size=2000):
        batch.append(event)
        if len(batch) == 2000:
            labels = actor_labels(batch)
            yield from (event_row(e, labels) for e in batch)
            batch = []
    labels = actor_labels(batch)
    yield from (event_row(e, labels) for e in batch)


@requires("audit.view")
def export_csv(request: HttpRequest) -> StreamingHttpResponse:
    _, filters = _filters(request)
    rows = (
        [json.dumps(r[c]) if c in ("before", "after") else r[c] for c in EXPORT_COLUMNS]
        for r in _export_rows(filters)
    )
    response = StreamingHttpResponse(csv_stream(EXPORT_COLUMNS, rows), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="riskhub-audit-{stamp}.csv"'
    return response


@requires("audit.view")
def export_json(request: HttpRequest) -> StreamingHttpResponse:
    _, filters = _filters(request)

    def stream():  # type: ignore[no-untyped-def]
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
