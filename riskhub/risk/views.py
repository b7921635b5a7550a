"""Thin HTML views of the risk app. Rules live in services; reads in selectors."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from riskhub.accounts.models import User
from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.audit.labels import field_label
from riskhub.common.exports import csv_stream
from riskhub.common.forms import apply_service_errors
from riskhub.common.pagination import CappedPaginator
from riskhub.common.querystrings import query_without
from riskhub.common.updates import EditConflict
from riskhub.inventory.models import Asset
from riskhub.risk import selectors, services
from riskhub.risk.forms import (
    AcceptanceForm,
    AssessmentForm,
    IndexFilterForm,
    MatrixForm,
    RegisterFilterForm,
    ReviewForm,
    RiskFormSet,
    StartForm,
)
from riskhub.risk.models import Assessment, Risk, RiskAcceptance, RiskMatrix, Threat


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{field_label(field)}: {m}" if field != "__all__" else m
            for field, msgs in exc.message_dict.items()
            for m in msgs
        ]
    return list(exc.messages)


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in _errors(exc):
        messages.error(request, message)


# --- lists -----------------------------------------------------------------------------


@requires("risk.view")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = IndexFilterForm(request.GET or None)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    page = Paginator(selectors.assessments(status=status, q=q), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "risk/index.html",
        {
            "page": page,
            "status": status,
            "q": q,
            "counts": selectors.status_counts(),
            "statuses": Assessment.Status.choices,
            "query": query_without(request.GET, "page"),
            "section": "assessments",
        },
    )


@requires("risk.review")
def review_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(selectors.review_queue(viewer=request.user), 50).get_page(
        request.GET.get("page")
    )
    for item in page.object_list:
        # Segregation of duties: a contributor sees why they may not decide on it.
        item.review_refusal = services.review_refusal(request.user, item, item.viewer_contributions)
    return render(
        request, "risk/review_queue.html", {"page": page, "section": "review", "query": ""}
    )


def _register_filters(request: HttpRequest) -> tuple[RegisterFilterForm, selectors.RegisterFilters]:
    form = RegisterFilterForm(request.GET or None)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "", False)}
        return form, selectors.RegisterFilters(**data)
    return form, selectors.RegisterFilters()


# The register counts its rows up to this many (200 pages of 50); past it the page says
# "more than" and the filters narrow it. Counting all 600,000 risks of 100,000 assets
# cost more than the rest of the page (bench/RESULTS.md, "List pages at 100,000 assets").
REGISTER_COUNT_CAP = 10_000
REGISTER_PER_PAGE = 50


@requires("risk.view")
def register(request: AuthenticatedHttpRequest) -> HttpResponse:
    form, filters = _register_filters(request)
    page = CappedPaginator(
        selectors.register(filters), REGISTER_PER_PAGE, cap=REGISTER_COUNT_CAP
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "risk/register.html",
        {
            "form": form,
            "filters": filters,
            "page": page,
            "query": query_without(request.GET, "page"),
            "sortless": query_without(request.GET, "page", "sort"),
            "today": timezone.localdate(),
            "section": "register",
            **selectors.register_choices(),
        },
    )


REGISTER_COLUMNS = [
    "risk_id",
    "asset",
    "asset_kind",
    "business_unit",
    "assessment_version",
    "matrix",
    "threat",
    "title",
    "inherent_impact",
    "inherent_likelihood",
    "inherent_score",
    "inherent_band",
    "residual_impact",
    "residual_likelihood",
    "residual_score",
    "residual_band",
    "treatment",
    "owner",
    "due_date",
    "status",
]


@requires("risk.view")
def register_csv(request: AuthenticatedHttpRequest) -> StreamingHttpResponse:
    _, filters = _register_filters(request)
    rows = (
        [
            r.uuid,
            r.assessment.asset.name,
            r.assessment.asset.kind,
            r.assessment.asset.business_unit.name if r.assessment.asset.business_unit else "",
            r.assessment.version,
            f"{r.assessment.matrix.code} v{r.assessment.matrix_version}",
            r.threat.code if r.threat else "",
            r.title,
            r.inherent_impact,
            r.inherent_likelihood,
            r.inherent_score,
            r.get_inherent_band_display(),
            r.residual_impact,
            r.residual_likelihood,
            r.residual_score,
            r.get_residual_band_display(),
            r.treatment,
            r.owner.email if r.owner else "",
            r.due_date.isoformat() if r.due_date else "",
            r.status,
        ]
        for r in selectors.register(filters).iterator(chunk_size=2000)
    )
    response = StreamingHttpResponse(csv_stream(REGISTER_COLUMNS, rows), content_type="text/csv")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="risk-register-{stamp}.csv"'
    return response


# --- asset -----------------------------------------------------------------------------


def _asset_context(request: HttpRequest, asset_uuid: UUID) -> dict[str, Any]:
    asset = get_object_or_404(Asset.objects.select_related("business_unit"), uuid=asset_uuid)
    return {
        "info": selectors.asset_risk(asset),
        "asset": asset,
        "can_edit": has_perm(request.user, "risk.edit"),
    }


@requires("risk.view")
def asset_tab(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The asset page's risk tab (loaded by htmx into the inventory's asset page)."""
    return render(request, "risk/partials/asset_tab.html", _asset_context(request, asset_uuid))


@requires("risk.view")
def asset_risk(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The same content as a full page (linked from the register and the assessments)."""
    return render(request, "risk/asset.html", _asset_context(request, asset_uuid))


@requires("risk.edit")
def assessment_start(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    asset = get_object_or_404(Asset, uuid=asset_uuid)
    form = StartForm(request.POST or None, initial={"matrix": selectors.default_matrix()})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_start(
                actor=request.user,
                asset=asset,
                matrix=form.cleaned_data["matrix"],
            )
        except ValidationError as exc:
            _flash(request, exc)
            return redirect("risk:asset", asset_uuid=asset.uuid)
        messages.success(request, f"Assessment version {assessment.version} started.")
        return redirect("risk:edit", uuid=assessment.uuid)
    previous = Assessment.objects.filter(asset=asset, is_current=True).first()
    return render(
        request,
        "risk/start.html",
        {"asset": asset, "form": form, "previous": previous, "section": "assessments"},
    )


# --- assessment ------------------------------------------------------------------------


def _assessment(uuid: UUID) -> Assessment:
    try:
        return selectors.assessment_detail(uuid)
    except Assessment.DoesNotExist:
        raise Http404("No such assessment") from None


@requires("risk.view")
def assessment(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = _assessment(uuid)
    user = request.user
    contributions = list(item.contributions.all())
    risks = list(item.risks.all())
    can_accept = has_perm(user, "risk.accept") and item.is_current
    for risk in risks:
        risk.accept_refusal = (
            services.acceptance_refusal(user, risk, contributions) if can_accept else None
        )
    return render(
        request,
        "risk/assessment.html",
        {
            "assessment": item,
            "matrix": item.matrix,
            "risks": risks,
            "contributors": selectors.contributors(item),
            "review_form": ReviewForm(),
            "can_edit": has_perm(user, "risk.edit") and item.is_editable,
            "can_review": has_perm(user, "risk.review")
            and item.status == Assessment.Status.IN_REVIEW,
            "review_refusal": services.review_refusal(user, item, contributions),
            "can_accept": can_accept,
            "section": "assessments",
        },
    )


def _editor_choices() -> tuple[list, list, dict[str, Threat]]:
    threats = {t.code: t for t in selectors.threats(active_only=False)}
    threat_choices = [(t.code, f"{t.code}: {t.name}") for t in threats.values() if t.active]
    owners = [
        (u.pk, str(u)) for u in User.objects.filter(is_active=True).order_by("full_name", "email")
    ]
    return threat_choices, owners, threats


def _initial_rows(item: Assessment) -> tuple[list[dict[str, Any]], int, dict[int, list[str]]]:
    rows = [
        {
            "uuid": str(r.uuid),
            "threat": r.threat.code if r.threat else "",
            "title": r.title,
            "description": r.description,
            "existing_controls": r.existing_controls,
            "inherent_impact": r.inherent_impact,
            "inherent_likelihood": r.inherent_likelihood,
            "residual_impact": r.residual_impact,
            "residual_likelihood": r.residual_likelihood,
            "treatment": r.treatment,
            "owner": r.owner_id,
            "due_date": r.due_date,
            "status": r.status if r.status != Risk.Status.ACCEPTED else Risk.Status.OPEN,
        }
        for r in item.risks.all()
    ]
    saved = len(rows)
    taken = {row["threat"] for row in rows}
    reasons: dict[int, list[str]] = {}
    for threat, why in services.suggest_threats(item.asset):
        if threat.code in taken:
            continue
        reasons[len(rows)] = why
        rows.append(
            {
                "threat": threat.code,
                "title": threat.name,
                "description": threat.description,
                "treatment": Risk.Treatment.MITIGATE,
                "status": Risk.Status.OPEN,
            }
        )
    return rows, saved, reasons


# The editor's autosave posts the whole form with this header and gets JSON back.
AUTOSAVE_HEADER = "X-RiskHub-Autosave"


def _risk_rows(formset: Any, threats: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The risks a valid formset describes, for assessment_save, and the prefix of the
    form each came from (in the same order)."""
    risks, prefixes = [], []
    owner_ids = [f.cleaned_data.get("owner") for f in formset.forms if f.cleaned_data]
    owners = User.objects.in_bulk([i for i in owner_ids if i])
    for risk_form in formset.forms:
        data = risk_form.cleaned_data
        if not data or data.get("DELETE"):
            continue
        row = {k: v for k, v in data.items() if k != "DELETE"}
        row["threat"] = threats.get(data.get("threat") or "")
        row["owner"] = owners.get(data["owner"]) if data.get("owner") else None
        risks.append(row)
        prefixes.append(risk_form.prefix)
    return risks, prefixes


def _form_errors(form: Any, formset: Any) -> list[str]:
    """Every error of the editor's forms as a sentence naming the field by its label."""
    errors = []
    for number, bound in enumerate((form, *formset.forms)):
        for name, problems in bound.errors.items():
            field = bound.fields.get(name)
            label = str(field.label or field_label(name)) if field is not None else ""
            where = f"Risk {number}" if number else ""
            prefix = ", ".join(p for p in (where, label) if p)
            errors += [f"{prefix}: {m}" if prefix else str(m) for m in problems]
    errors += [str(e) for e in formset.non_form_errors()]
    return errors


def _autosave(
    request: AuthenticatedHttpRequest,
    item: Assessment,
    form: AssessmentForm,
    formset: Any,
    threats: dict[str, Any],
) -> JsonResponse:
    """Save the draft while its author edits (static/js/autosave.js), through the same
    service and revision check as the Save button: a save that someone else's save
    overtook is refused with 409 and nothing is overwritten. The answer says what the
    page must know: the new revision and the UUID each risk row now has, or why
    nothing was saved."""
    if not (form.is_valid() and formset.is_valid()):
        return JsonResponse({"saved": False, "errors": _form_errors(form, formset)}, status=422)
    risks, prefixes = _risk_rows(formset, threats)
    try:
        saved = services.assessment_save(
            actor=request.user,
            assessment=item,
            expected_revision=form.cleaned_data["revision"],
            summary=form.cleaned_data["summary"],
            risks=risks,
        )
    except EditConflict as exc:
        message = (
            f"{exc.saved_by} saved revision {exc.version} while you were editing. Save "
            "draft to compare their version with yours; nothing of yours is lost."
        )
        return JsonResponse({"saved": False, "conflict": True, "errors": [message]}, status=409)
    except ValidationError as exc:
        return JsonResponse({"saved": False, "errors": _errors(exc)}, status=422)
    order = list(saved.risks.order_by("position").values_list("uuid", flat=True))
    return JsonResponse(
        {
            "saved": True,
            "revision": saved.revision,
            "at": timezone.localtime().strftime("%H:%M"),
            "risks": {prefix: str(u) for prefix, u in zip(prefixes, order, strict=False)},
        }
    )


@requires("risk.edit")
def assessment_edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = _assessment(uuid)
    if not item.is_editable:
        messages.info(
            request,
            f"This assessment is {item.get_status_display().lower()} and can no longer be edited.",
        )
        return redirect("risk:assessment", uuid=item.uuid)
    threat_choices, owner_choices, threats = _editor_choices()
    rows, saved, reasons = _initial_rows(item)
    kwargs = {
        "matrix": item.matrix,
        "threat_choices": threat_choices,
        "owner_choices": owner_choices,
    }
    conflict: EditConflict | None = None
    if request.method == "POST" and request.headers.get(AUTOSAVE_HEADER) == "1":
        form = AssessmentForm(request.POST)
        formset = RiskFormSet(request.POST, initial=rows, prefix="risk", form_kwargs=kwargs)
        return _autosave(request, item, form, formset, threats)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        formset = RiskFormSet(request.POST, initial=rows, prefix="risk", form_kwargs=kwargs)
        if form.is_valid() and formset.is_valid():
            risks, _ = _risk_rows(formset, threats)
            try:
                services.assessment_save(
                    actor=request.user,
                    assessment=item,
                    expected_revision=form.cleaned_data["revision"],
                    summary=form.cleaned_data["summary"],
                    risks=risks,
                )
            except EditConflict as exc:
                conflict = exc
            except ValidationError as exc:
                _flash(request, exc)
            else:
                if "submit" in request.POST:
                    item.refresh_from_db()
                    try:
                        services.assessment_submit(
                            actor=request.user,
                            assessment=item,
                            expected_revision=item.revision,
                        )
                    except ValidationError as exc:
                        messages.success(request, "Saved.")
                        _flash(request, exc)
                        return redirect("risk:edit", uuid=item.uuid)
                    messages.success(request, "Submitted for review. Reviewers were notified.")
                    return redirect("risk:assessment", uuid=item.uuid)
                messages.success(request, "Saved.")
                return redirect("risk:edit", uuid=item.uuid)
        if conflict is not None:
            # Keep everything the editor typed; arm the form with the current revision
            # so that saving again is a deliberate choice after comparing.
            data = request.POST.copy()
            data["revision"] = str(conflict.current.revision)
            form = AssessmentForm(data)
            formset = RiskFormSet(data, initial=rows, prefix="risk", form_kwargs=kwargs)
            item = _assessment(uuid)
    else:
        form = AssessmentForm(initial={"revision": item.revision, "summary": item.summary})
        formset = RiskFormSet(initial=rows, prefix="risk", form_kwargs=kwargs)
        formset.saved_count = saved
    return render(
        request,
        "risk/edit.html",
        {
            "assessment": item,
            "matrix": item.matrix,
            "form": form,
            "formset": formset,
            "reasons": reasons,
            "conflict": conflict,
            "current_risks": list(item.risks.all()) if conflict else [],
            "section": "assessments",
        },
        status=409 if conflict else 200,
    )


@requires("risk.edit")
@require_POST
def assessment_submit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = get_object_or_404(Assessment, uuid=uuid)
    try:
        services.assessment_submit(actor=request.user, assessment=item)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("risk:edit" if item.is_editable else "risk:assessment", uuid=item.uuid)
    messages.success(request, "Submitted for review. Reviewers were notified.")
    return redirect("risk:assessment", uuid=item.uuid)


@requires("risk.edit")
@require_POST
def assessment_discard(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = get_object_or_404(Assessment.objects.select_related("asset"), uuid=uuid)
    try:
        services.assessment_delete(actor=request.user, assessment=item)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("risk:assessment", uuid=item.uuid)
    messages.success(request, "Draft discarded.")
    return redirect("risk:asset", asset_uuid=item.asset.uuid)


def _decide(request: AuthenticatedHttpRequest, uuid: UUID, approve: bool) -> HttpResponse:
    item = get_object_or_404(Assessment, uuid=uuid)
    form = ReviewForm(request.POST)
    comments = form.cleaned_data["comments"] if form.is_valid() else ""
    try:
        if approve:
            services.assessment_approve(actor=request.user, assessment=item, comments=comments)
            messages.success(request, "Approved. The asset's effective risk is being updated.")
        else:
            services.assessment_return(actor=request.user, assessment=item, comments=comments)
            messages.success(request, "Returned to the author with your comments.")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("risk:assessment", uuid=item.uuid)


@requires("risk.review")
@require_POST
def assessment_approve(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return _decide(request, uuid, approve=True)


@requires("risk.review")
@require_POST
def assessment_return(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return _decide(request, uuid, approve=False)


# --- acceptance ------------------------------------------------------------------------


@requires("risk.accept")
def acceptance_create(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    risk = get_object_or_404(
        Risk.objects.select_related("assessment__asset", "assessment__matrix", "owner"), uuid=uuid
    )
    form = AcceptanceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.acceptance_create(
                actor=request.user,
                risk=risk,
                rationale=form.cleaned_data["rationale"],
                expires_on=form.cleaned_data["expires_on"],
            )
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"Residual risk “{risk.title}” accepted.")
            return redirect("risk:assessment", uuid=risk.assessment.uuid)
    refusal = None if form.is_bound else services.acceptance_refusal(request.user, risk)
    return render(
        request,
        "risk/accept.html",
        {"risk": risk, "form": form, "refusal": refusal, "section": "assessments"},
    )


@requires("risk.accept")
@require_POST
def acceptance_revoke(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    acceptance = get_object_or_404(
        RiskAcceptance.objects.select_related("risk__assessment"), uuid=uuid
    )
    try:
        services.acceptance_revoke(actor=request.user, acceptance=acceptance)
        messages.success(request, "Acceptance revoked; the risk is open again.")
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("risk:assessment", uuid=acceptance.risk.assessment.uuid)


# --- matrices and threats ----------------------------------------------------------------


@requires("risk.view")
def matrix_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request,
        "risk/matrix_list.html",
        {
            "matrices": list(selectors.matrices()),
            "can_manage": has_perm(request.user, "catalog.manage"),
            "section": "matrices",
        },
    )


@requires("risk.view")
def matrix_detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    matrix = get_object_or_404(RiskMatrix, uuid=uuid)
    return render(
        request,
        "risk/matrix_detail.html",
        {
            "matrix": matrix,
            "can_manage": has_perm(request.user, "catalog.manage"),
            "section": "matrices",
        },
    )


@requires("catalog.manage")
def matrix_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MatrixForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            matrix = services.matrix_create(actor=request.user, **form.definition())
        except ValidationError as exc:
            for field, msgs in exc.message_dict.items():
                target = {
                    "impact_levels": "impact_labels",
                    "likelihood_levels": "likelihood_labels",
                }.get(field, field)
                form.add_error(target if target in form.fields else None, msgs)
        else:
            messages.success(request, f"Matrix “{matrix.name}” created.")
            return redirect("risk:matrix", uuid=matrix.uuid)
    return render(request, "risk/matrix_form.html", {"form": form, "section": "matrices"})


@requires("catalog.manage")
@require_POST
def matrix_make_default(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    matrix = get_object_or_404(RiskMatrix, uuid=uuid)
    services.matrix_set_default(actor=request.user, matrix=matrix)
    messages.success(request, f"“{matrix.name}” is now the default matrix for new assessments.")
    return redirect("risk:matrix", uuid=matrix.uuid)


@requires("risk.view")
def score_preview(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    """htmx: the score and band of a cell, computed by the server."""
    matrix = get_object_or_404(RiskMatrix, uuid=uuid)
    try:
        cell = matrix.cell(
            int(request.GET.get("impact", "")), int(request.GET.get("likelihood", ""))
        )
    except ValueError:
        cell = None
    return render(request, "risk/partials/score.html", {"cell": cell})


@requires("risk.view")
def threat_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()[:100]
    items = selectors.threats()
    if q:
        items = items.filter(Q(code__icontains=q) | Q(name__icontains=q))
    return render(
        request, "risk/threat_list.html", {"threats": list(items), "q": q, "section": "threats"}
    )
