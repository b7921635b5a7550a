from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "riskhub.core"
    label = "core"

    def ready(self) -> None:
        from riskhub.celery import ensure_broker_folders

        # kombu's filesystem transport (the embedded default) needs its folders in place
        # before the web process enqueues or the worker consumes.
        ensure_broker_folders()
