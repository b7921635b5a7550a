"""Time-zone names as people type them into the organisation profile."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar
from zoneinfo import ZoneInfo

Z = TypeVar("Z", bound=dt.tzinfo)


def zone_named(name: str, default: Z) -> ZoneInfo | Z:
    """The zone called `name`, or `default` when the name is empty or unknown."""
    if not name:
        return default
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return default
