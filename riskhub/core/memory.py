"""A process's memory as Linux reports it (no Django imports: the benchmarks use it too)."""

from __future__ import annotations

import re
from pathlib import Path

# What a worker's pool process logs as it exits (riskhub.celery), and how it is read back.
PEAK_MESSAGE = "Pool process %s exits (code %s); its peak resident memory was %.0f MiB"
PEAK_LINE = re.compile(
    r"Pool process (\d+) exits \(code [^)]*\); its peak resident memory was (\d+) MiB"
)


def peak_rss_mib(pid: int | str = "self") -> float:
    """A process's high-water resident memory (VmHWM), in MiB; 0.0 where /proc has no
    such process. Not ru_maxrss: on Linux a process keeps there the peak of the parent
    it was forked from before its exec."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def child_pids(pid: int) -> list[int]:
    """The live child processes of `pid` (a prefork worker's pool processes)."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []
    found: list[int] = []
    for task in tasks:
        try:  # a thread may end between the listing and the read
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found
