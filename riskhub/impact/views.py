"""Thin HTML views of the integrated impact assessment. Rules live in services."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from riskhub.accounts.policy import has_perm, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.common.updates import EditConflict
from riskhub.impact import catalog, selectors, services
from riskhub.impact.forms import AnswersForm, FilterForm, ReviewForm
from riskhub.impact.models import ImpactAssessment
from riskhub.inventory.models import Asset

SECTION = "impact"


def _flash(request: AuthenticatedHttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _assessment(uuid: UUID) -> ImpactAssessment:
    try:
        return selectors.detail(uuid)
    except ImpactAssessment.DoesNotExist:
        raise Http404("No such impact assessment.") from None


def _law_context(item: ImpactAssessment) -> dict[str, Any]:
    template = item.template.parsed
    laws = item.laws if item.status != "draft" and item.laws else None
    if laws is None or item.is_editable:
        laws = selectors.laws_for(item.asset, template)
    return {
        "template": template,
        "laws": laws,
        "law_names": [catalog.LAW_NAMES[law] for law in laws],
        "sections": template.sections_for(set(laws)),
        "extra_by_law": _extra_by_law(template, laws),
    }


def _extra_by_law(template: catalog.Template, laws: list[str]) -> list[dict[str, Any]]:
    """Per applicable law, the sections only it asks for (what it adds to the shared
    content), for the page's summary of what each law needs."""
    return [
        {
            "law": catalog.LAW_NAMES[law],
            "sections": [s for s in template.sections if s.laws == (law,)],
        }
        for law in laws
    ]


@requires("compliance.view")
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"]
    page = Paginator(selectors.assessments(status=status, q=q), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "impact/index.html",
        {"form": form, "page": page, "section": SECTION, "filtered": bool(status or q)},
    )


@requires("compliance.view")
def asset(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    item = get_object_or_404(Asset, uuid=asset_uuid)
    row = selectors.current_template()
    laws = selectors.laws_for(item, row.parsed) if row else []
    return render(
        request,
        "impact/asset.html",
        {
            "asset": item,
            "assessments": selectors.for_asset(item),
            "open": selectors.open_for(item),
            "laws": [catalog.LAW_NAMES[law] for law in laws],
            "can_edit": has_perm(request.user, "compliance.edit"),
            "section": SECTION,
        },
    )


@requires("compliance.edit")
@require_POST
def start(request: AuthenticatedHttpRequest, asset_uuid: UUID) -> HttpResponse:
    item = get_object_or_404(Asset, uuid=asset_uuid)
    existing = selectors.open_for(item)
    if existing is not None:
        return redirect("impact:edit", uuid=existing.uuid)
    try:
        assessment = services.assessment_start(actor=request.user, asset=item)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect("impact:asset", asset_uuid=item.uuid)
    messages.success(
        request, "Impact assessment started; known facts about the asset are filled in."
    )
    return redirect("impact:edit", uuid=assessment.uuid)


@requires("compliance.view")
def detail(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = _assessment(uuid)
    context = _law_context(item)
    can_review = has_perm(request.user, "impact.review") and item.status == "in_review"
    return render(
        request,
        "impact/detail.html",
        {
            **context,
            "assessment": item,
            "answered": [
                (section, [(q, item.answer(q.key)) for q in section.fields])
                for section in context["sections"]
            ],
            "contributors": list(item.contributors.all()),
            "can_edit": has_perm(request.user, "compliance.edit") and item.is_editable,
            "can_review": can_review,
            "review_refusal": services.review_refusal(request.user, item) if can_review else None,
            "review_form": ReviewForm(),
            "section": SECTION,
        },
    )


@requires("compliance.edit")
def edit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = _assessment(uuid)
    if not item.is_editable:
        messages.info(
            request,
            f"This impact assessment is {item.get_status_display().lower()} and can no "
            "longer be edited.",
        )
        return redirect("impact:detail", uuid=item.uuid)
    context = _law_context(item)
    conflict: EditConflict | None = None
    status = 200
    if request.method == "POST":
        form = AnswersForm(request.POST, sections=context["sections"])
        if form.is_valid():
            # Questions of sections not shown (no applicable law asks) keep their answers.
            answers = {**item.answers, **form.answers()}
            try:
                item = services.assessment_save(
                    actor=request.user,
                    assessment=item,
                    expected_version=form.cleaned_data["version"],
                    answers=answers,
                )
            except EditConflict as exc:
                conflict = exc
                data = request.POST.copy()
                data["version"] = str(exc.version)
                form = AnswersForm(data, sections=context["sections"])
                form.is_valid()
                item = _assessment(uuid)
                status = 409
            except ValidationError as exc:
                apply_service_errors(form, exc)
                status = 400
            else:
                if "submit" not in request.POST:
                    messages.success(request, "Draft saved.")
                    return redirect("impact:edit", uuid=item.uuid)
                try:
                    services.assessment_submit(
                        actor=request.user, assessment=item, expected_version=item.version
                    )
                except ValidationError as exc:
                    form = AnswersForm(
                        {"version": str(item.version), **item.answers},
                        sections=context["sections"],
                    )
                    form.is_valid()
                    apply_service_errors(form, exc)
                    messages.error(
                        request, "Saved, but not submitted: answer the questions marked below."
                    )
                    status = 400
                else:
                    messages.success(request, "Submitted for review.")
                    return redirect("impact:detail", uuid=item.uuid)
        else:
            status = 400
    else:
        form = AnswersForm(
            initial={"version": item.version, **item.answers}, sections=context["sections"]
        )
    return render(
        request,
        "impact/edit.html",
        {
            **context,
            "assessment": item,
            "form": form,
            "conflict": conflict,
            "section": SECTION,
        },
        status=status,
    )


@requires("compliance.edit")
@require_POST
def submit(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    item = _assessment(uuid)
    try:
        services.assessment_submit(actor=request.user, assessment=item)
    except ValidationError as exc:
        if item.is_editable and hasattr(exc, "error_dict"):
            questions = item.template.parsed.fields
            missing = [questions[key].label for key in exc.message_dict if key in questions]
            messages.error(request, "Not submitted: answer " + "; ".join(missing) + ".")
            return redirect("impact:edit", uuid=item.uuid)
        _flash(request, exc)
        return redirect("impact:detail", uuid=item.uuid)
    messages.success(request, "Submitted for review.")
    return redirect("impact:detail", uuid=item.uuid)


def _decide(request: AuthenticatedHttpRequest, uuid: UUID, approve: bool) -> HttpResponse:
    item = _assessment(uuid)
    form = ReviewForm(request.POST)
    comments = form.cleaned_data["comments"] if form.is_valid() else ""
    try:
        if approve:
            services.assessment_approve(actor=request.user, assessment=item, comments=comments)
            messages.success(
                request,
                "Approved. The signed-off document is filed as evidence of the integrated "
                "impact assessment control.",
            )
        else:
            services.assessment_return(actor=request.user, assessment=item, comments=comments)
            messages.success(request, "Returned to its authors with your comments.")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("impact:detail", uuid=item.uuid)


@requires("impact.review")
@require_POST
def approve(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return _decide(request, uuid, approve=True)


@requires("impact.review")
@require_POST
def return_for_changes(request: AuthenticatedHttpRequest, uuid: UUID) -> HttpResponse:
    return _decide(request, uuid, approve=False)
