"""One JSON loader for everything a client sends: API bodies (through the DRF parser in
`riskhub.api.parsers`), the Alertmanager webhook, evidence files and inventory imports.

`json.loads` alone turns hostile documents into a 500: deep nesting exhausts the
recursion limit (RecursionError), an integer of more than 4300 digits hits Python's
int conversion limit (a ValueError that is not a JSONDecodeError), and `1e999` quietly
becomes infinity, which the database stores and the JSON renderer then refuses.

So the nesting depth is measured first, without recursion (strings blanked out by one
regular expression, then the brackets counted, all in C), and the numbers and
constants are checked by `json.loads`'s own hooks as it meets them. A refusal is a
`JSONInputError`, a `json.JSONDecodeError`, so callers that report a syntax error with
its line number report these the same way.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

# A CycloneDX BOM nests two levels per nested component ("components": [{...}]): 100
# allows 49 levels of sub-components, far beyond any real bill of materials, while
# everything that later walks the document (the CycloneDX schema validator, the
# importer, the audit trail's canonical JSON) stays well inside the recursion limit.
MAX_DEPTH = 100
# No field RiskHub stores needs a number anywhere near this long (training FLOPs are
# ~26 digits); Python itself refuses more than 4300 digits with an obscure message.
MAX_NUMBER_LENGTH = 100

# A JSON string; when unterminated it runs to the end of the text, so every quote
# matches and the scan stays linear whatever the input.
_STRING = r'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\\?\Z)'
_STRINGS = re.compile(_STRING, re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
_TOKENS = re.compile(
    rf"(?P<string>{_STRING})|(?P<open>[\[{{])|(?P<close>[\]}}])"
    r"|(?P<literal>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|NaN|-?Infinity)",
    re.DOTALL,
)
_TOO_DEEP = f"The JSON is nested more than {MAX_DEPTH} levels deep"


class JSONInputError(json.JSONDecodeError):
    """A JSON document RiskHub refuses to read; `msg` says why for a person."""


class _Refused(Exception):
    pass


def _problem(literal: str) -> str | None:
    """Why a number or constant is refused (None: it is fine)."""
    if literal in ("NaN", "Infinity", "-Infinity"):
        return f"{literal} is not a JSON value (use null or a number)"
    if len(literal) > MAX_NUMBER_LENGTH:
        return f"A number in the JSON is longer than {MAX_NUMBER_LENGTH} characters"
    if ("e" in literal or "E" in literal) and not math.isfinite(float(literal)):
        return f"The number {literal} is out of range"
    return None


def _checked(convert: Any) -> Any:
    def hook(literal: str) -> Any:
        if _problem(literal):
            raise _Refused(literal)
        return convert(literal)

    return hook


# json.loads calls these for every number and NaN/Infinity it meets (all refused).
_HOOKS = {
    "parse_int": _checked(int),
    "parse_float": _checked(float),
    "parse_constant": _checked(float),
}


def check_depth(text: str) -> None:
    """Raise JSONInputError if `text` nests deeper than MAX_DEPTH. Iterative: no input
    can make the check itself recurse."""
    outside = _STRINGS.sub('""', text)
    steps = map(_STEP.__getitem__, _BRACKETS.findall(outside))
    if max(accumulate(steps), default=0) > MAX_DEPTH:
        _locate(text)  # raises, naming the line
        raise JSONInputError(_TOO_DEEP, text, 0)


def _locate(text: str) -> None:
    """Walk the tokens to the first refused one and raise, naming where it is."""
    depth = 0
    for token in _TOKENS.finditer(text):
        kind = token.lastgroup
        if kind == "open":
            depth += 1
            if depth > MAX_DEPTH:
                raise JSONInputError(_TOO_DEEP, text, token.start())
        elif kind == "close":
            depth -= 1
        elif kind == "literal":
            problem = _problem(token.group())
            if problem:
                raise JSONInputError(problem, text, token.start())


def loads(text: str) -> Any:
    """Parse untrusted JSON. Raises JSONInputError (a document refused for its depth,
    a number or a constant) or json.JSONDecodeError (a malformed one), both ValueErrors."""
    check_depth(text)
    try:
        return json.loads(text, **_HOOKS)
    except _Refused as refused:
        _locate(text)
        literal = str(refused)  # not reached: _locate finds what the hook refused
        raise JSONInputError(_problem(literal) or literal, text, 0) from None
