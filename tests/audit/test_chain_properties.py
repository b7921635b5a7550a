"""Property-based: whatever JSON a service records verifies intact on this engine, and
any single edited, deleted or reordered row is named by verification."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from riskhub.audit.services import chain_problems, record_event
from tests.audit.tampering import tamper
from tests.support import examples

pytestmark = pytest.mark.django_db

# The numbers the databases rewrite: floats printed with an exponent (jsonb stores them
# as exact decimals and gives integers back), -0.0, subnormals, the largest double,
# integers beyond 64 bits.
AWKWARD_NUMBERS = [
    3.8e25,
    1e25,
    1e16,
    1.5e16,
    9007199254740993,
    1e15 + 0.5,
    -0.0,
    0.0,
    1.0,
    100.0,
    0.1,
    1e-7,
    5e-324,
    2.5e-320,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2**63,
    -(2**64) - 1,
    10**40,
]
numbers = st.one_of(
    st.sampled_from(AWKWARD_NUMBERS),
    st.integers(min_value=-(10**60), max_value=10**60),
    st.floats(allow_nan=False, allow_infinity=False),
)
# Any Unicode but NUL (which PostgreSQL cannot store and the trail refuses).
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
scalars = st.none() | st.booleans() | numbers | texts
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts, children, max_size=4),
    max_leaves=30,
)


def _nest(value: Any, depth: int) -> Any:
    for level in range(depth):
        value = {f"level{level}": value} if level % 2 else [value]
    return value


deeply_nested = st.builds(_nest, scalars, st.integers(min_value=1, max_value=64))
snapshots = st.none() | json_values | deeply_nested
events = st.lists(st.tuples(snapshots, snapshots, texts), min_size=1, max_size=5)

PROPERTY_SETTINGS = settings(
    max_examples=examples(60),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _record(specs: list[tuple[Any, Any, str]]) -> None:
    for index, (before, after, label) in enumerate(specs):
        record_event(
            actor=index or None,
            action="test.property",
            object_type="thing",
            object_id=str(index),
            object_repr=label,
            before=before,
            after=after,
        )


@PROPERTY_SETTINGS
@given(specs=events)
def test_any_json_snapshot_written_verifies_intact(specs: list[tuple[Any, Any, str]]) -> None:
    with transaction.atomic():
        _record(specs)
        assert chain_problems() == []
        transaction.set_rollback(True)


EDITS = {
    "snapshot": "UPDATE audit_auditevent SET after = %s WHERE seq = %s",
    "label": "UPDATE audit_auditevent SET object_repr = object_repr || '!' WHERE seq = %s",
    "actor": "UPDATE audit_auditevent SET actor_id = COALESCE(actor_id, 0) + 7 WHERE seq = %s",
    "action": "UPDATE audit_auditevent SET action = 'test.forged' WHERE seq = %s",
}
# Longer than any key the strategies draw, so it differs from every original snapshot.
FORGED_SNAPSHOT = '{"written by someone with database access": 1}'


@PROPERTY_SETTINGS
@given(
    specs=st.lists(st.tuples(snapshots, snapshots, texts), min_size=2, max_size=5),
    tampering=st.sampled_from(["edit", "delete", "reorder"]),
    edit=st.sampled_from(sorted(EDITS)),
    data=st.data(),
)
def test_any_single_edited_deleted_or_reordered_row_is_named(
    specs: list[tuple[Any, Any, str]], tampering: str, edit: str, data: st.DataObject
) -> None:
    last = len(specs)
    seq = data.draw(st.integers(min_value=1, max_value=last), label="tampered row")
    with transaction.atomic():
        _record(specs)
        if tampering == "edit":
            params: list[object] = [FORGED_SNAPSHOT, seq] if edit == "snapshot" else [seq]
            tamper(EDITS[edit], params)
            expected = {seq: "edited"}
        elif tampering == "delete":
            tamper("DELETE FROM audit_auditevent WHERE seq = %s", [seq])
            # The row after the gap names the deleted event; the head names a deleted
            # newest event.
            expected = {seq + 1: f"event {seq} was deleted"} if seq < last else {seq: "deleted"}
        else:
            other = data.draw(
                st.integers(min_value=1, max_value=last).filter(lambda s: s != seq),
                label="swapped with",
            )
            tamper("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [seq])
            tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq, other])
            tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [other])
            expected = {seq: "moved", other: "moved"}
        problems = chain_problems()
        assert {p.seq for p in problems} == set(expected)
        for problem in problems:
            assert expected[problem.seq] in problem.reason
        transaction.set_rollback(True)
