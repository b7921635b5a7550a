"""Query strings for links that keep a list page's filters."""

from __future__ import annotations

from django.http import QueryDict


def query_without(params: QueryDict, *keys: str) -> str:
    """`params` url-encoded without `keys` (e.g. the page number, for pager links)."""
    query = params.copy()
    for key in keys:
        query.pop(key, None)
    return query.urlencode()
