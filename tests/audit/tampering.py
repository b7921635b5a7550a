"""Rewriting the trail as someone with raw database access would."""

from __future__ import annotations

from django.db import connection


def tamper(sql: str, params: list[object]) -> None:
    """Run SQL on audit_auditevent with the append-only trigger out of the way (on
    SQLite the dropped triggers come back when the test's transaction rolls back)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(sql, params)
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditevent_no_delete")
            cursor.execute(sql, params)
