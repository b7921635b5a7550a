from __future__ import annotations

import pytest

from riskhub.common.sizes import human_size


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (20 * 1024 * 1024, "20 MB"),
        (1536 * 1024, "1.5 MB"),
        (800 * 1024, "800 KB"),
        (1000, "1000 bytes"),
    ],
)
def test_sizes_read_naturally_at_any_limit(size: int, text: str) -> None:
    assert human_size(size) == text


def test_upload_help_texts_follow_the_configured_limits(settings) -> None:  # type: ignore[no-untyped-def]
    from riskhub.compliance.forms import EvidenceForm
    from riskhub.inventory.forms import ImportForm

    settings.EVIDENCE_MAX_BYTES = 5 * 1024 * 1024
    settings.IMPORT_MAX_BYTES = 512 * 1024
    assert "at most 5 MB" in EvidenceForm().fields["file"].help_text
    assert "At most 512 KB" in ImportForm().fields["file"].help_text
