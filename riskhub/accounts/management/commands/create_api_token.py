from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from riskhub.accounts.models import ApiToken, User
from riskhub.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create a personal API token for EMAIL and print the secret once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument(
            "--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ_WRITE
        )
        parser.add_argument("--expires-in-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email=options["email"].strip().lower()).first()
        if user is None:
            raise CommandError(f"No user with email {options['email']!r}.")
        _, secret = api_token_create(
            actor=user,
            owner=user,
            name=options["name"],
            scope=options["scope"],
            expires_in_days=options["expires_in_days"],
        )
        self.stdout.write(secret)
