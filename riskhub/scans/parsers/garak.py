"""garak's JSONL report (`<prefix>.report.jsonl`) and hit log (`.hitlog.jsonl`).

The report is one JSON object per line, told apart by `entry_type`:
- `start_run setup`: the run's configuration, flattened (`_config.version`,
  `plugins.target_type`/`plugins.model_type`, `run.eval_threshold`, ...);
- `init`: `garak_version`, `start_time`;
- `attempt`: one prompt and its outputs; `status` 2 once detectors have scored it,
  with `detector_results` {detector: [score per output]};
- `eval`: the counts per probe and detector (`passed`, `fails`, `nones`,
  `total_evaluated`; reports before 0.11 give `passed` and `total`);
- `completion`, `digest` and others, which are not needed here.

A finding is one `eval` line; its failing examples are the outputs of the scored
attempts whose score reached the run's threshold. The hit log lists the same hits one
per line; it is read to check a report against it (`hits`), not imported on its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.utils.dateparse import parse_datetime

from riskhub.common import safejson
from riskhub.scans.parsers.base import ParsedReport, RowError

DEFAULT_THRESHOLD = 0.5


def _lines(data: bytes) -> Iterator[tuple[int, str]]:
    text = data.decode("utf-8-sig", errors="strict")
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _first_object(data: bytes) -> dict[str, Any] | None:
    try:
        for _, line in _lines(data[:1_000_000]):
            value = safejson.loads(line)
            return value if isinstance(value, dict) else None
    except (UnicodeDecodeError, ValueError):
        return None
    return None


def looks_like(data: bytes) -> bool:
    first = _first_object(data)
    return first is not None and "entry_type" in first


def looks_like_hitlog(data: bytes) -> bool:
    first = _first_object(data)
    return first is not None and {"probe", "detector", "score", "output"} <= first.keys()


def _text(value: Any) -> str:
    """The text of a garak Message or Conversation (as the report writes them)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        if "turns" in value:
            return "\n".join(_text(turn.get("content")) for turn in value["turns"] or [])
        if "text" in value:
            return str(value.get("text") or "")
    return str(value)


def _detector(name: str) -> str:
    return name.removeprefix("detectors.").removeprefix("detector.")


def _probe(name: str) -> str:
    return name.removeprefix("probes.")


def _count(record: dict[str, Any], key: str) -> int | None:
    value = record.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def parse(data: bytes) -> ParsedReport:
    report = ParsedReport(tool="garak")
    threshold = DEFAULT_THRESHOLD
    # (probe, detector) -> [(line, prompt, output)] of the scored outputs that hit
    scored: dict[tuple[str, str], list[tuple[int, str, str]]] = {}
    try:
        lines = list(_lines(data))
    except UnicodeDecodeError:
        report.errors.append(RowError(0, "file", "The report is not UTF-8 text."))
        return report
    for number, line in lines:
        try:
            record = safejson.loads(line)
        except ValueError as exc:
            message = getattr(exc, "msg", str(exc))
            report.errors.append(RowError(number, "", f"Not a JSON object: {message}."))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("entry_type"), str):
            report.errors.append(
                RowError(number, "entry_type", "Missing: not a garak report line.")
            )
            continue
        kind = record["entry_type"]
        if kind == "start_run setup":
            report.tool_version = str(record.get("_config.version") or report.tool_version)
            target = [
                record.get("plugins.target_type") or record.get("plugins.model_type"),
                record.get("plugins.target_name") or record.get("plugins.model_name"),
            ]
            report.target = " ".join(str(t) for t in target if t)
            value = record.get("run.eval_threshold")
            if isinstance(value, int | float) and not isinstance(value, bool):
                threshold = float(value)
        elif kind == "init":
            report.tool_version = str(record.get("garak_version") or report.tool_version)
            started = record.get("start_time")
            parsed = parse_datetime(started) if isinstance(started, str) else None
            if parsed is not None:
                report.ran_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
        elif kind == "attempt" and record.get("status") == 2:
            probe = _probe(str(record.get("probe_classname") or ""))
            results = record.get("detector_results") or {}
            outputs = record.get("outputs") or []
            if not probe or not isinstance(results, dict) or not isinstance(outputs, list):
                report.errors.append(
                    RowError(number, "attempt", "A scored attempt without probe or results.")
                )
                continue
            prompt = _text(record.get("prompt"))
            for detector, scores in results.items():
                for index, score in enumerate(scores or []):
                    if isinstance(score, int | float) and score >= threshold:
                        output = _text(outputs[index]) if index < len(outputs) else ""
                        key = (probe, _detector(detector))
                        scored.setdefault(key, []).append((number, prompt, output))
        elif kind == "eval":
            _eval(report, number, record)
    if not report.errors and not report.findings and lines:
        report.errors.append(
            RowError(
                0,
                "file",
                "The report has no eval lines: the run did not finish, or evaluated nothing.",
            )
        )
    for key, finding in report.findings.items():
        for _, prompt, output in scored.get(key, []):
            finding.keep(prompt, output)
    return report


def _eval(report: ParsedReport, number: int, record: dict[str, Any]) -> None:
    probe = _probe(str(record.get("probe") or ""))
    detector = _detector(str(record.get("detector") or ""))
    passed = _count(record, "passed")
    total = _count(record, "total_evaluated")
    fails = _count(record, "fails")
    if total is None and fails is None:
        total = _count(record, "total")  # garak before 0.11
        fails = total - passed if total is not None and passed is not None else None
    if total is None and fails is not None and passed is not None:
        total = passed + fails
    if not probe or not detector:
        report.errors.append(RowError(number, "probe", "An eval line names no probe or detector."))
        return
    if passed is None or total is None or fails is None or passed + fails != total:
        report.errors.append(
            RowError(number, "passed", "The counts are not whole numbers that add up.")
        )
        return
    if (probe, detector) in report.findings:
        report.errors.append(RowError(number, "probe", f"{probe} / {detector} is evaluated twice."))
        return
    finding = report.finding(probe, detector, number)
    finding.attempts = total
    finding.failures = fails


def hits(data: bytes) -> Counter[tuple[str, str]]:
    """Hits per (probe, detector) in a hit log."""
    counts: Counter[tuple[str, str]] = Counter()
    for _, line in _lines(data):
        record = safejson.loads(line)
        counts[(_probe(record["probe"]), _detector(record["detector"]))] += 1
    return counts
