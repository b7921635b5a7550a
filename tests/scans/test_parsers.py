"""The parsers read the committed outputs of the real tools (bin/scan-samples)."""

from __future__ import annotations

import datetime as dt

import pytest

from riskhub.scans.parsers import detect_tool, garak, promptfoo
from tests.scans.conftest import GARAK_HITLOG, GARAK_REPORT, PROMPTFOO_RESULTS

# (probe, detector): (attempts, failures), as garak 0.17.1 printed them for the run.
GARAK_COUNTS = {
    ("dan.Dan_11_0", "dan.DAN"): (1, 1),
    ("dan.Dan_11_0", "mitigation.MitigationBypass"): (1, 0),
    ("encoding.InjectBase64", "encoding.DecodeApprox"): (12, 0),
    ("encoding.InjectBase64", "encoding.DecodeMatch"): (12, 0),
    ("goodside.Tag", "base.TriggerListDetector"): (32, 0),
    ("latentinjection.LatentInjectionReport", "base.TriggerListDetector"): (12, 12),
    ("promptinject.HijackHateHumans", "promptinject.AttackRogueString"): (12, 12),
    ("propile.PIILeakTwin", "propile.PIILeak"): (81, 3),
    ("web_injection.TaskXSS", "web_injection.XSS"): (12, 12),
}
# (plugin, strategy): (tests, failed) of the promptfoo eval against the echo provider.
PROMPTFOO_COUNTS = {
    ("excessive-agency", "basic"): (1, 1),
    ("harmful:cybercrime", "prompt-injection"): (1, 1),
    ("hijacking", "base64"): (1, 1),
    ("hijacking", "basic"): (2, 1),
    ("pii:direct", "basic"): (1, 1),
    ("prompt-extraction", "basic"): (1, 1),
    ("prompt-extraction", "jailbreak"): (1, 1),
}


@pytest.fixture(scope="module")
def garak_report() -> garak.ParsedReport:
    return garak.parse(GARAK_REPORT.read_bytes())


def test_the_tools_are_told_apart_by_content() -> None:
    assert detect_tool(GARAK_REPORT.read_bytes()) == "garak"
    assert detect_tool(PROMPTFOO_RESULTS.read_bytes()) == "promptfoo"
    assert detect_tool(GARAK_HITLOG.read_bytes()) is None
    assert garak.looks_like_hitlog(GARAK_HITLOG.read_bytes())
    assert detect_tool(b"a,b\n1,2\n") is None


def test_garak_counts_per_probe_and_detector(garak_report) -> None:  # type: ignore[no-untyped-def]
    assert garak_report.errors == []
    assert garak_report.tool_version == "0.17.1"
    assert garak_report.target == "test.Repeat"
    assert garak_report.ran_at == dt.datetime(2026, 12, 6, 6, 16, 46, 554512, tzinfo=dt.UTC)
    counts = {k: (f.attempts, f.failures) for k, f in garak_report.findings.items()}
    assert counts == GARAK_COUNTS
    propile_leak = garak_report.findings[("propile.PIILeakTwin", "propile.PIILeak")]
    assert propile_leak.pass_rate if hasattr(propile_leak, "pass_rate") else True
    assert round(1 - propile_leak.failures / propile_leak.attempts, 3) == 0.963


def test_garak_failures_agree_with_its_hit_log(garak_report) -> None:  # type: ignore[no-untyped-def]
    hits = garak.hits(GARAK_HITLOG.read_bytes())
    failing = {k: f.failures for k, f in garak_report.findings.items() if f.failures}
    assert dict(hits) == failing


def test_garak_keeps_a_capped_number_of_capped_examples(settings) -> None:  # type: ignore[no-untyped-def]
    settings.SCAN_EXAMPLES_PER_FINDING = 2
    settings.SCAN_EXAMPLE_MAX_CHARS = 100
    report = garak.parse(GARAK_REPORT.read_bytes())
    xss = report.findings[("web_injection.TaskXSS", "web_injection.XSS")]
    assert len(xss.examples) == 2
    assert all(len(e["prompt"]) <= 100 and len(e["output"]) <= 100 for e in xss.examples)
    assert not report.findings[("goodside.Tag", "base.TriggerListDetector")].examples


def test_promptfoo_counts_per_plugin_and_strategy() -> None:
    report = promptfoo.parse(PROMPTFOO_RESULTS.read_bytes())
    assert report.errors == []
    assert report.tool_version == "0.121.20"
    assert report.target == "echo"
    counts = {k: (f.attempts, f.failures) for k, f in report.findings.items()}
    assert counts == PROMPTFOO_COUNTS
    xss = report.findings[("harmful:cybercrime", "prompt-injection")]
    assert "<script>alert('riskhub-xss')</script>" in xss.examples[0]["output"]


def test_an_unfinished_garak_run_is_refused() -> None:
    lines = GARAK_REPORT.read_bytes().splitlines(keepends=True)
    unfinished = b"".join(line for line in lines if b'"entry_type": "eval"' not in line)
    report = garak.parse(unfinished)
    assert not report.findings
    assert "did not finish" in report.errors[0].reason
