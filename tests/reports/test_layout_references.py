"""Every report kind rendered from fixed demo data on a fixed clock, compared page by
page as images with the references committed under tests/reports/references/, so a
change of layout is seen and approved on purpose.

The files are rendered unsigned (the signature's bytes differ on every run) through
the same chunk, merge and page-number path as the workers. To accept a new layout,
regenerate the references and look at them before committing:

    UPDATE_PDF_REFERENCES=1 .venv/bin/python -m pytest tests/reports/test_layout_references.py

(`make pdf-references` does the same). PDF_REFERENCE_TOLERANCE is the share of pixels
that may differ on a page (default 0.004), for font rasterisation differences.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image, ImageChops

from riskhub.accounts.models import User
from riskhub.compliance.models import ControlImplementation, Evidence
from riskhub.inventory.models import Asset, BusinessUnit
from riskhub.reports import kinds, rendering, services
from riskhub.reports.models import Report
from riskhub.risk import selectors as risk_selectors
from riskhub.risk.models import Assessment, Risk
from tests.support import pdf_page_texts

REFERENCES = Path(__file__).parent / "references"
UPDATE = os.environ.get("UPDATE_PDF_REFERENCES") == "1"
TOLERANCE = float(os.environ.get("PDF_REFERENCE_TOLERANCE", "0.004"))
CLOCK = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
DPI = "40"

KINDS = {
    "framework-compliance": lambda world: {"framework": "eu-ai-act"},
    "system-dossier": lambda world: {"system": str(world.system.uuid)},
    "risk-register": lambda world: {},
    "executive-summary": lambda world: {},
}


@pytest.fixture
def fixed_clock(monkeypatch: Any) -> dt.datetime:
    monkeypatch.setattr(timezone, "now", lambda: CLOCK)
    return CLOCK


def _fix_identifiers(world: Any) -> None:
    """The same identifiers and people on every run, whatever ran before."""
    for number, model in enumerate(
        (Asset, BusinessUnit, Assessment, Risk, ControlImplementation, Evidence), start=1
    ):
        for index, pk in enumerate(model.objects.order_by("pk").values_list("pk", flat=True)):
            model.objects.filter(pk=pk).update(uuid=uuid.UUID(int=(number << 64) + index))
    for user, (email, name) in (
        (world.officer, ("olivia.officer@example.com", "Olivia Officer")),
        (world.executive, ("eric.executive@example.com", "Eric Executive")),
    ):
        User.objects.filter(pk=user.pk).update(email=email, full_name=name)
    for item in (world.system, world.officer):
        item.refresh_from_db()


def _pages(pdf: bytes, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.png"):
        old.unlink()
    source = folder / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(  # noqa: S603
        ["pdftoppm", "-r", DPI, "-gray", "-png", str(source), str(folder / "page")],  # noqa: S607
        check=True,
    )
    source.unlink()
    return sorted(folder.glob("page-*.png"))


def _differing_share(a: Path, b: Path) -> float:
    left, right = Image.open(a).convert("L"), Image.open(b).convert("L")
    if left.size != right.size:
        return 1.0
    diff = ImageChops.difference(left, right).point(lambda v: 255 if v > 64 else 0)
    histogram = diff.histogram()
    return histogram[255] / (left.size[0] * left.size[1])


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_looks_like_its_reference(
    kind: str, fixed_clock: dt.datetime, fresh_world: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # Built under the fixed clock (after fixed_clock), so its dates are the references'.
    world = fresh_world
    _fix_identifiers(world)
    # Risk IDs carry the assessment's primary key, which PostgreSQL's sequences advance
    # across tests: number the assessments by their order instead.
    rank = {
        pk: n
        for n, pk in enumerate(Assessment.objects.order_by("pk").values_list("pk", flat=True), 1)
    }
    ref = risk_selectors.risk_ref
    monkeypatch.setattr(risk_selectors, "risk_ref", lambda pk, position: ref(rank[pk], position))
    report = services.report_request(actor=world.officer, kind=kind, parameters=KINDS[kind](world))
    Report.objects.filter(pk=report.pk).update(uuid=uuid.UUID(int=7 << 64))
    report.refresh_from_db()
    data = kinds.build(report.kind, report.parameters, lambda p, s: None)
    merged = rendering.compose(report, data)

    # No page carries only its running header and footer.
    texts = [" ".join(p.split()) for p in pdf_page_texts(merged.pdf)]
    for number, text in enumerate(texts, start=1):
        body = text.replace(f"Page {number} of {len(texts)}", "").replace(str(report.uuid), "")
        for chrome in (data["title"], "RiskHub report", "As of 2026-11-20"):
            body = body.replace(chrome, "")
        assert len(body.strip()) > 60, (kind, number, text)

    expected = REFERENCES / kind
    if UPDATE:
        _pages(merged.pdf, expected)
        return
    actual = _pages(merged.pdf, tmp_path / kind)
    references = sorted(expected.glob("page-*.png"))
    assert references, (
        f"No reference for {kind}: run UPDATE_PDF_REFERENCES=1 pytest {__file__} and look "
        "at the pages before committing them."
    )
    assert len(actual) == len(references), (
        f"{kind}: {len(actual)} pages, the reference has {len(references)}; new pages in "
        f"{tmp_path / kind}"
    )
    differing = {
        page.name: share
        for page, reference in zip(actual, references, strict=True)
        if (share := _differing_share(page, reference)) > TOLERANCE
    }
    assert not differing, (
        f"{kind}: pages differ from the reference (share of pixels): {differing}; the new "
        f"pages are in {tmp_path / kind}. If the change is intended, regenerate the "
        "references (UPDATE_PDF_REFERENCES=1) and review them."
    )
