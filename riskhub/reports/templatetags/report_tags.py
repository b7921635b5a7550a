"""Lookups the report templates need over the report's data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import template

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
