from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "riskhub.audit"
    label = "audit"
    verbose_name = "Audit trail"
