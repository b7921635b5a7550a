"""Importing the committed real reports: what is stored, what is refused, and the loop
that closes (evidence, draft reassessment), never deciding for a person."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage

from riskhub.accounts.models import User
from riskhub.audit.models import AuditEvent
from riskhub.compliance.models import ControlImplementation, Evidence
from riskhub.compliance.selectors import local_today
from riskhub.inventory.models import Asset
from riskhub.risk import services as risk_services
from riskhub.risk.models import Assessment, Risk
from riskhub.scans import services
from riskhub.scans.models import Finding, ScanRun
from tests.scans.conftest import GARAK_HITLOG, GARAK_REPORT, PROMPTFOO_RESULTS, upload

pytestmark = pytest.mark.usefixtures("catalogs")


def _import(actor: User, asset: Asset, path=GARAK_REPORT, **kwargs) -> ScanRun:  # type: ignore[no-untyped-def]
    file, name, size = upload(path, kwargs.pop("name", None))
    return services.scan_import(actor=actor, asset=asset, file=file, name=name, size=size, **kwargs)


def _nothing_kept() -> None:
    assert not ScanRun.objects.exists()
    assert not Finding.objects.exists()
    assert not Evidence.objects.exists()
    assert not Assessment.objects.exists()
    assert not AuditEvent.objects.filter(action="scan.imported").exists()


def test_a_garak_report_becomes_a_run_with_findings_evidence_and_one_audit_event(
    officer: User, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_FAILURE_THRESHOLD_PERCENT = 100  # the reassessment is tested below
    asset = make_asset("endpoint")
    run = _import(officer, asset)

    evals = [
        json.loads(line)
        for line in GARAK_REPORT.read_text().splitlines()
        if json.loads(line).get("entry_type") == "eval"
    ]
    assert run.tool == "garak" and run.tool_version.startswith("0.")
    assert run.findings.count() == len(evals)
    assert run.attempts == sum(e["total_evaluated"] for e in evals)
    assert run.failures == sum(e["fails"] for e in evals)
    assert all(f.threats.exists() for f in run.findings.all())

    digest = hashlib.sha256(GARAK_REPORT.read_bytes()).hexdigest()
    assert run.report_sha256 == digest
    evidence = list(run.evidence.select_related("implementation__control"))
    assert {e.implementation.control.code for e in evidence} == {
        "CTL-ADVERSARIAL-TESTING",
        "CTL-PROMPT-INJECTION-DEFENCE",
    }
    for item in evidence:
        assert item.sha256 == digest
        assert item.valid_until == local_today() + dt.timedelta(days=90)
        with default_storage.open(item.file.name, "rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == digest
        # A person decides whether the control is in place; the scan only files evidence.
        assert item.implementation.status == ControlImplementation.Status.NOT_STARTED
        assert item.implementation.asset == asset

    event = AuditEvent.objects.get(action="scan.imported")
    failed = sum(1 for e in evals if e["fails"])
    assert event.after["asset"] == asset.pk
    assert event.after["tool"] == "garak"
    assert event.after["findings"] == len(evals)
    assert event.after["failed"] == failed
    assert event.object_id == str(run.uuid)


def test_a_promptfoo_result_counts_per_plugin_and_strategy(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    run = _import(officer, make_asset("system"), PROMPTFOO_RESULTS)
    results = json.loads(PROMPTFOO_RESULTS.read_text())["results"]["results"]
    assert run.tool == "promptfoo"
    assert run.attempts == len(results)
    assert run.failures == sum(1 for r in results if not r["success"])
    pii = run.findings.get(probe="pii:direct", detector="basic")
    assert pii.serious and pii.failures == 1
    assert set(pii.threats.values_list("code", flat=True)) == {"THR-DATA-LEAKAGE"}
    # An AI system's evidence is filed at system scope.
    assert {e.implementation.scope for e in run.evidence.all()} == {"system"}


def test_a_reimport_files_evidence_on_the_same_implementations(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    _import(officer, asset, PROMPTFOO_RESULTS)
    _import(officer, asset, PROMPTFOO_RESULTS)
    assert ControlImplementation.objects.filter(asset=asset).count() == 2
    assert Evidence.objects.count() == 4


@pytest.mark.parametrize(
    "mangle, reason",
    [
        (lambda data: data.replace(b'"entry_type": "eval"', b'"entry_type": "eval", ', 1), "JSON"),
        (lambda data: data.replace(b'"fails": ', b'"fails": -', 1), "add up"),
        (lambda data: data.replace(b'"probe": "encoding.', b'"probe": "nosuch.', 1), "nosuch."),
    ],
    ids=["broken-line", "bad-count", "unmapped-probe"],
)
def test_a_bad_line_refuses_the_whole_report_and_names_the_line(
    officer: User,
    make_asset: Callable[..., Asset],
    mangle,
    reason: str,  # type: ignore[no-untyped-def]
) -> None:
    data = mangle(GARAK_REPORT.read_bytes())
    assert data != GARAK_REPORT.read_bytes()
    with pytest.raises(services.ScanImportError) as caught:
        services.scan_import(
            actor=officer, asset=make_asset(), file=io.BytesIO(data), name="r.report.jsonl"
        )
    assert any(reason in m and m.startswith("Line ") for m in caught.value.messages)
    _nothing_kept()


def test_an_oversized_report_is_refused_by_the_evidence_limit(
    officer: User, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(services.ScanImportError) as caught:
        _import(officer, make_asset())
    assert "larger than the 1 KB limit" in " ".join(caught.value.messages)
    _nothing_kept()


def test_wrong_files_are_refused_with_a_reason(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    cases = [
        (b"name,kind\nx,model\n", "r.csv", "The file is CSV"),
        (b"just some notes\n", "r.txt", "neither a garak report"),
        (b"%PDF-1.4 not really", "r.pdf", "PDF"),
        (GARAK_HITLOG.read_bytes(), GARAK_HITLOG.name, "hit log"),
        (b'{"results": {"results": [{"success": true}]}}', "r.json", "pluginId"),
        (b"MZ\x90\x00", "r.jsonl", "Executable"),
    ]
    for data, name, reason in cases:
        with pytest.raises(services.ScanImportError) as caught:
            services.scan_import(actor=officer, asset=asset, file=io.BytesIO(data), name=name)
        assert reason in " ".join(caught.value.messages), (name, caught.value.messages)
    with pytest.raises(services.ScanImportError, match="not promptfoo"):
        _import(officer, asset, tool="promptfoo")
    _nothing_kept()


def test_only_writers_import(
    executive: User, auditor: User, make_asset: Callable[..., Asset]
) -> None:
    asset = make_asset()
    for user in (executive, auditor):
        with pytest.raises(PermissionDenied):
            _import(user, asset)
    _nothing_kept()


def test_a_failure_rate_above_the_threshold_opens_a_draft_for_the_owner_and_approves_nothing(
    officer: User, make_user, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_FAILURE_THRESHOLD_PERCENT = 10
    owner = make_user()
    asset = make_asset("endpoint", owner=owner)
    run = _import(officer, asset, PROMPTFOO_RESULTS)

    over = [r for r in services.threat_results(run) if r.failure_rate > 0.10]
    assert over
    assessment = Assessment.objects.get(asset=asset)
    assert assessment.status == Assessment.Status.DRAFT
    assert assessment.submitted_at is None and assessment.approved_at is None
    assert not assessment.is_current
    risks = {r.threat.code: r for r in assessment.risks.select_related("threat")}
    assert set(risks) == {r.threat.code for r in over}
    for result in over:
        risk = risks[result.threat.code]
        expected = services.suggested_likelihood(result.failure_rate, 5)
        assert risk.inherent_likelihood == risk.residual_likelihood == expected
        assert risk.owner == owner
        assert risk.status == Risk.Status.OPEN
    assert run.outcome["assessment"] == str(assessment.uuid)
    # The importer contributed, so segregation of duties keeps them from approving it.
    assert risk_services.review_refusal(officer, assessment)

    # A second scan updates the same draft instead of opening another.
    _import(officer, asset, PROMPTFOO_RESULTS)
    assert Assessment.objects.filter(asset=asset).count() == 1
    assert not Assessment.objects.exclude(status=Assessment.Status.DRAFT).exists()


def test_below_the_threshold_no_draft_is_opened(
    officer: User, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_FAILURE_THRESHOLD_PERCENT = 100
    run = _import(officer, make_asset(), PROMPTFOO_RESULTS)
    assert not Assessment.objects.exists()
    assert run.outcome["assessment"] is None


def test_an_assessment_in_review_is_left_alone(
    officer: User, make_asset: Callable[..., Asset], settings
) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_FAILURE_THRESHOLD_PERCENT = 0
    asset = make_asset()
    draft = risk_services.assessment_start(actor=officer, asset=asset)
    Assessment.objects.filter(pk=draft.pk).update(summary="No risk found by hand.")
    risk_services.assessment_submit(actor=officer, assessment=draft)
    run = _import(officer, asset, PROMPTFOO_RESULTS)
    draft.refresh_from_db()
    assert draft.status == Assessment.Status.IN_REVIEW
    assert not draft.risks.exists()
    assert "in review" in run.outcome["assessment_note"]


@pytest.mark.parametrize(
    ("rate", "likelihood"), [(0.01, 1), (0.2, 1), (0.21, 2), (0.5, 3), (1.0, 5)]
)
def test_the_suggested_likelihood_covers_the_scale(rate: float, likelihood: int) -> None:
    assert services.suggested_likelihood(rate, 5) == likelihood


def test_failing_examples_survive_the_database_as_written(
    officer: User, make_asset: Callable[..., Asset]
) -> None:
    """JSON fields round-trip on SQLite and PostgreSQL alike (CI runs both): newlines,
    quotes, markup and non-ASCII text come back exactly."""
    from riskhub.scans.parsers import garak

    parsed = garak.parse(GARAK_REPORT.read_bytes())
    run = _import(officer, make_asset())
    for finding in Finding.objects.filter(run=run):
        expected = parsed.findings[(finding.probe, finding.detector)].examples
        assert finding.examples == expected
    xss = Finding.objects.get(run=run, probe="web_injection.TaskXSS")
    assert any("<" in example["output"] for example in xss.examples)
    stored = ScanRun.objects.get(pk=run.pk)
    assert stored.outcome == run.outcome
