"""API routes of the dashboard app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import path

from riskhub.dashboard import api

urlpatterns = [path("dashboard/", api.dashboard, name="dashboard")]
