"""Every report kind passes the strongest PDF/A-3b check these machines can run
(tests/reports/pdfa.py), after signing, with and without B-LT validation data."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader, PdfWriter

from riskhub.reports import pdf
from riskhub.reports.kinds import LISTINGS
from tests.reports.pdfa import pdfa3b_problems
from tests.reports.tsa import configured_tsa

KINDS = {
    "framework-compliance": {"framework": "eu-ai-act"},
    "risk-register": {},
    "executive-summary": {},
}


def _bytes(report: Any) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()  # type: ignore[no-any-return]


@pytest.mark.parametrize("kind", [*KINDS, "system-dossier"])
def test_every_signed_kind_passes_the_pdfa3b_checks(world: Any, render: Any, kind: str) -> None:
    parameters = KINDS.get(kind, {"system": str(world.system.uuid)})
    data = _bytes(render(kind, **parameters))
    assert pdfa3b_problems(data) == []
    reader = PdfReader(io.BytesIO(data))
    listing = LISTINGS.get(kind)
    assert list(reader.attachments) == [pdf.DATA_ATTACHMENT] + (
        [listing.csv_name] if listing else []
    )
    assert reader.metadata.producer.startswith("pyHanko")  # who wrote the last revision


def test_a_timestamped_b_lt_report_still_passes(
    world: Any, render: Any, settings: Any, tmp_path: Path
) -> None:
    with configured_tsa(settings, tmp_path):
        data = _bytes(render("executive-summary"))
    assert "/DSS" in PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert pdfa3b_problems(data) == []


def test_the_checker_finds_what_signing_repairs_and_a_changed_producer() -> None:
    unsigned, _ = pdf.render_pdf(
        "<html><head><title>x</title></head><body>x</body></html>", data_json=b"{}"
    )
    # WeasyPrint lists the attachment twice in /AF; signing lists it once.
    assert "the catalog's /AF lists one file 2 times" in pdfa3b_problems(unsigned)
    writer = PdfWriter(io.BytesIO(unsigned), incremental=True)
    writer.add_metadata({"/Producer": "Someone else"})
    out = io.BytesIO()
    writer.write(out)
    assert any("/Producer 'Someone else'" in p for p in pdfa3b_problems(out.getvalue()))
