"""Helpers for plain Django forms in the HTML views."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.forms import BaseForm


def apply_service_errors(form: BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: beside the field it names, or
    above the form when the field is not on it (or the error names none)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
