from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from riskhub.accounts import services
from riskhub.accounts.forms import ApiTokenForm, LoginForm
from riskhub.accounts.models import ApiToken
from riskhub.accounts.policy import public, requires

login_view = public(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=LoginForm,
        redirect_authenticated_user=True,
    )
)
logout_view = public(auth_views.LogoutView.as_view())


@requires("account.self")
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_password(
            actor=request.user, user=request.user, new_password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, "Your password was changed.")
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@requires("account.self")
def profile(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    form = ApiTokenForm()
    return render(request, "accounts/profile.html", {"tokens": tokens, "form": form})


@requires("account.self")
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        tokens = ApiToken.objects.filter(user=request.user)
        return render(
            request, "accounts/profile.html", {"tokens": tokens, "form": form}, status=400
        )
    token, secret = services.api_token_create(
        actor=request.user,
        owner=request.user,
        name=form.cleaned_data["name"],
        scope=form.cleaned_data["scope"],
        expires_in_days=form.cleaned_data["expires_in_days"],
    )
    tokens = ApiToken.objects.filter(user=request.user)
    return render(
        request,
        "accounts/profile.html",
        {"tokens": tokens, "form": ApiTokenForm(), "new_secret": secret, "new_token": token},
    )


@requires("account.self")
@require_POST
def token_revoke(request: HttpRequest, token_uuid: UUID) -> HttpResponse:
    token = get_object_or_404(ApiToken, uuid=token_uuid, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” was revoked.")
    return redirect("accounts:profile")
