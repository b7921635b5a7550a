"""Backup, restore into a fresh database, verify the audit chain there."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from riskhub.audit.models import AuditEvent
from riskhub.audit.services import record_event
from riskhub.risk import catalog_loader
from riskhub.risk.models import RiskMatrix
from tests.dashboard.factories import make_assessment, make_asset, make_risk
from tests.support import ROOT, database_url_for_current_test_db


def _fresh_database_url(tmp_path: Path) -> tuple[str, object]:
    if connection.vendor == "postgresql":
        name = f"riskhub_restore_{uuid.uuid4().hex[:10]}"
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        base = database_url_for_current_test_db().rsplit("/", 1)[0]

        def drop() -> None:
            with connection.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"{base}/{name}", drop
    return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None


def _manage(*args: str, database_url: str, media: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": str(media)}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# Run in the restored database: whether the register's totals (kept by triggers on
# PostgreSQL; none elsewhere) equal its rows counted, and how many risks it holds.
TOTALS_CHECK = """
from riskhub.risk import totals
from tests.risk.test_totals import live, stored
print(stored() == live() if totals.kept() else not stored(), sum(live().values()))
"""


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_a_fresh_database_with_an_intact_audit_chain(
    tmp_path: Path, settings, officer
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    (tmp_path / "media" / "evidence").mkdir(parents=True)
    (tmp_path / "media" / "evidence" / "policy.txt").write_text("signed policy")
    for i in range(25):
        record_event(actor=None, action="backup.test", object_id=str(i))
    catalog_loader.load(stdout=io.StringIO())
    matrix = RiskMatrix.objects.get(is_default=True)
    assessment = make_assessment(make_asset(), author=officer, matrix=matrix)
    for residual in ((1, 1), (3, 4), (5, 5)):
        make_risk(assessment, (5, 5), residual)
    events = AuditEvent.objects.count()
    assert events > 25  # the catalogs and the risks are recorded too
    call_command("backup", str(tmp_path / "backup"))

    url, drop = _fresh_database_url(tmp_path)
    restored_media = tmp_path / "restored-media"
    try:
        restored = _manage(
            "restore", str(tmp_path / "backup"), database_url=url, media=restored_media
        )
        assert restored.returncode == 0, restored.stderr
        verified = _manage("verify_audit_trail", database_url=url, media=restored_media)
        assert verified.returncode == 0, verified.stderr
        assert f"{events} events verified" in verified.stdout
        assert (restored_media / "evidence" / "policy.txt").read_text() == "signed policy"
        # The register's totals are restored once: pg_restore creates the triggers
        # after the rows, so loading the risks does not count them a second time.
        checked = _manage("shell", "-c", TOTALS_CHECK, database_url=url, media=restored_media)
        assert checked.returncode == 0, checked.stderr
        assert checked.stdout.splitlines()[-1].split() == ["True", "3"]
    finally:
        drop()  # type: ignore[operator]


@pytest.mark.django_db(transaction=True)
def test_a_corrupted_backup_is_refused(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    record_event(actor=None, action="backup.test")
    call_command("backup", str(tmp_path / "backup"))
    with (tmp_path / "backup" / "media.tar.gz").open("ab") as handle:
        handle.write(b"tampered")
    url, drop = _fresh_database_url(tmp_path)
    try:
        result = _manage(
            "restore", str(tmp_path / "backup"), database_url=url, media=tmp_path / "m"
        )
        assert result.returncode != 0 and "checksum" in result.stderr
    finally:
        drop()  # type: ignore[operator]
