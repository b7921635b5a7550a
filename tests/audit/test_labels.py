"""Every action the code base writes to the audit trail has a readable label, and the
labels read as words (the filter lists them; the trail shows them)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from riskhub.audit.changes import difference
from riskhub.audit.labels import (
    ACTION_LABELS,
    OBJECT_TYPE_LABELS,
    action_choices,
    action_label,
    field_label,
)

ROOT = Path(__file__).resolve().parents[2] / "riskhub"
# Calls that name the action an audit event is written with.
WRITERS = {"record_event", "EventSpec", "guarded_update"}
# Helpers that only pass their caller's action on: their callers are scanned instead.
FORWARDERS = {("audit/services.py", "action"), ("common/updates.py", "action")}
CODE = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


def _call_name(node: ast.Call) -> str | None:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _written_actions() -> tuple[set[str], list[str], list[str]]:
    """(codes written, f-string patterns, places whose action cannot be read)."""
    constants: dict[str, set[str]] = {}
    sites: list[tuple[str, int, ast.expr]] = []
    for path in sorted(ROOT.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        constants.setdefault(target.id, set()).add(node.value.value)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _call_name(node) not in WRITERS:
                continue
            arg = next((k.value for k in node.keywords if k.arg == "action"), None)
            if arg is None and _call_name(node) == "EventSpec" and node.args:
                arg = node.args[0]
            if arg is not None:
                sites.append((rel, node.lineno, arg))
    codes: set[str] = set()
    patterns: list[str] = []
    unreadable: list[str] = []

    def read(rel: str, line: int, arg: ast.expr) -> None:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            codes.add(arg.value)
        elif isinstance(arg, ast.IfExp):
            read(rel, line, arg.body)
            read(rel, line, arg.orelse)
        elif isinstance(arg, ast.Name) and arg.id in constants:
            codes.update(constants[arg.id])
        elif isinstance(arg, ast.Name) and (rel, arg.id) in FORWARDERS:
            pass
        elif isinstance(arg, ast.JoinedStr):
            patterns.append(
                "".join(
                    re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+"
                    for v in arg.values
                )
            )
        else:
            unreadable.append(f"{rel}:{line}")

    for rel, line, arg in sites:
        read(rel, line, arg)
    return codes, patterns, unreadable


def test_every_action_the_code_writes_has_a_readable_label() -> None:
    codes, patterns, unreadable = _written_actions()
    assert len(codes) > 50, "the scan found too few actions: is it still reading the code?"
    assert not unreadable, f"Write these actions as literals or constants: {unreadable}"
    missing = sorted(code for code in codes if code not in ACTION_LABELS)
    assert not missing, f"Give these actions a label in riskhub/audit/labels.py: {missing}"
    for pattern in patterns:  # e.g. offboarding's "<model>.reassign"
        assert any(re.fullmatch(pattern, code) for code in ACTION_LABELS), pattern


def test_the_verification_from_the_browser_is_labelled_too() -> None:
    codes, _, _ = _written_actions()
    assert "audit.verify" in codes and action_label("audit.verify") == "Audit chain verified"


def test_labels_are_words_not_codes() -> None:
    for code, label in ACTION_LABELS.items():
        assert CODE.match(code), code
        assert "_" not in label and "." not in label.rstrip(".") and label[0].isupper(), label
    for label in OBJECT_TYPE_LABELS.values():
        assert "_" not in label and label[0].isupper(), label


def test_the_action_filter_lists_each_label_once_grouped_by_area() -> None:
    values = [value for _, options in action_choices() for value, _ in options]
    listed = [v for v in values if not v.startswith("area:")]
    assert sorted(listed) == sorted(ACTION_LABELS)
    areas = [area for area, _ in action_choices()]
    assert {"Inventory", "Risk", "Compliance", "Incidents", "Reports"} <= set(areas)


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("ccpa_applies", "CCPA applies"),
        ("record_count", "Record count"),
        ("sha256", "SHA-256"),
        ("owner_id", "Owner"),
        ("url", "URL"),
    ],
)
def test_field_names_read_as_words(name: str, label: str) -> None:
    assert field_label(name) == label


def test_an_unknown_action_still_reads_as_words() -> None:
    assert action_label("widget.frobnicate") == "Widget frobnicate"


def test_a_difference_names_each_changed_field_with_its_kind() -> None:
    d = difference(
        {"name": "Old", "personal_data": False, "tags": ["a"], "owner": 3, "same": 1},
        {"name": "New", "personal_data": True, "tags": ["a", "b"], "vendor": "", "same": 1},
        {3: "Olivia Officer <o@example.com>"},
    )
    rows = {
        c.label: (c.kind, c.before and c.before.text, c.after and c.after.text) for c in d.changes
    }
    assert rows == {
        "Name": ("changed", "Old", "New"),
        "Personal data": ("changed", "No", "Yes"),
        "Tags": ("changed", "a", "a, b"),
        "Vendor": ("added", None, "(empty)"),
        "Owner": ("removed", "Olivia Officer <o@example.com>", None),
    }
    assert d.unchanged == 1


def test_nested_values_read_as_words_and_long_ones_are_cut_short() -> None:
    d = difference(
        {"answers": {"gdpr": {"large_scale": False}}},
        {"answers": {"gdpr": {"large_scale": True}}, "notes": "x" * 500},
        {},
    )
    nested, long = d.changes
    assert nested.label == "Questionnaire answers › GDPR applies › Large scale"
    assert (nested.before.text, nested.after.text) == ("No", "Yes")
    assert long.after.truncated and len(long.after.short) <= 160 and long.after.text == "x" * 500


def test_moments_read_in_the_current_time_zone() -> None:
    from django.utils import timezone

    with timezone.override("Europe/Brussels"):
        d = difference(None, {"at": "2026-10-29T00:26:15.803587+00:00", "ref": "2026-10-29"}, {})
    assert [c.after.text for c in d.changes] == ["2026-10-29 01:26:15", "2026-10-29"]
