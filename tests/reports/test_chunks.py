"""A report whose listing is longer than one chunk: several WeasyPrint documents,
rendered as separate tasks, merged into one PDF/A-3b with continuous page numbers, a
table of contents and bookmarks, signed once, with the full data as JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pikepdf
import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from riskhub.reports import chunks, merge, pdf, services, signing
from riskhub.reports.models import Report, ReportChunk
from riskhub.risk import services as risk_services
from tests.reports.conftest import _risk
from tests.support import pdf_page_texts

RISKS = 46  # with the world's 2: 48 rows, 4 chunks of 15 rows (head, 3 row chunks) + tail
CHUNK = 30  # REPORT_CHUNK_ROWS; a register row weighs two, so its chunks take 15 rows


@pytest.fixture
def many_risks(world: Any) -> Any:
    return add_many_risks(world)


def add_many_risks(world: Any) -> Any:
    """An approved assessment of the forecaster with RISKS risks."""
    officer, executive = world.officer, world.executive
    assessment = risk_services.assessment_start(actor=officer, asset=world.other)
    assessment = risk_services.assessment_save(
        actor=officer,
        assessment=assessment,
        expected_revision=assessment.revision,
        risks=[
            _risk(f"Forecast drift scenario {n:02d}", (1 + n % 5, 1 + n % 4, 1, 1), officer)
            for n in range(RISKS)
        ],
    )
    assessment = risk_services.assessment_submit(actor=officer, assessment=assessment)
    return risk_services.assessment_approve(actor=executive, assessment=assessment)


@pytest.fixture
def small_chunks(monkeypatch: Any) -> None:
    monkeypatch.setattr(chunks, "CHUNK_ROWS", CHUNK)


def _file(report: Report) -> bytes:
    with default_storage.open(report.file.name, "rb") as handle:
        return handle.read()


def _page_texts(reader: PdfReader) -> list[str]:
    """Each page's text on one line, words hyphenated at a line end joined again."""
    return [
        re.sub(r"(\w)[-\u2010] (\w)", r"\1\2", " ".join(page.split()))
        for page in pdf_page_texts(reader)
    ]


def test_a_long_register_renders_in_chunks_and_merges_into_one_signed_pdfa(
    many_risks: Any, small_chunks: None, render: Any
) -> None:
    report = render("risk-register")
    assert report.status == Report.Status.SUCCEEDED, report.error
    parts = list(ReportChunk.objects.filter(report=report).order_by("index"))
    assert [p.role for p in parts] == ["head", "rows", "rows", "rows", "tail"]
    assert report.chunks_total == report.chunks_done == 5 and report.progress == 100
    assert all(p.status == "done" and p.pages and p.render_seconds for p in parts)

    raw = _file(report)
    reader = PdfReader(io.BytesIO(raw))
    texts = _page_texts(reader)
    total = len(reader.pages)
    # One page more than the chunks: the contents the merge inserts after the cover.
    assert total == report.pages == 1 + sum(p.pages for p in parts)
    # Continuous numbers on every page, first and last included.
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, (number, text[-200:])
    assert "Page 1 of" not in " ".join(texts[1:])
    # No page carries only its running header and footer.
    chrome = (
        "AI risk register",
        f"As of {report.parameters.get('as_of', '')}",
        "RiskHub report",
        str(report.uuid),
    )
    for number, text in enumerate(texts, start=1):
        body = text.replace(f"Page {number} of {total}", "")
        for part in chrome:
            body = body.replace(part, "")
        assert len(body.strip()) > 40, (number, text)

    # The contents page lists every chapter with the page it starts on.
    contents = texts[1]
    assert "Contents" in contents
    listed = dict(
        (label.strip(), int(page))
        for label, page in re.findall(
            r"(\d\. [A-Za-z ]+?|About this report and sign-off)[\s.]*(\d+)", contents
        )
    )
    assert set(listed) >= {
        "1. Summary and heatmap",
        "2. Risk register",
        "About this report and sign-off",
    }
    for label, page in listed.items():
        assert label in texts[page - 1], (label, page)
    # Each line of the contents is a link to the page it names, inside the file.
    with pikepdf.open(io.BytesIO(raw)) as document:
        numbers = {p.objgen: n for n, p in enumerate(document.pages, start=1)}
        links = [a for a in document.pages[1].obj.get("/Annots", ()) if a.Subtype == "/Link"]
        assert links and all("/A" not in a and "/Dest" in a for a in links)
        targets = [numbers[a.Dest[0].objgen] for a in links]
        assert targets == sorted(targets) and set(listed.values()) <= set(targets)
        for obj in document.objects:
            if isinstance(obj, pikepdf.Dictionary) and "/URI" in obj:
                assert not str(obj.URI).startswith(merge.CONTENTS_LINK)

    # Bookmarks: the chapters and one entry per row chunk, each pointing at its page.
    with pikepdf.open(io.BytesIO(raw)) as document:
        with document.open_outline() as outline:
            top = [(item.title, item) for item in outline.root]
            titles = [t for t, _ in top]
            assert titles == [
                "Contents",
                "1. Summary and heatmap",
                "2. Risk register",
                "A. Scope and period",
                "B. Exceptions register",
                "C. Evidence references",
                "About this report and sign-off",
            ]
            register = dict(top)["2. Risk register"]
            subs = [child.title for child in register.children]
            assert subs == [
                "Risk register, rows 16 to 30",
                "Risk register, rows 31 to 45",
                "Risk register, rows 46 to 48",
            ]
            pages = {p.objgen: n for n, p in enumerate(document.pages)}
            for child in register.children:
                target = child.destination[0] if child.destination else None
                first = int(re.search(r"rows (\d+)", child.title).group(1))
                assert target is not None
                assert f"rows {first} to" in texts[pages[target.objgen]]
        # PDF/A-3b survived the merge: XMP, OutputIntent, embedded files related as Data.
        root = document.Root
        assert "/OutputIntents" in root and len(root.OutputIntents) == 1
        meta = document.open_metadata()
        assert meta.get("pdfaid:part") == "3" and meta.get("pdfaid:conformance") == "B"
        names = {str(spec.AFRelationship) for spec in root.AF}
        assert names == {"/Data"} and len(root.AF) == 2

    # One signature, and it validates.
    assert len([f for f in reader.get_fields().values() if f.get("/FT") == "/Sig"]) == 1
    assert signing.check_signature(raw).valid

    # The attachments are the full data: the JSON, and every row as CSV.
    attached = reader.attachments
    data = json.loads(attached[pdf.DATA_ATTACHMENT][0])
    assert len(data["risks"]) == RISKS + 2
    rows = list(csv.DictReader(io.StringIO(attached["risk-register.csv"][0].decode())))
    assert [r["title"] for r in rows] == [r["title"] for r in data["risks"]]
    assert [r["residual.band"] for r in rows] == [r["residual"]["band"] for r in data["risks"]]
    # Every risk is printed once, in the register's order.
    text = " ".join(texts)
    for risk in data["risks"]:
        assert text.count(risk["title"]) >= 1, text[text.find(risk["title"][:8]) - 40 :][:120]
    # The work files are gone; only the signed report stays.
    assert not default_storage.exists(f"reports/work/{report.uuid}/a1/chunk-0000.pdf")
    assert (
        not ReportChunk.objects.filter(report=report)
        .exclude(pdf_file="")
        .filter(pdf_file__in=[p.pdf_file for p in parts if default_storage.exists(p.pdf_file)])
        .exists()
    )


def test_progress_counts_chunks(
    many_risks: Any, small_chunks: None, world: Any, monkeypatch: Any
) -> None:
    seen: list[tuple[int, int, int, str]] = []
    real = services._complete_chunk

    def watch(*args: Any) -> str:
        outcome = real(*args)
        row = Report.objects.get(pk=args[0].report.report_id)
        seen.append((row.chunks_done, row.chunks_total, row.progress, row.stage))
        return outcome

    monkeypatch.setattr(services, "_complete_chunk", watch)
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    assert services.run(report.pk) == "succeeded"
    assert [s[:2] for s in seen] == [(n, 5) for n in range(1, 6)]
    assert [s[2] for s in seen] == sorted(s[2] for s in seen) and seen[-1][2] == 90
    assert seen[1][3] == "Rendering: 2 of 5 chunks done"


def test_a_failed_chunk_is_retried_and_the_report_completes_once(
    many_risks: Any, small_chunks: None, world: Any, monkeypatch: Any
) -> None:
    from riskhub.reports import rendering

    real = rendering.render_part
    failures: list[str] = []

    def flaky(report: Report, role: str, *args: Any) -> Any:
        if role == "rows" and not failures:
            failures.append(role)
            raise OSError("the disk hiccuped")
        return real(report, role, *args)

    monkeypatch.setattr(rendering, "render_part", flaky)
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    assert services.run(report.pk) == "succeeded"
    assert failures == ["rows"]
    retried = ReportChunk.objects.get(report=report, index=1)
    assert retried.attempt == 2 and retried.status == "done"
    assert ReportChunk.objects.filter(report=report, attempt=1).count() == 4
    # A late duplicate of any chunk or of the merge changes nothing.
    row = Report.objects.get(pk=report.pk)
    assert services.run_chunk(report.pk, 1) == "skipped"
    assert services.run_merge(report.pk) == "skipped"
    assert Report.objects.get(pk=report.pk).sha256 == row.sha256


def test_a_lost_chunk_is_sent_again_and_the_merge_follows_once(
    many_risks: Any, small_chunks: None, world: Any, monkeypatch: Any
) -> None:
    """A worker took chunk 2 and died: the beat task re-queues that chunk only; when
    it is done the merge runs once."""
    import datetime as dt

    from django.utils import timezone

    monkeypatch.setattr(services, "_eager", lambda: False)
    sent: list[tuple[str, Any]] = []
    monkeypatch.setattr(services, "_enqueue_chunks", lambda pk, idx: sent.append(("chunks", idx)))
    monkeypatch.setattr(services, "_enqueue_merge", lambda pk: sent.append(("merge", pk)))
    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    assert services.run(report.pk) == "planned"
    for index in (0, 1, 3, 4):
        assert services.run_chunk(report.pk, index) == "rendered"
    lost = services.claim_chunk(report.pk, 2)
    assert lost is not None
    later = timezone.now() + services.STALE_AFTER + dt.timedelta(seconds=1)
    requeued = services.requeue_stale_chunks(now=later)
    assert requeued == [(report.uuid, 2)]
    assert services.run_chunk(report.pk, 2) == "rendered"
    assert services.run_merge(report.pk) == "succeeded"
    assert services.run_merge(report.pk) == "skipped"
    row = Report.objects.get(pk=report.pk)
    assert row.status == Report.Status.SUCCEEDED and row.attempt == 1
    assert ReportChunk.objects.get(report=report, index=2).attempt == 2


def test_the_report_page_shows_how_many_chunks_are_rendered(world: Any, client_for: Any) -> None:
    from django.urls import reverse

    from riskhub.accounts.policy import Role

    report = services.report_request(actor=world.officer, kind="risk-register", parameters={})
    Report.objects.filter(pk=report.pk).update(
        status="running",
        chunks_total=12,
        chunks_done=5,
        progress=43,
        stage="Rendering: 5 of 12 chunks done",
    )
    partial = client_for(Role.AUDITOR).get(reverse("reports:status", args=[report.uuid]))
    text = partial.content.decode()
    assert "5 of 12 parts rendered" in text and "43%" in text


def test_the_plan_splits_each_long_listing_and_keeps_the_chapters_in_order() -> None:
    """The kind's listing, the exceptions register (B) and the evidence references (C)
    each split into row chunks; the chapters after a long listing start a new document;
    no document carries more rows than one chunk of any listing."""
    data = {
        "title": "EU AI Act compliance report",
        "kind": "framework-compliance",
        "assets": [{"n": n} for n in range(7)],
        "detail": [{"n": n} for n in range(7)],
        "exceptions": [{"n": n} for n in range(5)],
        "evidence": [{"n": n} for n in range(9)],
        "totals": {"met": 1},
    }
    parts = chunks.plan("framework-compliance", data, chunk_rows=3)
    shape = [(p.role, p.context.get("blocks"), p.context.get("listing")) for p in parts]
    assert shape == [
        ("head", ["head"], None),
        ("rows", None, "assets"),
        ("rows", None, "assets"),
        ("tail", ["scope", "exceptions"], None),
        ("rows", None, "exceptions"),
        ("tail", ["evidence"], None),
        ("rows", None, "evidence"),
        ("rows", None, "evidence"),
        ("tail", ["method"], None),
    ]
    printed: dict[str, list[int]] = {"assets": [], "exceptions": [], "evidence": []}
    for part in parts:
        if part.role == "rows":
            printed[part.context["listing"]] += [r["n"] for r in part.context["rows"]]
            assert set(part.context["data"]) <= set(chunks.HEADER_KEYS)
        else:
            assert "detail" not in part.context["data"]
            for key in printed:
                printed[key] += [r["n"] for r in part.context["data"].get(key, [])]
                assert len(part.context["data"].get(key, [])) <= 3
            assert part.context["listing_totals"] == {"assets": 7, "exceptions": 5, "evidence": 9}
    assert printed == {
        "assets": list(range(7)),
        "exceptions": list(range(5)),
        "evidence": list(range(9)),
    }
    assert [p.label for p in parts if p.role == "rows"][-1] == "Evidence references, rows 7 to 9"
    # Nothing long: one document with everything but the JSON-only detail.
    whole = chunks.plan("framework-compliance", data, chunk_rows=10)
    assert [p.role for p in whole] == ["whole"] and "detail" not in whole[0].context["data"]
    assert len(whole[0].context["data"]["evidence"]) == 9


def test_the_register_takes_fewer_rows_per_chunk_than_lighter_listings() -> None:
    """A register row lays out about twice what an exception or evidence row does, so
    its chunks take half the rows and a worker stays within its memory."""
    data = {
        "kind": "risk-register",
        "risks": [{"n": n} for n in range(10)],
        "exceptions": [{"n": n} for n in range(10)],
    }
    parts = chunks.plan("risk-register", data, chunk_rows=4)
    sizes = [(p.context.get("listing"), len(p.context["rows"])) for p in parts if p.role == "rows"]
    assert sizes == [("risks", 2)] * 4 + [("exceptions", 4), ("exceptions", 2)]
    assert len(parts[0].context["data"]["risks"]) == 2


@pytest.fixture
def much_evidence(world: Any) -> list[str]:
    """Twelve evidence links on the screener's risk management, half of them expired:
    twelve evidence references and six more exceptions."""
    import datetime as dt

    from django.utils import timezone

    from riskhub.compliance import services as compliance_services
    from riskhub.compliance.models import ControlImplementation

    implementation = ControlImplementation.objects.get(asset=world.system)
    today = timezone.localdate()
    names = []
    for n in range(12):
        name = f"Oversight log extract {n:02d}"
        compliance_services.evidence_add_link(
            actor=world.officer,
            implementation=implementation,
            url=f"https://wiki.example.com/oversight/{n}",
            description=name,
            valid_until=today + dt.timedelta(days=400 if n % 2 else -10 - n),
        )
        names.append(name)
    return names


def test_long_exceptions_and_evidence_render_in_chunks_of_one_pdf(
    much_evidence: list[str], monkeypatch: Any, render: Any
) -> None:
    monkeypatch.setattr(chunks, "CHUNK_ROWS", 4)
    report = render("framework-compliance", framework="eu-ai-act")
    assert report.status == Report.Status.SUCCEEDED, report.error
    parts = list(ReportChunk.objects.filter(report=report).order_by("index"))
    roles = [p.role for p in parts]
    assert roles[0] == "head" and roles[-1] == "tail" and roles.count("rows") >= 4
    raw = _file(report)
    reader = PdfReader(io.BytesIO(raw))
    texts = _page_texts(reader)
    total = len(reader.pages)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} of {total}" in text, (number, text[-200:])
    data = json.loads(reader.attachments[pdf.DATA_ATTACHMENT][0])
    assert len(data["evidence"]) == 13 and len(data["exceptions"]) > 8
    text = " ".join(texts)
    # B and C are complete and in the data's order, each row printed once.
    b, c = text.rindex("B. Exceptions register"), text.rindex("C. Evidence references")
    assert f"{len(data['exceptions'])} in all" in text[b:c]
    positions = [text.index(e["description"], c) for e in data["evidence"]]
    assert positions == sorted(positions)
    for name in much_evidence:
        assert text.count(name) == 1 + (name in text[b:c]), name
    assert text.index("About this report and sign-off", c) > positions[-1]
    with pikepdf.open(io.BytesIO(raw)) as document:
        with document.open_outline() as outline:
            top = {item.title: item for item in outline.root}
            assert [c.title for c in top["C. Evidence references"].children] == [
                "Evidence references, rows 5 to 8",
                "Evidence references, rows 9 to 12",
                "Evidence references, rows 13 to 13",
            ]
            assert top["B. Exceptions register"].children
    assert signing.check_signature(raw).valid


def test_the_embedded_json_is_written_as_it_is_encoded_with_the_same_bytes() -> None:
    """The stream gives exactly json.dumps' bytes (an issued report's data checksum still
    matches when the same state is rendered again), for every kind of value the data
    holds and past the point where fragments are flushed."""
    import datetime as dt
    import decimal
    import json
    import uuid

    from django.core.serializers.json import DjangoJSONEncoder

    from riskhub.reports.rendering import data_bytes

    data = {
        "title": "Évaluation – “risk” register ✓",
        "as_of": dt.datetime(2026, 12, 6, 13, 0, tzinfo=dt.UTC),
        "day": dt.date(2026, 12, 6),
        "score": decimal.Decimal("8.50"),
        "id": uuid.UUID(int=7),
        "risks": [{"n": n, "b": n % 2 == 0, "none": None, "x": [1.5, "a"]} for n in range(5000)],
    }
    expected = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True, indent=1).encode()
    assert data_bytes(data) == expected
    assert data_bytes({}) == b"{}"
