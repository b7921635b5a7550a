"""The API's JSON parser: DRF's, reading through the one safe loader, so a hostile
body (nested 50,000 deep, a 5,000-digit number, NaN) is a 400 in the error shape."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from riskhub.common import safejson


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = parsers.get_encoding(parser_context or {})  # type: ignore[attr-defined]
        try:
            return safejson.loads(stream.read().decode(encoding))
        except ValueError as exc:  # JSONDecodeError, JSONInputError, UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
