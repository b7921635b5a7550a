from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from riskhub.accounts.policy import requires


@requires("inventory.view")
def list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "core/empty_section.html",
        {"title": "Inventory", "message": "No AI assets are registered yet."},
    )
