"""API routes of the incidents app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from riskhub.incidents import api

router = SimpleRouter(trailing_slash=True)
router.register("incidents", api.IncidentViewSet, basename="incident")

urlpatterns = [
    path("", include(router.urls)),
    path(
        "alerts/alertmanager/",
        api.AlertmanagerWebhook.as_view(),
        name="alertmanager-webhook",
    ),
]
