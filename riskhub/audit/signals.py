"""Signals the audit trail sends so higher apps can react to recorded events without
being imported here (the webhooks app turns some of them into outbound deliveries)."""

from django.dispatch import Signal

# Sent with actions: frozenset[str] (the action codes recorded) and last_seq: int (the
# sequence number of the last of them) once the transaction that recorded them has
# committed (never for events rolled back); receivers read the events from the trail. Receivers are called robustly: an error in
# one is logged and never reaches the writer, whose change is already stored.
events_committed = Signal()
