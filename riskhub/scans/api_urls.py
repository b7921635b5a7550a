"""API routes of the scans app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.scans import api

router = SimpleRouter(trailing_slash=True)
router.register("scan-runs", api.ScanRunViewSet, basename="scan-run")

urlpatterns = [path("", include(router.urls))]
