"""Reading the YAML catalogs that ship with RiskHub: one reader for every app.

The catalogs are read on every `load_catalogs` and by pages that show a catalog; the
C parser (libyaml, which PyYAML wheels include) is about ten times faster than the
pure-Python one, and a file that has not changed since it was last read is parsed once
per process. Callers get their own copy, so changing it changes nothing for the next."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _parsed(path: str, mtime_ns: int, size: int) -> Any:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_Loader)  # noqa: S506 - a safe loader


def read(path: Path) -> Any:
    """The YAML document in `path` (the safe subset: no Python objects)."""
    stat = path.stat()
    return copy.deepcopy(_parsed(str(path), stat.st_mtime_ns, stat.st_size))


def parse(text: str) -> Any:
    """A YAML document given as text (the safe subset)."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a safe loader
