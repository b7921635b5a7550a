from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("reports.view")
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {"title": "Reports", "message": "No reports have been generated yet."},
    )
