"""Deliveries against a real receiver on loopback: the signature, retries with backoff
under a controlled clock, idempotence under redelivery, and what is never followed."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from riskhub.webhooks import services, signing
from riskhub.webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def test_a_test_event_arrives_signed_and_the_receiver_verifies_it(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    endpoint = make_endpoint(events=["report.ready"])
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "succeeded"

    (got,) = receiver.received
    assert got.verified and got.path == "/hooks/riskhub"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["RiskHub-Event"] == "webhook.test"
    document = json.loads(got.body)
    assert document["type"] == "webhook.test" and document["id"] == str(delivery.event_id)
    assert document["occurred_at"].endswith("Z")
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert delivery.attempts == 1 and delivery.response_status == 200
    assert delivery.response_excerpt == "ok" and delivery.duration_ms is not None
    # RiskHub's own checker agrees with the receiver's.
    header = got.headers["RiskHub-Signature"]
    assert signing.verify(receiver.secret, header, got.body, now=timezone.now().timestamp())
    assert not signing.verify("whsec_other", header, got.body, now=timezone.now().timestamp())
    assert not signing.verify(
        receiver.secret, header, got.body + b" ", now=timezone.now().timestamp()
    )


def test_the_receiver_refuses_an_old_timestamp(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    """A replayed request (signed more than five minutes ago) fails the receiver's check."""
    endpoint = make_endpoint()
    long_ago = timezone.now() - timedelta(minutes=6)
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint, now=long_ago)
    services.delivery_attempt(delivery_id=delivery.pk, now=long_ago)
    (got,) = receiver.received
    assert not got.verified
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.response_status == 401


def test_a_failing_receiver_is_retried_with_backoff_until_it_recovers(
    make_endpoint: Any,
    receiver: Any,
    admin_user: Any,
    enqueued: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    endpoint = make_endpoint()
    receiver.statuses.extend([500, 503])
    receiver.answer_body = b"x" * 10_000
    settings.WEBHOOK_RESPONSE_LOG_BYTES = 100
    t0 = timezone.now()
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint, now=t0)

    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_attempt(delivery_id=delivery.pk, now=t0) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and delivery.response_status == 500
    assert delivery.error == "HTTP 500" and len(delivery.response_excerpt) == 100
    assert delivery.next_attempt_at == t0 + timedelta(seconds=30)
    assert enqueued[-1] == (delivery.pk, 30.0)

    # Too early: nothing is sent.
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, now=t0 + timedelta(seconds=29))
        == "not due"
    )
    assert len(receiver.received) == 1

    t1 = t0 + timedelta(seconds=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.delivery_attempt(delivery_id=delivery.pk, now=t1) == "pending"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and delivery.response_status == 503
    assert delivery.next_attempt_at == t1 + timedelta(seconds=60)  # doubled
    assert enqueued[-1] == (delivery.pk, 60.0)

    t2 = t1 + timedelta(seconds=60)
    assert services.delivery_attempt(delivery_id=delivery.pk, now=t2) == "succeeded"
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and delivery.response_status == 200 and delivery.error == ""
    assert delivery.next_attempt_at is None
    # Every attempt carried the same event id and body, each freshly signed.
    ids = {json.loads(r.body)["id"] for r in receiver.received}
    assert ids == {str(delivery.event_id)} and all(r.verified for r in receiver.received)
    # A redelivered task message after success sends nothing.
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, now=t2 + timedelta(hours=1))
        == "finished"
    )
    assert len(receiver.received) == 3


def test_after_the_last_attempt_the_delivery_fails_and_stays_failed(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any, settings: Any
) -> None:
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_RETRY_MAX_SECONDS = 45
    receiver.statuses.extend([500, 500, 500])
    endpoint = make_endpoint()
    t0 = timezone.now()
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint, now=t0)
    assert services.backoff(5) == timedelta(seconds=45)  # capped
    assert services.delivery_attempt(delivery_id=delivery.pk, now=t0) == "pending"
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, now=t0 + timedelta(minutes=1))
        == "failed"
    )
    assert services.deliveries_sweep(now=t0 + timedelta(hours=1)) == 0
    assert len(receiver.received) == 2


def test_an_attempt_in_flight_is_not_sent_again_by_a_redelivered_message(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    endpoint = make_endpoint()
    now = timezone.now()
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint, now=now)
    claimed, outcome = services._claim(delivery.pk, now)  # a worker took it...
    assert outcome == "claimed" and claimed is not None
    # ...and the broker hands the same message to another worker meanwhile.
    assert services.delivery_attempt(delivery_id=delivery.pk, now=now) == "in flight"
    assert services.deliveries_sweep(now=now) == 0
    assert receiver.received == []
    # The first worker died: once the claim lapses, the sweep queues it again.
    later = now + timedelta(minutes=5)
    enqueued.clear()
    assert services.deliveries_sweep(now=later) == 1 and enqueued == [(delivery.pk, None)]
    assert services.delivery_attempt(delivery_id=delivery.pk, now=later) == "succeeded"
    delivery.refresh_from_db()
    assert delivery.attempts == 2 and len(receiver.received) == 1


def test_redirects_are_not_followed(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    receiver.statuses.append(302)
    endpoint = make_endpoint()
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.PENDING and delivery.response_status == 302
    assert "redirects are not followed" in delivery.error
    assert len(receiver.received) == 1


def test_an_unreachable_receiver_is_an_error_on_the_delivery(
    admin_user: Any, receiver: Any, enqueued: Any, settings: Any
) -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint, _ = services.endpoint_create(
        actor=admin_user, name="Gone", url=f"http://127.0.0.1:{port}/", events=["report.ready"]
    )
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    assert services.delivery_attempt(delivery_id=delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert delivery.response_status is None and "refused" in delivery.error


def test_a_disabled_endpoint_gets_its_pending_events_cancelled_but_tests_still_go(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    endpoint = make_endpoint()
    now = timezone.now()
    queued = Delivery.objects.create(
        endpoint=endpoint,
        event_id="00000000-0000-0000-0000-000000000001",
        event_type="report.ready",
        body="{}",
        next_attempt_at=now,
        created_at=now,
    )
    services.endpoint_update(actor=admin_user, endpoint=endpoint, enabled=False)
    assert services.delivery_attempt(delivery_id=queued.pk) == "cancelled"
    test = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    assert services.delivery_attempt(delivery_id=test.pk) == "succeeded"
    assert [json.loads(r.body)["type"] for r in receiver.received] == ["webhook.test"]


def test_the_task_sends_through_celery(
    make_endpoint: Any,
    receiver: Any,
    admin_user: Any,
    eager_celery: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    endpoint = make_endpoint()
    with django_capture_on_commit_callbacks(execute=True):
        delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SUCCEEDED
    assert [r.verified for r in receiver.received] == [True]
