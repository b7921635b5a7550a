"""What every parser returns: the tool, its version, the findings per check, and the
row errors (line, field, reason) that make the whole import refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings

from riskhub.inventory.io.importer import RowError

__all__ = ["ParsedFinding", "ParsedReport", "RowError", "example"]


@dataclass
class ParsedFinding:
    probe: str
    detector: str
    attempts: int = 0
    failures: int = 0
    examples: list[dict[str, str]] = field(default_factory=list)
    # The first line of the report that produced this finding (for row errors).
    line: int = 0

    def keep(self, prompt: str, output: str) -> None:
        """Keep a failing example while there is room (SCAN_EXAMPLES_PER_FINDING)."""
        if len(self.examples) < settings.SCAN_EXAMPLES_PER_FINDING:
            self.examples.append({"prompt": example(prompt), "output": example(output)})


@dataclass
class ParsedReport:
    tool: str
    tool_version: str = ""
    ran_at: dt.datetime | None = None
    target: str = ""
    findings: dict[tuple[str, str], ParsedFinding] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)

    def finding(self, probe: str, detector: str, line: int) -> ParsedFinding:
        key = (probe, detector)
        if key not in self.findings:
            self.findings[key] = ParsedFinding(probe, detector, line=line)
        return self.findings[key]


def example(text: str) -> str:
    """A failing prompt or output as kept: at most SCAN_EXAMPLE_MAX_CHARS characters
    (the tail marked as cut), NUL and other control characters but newlines and tabs
    removed. It stays an attack payload: templates escape it."""
    limit = settings.SCAN_EXAMPLE_MAX_CHARS
    clean = "".join(ch for ch in text if ch in "\n\t" or ch >= " ")
    if len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean
