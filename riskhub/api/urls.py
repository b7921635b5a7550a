from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.accounts import api as accounts_api
from riskhub.audit import api as audit_api

router = SimpleRouter(trailing_slash=True)
router.register("audit-events", audit_api.AuditEventViewSet, basename="audit-event")

# Each app owns its API routes in its own api_urls module.
urlpatterns = [
    path("me/", accounts_api.me, name="me"),
    path("", include(router.urls)),
    path("", include("riskhub.inventory.api_urls")),
    path("", include("riskhub.risk.api_urls")),
    path("", include("riskhub.compliance.api_urls")),
    path("", include("riskhub.scans.api_urls")),
    path("", include("riskhub.impact.api_urls")),
    path("", include("riskhub.incidents.api_urls")),
    path("", include("riskhub.dashboard.api_urls")),
    path("", include("riskhub.reports.api_urls")),
]
