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


def test_a_report_embedding_more_than_pypdf_inflates_at_once_is_read(
    settings: Any, tmp_path: Any
) -> None:
    """pypdf refuses to inflate more than 75 MB at once; a register of 60,000 risks
    embeds 76 MB of JSON, which approving it (a re-issue) and the next report's
    comparison must read."""
    import io

    import pikepdf
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from riskhub.reports.kinds.common import read_embedded
    from riskhub.reports.pdf import DATA_ATTACHMENT

    settings.MEDIA_ROOT = str(tmp_path)
    data = {
        "as_of": "2026-12-07T00:00:00+00:00",
        "exceptions": [{"type": "overdue", "n": n} for n in range(3)],
        "risks": ["r" * 2000] * 40_000,  # 80 MB written, a few hundred KB stored
    }
    raw = written(data)
    assert len(raw) > 80 * 10**6
    document = pikepdf.new()
    document.add_blank_page()
    document.attachments[DATA_ATTACHMENT] = pikepdf.AttachedFileSpec(document, raw)
    out = io.BytesIO()
    document.save(out)
    name = default_storage.save("reports/big.pdf", ContentFile(out.getvalue()))

    items: list[Any] = []
    found = read_embedded(name, keys=("as_of",), each={"exceptions": items.append})
    assert found == {"as_of": data["as_of"], "exceptions": 3}
    assert items == data["exceptions"]
    whole = read_embedded(name)
    assert whole["as_of"] == data["as_of"] and len(whole["risks"]) == 40_000
