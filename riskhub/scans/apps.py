from __future__ import annotations

from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "riskhub.scans"
    label = "scans"
    verbose_name = "Security scans"
