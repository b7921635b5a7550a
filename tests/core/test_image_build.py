"""The production image builds: `collectstatic` with the manifest storage succeeds on
our static files (it once failed on Bootstrap's missing source map), vendored files
are served as vendored, and the Dockerfile and CI run the same build script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from whitenoise.compress import Compressor

from riskhub.common import staticfiles

ROOT = Path(__file__).resolve().parents[2]
STORAGE = "riskhub.common.staticfiles.VendoredManifestStaticFilesStorage"


@pytest.fixture
def manifest_storage(settings: Any, tmp_path: Path, monkeypatch: Any) -> Path:
    """Production's storage class into a temporary STATIC_ROOT. Compression is
    whitenoise's and slow (CI's image step runs it); hashing and reference rewriting,
    which broke, are ours to test here."""
    settings.STATIC_ROOT = str(tmp_path / "static")
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": STORAGE}}
    monkeypatch.setattr(
        staticfiles.VendoredManifestStaticFilesStorage,
        "create_compressor",
        lambda self, **kwargs: Compressor(**{**kwargs, "use_gzip": False, "use_brotli": False}),
    )
    return tmp_path / "static"


def test_production_settings_use_the_vendored_manifest_storage() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.STORAGES['staticfiles']['BACKEND'])",
        ],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "riskhub.settings",
            "DEBUG": "false",
            "SECRET_KEY": "test-only-secret-key-for-the-image-build-check",
            "AUDIT_HMAC_KEY": "test-only-audit-key-for-the-image-build-check",
        },
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == STORAGE


def test_collectstatic_with_the_manifest_storage_succeeds(manifest_storage: Path) -> None:
    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((manifest_storage / "staticfiles.json").read_text())["paths"]
    for source in (ROOT / "static").rglob("*"):
        if source.is_file():
            name = source.relative_to(ROOT / "static").as_posix()
            assert name in manifest, f"{name} has no hashed name"


def test_vendored_files_are_served_byte_for_byte_as_vendored(manifest_storage: Path) -> None:
    call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((manifest_storage / "staticfiles.json").read_text())["paths"]
    vendored = [p for p in (ROOT / "static" / "vendor").rglob("*") if p.is_file()]
    assert any(p.name == "bootstrap.bundle.min.js" for p in vendored)
    for source in vendored:
        name = source.relative_to(ROOT / "static").as_posix()
        served = manifest_storage / manifest[name]
        assert served.read_bytes() == source.read_bytes(), f"{name} was altered"


def test_the_dockerfile_and_ci_run_the_one_build_script() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    run_steps = [line for line in dockerfile.splitlines() if line.startswith("RUN ")]
    assert any("bin/build-image" in line for line in run_steps)
    assert not any("collectstatic" in line or "pip install" in line for line in run_steps)
    assert "bin/build-image" in (ROOT / ".ci" / "run").read_text()
    script = ROOT / "bin" / "build-image"
    assert script.stat().st_mode & 0o111, "bin/build-image is not executable"
    assert "set -euo pipefail" in script.read_text()
