"""Thin HTML views of the inventory: parse input, call a selector or a service, render."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.common.pagination import page_by_ids
from riskhub.common.querystrings import query_without
from riskhub.common.updates import EditConflict
from riskhub.inventory import io, jobs, model_card, picker, provenance, selectors, services
from riskhub.inventory.forms import (
    AssetForm,
    EthicalFormSet,
    FairnessFormSet,
    FilterForm,
    ImportForm,
    LinkForm,
    MetricFormSet,
    ModelCardForm,
    OrganisationForm,
    QuestionnaireForm,
    form_fields,
    formset_rows,
)
from riskhub.inventory.mlflow import selectors as mlflow_selectors
from riskhub.inventory.models import Asset, AssetLink, ImportJob

PAGE_SIZE = 50
COLUMNS = [
    ("name", "Name"),
    ("kind", "Kind"),
    ("tier", "EU AI Act tier"),
    ("risk", "Effective risk"),
    ("owner", "Owner"),
    ("business_unit", "Business unit"),
    ("lifecycle", "Lifecycle"),
    ("updated", "Updated"),
]


def _asset_or_404(asset_uuid: UUID) -> Asset:
    try:
        return selectors.asset_get(asset_uuid)
    except Asset.DoesNotExist:
        raise Http404("No such asset.") from None


def _list_params(request: HttpRequest) -> tuple[FilterForm, selectors.AssetFilters, str]:
    form = FilterForm(request.GET or None)
    sort = request.GET.get("sort", "name")
    if sort.lstrip("-") not in selectors.SORTS:
        sort = "name"
    return form, form.filters(), sort


@requires("inventory.view")
def asset_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters, sort = _list_params(request)
    page = page_by_ids(selectors.assets(filters, sort), PAGE_SIZE, request.GET.get("page"))
    base = query_without(request.GET, "page", "sort")
    headers = []
    for key, label in COLUMNS:
        current = sort.lstrip("-") == key
        descending = sort.startswith("-")
        next_sort = f"-{key}" if current and not descending else key
        headers.append(
            {
                "key": key,
                "label": label,
                "url": "?" + (base + "&" if base else "") + f"sort={next_sort}",
                "aria_sort": ("descending" if descending else "ascending") if current else "",
            }
        )
    any_assets = page.paginator.count > 0 or Asset.objects.exists()
    return render(
        request,
        "inventory/list.html",
        {
            "form": form,
            "page": page,
            "headers": headers,
            "query": query_without(request.GET, "page"),
            "filter_query": base + (f"&sort={sort}" if sort else ""),
            "any_assets": any_assets,
            "can_edit": has_perm(request.user, "inventory.edit"),
            "kinds": Asset.Kind.choices,
        },
    )


@requires("inventory.view")
def export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponseBase:
    """The filtered list as CSV, JSON or XLSX; the inventory as a CycloneDX BOM."""
    _, filters, sort = _list_params(request)
    qs = selectors.assets(filters, sort)
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if fmt == "csv":
        response: HttpResponseBase = StreamingHttpResponse(
            io.export_csv(qs), content_type="text/csv; charset=utf-8"
        )
        name = f"riskhub-inventory-{stamp}.csv"
    elif fmt == "json":
        response = StreamingHttpResponse(io.export_json(qs), content_type="application/json")
        name = f"riskhub-inventory-{stamp}.json"
    elif fmt == "xlsx":
        response = HttpResponse(
            io.export_xlsx(qs),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name = f"riskhub-inventory-{stamp}.xlsx"
    elif fmt in ("cyclonedx", "cyclonedx-xml"):
        version = request.GET.get("spec_version") or io.SPEC_VERSION
        if version not in io.SPEC_VERSIONS:
            raise BadRequest(io.version_problem(version))
        xml = fmt == "cyclonedx-xml"
        response = HttpResponse(
            io.export_cyclonedx(qs, version, "xml" if xml else "json"),
            content_type=f"application/vnd.cyclonedx+{'xml' if xml else 'json'}",
        )
        name = f"riskhub-inventory-{stamp}.cdx.{'xml' if xml else 'json'}"
    else:
        raise Http404("Unknown export format.")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _resolve_business_unit(
    request: AuthenticatedHttpRequest, form: AssetForm, fields: dict[str, Any]
) -> None:
    name = (fields.pop("business_unit") or "").strip()
    fields["business_unit"] = (
        services.business_unit_get_or_create(actor=request.user, name=name) if name else None
    )


@requires("inventory.edit")
def create(request: AuthenticatedHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or request.POST.get("kind") or ""
    if kind not in Asset.Kind.values:
        return render(request, "inventory/choose_kind.html", {"kinds": Asset.Kind.choices})
    form = AssetForm(request.POST or None, kind=kind, initial={"owner": request.user.uuid})
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        try:
            with transaction.atomic():
                _resolve_business_unit(request, form, fields)
                asset = services.asset_create(actor=request.user, kind=kind, **fields)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{asset.name}” was registered.")
            return redirect("inventory:detail", asset.uuid)
    return render(
        request,
        "inventory/asset_form.html",
        {
            "form": form,
            "kind": kind,
            "kind_label": Asset.Kind(kind).label,
            "kind_phrase": Asset(kind=kind).kind_phrase,
            "units": selectors.business_units(),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _conflict_rows(form: AssetForm, current: Asset) -> list[dict[str, Any]]:
    """Fields where the saved record now differs from what the editor submitted."""
    rows = []
    for name in [*form.fields]:
        if name == "version" or name not in form.cleaned_data:
            continue
        mine = form.cleaned_data[name]
        theirs: Any = getattr(current, name, None)
        if name == "business_unit":
            theirs = current.business_unit.name if current.business_unit else ""
        elif name == "owner":
            mine = mine.email if mine else ""
            theirs = current.owner.email if current.owner else ""
        mine = "" if mine is None else mine
        theirs = "" if theirs is None else theirs
        if mine != theirs:
            label = form.fields[name].label or name
            if isinstance(theirs, list):
                theirs = ", ".join(theirs)
            if isinstance(mine, list):
                mine = ", ".join(mine)
            rows.append({"label": label, "mine": mine, "theirs": theirs})
    return rows


@requires("inventory.edit")
def edit(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    form = AssetForm(request.POST or None, instance=asset, kind=asset.kind)
    conflict: EditConflict | None = None
    conflict_rows: list[dict[str, Any]] = []
    status = 200
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        version = form.cleaned_data.get("version") or 0
        try:
            with transaction.atomic():
                _resolve_business_unit(request, form, fields)
                asset = services.asset_update(
                    actor=request.user, asset=asset, expected_version=version, **fields
                )
        except EditConflict as exc:
            current = Asset.objects.select_related("owner", "business_unit").get(pk=exc.current.pk)
            conflict, conflict_rows = exc, _conflict_rows(form, current)
            # Keep everything the person typed; only the version moves on, so saving again
            # is a deliberate decision to overwrite what is listed.
            data = request.POST.copy()
            data["version"] = str(current.version)
            form = AssetForm(data, instance=current, kind=asset.kind)
            form.is_valid()
            status = 409
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"“{asset.name}” was saved.")
            return redirect("inventory:detail", asset.uuid)
    if form.is_bound and form.errors and status == 200:
        status = 400
    return render(
        request,
        "inventory/asset_form.html",
        {
            "form": form,
            "asset": asset,
            "kind": asset.kind,
            "kind_label": asset.get_kind_display(),
            "kind_phrase": asset.kind_phrase,
            "units": selectors.business_units(),
            "conflict": conflict,
            "conflict_rows": conflict_rows,
        },
        status=status,
    )


@requires("inventory.edit")
@require_POST
def archive(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    restore = request.POST.get("action") == "restore"
    services.asset_archive(actor=request.user, asset=asset, archived=not restore)
    messages.success(request, f"“{asset.name}” was {'restored' if restore else 'archived'}.")
    return redirect("inventory:detail", asset.uuid)


@requires("inventory.edit")
def model_card_edit(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The model card of a model: text parts, metrics and considerations."""
    asset = _asset_or_404(asset_uuid)
    if asset.kind != Asset.Kind.MODEL:
        raise Http404("Only a model has a model card.")
    card = asset.model_card or {}
    datasets = selectors.linked_datasets(asset)
    data = request.POST if request.method == "POST" else None
    form = ModelCardForm(data, initial=ModelCardForm.initial_from(asset))
    metrics = MetricFormSet(
        data,
        prefix="metrics",
        initial=card.get("metrics", []),
        form_kwargs={"datasets": datasets},
    )
    ethical = EthicalFormSet(data, prefix="ethical", initial=card.get("ethical", []))
    fairness = FairnessFormSet(data, prefix="fairness", initial=card.get("fairness", []))
    status = 200
    if data is not None:
        valid = [f.is_valid() for f in (form, metrics, ethical, fairness)]
        if all(valid):
            new_card = {
                **form.card_fields(),
                "metrics": formset_rows(metrics, model_card.METRIC_KEYS),
                "ethical": formset_rows(ethical, model_card.ETHICAL_KEYS),
                "fairness": formset_rows(fairness, model_card.FAIRNESS_KEYS),
            }
            try:
                asset = services.asset_update(
                    actor=request.user,
                    asset=asset,
                    expected_version=form.cleaned_data.get("version") or 0,
                    model_card=new_card,
                )
            except EditConflict as exc:
                form.add_error(
                    None,
                    f"Someone else saved this model (now version {exc.version}) "
                    "after you opened this page; reload it to see their changes.",
                )
                status = 409
            except ValidationError as exc:
                for message in exc.message_dict.get("model_card", exc.messages):
                    form.add_error(None, message)
            else:
                messages.success(request, f"The model card of “{asset.name}” was saved.")
                return redirect("inventory:detail", asset.uuid)
        if status == 200:
            status = 400
    return render(
        request,
        "inventory/model_card_form.html",
        {
            "asset": asset,
            "form": form,
            "metrics": metrics,
            "ethical": ethical,
            "fairness": fairness,
            "datasets": datasets,
        },
        status=status,
    )


# --- the asset page ------------------------------------------------------------------------

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 190, 46, 70, 18, 12


def _graph(lineage: selectors.Lineage) -> dict[str, Any]:
    """Positions of the lineage graph, drawn as server-side SVG (no script needed)."""
    columns: dict[int, list[Asset]] = {}
    for pk, node in lineage.nodes.items():
        columns.setdefault(lineage.levels.get(pk, 0), []).append(node)
    if not columns:
        return {}
    low = min(columns)
    positions: dict[int, tuple[int, int]] = {}
    tallest = max(len(nodes) for nodes in columns.values())
    for level, nodes in columns.items():
        nodes.sort(key=lambda a: (a.kind, a.name.lower()))
        offset = (tallest - len(nodes)) * (NODE_H + ROW_GAP) // 2
        for i, node in enumerate(nodes):
            x = PAD + (level - low) * (NODE_W + COL_GAP)
            y = PAD + offset + i * (NODE_H + ROW_GAP)
            positions[node.pk] = (x, y)
    nodes_out = [
        {
            "asset": node,
            "x": positions[pk][0],
            "y": positions[pk][1],
            "tx": positions[pk][0] + 10,
            "ty1": positions[pk][1] + 19,
            "ty2": positions[pk][1] + 36,
            "current": pk == lineage.asset.pk,
        }
        for pk, node in lineage.nodes.items()
    ]
    edges_out = []
    for link in lineage.edges:
        x1, y1 = positions[link.upstream_id]
        x2, y2 = positions[link.downstream_id]
        sx, sy = x1 + NODE_W, y1 + NODE_H // 2
        ex, ey = x2, y2 + NODE_H // 2
        mid = (sx + ex) // 2
        edges_out.append(
            {
                "d": f"M{sx},{sy} C{mid},{sy} {mid},{ey} {ex},{ey}",
                "label": link.get_relation_display(),
                "lx": mid,
                "ly": (sy + ey) // 2 - 4,
            }
        )
    width = PAD * 2 + (max(columns) - low + 1) * (NODE_W + COL_GAP) - COL_GAP
    height = PAD * 2 + tallest * (NODE_H + ROW_GAP) - ROW_GAP
    return {
        "nodes": nodes_out,
        "edges": edges_out,
        "width": width,
        "height": height,
        "node_w": NODE_W,
        "node_h": NODE_H,
    }


def _link_candidates(asset: Asset, term: str = "", limit: int = 50) -> list[Asset]:
    qs = Asset.objects.filter(archived_at__isnull=True).exclude(pk=asset.pk)
    if term:
        qs = qs.filter(name__icontains=term)
    return list(qs.only("uuid", "name", "kind").order_by("name")[:limit])


def _option_label(asset: Asset) -> str:
    return f"{asset.name} [{asset.get_kind_display()}]"


def _detail_context(request: HttpRequest, asset: Asset, **extra: Any) -> dict[str, Any]:
    lineage = selectors.lineage(asset)
    latest = selectors.latest_classification(asset) if asset.classifiable else None
    fed = selectors.systems_fed(asset, lineage) if asset.kind != Asset.Kind.SYSTEM else []
    candidates = _link_candidates(asset)
    link_form = extra.pop("link_form", None) or LinkForm(
        choices=[(str(a.uuid), _option_label(a)) for a in candidates]
    )
    sources = asset.field_sources or {}
    synced = {
        key: provenance.label(entry)
        for key, entry in sources.items()
        if entry.get("by") == provenance.CONNECTOR
    }
    fields = [
        # form_fields names the asset's own fields, never a reverse relation.
        (
            Asset._meta.get_field(name).verbose_name,  # type: ignore[union-attr]
            _display(asset, name),
            synced.get(name, ""),
        )
        for name in form_fields(asset.kind)
    ]
    return {
        "asset": asset,
        "fields": fields,
        "lineage": lineage,
        "graph": _graph(lineage),
        "latest": latest,
        "versions": selectors.classification_versions(asset) if asset.classifiable else [],
        "systems_fed": fed,
        "risk_path": selectors.risk_path_names(asset),
        "history": selectors.asset_history(asset),
        "can_edit": has_perm(request.user, "inventory.edit"),
        "link_form": link_form,
        "candidates": candidates,
        "relations": AssetLink.Relation.choices,
        "model_card": selectors.model_card(asset) if asset.kind == Asset.Kind.MODEL else None,
        "synced_fields": synced,
        "registry_panel": mlflow_selectors.asset_panel(asset),
        **extra,
    }


def _display(asset: Asset, name: str) -> Any:
    field = Asset._meta.get_field(name)
    value = getattr(asset, name)
    if getattr(field, "choices", None):
        return getattr(asset, f"get_{name}_display")() or "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if name == "training_flops" and value is not None:
        return f"{value:.3g}"
    if name == "record_count" and value is not None:
        return f"{value:,}"
    return value if value not in (None, "") else "—"


@requires("inventory.view")
def detail(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    return render(request, "inventory/detail.html", _detail_context(request, asset))


def _resolve_other(value: str) -> Asset | None:
    value = value.strip()
    try:
        return Asset.objects.filter(uuid=UUID(value)).first()
    except ValueError:
        pass
    match = re.fullmatch(r"(.*) \[([^\]]+)\]", value)
    qs = Asset.objects.filter(archived_at__isnull=True)
    if match:
        kinds = {label: key for key, label in Asset.Kind.choices}
        kind = kinds.get(match.group(2))
        found = qs.filter(name__iexact=match.group(1).strip(), kind=kind).first()
        if found:
            return found
    named = list(qs.filter(name__iexact=value)[:2])
    return named[0] if len(named) == 1 else None


@requires("inventory.edit")
def link_add(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    relation = request.POST.get("relation", "")
    direction = request.POST.get("direction", "upstream")
    other = _resolve_other(request.POST.get("other", ""))
    form = LinkForm(
        {"relation": relation, "direction": direction, "other": str(other.uuid) if other else ""},
        choices=[(str(other.uuid), _option_label(other))] if other else [],
    )
    if other is None:
        form.is_valid()
        form.errors["other"] = form.error_class(
            ["Choose an asset from the suggestions (type part of its name)."]
        )
    elif form.is_valid():
        upstream, downstream = (other, asset) if direction == "upstream" else (asset, other)
        try:
            services.link_create(
                actor=request.user,
                upstream=upstream,
                downstream=downstream,
                relation=form.cleaned_data["relation"],
            )
        except ValidationError as exc:
            for name, errors in exc.message_dict.items():
                target = "other" if name in ("upstream", "downstream") else name
                form.add_error(target if target in form.fields else None, errors)
        else:
            messages.success(request, "The link was added.")
            return redirect("inventory:detail", asset.uuid)
    context = _detail_context(
        request, asset, link_form=form, link_other=request.POST.get("other", "")
    )
    return render(request, "inventory/detail.html", context, status=400)


@requires("inventory.edit")
@require_POST
def link_delete(
    request: AuthenticatedHttpRequest, asset_uuid: UUID, link_uuid: UUID
) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    link = get_object_or_404(
        AssetLink.objects.select_related("upstream", "downstream").filter(
            Q(upstream=asset) | Q(downstream=asset)
        ),
        uuid=link_uuid,
    )
    services.link_delete(actor=request.user, link=link)
    messages.success(request, "The link was removed.")
    return redirect("inventory:detail", asset.uuid)


@requires("inventory.view")
def asset_options(request: AuthenticatedHttpRequest) -> HttpResponse:
    """`<option>`s for the link form's suggestions (htmx, as the person types)."""
    term = request.GET.get("other", "")[:100]
    exclude = request.GET.get("asset", "")
    qs = Asset.objects.filter(archived_at__isnull=True)
    if term:
        qs = qs.filter(name__icontains=term)
    try:
        qs = qs.exclude(uuid=UUID(exclude))
    except ValueError:
        pass
    options = list(picker.by_name(qs.only("uuid", "name", "kind"))[:50])
    return render(
        request,
        "inventory/partials/asset_options.html",
        {"options": [_option_label(a) for a in options]},
    )


@requires("inventory.edit")
def classify(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = _asset_or_404(asset_uuid)
    if not asset.classifiable:
        messages.info(
            request,
            "Datasets and endpoints are not classified themselves: they show the tiers of the "
            "systems they feed.",
        )
        return redirect("inventory:detail", asset.uuid)
    latest = selectors.latest_classification(asset)
    initial = QuestionnaireForm.initial_from(latest.answers if latest else None)
    if not latest and asset.kind == Asset.Kind.MODEL:
        initial["is_ai_system"] = "no"
    facts, notes = QuestionnaireForm.registration_facts(asset)
    initial.update(facts)
    form = QuestionnaireForm(request.POST or None, initial=initial)
    form.note_provenance(notes)
    if request.method == "POST" and form.is_valid():
        try:
            entry = services.classification_answer(
                actor=request.user, asset=asset, answers=form.answers()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            tier = Asset.Tier(entry.result["eu_ai_act"]["tier"]).label
            messages.success(
                request, f"Answers saved as version {entry.version}. EU AI Act tier: {tier}."
            )
            return redirect("inventory:detail", asset.uuid)
    return render(
        request,
        "inventory/classify.html",
        {"asset": asset, "form": form, "latest": latest},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- organisation ----------------------------------------------------------------------------


@requires("inventory.view")
def organisation(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "inventory/organisation.html",
        {
            "org": selectors.organisation(),
            "can_edit": has_perm(request.user, "org.edit"),
        },
    )


@requires("org.edit")
def organisation_edit(request: AuthenticatedHttpRequest) -> HttpResponse:
    profile = selectors.organisation()
    form = OrganisationForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update(
                actor=request.user,
                **{name: form.cleaned_data[name] for name in form.Meta.fields},
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(
                request, "The organisation profile was saved; classifications were refreshed."
            )
            return redirect("inventory:organisation")
    return render(
        request,
        "inventory/organisation_form.html",
        {"form": form},
        status=400 if form.is_bound and form.errors else 200,
    )


# --- import ------------------------------------------------------------------------------


@requires("inventory.edit")
def import_upload(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Small files import at once; more rows than IMPORT_SYNC_MAX_ROWS go to a worker
    and the page follows the job."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report: io.ImportReport | None = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.IMPORT_SYNC_MAX_ROWS
        try:
            rows = io.count_rows(upload.name, upload, stop_after=limit + 1)
        except io.FileError as exc:
            report = io.ImportReport()
            report.errors.append(io.RowError(exc.line, exc.column, exc.reason))
            rows = 0
        if report is None and rows > limit:
            job = jobs.import_job_request(
                actor=request.user,
                upload=upload,
                name=upload.name,
                file_format=io.file_format(upload.name, _head(upload)),
            )
            messages.info(
                request,
                f"More than {limit:,} rows: the import runs in the background. "
                "This page shows its progress.",
            )
            return redirect("inventory:job", job_uuid=job.uuid)
        if report is None:
            report = io.import_stream(actor=request.user, name=upload.name, stream=upload)
        if report.ok:
            messages.success(
                request,
                f"Imported {report.created} new and {report.updated} updated assets"
                + (f", {report.links} lineage links" if report.links else "")
                + "."
                + (
                    f" Not imported (RiskHub does not model them): {report.skipped_summary}."
                    if report.skipped
                    else ""
                ),
            )
            return redirect("inventory:list")
        status = 400
    elif form.is_bound:
        status = 400
    recent = jobs.jobs_visible_to(request.user)[:10]
    return render(
        request,
        "inventory/import.html",
        {
            "form": form,
            "report": report,
            "jobs": recent,
            "sync_rows": settings.IMPORT_SYNC_MAX_ROWS,
        },
        status=status,
    )


def _head(upload: Any) -> bytes:
    head = upload.read(4096)
    upload.seek(0)
    return bytes(head)


def _job_or_404(request: AuthenticatedHttpRequest, job_uuid: UUID) -> ImportJob:
    job = ImportJob.objects.select_related("requested_by").filter(uuid=job_uuid).first()
    if job is None or not jobs.can_view(request.user, job):
        raise Http404("No such import job.")
    return job


@requires("inventory.view")
def job_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(jobs.jobs_visible_to(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "inventory/job_list.html",
        {"page": page, "sync_rows": settings.IMPORT_SYNC_MAX_ROWS},
    )


@requires("inventory.view")
def job_detail(request: AuthenticatedHttpRequest, job_uuid: UUID) -> HttpResponse:
    return render(request, "inventory/job_detail.html", {"job": _job_or_404(request, job_uuid)})


@requires("inventory.view")
def job_status(request: AuthenticatedHttpRequest, job_uuid: UUID) -> HttpResponse:
    """The htmx partial polled every 2 s while the job runs."""
    return render(
        request, "inventory/partials/job_status.html", {"job": _job_or_404(request, job_uuid)}
    )


@requires("inventory.view")
def job_errors(request: AuthenticatedHttpRequest, job_uuid: UUID) -> HttpResponseBase:
    job = _job_or_404(request, job_uuid)
    if not job.errors_file:
        raise Http404("This job has no errors file.")
    from riskhub.inventory.api import errors_csv_response

    return errors_csv_response(job)
