from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "riskhub.dashboard"
    label = "dashboard"
