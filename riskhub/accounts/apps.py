from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "riskhub.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from riskhub.accounts import signals  # noqa: F401
