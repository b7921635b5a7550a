"""Shared helpers for benchmarks: a PostgreSQL database per benchmark, seeded with the
demo seeder, and a place to record results in bench/RESULTS.md."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

sys.path.insert(0, str(ROOT))
from riskhub.core.memory import PEAK_LINE, child_pids, peak_rss_mib  # noqa: E402, F401 (re-exported)


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"


def psql(sql: str, database: str = "postgres") -> None:
    subprocess.run(  # noqa: S603
        ["psql", f"{PG_BASE}/{database}", "-v", "ON_ERROR_STOP=1", "-qc", sql],  # noqa: S607
        check=True,
    )


def fresh_database(name: str) -> str:
    psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql(f'CREATE DATABASE "{name}"')
    return f"{PG_BASE}/{name}"


def manage(*args: str, env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args], cwd=ROOT, env={**os.environ, **env}, check=True
    )


def record(section: str, body: str) -> None:
    """Replace (or add) `## section` in RESULTS.md with the body and a timestamp."""
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"## {section}\n\n_Measured {stamp} on {machine()}._\n\n{body.strip()}\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    )
    RESULTS.write_text(text)
