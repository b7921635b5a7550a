from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import transaction


def _enqueue() -> None:
    from riskhub.incidents.tasks import refresh_incidents

    refresh_incidents.delay()


def _refresh_after_commit() -> None:
    """The clocks read the roles and tiers of the affected systems and their lineage,
    so a classification or lineage change refreshes the open incidents: once per
    transaction, however many assets changed (a re-classification of everything sends
    one signal per asset). A rolled-back transaction drops the callback with it."""
    connection = transaction.get_connection()
    if any(entry[1] is _enqueue for entry in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue)


def on_inventory_changed(sender: Any, **kwargs: Any) -> None:
    _refresh_after_commit()


class IncidentsConfig(AppConfig):
    name = "riskhub.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from riskhub.inventory import signals

        signals.classification_changed.connect(
            on_inventory_changed, dispatch_uid="incidents.classification_changed"
        )
        signals.lineage_changed.connect(on_inventory_changed, dispatch_uid="incidents.lineage")
