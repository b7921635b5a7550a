"""Loaded by pytest before Django starts (see pyproject addopts).

- lets the test run generate local secrets under var/, as the embedded default does;
- admins need no second factor unless a test says so (REQUIRE_2FA_FOR_ADMINS);
- Playwright's sync API runs an event loop in the test thread, so Django's async guard
  must be told that this is fine;
- with RISKHUB_NO_SKIPS=1 (set by `make test` and CI) a skipped test fails the run:
  a suite that cannot run must say so loudly.
"""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("RISKHUB_DEV_SECRETS", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# Production's default (DEBUG off) makes admins enrol a second factor before any page;
# tests sign admins in without one, and tests/accounts/test_two_factor.py turns it on.
os.environ.setdefault("REQUIRE_2FA_FOR_ADMINS", "false")


def pytest_configure(config):  # type: ignore[no-untyped-def]
    # `make test-fast` reuses its test databases (see tests/conftest.py); --create-db
    # still forces a fresh one.
    if os.environ.get("RISKHUB_TEST_FAST") == "1" and not config.getoption("create_db"):
        config.option.reuse_db = True


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped and os.environ.get("RISKHUB_NO_SKIPS") == "1":
        terminalreporter.write_line(
            f"RISKHUB_NO_SKIPS: {len(skipped)} test(s) were skipped; failing the run.",
            red=True,
        )
        for report in skipped:
            terminalreporter.write_line(f"  skipped: {report.nodeid} {report.longrepr}")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):  # type: ignore[no-untyped-def]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or os.environ.get("RISKHUB_NO_SKIPS") != "1":
        return
    if reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1
