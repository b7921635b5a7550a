from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "riskhub.risk"
    label = "risk"
