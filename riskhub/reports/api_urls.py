"""API routes of the reports app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.reports import api, public

router = SimpleRouter(trailing_slash=True)
router.register("reports", api.ReportViewSet, basename="report")

urlpatterns = [
    # Before the router, so "verify" is not read as a report id.
    path("reports/verify/", api.verify, name="report-verify"),
    path("reports/check/", public.verify_api, name="report-public-verify"),
    path(
        "reports/signing-certificate/",
        public.signing_certificate_api,
        name="report-signing-certificate",
    ),
    path("", include(router.urls)),
]
