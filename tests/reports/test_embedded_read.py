"""Reading part of a report's embedded data without parsing all of it: the entries and
list items come out exactly as json.loads gives them, however the inflated bytes are
cut, for whatever the data holds (the writer is rendering.write_data)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from riskhub.reports.kinds.common import _top_level_entries
from riskhub.reports.rendering import write_data
from tests.support import examples

# Text with what could confuse a line reader: newlines, quotes, brackets, braces,
# commas, indentation and characters outside ASCII.
TEXT = st.text(alphabet=st.sampled_from(list('ab "\\\n{}[],: \t é€\u2028')), max_size=12)
SCALARS = st.none() | st.booleans() | st.integers() | TEXT
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=20,
)
KEYS = ["as_of", "exceptions", "risks", "scope", "z"]


class Sink:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, block: bytes) -> int:
        self.data.extend(block)
        return len(block)


def written(data: dict[str, Any]) -> bytes:
    sink = Sink()
    write_data(data, sink)  # type: ignore[arg-type]
    return bytes(sink.data)


@settings(max_examples=examples(300), deadline=None)
@given(
    data=st.fixed_dictionaries(
        {},
        optional={
            "as_of": SCALARS,
            "exceptions": st.lists(VALUES, max_size=5),
            "risks": st.lists(VALUES, max_size=5),
            "scope": VALUES,
            "z": VALUES,
        },
    ),
    wanted=st.sets(st.sampled_from(KEYS)),
    listed=st.sets(st.sampled_from(["exceptions", "risks"])),
    cut=st.integers(min_value=1, max_value=64),
)
def test_entries_and_items_read_alone_equal_the_whole_parse(
    data: dict[str, Any], wanted: set[str], listed: set[str], cut: int
) -> None:
    raw = written(data)
    whole = json.loads(raw)
    seen: dict[str, list[Any]] = {key: [] for key in listed}
    pieces = [raw[i : i + cut] for i in range(0, len(raw), cut)]
    found = _top_level_entries(pieces, wanted, {key: seen[key].append for key in listed})
    expected = {k: v for k, v in whole.items() if k in wanted and k not in listed}
    for key in listed:
        if key in whole:
            expected[key] = len(whole[key])
            assert seen[key] == whole[key]
        else:
            assert seen[key] == []
    assert found == expected


def test_data_written_another_way_is_parsed_whole() -> None:
    data = {"as_of": "2026-12-07", "exceptions": [{"a": 1}, {"b": [2]}], "risks": [1]}
    items: list[Any] = []
    found = _top_level_entries([json.dumps(data).encode()], {"as_of"}, {"exceptions": items.append})
    assert found == {"as_of": "2026-12-07", "exceptions": 2}
    assert items == data["exceptions"]
