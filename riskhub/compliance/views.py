from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("compliance.view")
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {
            "title": "Compliance",
            "message": "The EU AI Act, GDPR and CCPA catalogs are not loaded yet.",
        },
    )


@requires("inventory.view")
def asset_tab(request: HttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The asset page's tab for this app (loaded by htmx). Filled in as the app lands."""
    return render(request, "core/tab_placeholder.html", {"message": "Not available yet."})
