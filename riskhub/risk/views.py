from __future__ import annotations

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
