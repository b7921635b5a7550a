from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "riskhub.reports"
    label = "reports"
