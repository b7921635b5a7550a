"""The admin pages: register (secret shown once), edit, enable/disable, rotate, send a
test, delete with confirmation; every change audited; nobody but admins gets in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from riskhub.accounts.policy import Role
from riskhub.audit.models import AuditEvent
from riskhub.webhooks import vault
from riskhub.webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client: Client, admin_user: Any) -> Client:
    client.force_login(admin_user)
    return client


def _secret_on(page: bytes) -> str:
    match = re.search(rb'value="(whsec_[A-Za-z0-9_-]+)"', page)
    assert match, "the secret is shown"
    return match.group(1).decode()


@pytest.mark.parametrize("role", [Role.RISK_OFFICER, Role.EXECUTIVE, Role.AUDITOR])
def test_only_admins_get_in(client_for: Any, role: Role, receiver: Any) -> None:
    client = client_for(role)
    assert client.get(reverse("webhooks:index")).status_code == 403
    response = client.post(
        reverse("webhooks:create"),
        {"name": "x", "url": receiver.url, "events": ["report.ready"]},
    )
    assert response.status_code == 403 and not Endpoint.objects.exists()


def test_an_admin_registers_an_endpoint_and_sees_the_secret_once(
    admin_client: Client, receiver: Any
) -> None:
    response = admin_client.post(
        reverse("webhooks:create"),
        {
            "name": "SIEM",
            "url": receiver.url,
            "events": ["incident.opened", "report.ready"],
            "enabled": "on",
        },
    )
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    secret = _secret_on(response.content)
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["incident.opened", "report.ready"] and endpoint.enabled
    assert vault.unseal(endpoint.secret_encrypted) == secret
    assert secret not in endpoint.secret_encrypted  # stored encrypted
    detail = admin_client.get(reverse("webhooks:detail", args=[endpoint.uuid]))
    assert detail.status_code == 200
    assert secret.encode() not in detail.content and secret[-4:].encode() in detail.content
    event = AuditEvent.objects.get(action="webhook_endpoint.create")
    assert event.object_id == str(endpoint.uuid) and secret not in str(event.after)
    assert event.after["events"] == ["incident.opened", "report.ready"]


def test_a_private_address_is_refused_beside_the_field(admin_client: Client, settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = admin_client.post(
        reverse("webhooks:create"),
        {"name": "Inside", "url": "https://10.0.0.8/hook", "events": ["report.ready"]},
    )
    assert response.status_code == 400
    assert b"private or reserved address" in response.content
    assert b'id="id_url_error"' in response.content
    assert not Endpoint.objects.exists()


def test_edit_toggle_rotate_test_and_delete_are_audited(
    admin_client: Client, make_endpoint: Any, receiver: Any, enqueued: Any
) -> None:
    endpoint = make_endpoint(events=["report.ready"])
    old_secret = receiver.secret
    detail = reverse("webhooks:detail", args=[endpoint.uuid])

    response = admin_client.post(
        reverse("webhooks:edit", args=[endpoint.uuid]),
        {"name": "SIEM", "url": receiver.url, "events": ["incident.opened"], "enabled": "on"},
    )
    assert response.status_code == 302 and response["Location"] == detail
    update = AuditEvent.objects.get(action="webhook_endpoint.update")
    assert update.before == {"events": ["report.ready"]}
    assert update.after == {"events": ["incident.opened"]}

    assert admin_client.post(reverse("webhooks:toggle", args=[endpoint.uuid])).status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert AuditEvent.objects.filter(action="webhook_endpoint.update").count() == 2

    response = admin_client.post(reverse("webhooks:rotate", args=[endpoint.uuid]))
    new_secret = _secret_on(response.content)
    endpoint.refresh_from_db()
    assert new_secret != old_secret and vault.unseal(endpoint.secret_encrypted) == new_secret
    rotate = AuditEvent.objects.get(action="webhook_endpoint.rotate_secret")
    assert rotate.after == {"secret_hint": new_secret[-4:]}

    response = admin_client.post(reverse("webhooks:test", args=[endpoint.uuid]))
    assert response.status_code == 302
    (delivery,) = Delivery.objects.filter(endpoint=endpoint)
    assert delivery.event_type == "webhook.test"
    assert AuditEvent.objects.get(action="webhook_endpoint.test").after == {
        "event_id": str(delivery.event_id)
    }
    page = admin_client.get(detail)
    assert b"webhook.test" in page.content and b"Send test" in page.content

    confirm = admin_client.get(reverse("webhooks:delete", args=[endpoint.uuid]))
    assert confirm.status_code == 200 and b"Delete the endpoint" in confirm.content
    assert Endpoint.objects.exists()  # a GET deletes nothing
    response = admin_client.post(reverse("webhooks:delete", args=[endpoint.uuid]))
    assert response.status_code == 302 and response["Location"] == reverse("webhooks:index")
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    deleted = AuditEvent.objects.get(action="webhook_endpoint.delete")
    assert deleted.before["name"] == "SIEM" and deleted.before["deliveries"] == 1


def test_the_pages_cost_the_same_whatever_the_data(
    admin_client: Client, make_endpoint: Any, admin_user: Any, enqueued: Any
) -> None:
    from riskhub.webhooks import services

    def counts() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as index:
            assert admin_client.get(reverse("webhooks:index")).status_code == 200
        with CaptureQueriesContext(connection) as detail:
            assert (
                admin_client.get(reverse("webhooks:detail", args=[first.uuid])).status_code == 200
            )
        return len(index), len(detail)

    first = make_endpoint(name="A")
    services.endpoint_send_test(actor=admin_user, endpoint=first)
    small = counts()
    for n in range(3):
        other = make_endpoint(name=f"B{n}")
        services.endpoint_send_test(actor=admin_user, endpoint=other)
        services.endpoint_send_test(actor=admin_user, endpoint=first)
    assert counts() == small
