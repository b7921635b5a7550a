"""The guarded update: lock, version check, allowed fields, clean, save, audit diff; and
the one EditConflict, said the same way on the edit page and in the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from riskhub.accounts.models import User
from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.audit.services import verify_chain
from riskhub.common.updates import REFUSED_FIELD, EditConflict, guarded_update
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset

FORM = {"name": "Claims", "lifecycle": "design", "source": "in-house"}


def _asset(actor: User, **fields: Any) -> Asset:
    return inventory.asset_create(actor=actor, kind="dataset", name="Claims", **fields)


def _updates(asset: Asset) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action="asset.update", object_id=str(asset.uuid))
    return list(events.order_by("seq"))


def _edit(asset: Asset, actor: User, expected: int, **changes: Any) -> Any:
    return guarded_update(
        asset,
        actor=actor,
        expected_version=expected,
        changes=changes,
        allowed=["vendor", "description", "lifecycle", "owner"],
        action="asset.update",
    )


@pytest.mark.django_db
def test_an_edit_saves_the_allowed_fields_moves_the_version_on_and_audits_only_the_difference(
    officer: User,
) -> None:
    asset = _asset(officer, vendor="Original", description="Kept")
    edit = _edit(asset, officer, 1, vendor="Acme", description="Kept")
    asset.refresh_from_db()
    assert (asset.vendor, asset.description, asset.version) == ("Acme", "Kept", 2)
    assert edit.instance.version == 2 and edit.changed
    [event] = _updates(asset)
    assert event.object_type == "asset" and event.actor_id == officer.pk
    assert event.before == {"vendor": "Original"} and event.after == {"vendor": "Acme"}


@pytest.mark.django_db
def test_a_stale_version_is_the_one_conflict_naming_who_saved_and_nothing_is_written(
    officer: User, make_user: Callable[..., User]
) -> None:
    alice = make_user(Role.RISK_OFFICER)
    asset = _asset(officer)
    _edit(asset, officer, 1, vendor="Theirs")
    # The save that made version 2 was Alice's (a request would have recorded her).
    asset.history.filter(version=2).update(history_user=alice)
    events = AuditEvent.objects.count()
    with pytest.raises(EditConflict) as caught:
        _edit(asset, officer, 1, vendor="Mine")
    assert str(caught.value) == (
        f"{alice} saved this asset (now version 2) while you were editing version 1. "
        "Your changes were not saved."
    )
    assert caught.value.current.vendor == "Theirs" and caught.value.saved_by == str(alice)
    asset.refresh_from_db()
    assert (asset.vendor, asset.version) == ("Theirs", 2)
    assert AuditEvent.objects.count() == events


@pytest.mark.django_db
def test_without_a_known_saver_the_conflict_says_someone_else(officer: User) -> None:
    asset = _asset(officer)
    _edit(asset, officer, 1, vendor="Theirs")
    with pytest.raises(EditConflict, match="^Someone else saved this asset"):
        _edit(asset, officer, 1, vendor="Mine")


@pytest.mark.django_db
def test_a_field_the_service_does_not_allow_is_refused_by_name_and_nothing_changes(
    officer: User,
) -> None:
    asset = _asset(officer, vendor="Original")
    with pytest.raises(ValidationError) as caught:
        _edit(asset, officer, 1, vendor="Acme", tier="high")
    assert caught.value.message_dict == {"tier": [REFUSED_FIELD]}
    asset.refresh_from_db()
    assert (asset.vendor, asset.tier, asset.version) == ("Original", "", 1)
    assert _updates(asset) == []


@pytest.mark.django_db
def test_an_invalid_edit_saves_nothing_and_keeps_the_version(officer: User) -> None:
    asset = _asset(officer, vendor="Original")
    with pytest.raises(ValidationError) as caught:
        _edit(asset, officer, 1, vendor="Acme", lifecycle="imaginary")
    assert "lifecycle" in caught.value.message_dict
    asset.refresh_from_db()
    assert (asset.vendor, asset.version) == ("Original", 1)
    assert _updates(asset) == []


@pytest.mark.django_db
def test_the_services_hooks_run_in_order_and_their_refusals_win(officer: User) -> None:
    asset = _asset(officer)
    seen: list[str] = []

    def closed(current: Asset) -> None:
        raise ValidationError("This record cannot be changed.")

    # A record that may not change at all says so, even to an editor with a stale version.
    _edit(asset, officer, 1, vendor="Theirs")
    with pytest.raises(ValidationError, match="cannot be changed"):
        guarded_update(
            asset, actor=officer, expected_version=1, changes={}, allowed=[],
            action="asset.update", check=closed,
        )  # fmt: skip

    def prepare(current: Asset) -> None:
        seen.append(f"prepare sees vendor {current.vendor}")
        current.vendor = current.vendor.upper()

    def validate(current: Asset) -> None:
        seen.append(f"validate sees vendor {current.vendor}")

    def after_save(current: Asset) -> None:
        seen.append(f"after_save sees version {Asset.objects.get(pk=current.pk).version}")

    guarded_update(
        asset, actor=officer, expected_version=2, changes={"vendor": "acme"},
        allowed=["vendor"], action="asset.update",
        prepare=prepare, validate=validate, after_save=after_save,
    )  # fmt: skip
    assert seen == [
        "prepare sees vendor acme",
        "validate sees vendor ACME",
        "after_save sees version 3",
    ]
    assert _updates(asset)[-1].after == {"vendor": "ACME"}


@pytest.mark.django_db
def test_an_edit_that_changes_nothing_leaves_no_audit_event(officer: User) -> None:
    asset = _asset(officer, vendor="Same")
    edit = _edit(asset, officer, 1, vendor="Same")
    assert not edit.changed and _updates(asset) == []


@pytest.mark.django_db
def test_changed_by_names_the_actor_only_when_the_edit_changes_something(
    officer: User, make_user: Callable[..., User]
) -> None:
    other = make_user(Role.RISK_OFFICER)
    asset = _asset(officer, vendor="Same")

    def edit(expected: int, vendor: str) -> None:
        guarded_update(
            asset, actor=other, expected_version=expected, changes={"vendor": vendor},
            allowed=["vendor"], action="asset.update", changed_by="owner",
        )  # fmt: skip

    edit(1, "Same")
    asset.refresh_from_db()
    assert asset.owner_id is None
    edit(2, "Changed")
    asset.refresh_from_db()
    assert asset.owner_id == other.pk


@pytest.mark.django_db
def test_the_edit_page_and_the_api_say_the_same_sentence_with_a_409(
    make_user: Callable[..., User],
) -> None:
    alice, bob = make_user(Role.RISK_OFFICER), make_user(Role.RISK_OFFICER)
    asset = _asset(alice, vendor="Original")
    url = reverse("inventory:edit", args=[asset.uuid])
    as_alice, as_bob = Client(), Client()
    as_alice.force_login(alice)
    as_bob.force_login(bob)
    assert as_alice.post(url, {**FORM, "vendor": "Alice's", "version": "1"}).status_code == 302

    api = APIClient()
    api.force_authenticate(bob)
    answer = api.patch(
        f"/api/v1/assets/{asset.uuid}/", {"vendor": "Bob's", "version": 1}, format="json"
    )
    page = as_bob.post(url, {**FORM, "vendor": "Bob's", "version": "1"})

    sentence = (
        f"{alice} saved this asset (now version 2) while you were editing version 1. "
        "Your changes were not saved."
    )
    assert answer.status_code == 409
    assert answer.json() == {"error": {"status": 409, "code": "conflict", "message": sentence}}
    assert page.status_code == 409 and escape(sentence) in page.content.decode()
    asset.refresh_from_db()
    assert (asset.vendor, asset.version) == ("Alice's", 2)


# --- two editors at the same moment ------------------------------------------------------


def _wait_until_blocked(timeout: float = 10.0) -> None:
    """Return once another connection waits for a row lock (PostgreSQL), or after a
    moment (SQLite, whose IMMEDIATE transactions make the second writer wait at BEGIN)."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    raise AssertionError("the second editor never waited for the first one's lock")


@pytest.mark.django_db(transaction=True)
def test_two_editors_at_once_the_second_gets_the_conflict_and_nothing_is_lost(
    officer: User, make_user: Callable[..., User]
) -> None:
    second = make_user(Role.RISK_OFFICER)
    asset = _asset(officer, vendor="Original")
    first_saved, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def first_editor() -> None:
        try:
            with transaction.atomic():
                inventory.asset_update(
                    actor=officer, asset=asset, expected_version=1, vendor="First"
                )
                first_saved.set()
                # Hold the row (uncommitted) while the second editor tries to save.
                release.wait(10)
        except Exception as exc:  # reported by the assertions below
            outcome["first"] = exc
        finally:
            connections.close_all()

    def second_editor() -> None:
        try:
            inventory.asset_update(actor=second, asset=asset, expected_version=1, vendor="Second")
            outcome["second"] = "saved"
        except Exception as exc:
            outcome["second"] = exc
        finally:
            connections.close_all()

    first = threading.Thread(target=first_editor)
    later = threading.Thread(target=second_editor)
    first.start()
    try:
        assert first_saved.wait(10), outcome
        later.start()
        _wait_until_blocked()
    finally:
        release.set()
        first.join(20)
        if later.is_alive() or later.ident is not None:
            later.join(20)

    assert "first" not in outcome, outcome
    assert isinstance(outcome.get("second"), EditConflict), outcome
    assert outcome["second"].version == 2
    asset.refresh_from_db()
    assert (asset.vendor, asset.version) == ("First", 2)
    [event] = _updates(asset)
    assert event.actor_id == officer.pk and event.after == {"vendor": "First"}
    assert verify_chain() is None
