"""One parser per tool; `detect_tool` tells them apart by content, never by name."""

from __future__ import annotations

from riskhub.scans.parsers import garak, promptfoo
from riskhub.scans.parsers.base import ParsedReport


def detect_tool(data: bytes, name: str = "") -> str | None:
    if garak.looks_like(data):
        return "garak"
    if promptfoo.looks_like(data):
        return "promptfoo"
    return None


def parse(tool: str, data: bytes) -> ParsedReport:
    return garak.parse(data) if tool == "garak" else promptfoo.parse(data)
