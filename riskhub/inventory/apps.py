from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "riskhub.inventory"
    label = "inventory"
