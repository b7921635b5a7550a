"""Several workers at once (real transactions, one connection each): a delivery is sent
once and an event dispatched once, whatever the broker hands out twice."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from riskhub.audit.services import record_event
from riskhub.audit.signals import events_committed
from riskhub.inventory.models import Asset
from riskhub.webhooks import services
from riskhub.webhooks.models import Delivery

pytestmark = pytest.mark.django_db(transaction=True)


def _together(work: Callable[[], Any], n: int = 4) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as exc:  # noqa: BLE001 - reported below
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_one_delivery_handed_to_four_workers_is_sent_once(
    make_endpoint: Any, receiver: Any, admin_user: Any, enqueued: Any
) -> None:
    endpoint = make_endpoint()
    delivery = services.endpoint_send_test(actor=admin_user, endpoint=endpoint)
    results = _together(lambda: services.delivery_attempt(delivery_id=delivery.pk))
    assert sorted(results).count("succeeded") == 1, results
    assert set(results) <= {"succeeded", "in flight", "finished"}, results
    assert len(receiver.received) == 1
    delivery.refresh_from_db()
    assert delivery.attempts == 1


def test_concurrent_dispatch_passes_create_each_delivery_once(
    make_endpoint: Any, receiver: Any, enqueued: Any
) -> None:
    asset = Asset.objects.create(kind="model", name="Scorer", model_type="classifier")
    endpoint = make_endpoint(events=["scan.imported_with_failures"])
    # The commit hook is off: the passes below (sweeps on several workers) find it.
    events_committed.disconnect(dispatch_uid="webhooks.dispatch")
    try:
        record_event(
            actor=None,
            action="scan.imported",
            object_type="scan_run",
            object_id=uuid.uuid4(),
            after={"asset": asset.pk, "tool": "promptfoo", "findings": 5, "failed": 1},
        )
    finally:
        events_committed.connect(services.on_events_committed, dispatch_uid="webhooks.dispatch")
    assert not Delivery.objects.exists()
    results = _together(services.events_dispatch)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1
