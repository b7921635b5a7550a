"""The main pages at 1440 and 390 pixels wide, on fixed data and a fixed clock, compared
with the screenshots committed under tests/browser/references/, so a layout change is
seen and approved on purpose (as the PDF layouts are, tests/reports/
test_layout_references.py).

The references are full-page screenshots stored in grey at half size. To accept a new
layout, regenerate them and look at them before committing:

    make screenshot-references

SCREEN_REFERENCE_TOLERANCE is the share of pixels that may differ (default 0.01), for
font rasterisation and anti-aliasing differences between machines.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image, ImageChops

from riskhub.risk import selectors as risk_selectors
from riskhub.risk.models import Assessment
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.reports.conftest import fresh_world  # noqa: F401  (the PDF references' fixed data)
from tests.reports.test_layout_references import CLOCK, _fix_identifiers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFERENCES = Path(__file__).parent / "references"
UPDATE = os.environ.get("UPDATE_SCREEN_REFERENCES") == "1"
TOLERANCE = float(os.environ.get("SCREEN_REFERENCE_TOLERANCE", "0.01"))
WIDTHS = (1440, 390)


def _pages(data: Any) -> dict[str, str]:
    system = data.system
    assessment = Assessment.objects.filter(asset=system).order_by("-version").first()
    pages = {
        "dashboard": "/dashboard/",
        "inventory": "/inventory/",
        "asset": f"/inventory/{system.uuid}/",
        "register": "/assessments/register/",
        "gaps": "/compliance/gaps/",
        "incidents": "/incidents/",
    }
    if assessment is not None:
        pages["assessment"] = f"/assessments/{assessment.uuid}/"
    return pages


def _store(png: bytes, path: Path) -> None:
    """Grey, half size: small enough to commit, fine enough to see a layout move."""
    import io

    image = Image.open(io.BytesIO(png)).convert("L")
    image = image.resize((image.width // 2, image.height // 2), Image.Resampling.BILINEAR)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)


def _differing_share(a: Path, b: Path) -> float:
    left, right = Image.open(a).convert("L"), Image.open(b).convert("L")
    if left.size != right.size:
        return 1.0
    diff = ImageChops.difference(left, right).point(lambda v: 255 if v > 64 else 0)
    return diff.histogram()[255] / (left.size[0] * left.size[1])


@pytest.fixture
def fixed_clock(monkeypatch: Any) -> dt.datetime:
    """Before the data is made: every stored moment and date reads the same each run."""
    monkeypatch.setattr(timezone, "now", lambda: CLOCK)
    return CLOCK


def test_the_main_pages_look_like_their_references(
    fixed_clock: dt.datetime,
    browser: Any,
    live_server: Any,
    fresh_world: Any,  # noqa: F811
    monkeypatch: Any,
    tmp_path: Path,
) -> None:
    world = fresh_world
    _fix_identifiers(world)
    rank = {
        pk: n
        for n, pk in enumerate(Assessment.objects.order_by("pk").values_list("pk", flat=True), 1)
    }
    ref = risk_selectors.risk_ref
    monkeypatch.setattr(risk_selectors, "risk_ref", lambda pk, pos: ref(rank.get(pk, pk), pos))
    pages = _pages(world)
    differing: dict[str, float] = {}
    errors: list[str] = []
    for width in WIDTHS:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": 900},
            timezone_id="UTC",
            locale="en-GB",
        )
        page = context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        login(page, world.officer.email, PASSWORD)
        page.wait_for_url("**/dashboard/**")
        for name, url in pages.items():
            page.goto(url)
            page.wait_for_load_state("networkidle")
            # Plotly draws after load; the caret and transitions are not layout.
            page.add_style_tag(content="*{transition:none!important;caret-color:transparent}")
            page.wait_for_timeout(400)
            target = REFERENCES / f"{name}-{width}.png"
            shot = tmp_path / f"{name}-{width}.png"
            _store(page.screenshot(full_page=True, animations="disabled"), shot)
            if UPDATE:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(shot.read_bytes())
                continue
            assert target.exists(), f"No reference {target.name}: run make screenshot-references"
            share = _differing_share(shot, target)
            if share > TOLERANCE:
                differing[target.name] = round(share, 4)
        context.close()
    assert errors == [], errors
    assert not differing, (
        f"Pages differ from their references (share of pixels): {differing}; the new "
        f"screenshots are in {tmp_path}. If the change is intended, run "
        "`make screenshot-references` and look at them before committing."
    )
