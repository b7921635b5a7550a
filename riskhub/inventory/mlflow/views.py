"""Thin HTML views of the MLflow connector: registries, runs with live progress, and the
confirmation before an asset whose model was deleted upstream is archived."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.inventory import selectors as inventory_selectors
from riskhub.inventory.mlflow import selectors, services
from riskhub.inventory.mlflow.forms import RegistryForm
from riskhub.inventory.mlflow.models import ModelRegistry
from riskhub.inventory.models import Asset, ImportJob

PAGE_SIZE = 25


@requires("inventory.view")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.runs(), PAGE_SIZE).get_page(request.GET.get("page"))
    registries = list(selectors.registries())
    for registry in registries:
        status = getattr(registry, "last_run_status", None)
        registry.last_run_label = ImportJob.Status(status).label if status else ""  # type: ignore[attr-defined]
    return render(
        request,
        "inventory/mlflow/index.html",
        {
            "registries": registries,
            "page": page,
            "flagged_count": selectors.flagged().count(),
            "can_edit": has_perm(request.user, "inventory.edit"),
        },
    )


def _registry_form(
    request: AuthenticatedHttpRequest, registry: ModelRegistry | None
) -> HttpResponse:
    form = RegistryForm(request.POST or None, instance=registry)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in RegistryForm.Meta.fields}
        try:
            if registry is None:
                registry = services.registry_create(actor=request.user, **fields)
            else:
                registry = services.registry_update(actor=request.user, registry=registry, **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"The registry “{registry.name}” was saved.")
            return redirect("mlflow:index")
    return render(
        request,
        "inventory/mlflow/registry_form.html",
        {"form": form, "registry": registry},
        status=400 if form.is_bound and form.errors else 200,
    )


@requires("inventory.edit")
def registry_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    return _registry_form(request, None)


@requires("inventory.edit")
def registry_edit(request: AuthenticatedHttpRequest, registry_uuid: UUID) -> HttpResponse:
    return _registry_form(request, get_object_or_404(ModelRegistry, uuid=registry_uuid))


@requires("inventory.edit")
@require_POST
def sync_now(request: AuthenticatedHttpRequest, registry_uuid: UUID) -> HttpResponse:
    registry = get_object_or_404(ModelRegistry, uuid=registry_uuid)
    job = services.sync_request(actor=request.user, registry=registry)
    messages.success(request, f"A sync of “{registry.name}” is under way.")
    return redirect("inventory:job", job.uuid)


@requires("inventory.view")
def run_detail(request: AuthenticatedHttpRequest, run_uuid: UUID) -> HttpResponse:
    """Where a sync's page was before syncs became jobs: the job's page now."""
    job = get_object_or_404(selectors.runs(), uuid=run_uuid)
    return redirect("inventory:job", job.uuid, permanent=True)


@requires("inventory.view")
def flagged(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.flagged(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "inventory/mlflow/flagged.html",
        {"page": page, "can_edit": has_perm(request.user, "inventory.edit")},
    )


@requires("inventory.edit")
def confirm_archive(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The confirmation page: what was deleted upstream, and the button that archives."""
    try:
        asset = inventory_selectors.asset_get(asset_uuid)
    except Asset.DoesNotExist:
        raise Http404("No such asset.") from None
    records = services.flagged_records(asset)
    if not records or asset.is_archived:
        raise Http404("Nothing deleted upstream awaits a decision for this asset.")
    if request.method == "POST":
        try:
            services.confirm_archive(actor=request.user, asset=asset)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"“{asset.name}” was archived.")
            return redirect("inventory:detail", asset.uuid)
    return render(
        request,
        "inventory/mlflow/confirm_archive.html",
        {"asset": asset, "records": records, "downstream": _downstream(asset)},
    )


def _downstream(asset: Asset) -> list[Asset]:
    """The assets that read from this one (what the archive affects), at most 20."""
    graph = inventory_selectors.lineage(asset, limit=20)
    return [e.downstream for e in graph.downstream]
