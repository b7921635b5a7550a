"""Admin pages for people: the list of users and offboarding."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from riskhub.accounts.models import User
from riskhub.accounts.policy import requires
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
        self.fields["successor"].queryset = User.objects.filter(is_active=True).exclude(
            pk=leaving.pk
        )  # type: ignore[attr-defined]


@requires("users.manage")
def people(request: HttpRequest) -> HttpResponse:
    users = User.objects.prefetch_related("groups").order_by("-is_active", "email")
    query = request.GET.get("q", "").strip()
    if query:
        users = users.filter(email__icontains=query) | users.filter(full_name__icontains=query)
    page = Paginator(users, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "core/people.html",
        {"page": page, "q": query, "query": f"q={query}" if query else ""},
    )


@requires("users.manage")
def offboard(request: HttpRequest, user_uuid: UUID) -> HttpResponse:
    leaving = get_object_or_404(User, uuid=user_uuid)
    form = OffboardForm(request.POST if request.method == "POST" else None, leaving=leaving)
    if request.method == "POST" and form.is_valid():
        try:
            moved = user_offboard(
                actor=request.user, user=leaving, successor=form.cleaned_data["successor"]
            )
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            summary = ", ".join(f"{n} {label}" for label, n in moved.items() if n) or "no open work"
            messages.success(request, f"{leaving.email} was deactivated; {summary} reassigned.")
            return redirect("core:people")
    return render(
        request,
        "core/offboard.html",
        {"leaving": leaving, "form": form, "open_work": open_work_of(leaving)},
        status=400 if form.errors else 200,
    )
