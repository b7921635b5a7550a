"""Backup and restore: the database (pg_dump custom format, or SQLite's online backup)
and the media folder (evidence and reports), with a manifest of SHA-256 checksums.

The audit key (AUDIT_HMAC_KEY) is deliberately NOT in the backup: keep it in your secret
store. A restore is verified by running verify_audit_trail against the restored data.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from riskhub.common.files import sha256_of


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is not installed (Debian package postgresql-client)")
    return path


def _pg_env(db: dict[str, Any]) -> dict[str, str]:
    env = os.environ.copy()
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    return env


def _pg_args(db: dict[str, Any]) -> list[str]:
    args = []
    if db.get("HOST"):
        args += ["-h", str(db["HOST"])]
    if db.get("PORT"):
        args += ["-p", str(db["PORT"])]
    if db.get("USER"):
        args += ["-U", str(db["USER"])]
    return args


def backup(output: Path) -> dict[str, Any]:
    output.mkdir(parents=True, exist_ok=True)
    db = connection.settings_dict
    files: dict[str, str] = {}
    if connection.vendor == "postgresql":
        target = output / "database.pgdump"
        subprocess.run(  # noqa: S603 - fixed program, arguments from settings
            [
                _tool("pg_dump"),
                "-Fc",
                "--no-owner",
                "-f",
                str(target),
                *_pg_args(db),
                str(db["NAME"]),
            ],
            check=True,
            env=_pg_env(db),
        )
    else:
        target = output / "database.sqlite3"
        source = sqlite3.connect(str(db["NAME"]))
        dest = sqlite3.connect(str(target))
        with dest:
            source.backup(dest)
        source.close()
        dest.close()
    files[target.name] = sha256_of(target)
    media = Path(settings.MEDIA_ROOT)
    archive = output / "media.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        if media.exists():
            tar.add(media, arcname="media")
    files[archive.name] = sha256_of(archive)
    manifest = {
        "created_at": timezone.now().isoformat(),
        "vendor": connection.vendor,
        "files": files,
    }
    (output / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return manifest


def restore(source: Path, *, media_root: Path | None = None) -> dict[str, Any]:
    """Restore a backup into the (empty) database this process is configured for."""
    manifest = json.loads((source / "manifest.json").read_text())
    for name, digest in manifest["files"].items():
        if sha256_of(source / name) != digest:
            raise ValueError(f"{name} does not match its checksum in the manifest")
    db = connection.settings_dict
    if manifest["vendor"] != connection.vendor:
        raise ValueError(f"backup is from {manifest['vendor']}, target is {connection.vendor}")
    connection.close()
    if connection.vendor == "postgresql":
        subprocess.run(  # noqa: S603
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "-d",
                str(db["NAME"]),
                *_pg_args(db),
                str(source / "database.pgdump"),
            ],
            check=True,
            env=_pg_env(db),
        )
    else:
        shutil.copyfile(source / "database.sqlite3", str(db["NAME"]))
    media_root = media_root or Path(settings.MEDIA_ROOT)
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(source / "media.tar.gz", "r:gz") as tar:
        members = [m for m in tar.getmembers() if m.name.startswith("media")]
        for member in members:
            member.name = member.name.removeprefix("media").lstrip("/")
        tar.extractall(media_root, members=[m for m in members if m.name], filter="data")
    return manifest
