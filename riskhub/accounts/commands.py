"""What management commands that change data share: the person a change is recorded
as (`--as EMAIL`, or the first admin) and reading the file they were given."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from riskhub.accounts.models import User
from riskhub.accounts.policy import has_perm


def add_actor_argument(parser: CommandParser, what: str) -> None:
    parser.add_argument(
        "--as",
        dest="actor",
        default=None,
        help=f"Email of the user the {what} is recorded as (default: the first admin).",
    )


def command_actor(email: str | None, *, permissions: tuple[str, ...], refusal: str) -> User:
    """The active user `email`, or the first active admin; refused (CommandError ending
    in `refusal`) unless they hold every one of `permissions`."""
    if email:
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {email}.")
    else:
        candidates = User.objects.filter(is_active=True).order_by("pk")
        user = next((u for u in candidates if has_perm(u, "org.edit")), None)
        if user is None:
            raise CommandError("No admin user exists; pass --as EMAIL of a risk officer.")
    if not all(has_perm(user, permission) for permission in permissions):
        raise CommandError(f"{user.email} {refusal}.")
    return user


def read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc
