"""Outbound webhooks: the endpoints admins register, the dispatcher's place in the
audit trail, and one delivery per (event, endpoint)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Endpoint(models.Model):
    """An HTTPS address that receives signed events.

    The signing secret is stored encrypted (`riskhub.webhooks.vault`) because RiskHub
    must read it back to sign every delivery; a database dump alone does not reveal it,
    and no page shows it again after it was created or rotated."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=100, unique=True)
    url = models.URLField("URL", max_length=500)
    events = models.JSONField(default=list, help_text="Event types the endpoint receives.")
    enabled = models.BooleanField(default=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=8, editable=False)
    secret_rotated_at = models.DateTimeField(editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DispatchCursor(models.Model):
    """How far the dispatcher has read the audit trail (the trail is the outbox: an
    event whose commit hook was lost is found by the next sweep). One row, created with
    the first endpoint at the trail's head then, so history is never replayed."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(id=1), name="webhook_cursor_singleton")
        ]

    def __str__(self) -> str:
        return f"webhooks dispatched to #{self.seq}"


class Delivery(models.Model):
    """One event for one endpoint, its attempts so far and the last answer."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Delivered"
        FAILED = "failed", "Failed (gave up)"
        CANCELLED = "cancelled", "Cancelled (endpoint disabled)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    # The receiver's dedupe key: the audit event's uuid (a fresh one for a test event).
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=60)
    # The exact bytes sent (UTF-8 JSON), so every attempt signs and sends the same body.
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set while an attempt is in flight: a redelivered task message finds it claimed.
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.TextField(blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_endpoint"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "succeeded", "failed", "cancelled"]),
                name="webhook_delivery_status_valid",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.event_type} -> {self.endpoint_id} ({self.status})"
