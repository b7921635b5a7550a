from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "riskhub.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        # The top layer: it listens to the audit trail; no lower app imports it.
        from riskhub.audit.signals import events_committed
        from riskhub.webhooks.services import on_events_committed

        events_committed.connect(on_events_committed, dispatch_uid="webhooks.dispatch")
