from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from riskhub.audit.models import AuditEvent, AuditTrailIsAppendOnly
from riskhub.audit.services import (
    EventSpec,
    chain_problems,
    record_event,
    record_events,
    verify_chain,
)
from tests.audit.tampering import tamper

pytestmark = pytest.mark.django_db


def _three_events() -> list[AuditEvent]:
    return [
        record_event(
            actor=None,
            action="test.one",
            object_type="thing",
            object_id="1",
            after={"name": "first"},
        ),
        record_event(
            actor=None,
            action="test.two",
            object_type="thing",
            object_id="2",
            before={"name": "x"},
            after={"name": "second", "n": 2},
        ),
        record_event(actor=None, action="test.three", object_type="thing", object_id="3"),
    ]


def test_an_intact_chain_verifies() -> None:
    _three_events()
    assert verify_chain() is None
    call_command("verify_audit_trail")


def test_each_event_links_to_the_previous_hash() -> None:
    first, second, third = _three_events()
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert [e.seq for e in (first, second, third)] == [1, 2, 3]


def test_an_edited_row_is_detected_and_named() -> None:
    events = _three_events()
    tamper(
        "UPDATE audit_auditevent SET after = %s WHERE seq = %s",
        ['{"name": "forged"}', events[1].seq],
    )
    problem = verify_chain()
    assert problem is not None and problem.seq == 2 and "edited" in problem.reason
    with pytest.raises(CommandError, match="#2"):
        call_command("verify_audit_trail")


def test_a_deleted_row_is_detected() -> None:
    _three_events()
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    problem = verify_chain()
    assert problem is not None and problem.seq == 3 and "deleted" in problem.reason


def test_a_deleted_newest_row_is_detected() -> None:
    _three_events()
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [3])
    assert verify_chain() is not None


def test_rows_swapped_out_of_order_are_detected() -> None:
    events = _three_events()
    # Swap the content of events 2 and 3 by renumbering them.
    tamper("UPDATE audit_auditevent SET seq = 99 WHERE seq = %s", [2])
    tamper("UPDATE audit_auditevent SET seq = 2 WHERE seq = %s", [3])
    tamper("UPDATE audit_auditevent SET seq = 3 WHERE seq = %s", [99])
    problem = verify_chain()
    assert problem is not None and problem.seq == 2
    assert events


def test_the_model_layer_refuses_update_and_delete() -> None:
    event = _three_events()[0]
    event.action = "changed"
    with pytest.raises(AuditTrailIsAppendOnly):
        event.save()
    with pytest.raises(AuditTrailIsAppendOnly):
        event.delete()
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(AuditTrailIsAppendOnly):
        AuditEvent.objects.all().delete()


def test_the_database_refuses_raw_update_and_delete() -> None:
    _three_events()
    for sql in (
        "UPDATE audit_auditevent SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_auditevent WHERE seq = 1",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.filter(seq=1, action="test.one").exists()


def test_a_bulk_write_appends_contiguously_under_one_lock() -> None:
    record_event(actor=None, action="test.before")
    events = record_events(None, [EventSpec("bulk", "thing", str(i)) for i in range(50)])
    assert [e.seq for e in events] == list(range(2, 52))
    assert verify_chain() is None


def test_snapshots_with_dates_and_uuids_verify() -> None:
    import datetime
    import uuid

    record_event(
        actor=None,
        action="test.types",
        after={"when": datetime.date(2026, 1, 2), "id": uuid.UUID(int=5), "n": 1.5},
    )
    assert verify_chain() is None


def test_verify_lists_every_broken_event_and_exits_naming_the_first(capsys) -> None:  # type: ignore[no-untyped-def]
    events = _three_events() + _three_events()
    for seq in (2, 5):
        tamper("UPDATE audit_auditevent SET object_repr = 'forged' WHERE seq = %s", [seq])
    assert [p.seq for p in chain_problems()] == [2, 5]
    with pytest.raises(CommandError, match=r"broken at event #2: .*2 broken event"):
        call_command("verify_audit_trail")
    listed = capsys.readouterr().err
    assert "event #2: content does not match" in listed
    assert "event #5: content does not match" in listed
    assert len(events) == 6


def test_verify_stops_at_the_limit_and_says_so(capsys) -> None:  # type: ignore[no-untyped-def]
    _three_events()
    for seq in (1, 2, 3):
        tamper("UPDATE audit_auditevent SET object_repr = 'forged' WHERE seq = %s", [seq])
    with pytest.raises(CommandError, match=r"#1: .*stopped at --limit=2"):
        call_command("verify_audit_trail", "--limit", "2")
    listed = capsys.readouterr().err
    assert "event #2:" in listed and "event #3:" not in listed


def test_a_real_edit_after_a_deleted_row_is_still_named() -> None:
    _three_events()
    _three_events()
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [2])
    tamper("UPDATE audit_auditevent SET action = 'forged' WHERE seq = %s", [5])
    problems = chain_problems()
    assert [p.seq for p in problems] == [3, 5]
    assert "event 2 was deleted" in problems[0].reason
    assert "edited" in problems[1].reason
