"""The navigation, filtered by the policy so every role sees only where it may go."""

from __future__ import annotations

from functools import cache, partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from riskhub.accounts.policy import has_perm
from riskhub.dashboard import queue

NAVIGATION = [
    ("Dashboard", "dashboard:index", "dashboard.view"),
    ("Inventory", "inventory:list", "inventory.view"),
    ("Assessments", "risk:index", "risk.view"),
    ("Compliance", "compliance:index", "compliance.view"),
    ("Incidents", "incidents:index", "incidents.view"),
    ("Reports", "reports:index", "reports.view"),
    ("Audit trail", "audit:list", "audit.view"),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    from django.conf import settings

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "sso_enabled": settings.OIDC_ENABLED}
    items = []
    for label, url_name, permission in NAVIGATION:
        if has_perm(user, permission):
            url = reverse(url_name)
            items.append(
                {
                    "label": label,
                    "url": url,
                    "active": request.path.startswith(url),
                    "queue": url_name == "dashboard:index",
                }
            )
    return {
        "nav_items": items,
        "is_admin_user": has_perm(user, "users.manage"),
        # Called only by a template that shows it (one query, then remembered).
        "queue_count": cache(partial(queue.badge, user)),
    }
