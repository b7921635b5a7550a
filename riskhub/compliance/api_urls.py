"""API routes of the compliance app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.compliance import api

router = SimpleRouter(trailing_slash=True)
router.register("frameworks", api.FrameworkViewSet, basename="framework")
router.register("requirements", api.RequirementViewSet, basename="requirement")
router.register("controls", api.ControlViewSet, basename="control")
router.register(
    "control-implementations", api.ImplementationViewSet, basename="control-implementation"
)
router.register("evidence", api.EvidenceViewSet, basename="evidence")
router.register("coverage", api.CoverageViewSet, basename="coverage")

urlpatterns = [path("", include(router.urls))]
