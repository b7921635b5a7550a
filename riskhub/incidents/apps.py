from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "riskhub.incidents"
    label = "incidents"
