"""API routes of the impact app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.impact import api

router = SimpleRouter(trailing_slash=True)
router.register("impact-assessments", api.ImpactAssessmentViewSet, basename="impact-assessment")

urlpatterns = [path("", include(router.urls))]
