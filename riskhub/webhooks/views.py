"""Thin HTML views of the webhooks app: admins only (policy "webhooks.manage")."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from riskhub.accounts.policy import requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.webhooks import selectors, services, signing
from riskhub.webhooks.events import EVENT_TYPES, event_label
from riskhub.webhooks.forms import EndpointForm
from riskhub.webhooks.models import Endpoint

PERMISSION = "webhooks.manage"
PAGE_SIZE = 25


def _endpoint(uuid: UUID) -> Endpoint:
    return get_object_or_404(Endpoint, uuid=uuid)


def _show_secret(
    request: AuthenticatedHttpRequest, endpoint: Endpoint, secret: str, *, new: bool
) -> HttpResponse:
    """The one page that shows a secret: rendered in answer to the POST that made it,
    never stored in clear (not even in the session) and never cached."""
    response = render(
        request,
        "webhooks/secret.html",
        {"endpoint": endpoint, "secret": secret, "new": new, "header": signing.HEADER},
    )
    add_never_cache_headers(response)
    return response


@requires(PERMISSION)
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "webhooks/index.html",
        {"endpoints": list(selectors.endpoints()), "event_types": EVENT_TYPES},
    )


@requires(PERMISSION)
def detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint = _endpoint(uuid)
    page = Paginator(selectors.deliveries(endpoint), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "webhooks/detail.html",
        {
            "endpoint": endpoint,
            "events": [event_label(code) for code in endpoint.events],
            "page": page,
            "header": signing.HEADER,
        },
    )


@requires(PERMISSION)
def endpoint_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = EndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return _show_secret(request, endpoint, secret, new=True)
    return render(
        request,
        "webhooks/form.html",
        {"form": form, "endpoint": None},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(PERMISSION)
def endpoint_edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint = _endpoint(uuid)
    initial = {name: getattr(endpoint, name) for name in services.FIELDS}
    form = EndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.endpoint_update(actor=request.user, endpoint=endpoint, **form.cleaned_data)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"The endpoint “{endpoint.name}” was saved.")
            return redirect("webhooks:detail", endpoint.uuid)
    return render(
        request,
        "webhooks/form.html",
        {"form": form, "endpoint": endpoint},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires(PERMISSION)
@require_POST
def endpoint_toggle(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint = _endpoint(uuid)
    try:
        services.endpoint_update(
            actor=request.user, endpoint=endpoint, enabled=not endpoint.enabled
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "disabled" if endpoint.enabled else "enabled"
        messages.success(request, f"The endpoint “{endpoint.name}” is {state}.")
    return redirect("webhooks:detail", endpoint.uuid)


@requires(PERMISSION)
@require_POST
def rotate_secret(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint, secret = services.endpoint_rotate_secret(actor=request.user, endpoint=_endpoint(uuid))
    return _show_secret(request, endpoint, secret, new=False)


@requires(PERMISSION)
@require_POST
def send_test(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint = _endpoint(uuid)
    services.endpoint_send_test(actor=request.user, endpoint=endpoint)
    messages.success(
        request,
        "A test event is on its way; its delivery appears in the log below "
        "(reload to see the answer).",
    )
    return redirect("webhooks:detail", endpoint.uuid)


@requires(PERMISSION)
def endpoint_delete(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    endpoint = _endpoint(uuid)
    if request.method == "POST":
        services.endpoint_delete(actor=request.user, endpoint=endpoint)
        messages.success(request, f"The endpoint “{endpoint.name}” was deleted.")
        return redirect("webhooks:index")
    return render(
        request,
        "webhooks/delete.html",
        {"endpoint": endpoint, "deliveries": endpoint.deliveries.count()},
    )
