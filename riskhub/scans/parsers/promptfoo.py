"""promptfoo's JSON results (`promptfoo eval --output results.json`, or `redteam run`).

The document holds `results.results`: one entry per test case and provider, with
`success`, `failureReason` (0 none, 1 a failed assertion, 2 an error) and the test
case's `metadata`, where red-team tests name their `pluginId` and `strategyId`. A
finding is one plugin and strategy; an entry that errored (no answer to judge) is not
counted, as garak leaves out the outputs its detectors could not score. `metadata`
at the top names the promptfoo version. Row errors name the entry as `results[i]`
(line i+1).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.utils.dateparse import parse_datetime

from riskhub.common import safejson
from riskhub.scans.parsers.base import ParsedReport, RowError

ERROR = 2


def _document(data: bytes) -> Any:
    return safejson.loads(data.decode("utf-8-sig"))


def looks_like(data: bytes) -> bool:
    try:
        document = _document(data)
    except (UnicodeDecodeError, ValueError):
        return False
    return (
        isinstance(document, dict)
        and isinstance(document.get("results"), dict)
        and isinstance(document["results"].get("results"), list)
    )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _moment(value: Any) -> dt.datetime | None:
    if isinstance(value, str):
        parsed = parse_datetime(value)
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    return None


def parse(data: bytes) -> ParsedReport:
    report = ParsedReport(tool="promptfoo")
    try:
        document = _document(data)
    except UnicodeDecodeError:
        report.errors.append(RowError(0, "file", "The results are not UTF-8 text."))
        return report
    except ValueError as exc:
        report.errors.append(RowError(0, "file", f"Not JSON: {getattr(exc, 'msg', str(exc))}."))
        return report
    results = (document.get("results") or {}) if isinstance(document, dict) else {}
    entries = results.get("results") if isinstance(results, dict) else None
    if not isinstance(entries, list):
        report.errors.append(RowError(0, "results", "No results.results list: not promptfoo."))
        return report
    meta = document.get("metadata") or {}
    report.tool_version = str(meta.get("promptfooVersion") or results.get("version") or "")
    report.ran_at = _moment(meta.get("evaluationCreatedAt")) or _moment(results.get("timestamp"))
    providers = []
    for index, entry in enumerate(entries):
        line = index + 1
        where = f"results[{index}]"
        if not isinstance(entry, dict):
            report.errors.append(RowError(line, where, "Not a result object."))
            continue
        case = entry.get("testCase") or {}
        metadata = {**(entry.get("metadata") or {}), **(case.get("metadata") or {})}
        plugin = metadata.get("pluginId")
        strategy = metadata.get("strategyId") or "basic"
        if not isinstance(plugin, str) or not plugin:
            report.errors.append(
                RowError(
                    line,
                    f"{where}.testCase.metadata.pluginId",
                    "Missing: only red-team tests (with a plugin) can be mapped to threats.",
                )
            )
            continue
        if not isinstance(entry.get("success"), bool):
            report.errors.append(RowError(line, f"{where}.success", "Missing or not true/false."))
            continue
        provider = (entry.get("provider") or {}).get("id")
        if provider and provider not in providers:
            providers.append(str(provider))
        finding = report.finding(plugin, str(strategy), line)
        if entry.get("failureReason") == ERROR:
            continue
        finding.attempts += 1
        if not entry["success"]:
            finding.failures += 1
            prompt = (entry.get("prompt") or {}).get("raw")
            output = (entry.get("response") or {}).get("output")
            finding.keep(_text(prompt), _text(output))
    report.target = ", ".join(providers)
    return report
