"""API routes of the risk app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.risk import api

router = SimpleRouter(trailing_slash=True)
router.register("risk-matrices", api.MatrixViewSet, basename="risk-matrix")
router.register("threats", api.ThreatViewSet, basename="threat")
router.register("assessments", api.AssessmentViewSet, basename="assessment")
router.register("risks", api.RiskViewSet, basename="risk")
router.register("risk-acceptances", api.AcceptanceViewSet, basename="risk-acceptance")

urlpatterns = [path("", include(router.urls))]
