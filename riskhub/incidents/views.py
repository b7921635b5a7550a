from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("incidents.view")
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {"title": "Incidents", "message": "No incidents have been recorded."},
    )
