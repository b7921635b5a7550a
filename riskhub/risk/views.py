from __future__ import annotations

from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("risk.view")
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {
            "title": "Assessments",
            "message": "No risk assessments yet. Start one from an asset in the inventory.",
        },
    )


@requires("inventory.view")
def asset_tab(request: HttpRequest, asset_uuid: UUID) -> HttpResponse:
    """The asset page's tab for this app (loaded by htmx). Filled in as the app lands."""
    return render(request, "core/tab_placeholder.html", {"message": "Not available yet."})
