"""Email with links back to RiskHub: absolute URLs and subject/body templates."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template import Context
from django.template.loader import get_template


def absolute_url(path: str) -> str:
    """`path` on the host that email readers reach (settings.RISKHUB_BASE_URL)."""
    base = getattr(settings, "RISKHUB_BASE_URL", "http://localhost:8000").rstrip("/")
    return base + path


def render_plain_text(template_name: str, context: dict[str, Any]) -> str:
    """Render a template as plain text: no HTML escaping, so "Tom & Jerry" stays
    "Tom & Jerry" (an email subject or text body is not HTML). The one place mail
    templates are rendered, so no template needs its own {% autoescape off %}."""
    template = get_template(template_name)
    # The Django backend's wrapper always autoescapes; its engine template renders
    # with the Context we give it.
    return template.template.render(Context(context, autoescape=False))  # type: ignore[attr-defined]


def send_templated_mail(template: str, context: dict[str, Any], recipients: list[str]) -> int:
    """Render `<template>_subject.txt` (folded onto one line) and `<template>.txt`, both
    as plain text."""
    subject = render_plain_text(f"{template}_subject.txt", context)
    body = render_plain_text(f"{template}.txt", context)
    return send_mail(" ".join(subject.split()), body, settings.DEFAULT_FROM_EMAIL, recipients)
