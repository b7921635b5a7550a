"""Email with links back to RiskHub: absolute URLs and subject/body templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string


def absolute_url(path: str) -> str:
    """`path` on the host that email readers reach (settings.RISKHUB_BASE_URL)."""
    base = getattr(settings, "RISKHUB_BASE_URL", "http://localhost:8000").rstrip("/")
    return base + path


def send_templated_mail(template: str, context: dict[str, Any], recipients: list[str]) -> int:
    """Render `<template>_subject.txt` (folded onto one line) and `<template>.txt`."""
    subject = render_to_string(f"{template}_subject.txt", context)
    body = render_to_string(f"{template}.txt", context)
    return send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, recipients)
