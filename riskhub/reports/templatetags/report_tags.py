"""Lookups the report templates need over the report's data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from riskhub.common import dates

register = template.Library()


@register.simple_tag
def obligation(
    obligations: Iterable[Mapping[str, Any]], framework: str, ref: str
) -> Mapping[str, Any] | None:
    """The obligation identified by (framework slug, ref), or None when it does not
    apply. Never by ref alone: "Art. 14" is human oversight in the EU AI Act and the
    duty to inform in the GDPR; "Art. 15" accuracy and robustness in one, the right of
    access in the other."""
    return next(
        (o for o in obligations if o.get("framework_slug") == framework and o.get("ref") == ref),
        None,
    )


@register.filter
def report_date(value: object) -> str:
    """Every date in every report kind, in the one format (riskhub.common.dates)."""
    return dates.report_date(value)


# After these an identifier may break: an e-mail, a UUID, a URL or a code wraps at its
# separators, never inside a word.
SEPARATORS = "@.-_/:"


@register.filter
def breakable(value: object) -> SafeString:
    """The text, escaped, with a break opportunity after each separator."""
    text = escape(str(value if value is not None else ""))
    for sep in SEPARATORS:
        text = text.replace(sep, sep + "<wbr>")
    return mark_safe(text)  # noqa: S308 - escaped above; only <wbr> added


@register.filter
def short_hash(value: object, length: int = 12) -> str:
    """A SHA-256 (or any long hex) in a table: its first characters; the full value is
    in the embedded JSON."""
    text = str(value or "")
    return text if len(text) <= length else text[:length] + "\u2026"
