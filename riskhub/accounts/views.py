from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from riskhub.accounts import services
from riskhub.accounts.forms import ApiTokenForm, LoginForm, PasswordForgotForm, TotpTokenForm
from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.policy import (
    OTP_REQUIRED_SESSION_KEY,
    SecondFactorStep,
    public,
    requires,
    second_factor_step,
)
from riskhub.accounts.requests import AuthenticatedHttpRequest
from riskhub.audit.middleware import client_ip
from riskhub.common.forms import apply_service_errors

login_view = public(
    auth_views.LoginView.as_view(
        template_name="accounts/login.html",
        authentication_form=LoginForm,
        redirect_authenticated_user=True,
    )
)
logout_view = public(auth_views.LogoutView.as_view())


@requires("account.self")
def password_change(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_password(
            actor=request.user, user=request.user, new_password=form.cleaned_data["new_password1"]
        )
        update_session_auth_hash(request, request.user)
        messages.success(request, "Your password was changed.")
        return redirect("accounts:profile")
    return render(request, "accounts/password_change.html", {"form": form})


@public
def password_forgot(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. Every valid request gets the same redirect, whether or not
    the email has an account, is throttled, or gets a link."""
    form = PasswordForgotForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.user_request_password_reset(
            email=form.cleaned_data["email"], ip_address=client_ip(request)
        )
        return redirect("accounts:password_forgot_sent")
    return render(
        request, "accounts/password_forgot.html", {"form": form}, status=400 if form.errors else 200
    )


@public
def password_forgot_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/password_forgot_sent.html")


@public
def password_set(request: HttpRequest, user_uuid: UUID, token: str) -> HttpResponse:
    """The page a set-password link (invitation or reset) opens."""
    person = User.objects.filter(uuid=user_uuid).first()
    if person is None or not services.password_link_is_valid(person, token):
        return render(request, "accounts/password_set_invalid.html", status=400)
    form = SetPasswordForm(person, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                user=person, token=token, new_password=form.cleaned_data["new_password1"]
            )
        except ValidationError as error:
            if getattr(error, "code", None) == "invalid_link":
                # Used by a parallel request between the check above and this one.
                return render(request, "accounts/password_set_invalid.html", status=400)
            apply_service_errors(form, error)
        else:
            messages.success(request, "Your password is set. Sign in with it.")
            return redirect("accounts:login")
    return render(
        request,
        "accounts/password_set.html",
        {"form": form, "person": person, "first_password": not person.has_usable_password()},
        status=400 if form.errors else 200,
    )


@requires("account.self")
def profile(request: AuthenticatedHttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=request.user)
    form = ApiTokenForm()
    return render(
        request,
        "accounts/profile.html",
        {"tokens": tokens, "form": form, "has_2fa": services.totp_device(request.user) is not None},
    )


@requires("account.self")
@require_POST
def token_create(request: AuthenticatedHttpRequest) -> HttpResponse:
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
def token_revoke(request: AuthenticatedHttpRequest, token_uuid: UUID) -> HttpResponse:
    token = get_object_or_404(ApiToken, uuid=token_uuid, user=request.user)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” was revoked.")
    return redirect("accounts:profile")


def _qr_data_uri(text: str) -> str:
    import base64

    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _safe_next(request: HttpRequest, default: str) -> str:
    next_url = request.POST.get("next") or request.GET.get("next") or default
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        return default
    return next_url


@requires("account.self")
def otp_setup(request: AuthenticatedHttpRequest) -> HttpResponse:
    # An admin sent here by REQUIRE_2FA_FOR_ADMINS goes back where they were going.
    required = second_factor_step(request) == SecondFactorStep.ENROL
    next_url = _safe_next(request, reverse("accounts:profile"))
    form = TotpTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid() and services.totp_confirm(
            actor=request.user, token=form.cleaned_data["token"]
        ):
            from django_otp import login as otp_login

            otp_login(request, services.totp_device(request.user))
            request.session[OTP_REQUIRED_SESSION_KEY] = True
            messages.success(request, "Two-factor authentication is on.")
            return redirect(next_url)
        form.add_error(
            "token", "That code is not right. Check the time on your phone and try again."
        )
        device = services.totp_device(request.user, confirmed=False)
    else:
        device = services.totp_start(actor=request.user)
    if device is None:
        return redirect("accounts:otp_setup")
    import base64

    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "qr": _qr_data_uri(device.config_url),
            "secret": secret,
            "required": required,
            "next": next_url,
        },
        status=400 if form.errors else 200,
    )


@requires("account.self")
@require_POST
def otp_disable(request: AuthenticatedHttpRequest) -> HttpResponse:
    services.totp_disable(actor=request.user)
    request.session[OTP_REQUIRED_SESSION_KEY] = False
    messages.success(request, "Two-factor authentication is off.")
    return redirect("accounts:profile")


@requires("account.self", allow_unverified=True)
def otp_verify(request: AuthenticatedHttpRequest) -> HttpResponse:
    next_url = _safe_next(request, "/")
    form = TotpTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        device = services.totp_verify(user=request.user, token=form.cleaned_data["token"])
        if device is not None:
            from django_otp import login as otp_login

            otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", "That code is not right, or too many attempts: wait and retry.")
    return render(
        request,
        "accounts/otp_verify.html",
        {"form": form, "next": next_url},
        status=400 if form.errors else 200,
    )
