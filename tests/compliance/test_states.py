"""One definition of the coverage states (riskhub/compliance/states.py): met, partial
and gap have the same name and colour on the compliance pages, the dashboard, the PDF
charts and the PDF status labels, and every stylesheet takes the colour from
palette.css."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from weasyprint import HTML

from riskhub.compliance import coverage, states
from riskhub.compliance.models import RequirementStatus
from riskhub.core import palette
from riskhub.dashboard import charts
from riskhub.dashboard.selectors import FrameworkFigures
from riskhub.reports import charts as report_charts
from riskhub.reports import pdf
from riskhub.reports.kinds import STATUS_LABEL
from tests.colours import CVD, contrast, css_rules, too_close

CSS_DIR = Path(settings.BASE_DIR) / "static" / "css"
HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b|rgba?\(")
EVERY_STATE = (*states.STATES, states.NOT_IN_SCOPE)


def test_the_requirement_states_are_met_partial_and_gap_and_everything_reads_them() -> None:
    assert [(s.slug, s.label) for s in states.STATES] == [
        ("met", "Met"),
        ("partial", "Partial"),
        ("gap", "Gap"),
    ]
    assert list(RequirementStatus.Status.choices) == [(s.slug, s.label) for s in states.STATES]
    assert (coverage.MET, coverage.PARTIAL, coverage.GAP) == ("met", "partial", "gap")
    assert STATUS_LABEL == charts.STATE_LABELS == {"met": "Met", "partial": "Partial", "gap": "Gap"}


@pytest.mark.parametrize("state", EVERY_STATE, ids=lambda s: s.slug)
def test_every_state_label_reads_on_its_colour_at_wcag_aa(state: states.CoverageState) -> None:
    assert contrast(state.colour, state.text_colour) >= 4.5


@pytest.mark.parametrize("vision", list(CVD))
def test_the_states_stay_apart_for_colour_blind_readers(vision: str) -> None:
    """Met #2e7d32 and gap #b71c1c were 16 apart for deuteranopia (the compliance
    pages' #b3261e, 15; the PDF's partial and gap text, 3): below what people tell
    apart at a glance. Every pair, and "not in scope", must now differ by at least 20."""
    assert too_close([(s.slug, s.colour) for s in EVERY_STATE], vision) == []


def test_the_palette_check_fails_when_a_state_changes(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(states, "GAP", states.CoverageState("gap", "Gap", "#ff0000"))
    monkeypatch.setattr(states, "STATES", (states.MET, states.PARTIAL, states.GAP))
    assert ".rh-state-gap { background: #ff0000;" in palette.css()
    assert "--rh-state-gap: #ff0000;" in palette.css()
    with pytest.raises(CommandError, match="out of date"):
        call_command("write_palette_css", "--check")


def test_no_stylesheet_but_the_palette_names_a_state_colour() -> None:
    """compliance.css, the dashboard and the PDF once had three greens, three ambers
    and three reds between them; every stylesheet the pages and the reports load now
    uses --rh-state-* from palette.css."""
    sheets = sorted(CSS_DIR.glob("*.css"))
    report_sheets = {*pdf.STYLESHEETS, pdf.CHUNK_STYLESHEET}
    assert report_sheets <= {p.name for p in sheets}, "a report stylesheet lives elsewhere"
    colours = {s.colour.lower() for s in states.STATES}
    slugs = [s.slug for s in EVERY_STATE] + ["compliant", "gaps"]
    # The pages' bars and badges, and the PDF's status labels (not, say, the incident
    # page's "deadline met" clock, which is no coverage state).
    named = re.compile(r"\.(rh-(cov|status|state)|st)-(" + "|".join(map(re.escape, slugs)) + r")\b")
    offenders = []
    for path in sheets:
        if path.name == "palette.css":
            continue
        text = path.read_text(encoding="utf-8")
        offenders += [f"{path.name}: {c}" for c in sorted(colours) if c in text.lower()]
        for selector, body in css_rules(text):
            if named.search(selector) and HEX.search(body):
                offenders.append(f"{path.name}: {selector}")
            if "--rh-state-" in body and HEX.search(body):
                offenders.append(f"{path.name}: defines a state custom property")
    assert offenders == []


def test_a_state_has_one_colour_on_the_dashboard_and_in_the_pdf_chart() -> None:
    figure = charts.coverage_bars([FrameworkFigures("gdpr", "GDPR", met=3, partial=2, gap=1)])
    traces = {t["name"]: t for t in figure["data"]}
    svg = report_charts.coverage_bars(
        [{"framework": "GDPR", "applicable": 6, "met": 3, "partial": 2, "gap": 1, "met_pct": 50}]
    )
    for state in states.STATES:
        assert traces[state.label]["marker"]["color"] == state.colour
        assert traces[state.label]["textfont"]["color"] == state.text_colour
        assert svg.count(f"fill='{state.colour}'") == 2  # the bar and its legend
        assert f">{state.label}</text>" in svg


def _spans(html: str) -> dict[str, tuple[str, str]]:
    document = HTML(string=html).render(stylesheets=pdf.stylesheets())
    found = {}
    for box in document.pages[0]._page_box.descendants():
        if getattr(box, "element_tag", None) == "span" and box.style["background_color"].alpha:
            rgb = "#" + "".join(f"{round(c * 255):02x}" for c in box.style["background_color"][:3])
            text = "#" + "".join(f"{round(c * 255):02x}" for c in box.style["color"][:3])
            found[box.element.get("class")] = (rgb, text)
    return found


def test_a_pdf_status_label_is_written_on_its_state_colour() -> None:
    """The PDF wrote statuses as coloured text, in a darker green, amber and red of its
    own; it now shows the pages' badge, from the custom properties palette.css sets."""
    roll_up = {"st-compliant": states.MET, "st-gaps": states.GAP}
    classes = [f"st-{s.slug}" for s in EVERY_STATE] + list(roll_up)
    seen = _spans("<p>" + " ".join(f'<span class="st {c}">x</span>' for c in classes) + "</p>")
    for klass in classes:
        state = roll_up.get(klass) or states.BY_SLUG[klass.removeprefix("st-")]
        assert seen[f"st {klass}"] == (state.colour, state.text_colour), klass
