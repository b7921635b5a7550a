"""Demo data: the four demo users, then each app's demo content (deterministic)."""

from __future__ import annotations

import importlib
import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.accounts.services import user_create, user_set_role

DEMO_USERS = [
    ("officer@example.com", "Olivia Officer", Role.RISK_OFFICER),
    ("cto@example.com", "Chris CTO", Role.EXECUTIVE),
    ("auditor@example.com", "Ada Auditor", Role.AUDITOR),
    ("admin@example.com", "Alex Admin", Role.ADMIN),
]

# Each app that has demo content exposes `seed(*, assets: int, seed: int, stdout)`.
# They run in dependency order; an app that has not landed yet is skipped.
SEEDERS = [
    "riskhub.inventory.demo",
    "riskhub.risk.demo",
    "riskhub.compliance.demo",
    "riskhub.incidents.demo",
    "riskhub.dashboard.demo",
    "riskhub.reports.demo",
]


class Command(BaseCommand):
    help = "Create the demo users and demo content (refuses to run when DEBUG is off)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--password",
            default=None,
            help="Password for the demo users (default: $RISKHUB_DEMO_PASSWORD).",
        )
        parser.add_argument(
            "--assets", type=int, default=None, help="Scale the inventory to N assets (benchmarks)."
        )
        parser.add_argument("--seed", type=int, default=1, help="Random seed (deterministic).")
        parser.add_argument("--force", action="store_true", help="Run even when DEBUG is off.")
        parser.add_argument("--users-only", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off; pass --force if you "
                "really want demo users in this database."
            )
        password = options["password"] or os.environ.get("RISKHUB_DEMO_PASSWORD")
        if not password:
            raise CommandError("Give the demo password with --password or RISKHUB_DEMO_PASSWORD.")
        with transaction.atomic():
            users = self._users(password)
        if options["users_only"]:
            return
        for module_name in SEEDERS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            module.seed(
                users=users, assets=options["assets"], seed=options["seed"], stdout=self.stdout
            )
        self.stdout.write(self.style.SUCCESS("Demo data ready."))

    def _users(self, password: str) -> dict[Role, User]:
        users: dict[Role, User] = {}
        admin = User.objects.filter(email="admin@example.com").first()
        for email, name, role in DEMO_USERS:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = user_create(
                    actor=admin, email=email, role=role, password=password, full_name=name
                )
            else:
                user.set_password(password)
                user.save(update_fields=["password"])
                if user.role != role:
                    user_set_role(actor=admin or user, user=user, role=role)
            if role == Role.ADMIN:
                admin = user
            users[role] = user
            self.stdout.write(f"  {role.label:<13} {email}")
        return users
