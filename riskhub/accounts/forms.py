from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.hashers import make_password

from riskhub.accounts.models import ApiToken
from riskhub.accounts.throttling import Refusal, login_throttle
from riskhub.audit.middleware import client_ip


class LoginForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email",
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an active account.",
        "throttled": "Too many failed sign-in attempts. Wait a few minutes and try again.",
    }

    def clean(self) -> dict[str, Any]:
        email = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not email or password is None:
            return super().clean()
        ip = client_ip(self.request) if self.request is not None else None
        throttle = login_throttle(email, ip)
        if throttle.refusal is Refusal.UNKNOWN_EMAIL:
            # Take as long as a password check, so refusing unknown emails early does
            # not tell a spraying client which emails are real ones.
            make_password(password)
        if throttle.refused:
            raise self._throttled()
        try:
            return super().clean()
        except forms.ValidationError as error:
            if throttle.spraying_client and error.code == "invalid_login":
                raise self._throttled() from None
            raise

    def _throttled(self) -> forms.ValidationError:
        return forms.ValidationError(self.error_messages["throttled"], code="throttled")


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What the token is for, e.g. “CI export”.")
    scope = forms.ChoiceField(choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ_WRITE)
    expires_in_days = forms.IntegerField(
        min_value=1,
        max_value=730,
        required=False,
        initial=90,
        label="Expires in (days)",
        help_text="Leave empty for a token that never expires.",
    )


class TotpTokenForm(forms.Form):
    token = forms.CharField(
        label="Six-digit code",
        max_length=8,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class PasswordForgotForm(forms.Form):
    email = forms.EmailField(
        label="Email",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
        help_text="The email address you sign in with.",
    )
