"""The hash covers the snapshots as the database gives them back, on every engine."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from riskhub.audit import services
from riskhub.audit.hashing import LEGACY_ENCODING, UnverifiableSnapshot
from riskhub.audit.models import AuditEvent
from riskhub.audit.services import chain_problems, record_event, verify_chain
from tests.audit.tampering import tamper

pytestmark = pytest.mark.django_db


def test_an_ai_act_flops_figure_verifies_as_the_database_returns_it() -> None:
    # 1e25 FLOPs is the AI Act threshold; jsonb gives 3.8e25 back as an integer.
    record_event(
        actor=None,
        action="asset.create",
        after={"training_flops": 3.8e25, "threshold": 1e25, "tiny": 1e-7, "zero": -0.0},
    )
    record_event(actor=None, action="asset.update", after={"training_flops": 1.5e16, "n": 1.0})
    assert chain_problems() == []
    call_command("verify_audit_trail")


def test_changing_a_large_number_is_still_detected() -> None:
    record_event(actor=None, action="asset.create", after={"training_flops": 3.8e25})
    tamper(
        "UPDATE audit_auditevent SET after = %s WHERE seq = 1",
        ['{"training_flops": 38000000000000000000000001}'],
    )
    problem = verify_chain()
    assert problem is not None and problem.seq == 1 and "edited" in problem.reason


@pytest.mark.parametrize(
    "snapshot",
    [
        {"score": float("nan")},
        {"score": float("inf")},
        {"score": [-float("inf")]},
        {"name": "nul\x00byte"},
        {"nul\x00key": 1},
        {"name": "lone \ud800 surrogate"},
    ],
    ids=["nan", "infinity", "negative-infinity-in-list", "nul", "nul-in-key", "surrogate"],
)
def test_a_snapshot_no_engine_can_give_back_is_refused_and_nothing_is_written(
    snapshot: dict[str, object],
) -> None:
    record_event(actor=None, action="test.before")
    with pytest.raises(UnverifiableSnapshot):
        record_event(actor=None, action="test.refused", after=snapshot)
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.before"]
    record_event(actor=None, action="test.after")
    assert verify_chain() is None


def test_a_nul_in_the_object_label_is_refused() -> None:
    with pytest.raises(UnverifiableSnapshot):
        record_event(actor=None, action="test.refused", object_repr="a\x00b")
    assert not AuditEvent.objects.exists()


def test_events_hashed_with_the_legacy_encoding_still_verify(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Written the way the code did before encodings were versioned, with the floats
    # PostgreSQL turns into integers (and -0.0 into 0.0) next to a genuine integer.
    monkeypatch.setattr(services, "CURRENT_ENCODING", LEGACY_ENCODING)
    record_event(
        actor=None,
        action="asset.create",
        after={"training_flops": 3.8e25, "zero": -0.0, "records": 10**20, "name": "x"},
    )
    monkeypatch.undo()
    # What jsonb gives back (on SQLite, write it so by hand).
    tamper(
        "UPDATE audit_auditevent SET after = %s WHERE seq = 1",
        [
            '{"training_flops": 38000000000000000000000000, "zero": 0.0, '
            '"records": 100000000000000000000, "name": "x"}'
        ],
    )
    record_event(actor=None, action="asset.update", after={"training_flops": 3.9e25})
    assert list(AuditEvent.objects.order_by("seq").values_list("encoding", flat=True)) == [1, 2]
    assert chain_problems() == []

    tamper(
        "UPDATE audit_auditevent SET after = %s WHERE seq = 1",
        [
            '{"training_flops": 39000000000000000000000000, "zero": 0.0, '
            '"records": 100000000000000000000, "name": "x"}'
        ],
    )
    assert [p.seq for p in chain_problems()] == [1]
