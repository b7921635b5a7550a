from __future__ import annotations

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
