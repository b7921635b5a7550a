"""Signals the audit trail sends so higher apps can react to recorded events without
being imported here (the webhooks app turns some of them into outbound deliveries)."""

from django.dispatch import Signal

# Sent with events: list[AuditEvent] once the transaction that recorded them has
# committed (never for events rolled back). Receivers are called robustly: an error in
# one is logged and never reaches the writer, whose change is already stored.
events_committed = Signal()
