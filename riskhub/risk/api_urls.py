"""API routes of the risk app, included under /api/v1/ by riskhub/api/urls.py."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
