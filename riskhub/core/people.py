"""Admin pages for people: the list, invitations, roles, set-password links,
deactivation (offboarding) and reactivation, and everyone's API tokens.

Every change goes through an audited service in accounts (or offboarding); the Django
admin only reads.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from riskhub.accounts import selectors, services
from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import Role, requires
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.common.forms import apply_service_errors
from riskhub.common.querystrings import query_without
from riskhub.core.offboarding import open_work_of, user_offboard


class OffboardForm(forms.Form):
    successor = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="Hand open work to",
        help_text="Their open assets, risks and treatments, control implementations and "
        "incidents move to this person.",
    )

    def __init__(self, *args: object, leaving: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["successor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True
        ).exclude(pk=leaving.pk)


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "autofocus": True}),
        help_text="The invitation with a set-password link goes to this address.",
    )
    full_name = forms.CharField(label="Name", max_length=150, required=False)
    role = forms.ChoiceField(
        label="Role",
        # No preselected role: the admin picks one on purpose.
        choices=[("", "Choose a role"), *Role.choices],
        help_text="Each person has exactly one role.",
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class PeopleFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False)
    role = forms.ChoiceField(
        label="Role", choices=[("", "Any role"), *Role.choices], required=False
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "Any status"), *selectors.PersonStatus.CHOICES],
        required=False,
    )


@requires("users.manage")
def people(request: AuthenticatedHttpRequest) -> HttpResponse:
    filters = PeopleFilterForm(request.GET)
    values = filters.cleaned_data if filters.is_valid() else {}
    users = selectors.user_list(
        query=(values.get("q") or "").strip(),
        role=values.get("role") or "",
        status=values.get("status") or "",
    )
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/people.html",
        {"page": page, "filters": filters, "query": query_without(request.GET, "page")},
    )


@requires("users.manage")
def invite(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            person = services.user_invite(
                actor=request.user,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                role=Role(form.cleaned_data["role"]),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request, f"{person.email} was invited; the set-password link is on its way."
            )
            return redirect("core:person", user_uuid=person.uuid)
    return render(
        request,
        "core/invite.html",
        {"form": form, "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        status=400 if form.errors else 200,
    )


def _person_page(
    request: HttpRequest, person: User, *, role_form: RoleForm | None = None, status: int = 200
) -> HttpResponse:
    context: dict[str, Any] = {
        "person": person,
        "role_form": role_form or RoleForm(initial={"role": person.role}),
        "tokens": selectors.user_tokens(person),
        "invited": selectors.user_is_invited(person),
        "has_2fa": services.totp_device(person) is not None,
        "is_self": person.pk == request.user.pk,
    }
    return render(request, "core/person.html", context, status=status)


@requires("users.manage")
def person(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    return _person_page(request, get_object_or_404(User, uuid=user_uuid))


@requires("users.manage")
@require_POST
def person_role(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    target = get_object_or_404(User, uuid=user_uuid)
    form = RoleForm(request.POST)
    if form.is_valid():
        role = Role(form.cleaned_data["role"])
        if target.role == role:
            messages.info(request, f"{target.email} already has the role {role.label}.")
            return redirect("core:person", user_uuid=target.uuid)
        try:
            services.user_set_role(actor=request.user, user=target, role=role)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{target.email} is now {role.label}.")
            return redirect("core:person", user_uuid=target.uuid)
    return _person_page(request, target, role_form=form, status=400)


@requires("users.manage")
@require_POST
def person_password_link(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    target = get_object_or_404(User, uuid=user_uuid)
    try:
        purpose = services.user_send_password_reset(actor=request.user, user=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        sent = "A new invitation" if purpose == services.PasswordLink.INVITE else "A reset link"
        messages.success(request, f"{sent} was sent to {target.email}.")
    return redirect("core:person", user_uuid=target.uuid)


@requires("users.manage")
@require_POST
def person_reactivate(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    target = get_object_or_404(User, uuid=user_uuid)
    try:
        services.user_reactivate(actor=request.user, user=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"{target.email} can sign in again. Their old API tokens stay revoked; send a "
            "reset link if they no longer know their password.",
        )
    return redirect("core:person", user_uuid=target.uuid)


@requires("users.manage")
@require_POST
def person_token_revoke(
    request: AuthenticatedHttpRequest, user_uuid: UUID, token_uuid: UUID
) -> HttpResponse:
    token = get_object_or_404(ApiToken, uuid=token_uuid, user__uuid=user_uuid)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” was revoked.")
    return redirect("core:person", user_uuid=user_uuid)


@requires("users.manage")
def offboard(request: AuthenticatedHttpRequest, user_uuid: UUID) -> HttpResponse:
    leaving = get_object_or_404(User, uuid=user_uuid)
    form = OffboardForm(request.POST if request.method == "POST" else None, leaving=leaving)
    if request.method == "POST" and form.is_valid():
        try:
            moved = user_offboard(
                actor=request.user, user=leaving, successor=form.cleaned_data["successor"]
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            summary = ", ".join(f"{n} {label}" for label, n in moved.items() if n) or "no open work"
            messages.success(request, f"{leaving.email} was deactivated; {summary} reassigned.")
            return redirect("core:person", user_uuid=leaving.uuid)
    return render(
        request,
        "core/offboard.html",
        {"leaving": leaving, "form": form, "open_work": open_work_of(leaving)},
        status=400 if form.errors else 200,
    )
