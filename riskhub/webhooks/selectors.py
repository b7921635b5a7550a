"""Reads of the webhooks app, each a bounded number of queries."""

from __future__ import annotations

from django.db.models import Count, Max, Q, QuerySet

from riskhub.webhooks.models import Delivery, Endpoint


def endpoints() -> QuerySet[Endpoint]:
    """Every endpoint with its delivery figures (one query)."""
    return Endpoint.objects.annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SUCCEEDED)),
        pending=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.PENDING)),
        failed=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.FAILED)),
        last_attempt=Max("deliveries__last_attempt_at"),
    ).order_by("name")


def deliveries(endpoint: Endpoint) -> QuerySet[Delivery]:
    """The endpoint's delivery log, newest first (without the bodies)."""
    return endpoint.deliveries.defer("body").order_by("-created_at", "-id")
