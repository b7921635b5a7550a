from __future__ import annotations

from django.template.defaultfilters import filesizeformat


def human_size(size: int) -> str:
    """20 MB, 1.5 MB, 800 KB, 1000 bytes: whole numbers without a trailing .0, so a
    limit under a megabyte never reads "0 MB"."""
    return str(filesizeformat(size)).replace("\xa0", " ").replace(".0 ", " ")
