from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("dashboard.view")
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {
            "title": "Dashboard",
            "message": "No risks have been assessed yet. Register AI assets in the inventory and assess them to see the organisation's risk here.",
        },
    )
