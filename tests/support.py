"""Helpers shared by tests that start real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.db import connection, transaction

ROOT = Path(__file__).resolve().parents[1]


def database_url_for_current_test_db() -> str:
    """DATABASE_URL of the database this test runs against, for a child process."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(s["NAME"])
        assert name != ":memory:" and "mode=memory" not in name, "a worker needs a file database"
        return "sqlite:///" + str(Path(name).resolve())
    user = quote(s.get("USER") or "")
    password = quote(s.get("PASSWORD") or "")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = s.get("HOST") or "localhost"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{s['NAME']}"


def start_worker(
    queue: str, log_path: Path, extra_env: dict[str, str] | None = None, *, pool: str = "solo"
) -> subprocess.Popen[bytes]:
    """A real Celery worker on `queue`: one process (solo), or a prefork parent with one
    pool process (the pool `make run` and docker compose start, with two)."""
    env = os.environ.copy()
    env.update({"DATABASE_URL": database_url_for_current_test_db(), "PYTHONUNBUFFERED": "1"})
    env.update(extra_env or {})
    log = log_path.open("ab")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "riskhub",
            "worker",
            f"--pool={pool}",
            *(["--concurrency=1"] if pool == "prefork" else []),
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
            "--hostname",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def module_transaction(django_db_blocker: Any) -> Iterator[None]:
    """Database access for a module-scoped fixture, in a transaction rolled back when
    the module ends: each of its tests runs in a savepoint inside it, so what a test
    changes is undone before the next, and what the fixture built after the last."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def inner_loop() -> bool:
    """True under `make test-fast` (RISKHUB_TEST_FAST=1): every test still runs, with
    fewer generated cases; `make test` and CI draw them all."""
    return os.environ.get("RISKHUB_TEST_FAST") == "1"


def examples(n: int) -> int:
    """How many examples a property test draws: `n` under `make test` and in CI; a
    quarter of it (at least 3) in the inner loop."""
    if inner_loop():
        return max(3, n // 4)
    return n


def own_callbacks(callbacks: list[Callable[[], object]]) -> list[Callable[[], object]]:
    """The on-commit callbacks a service queued itself, without the audit trail's own
    (after a commit it tells the webhooks which events were recorded)."""
    return [c for c in callbacks if not c.__qualname__.startswith("record_events.")]


def pdf_page_texts(pdf: bytes | Any) -> list[str]:
    """The text of each page of a PDF (bytes, or a pypdf reader over them), read by
    poppler's pdftotext in content-stream order: a second, independent PDF reader, and a hundred times faster
    than pypdf's text extraction on the report files."""
    if not isinstance(pdf, bytes):
        pdf.stream.seek(0)
        pdf = pdf.stream.read()
    done = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    pages = done.stdout.decode("utf-8").split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def pdf_text(pdf: bytes | Any) -> str:
    """A PDF's text with every run of whitespace made one space."""
    return " ".join(" ".join(pdf_page_texts(pdf)).split())
