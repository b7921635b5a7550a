from __future__ import annotations

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_database_engine_is_the_one_ci_asked_for() -> None:
    """CI sets RISKHUB_EXPECT_VENDOR, so a suite meant for PostgreSQL cannot quietly
    run on SQLite (or the reverse)."""
    url = os.environ.get("DATABASE_URL", "sqlite://")
    expected = os.environ.get("RISKHUB_EXPECT_VENDOR") or (
        "postgresql" if url.startswith("postgres") else "sqlite"
    )
    assert connection.vendor == expected
