from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "riskhub.compliance"
    label = "compliance"
