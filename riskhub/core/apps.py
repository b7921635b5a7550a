from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "riskhub.core"
    label = "core"
