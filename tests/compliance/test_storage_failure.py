"""A storage that fails mid-write (disk full) leaves nothing behind and says why."""

from __future__ import annotations

import errno
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage

from riskhub.compliance import services
from riskhub.compliance.models import Evidence

from . import samples

pytestmark = pytest.mark.django_db


class FullDisk(FileSystemStorage):
    """Writes the first chunk, then fails like a full disk."""

    def _save(self, name, content):  # type: ignore[no-untyped-def]
        path = self.path(name)
        import os

        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as handle:
            handle.write(b"%PDF-1.7 partial")
        raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_during_upload_stores_nothing_and_explains(
    officer, tmp_path, monkeypatch, catalogs
) -> None:  # type: ignore[no-untyped-def]
    from riskhub.compliance.models import Control

    storage = FullDisk(location=str(tmp_path))
    monkeypatch.setattr(services, "default_storage", storage)
    implementation = services.implementation_create(
        actor=officer,
        control=Control.objects.order_by("code").first(),
        scope=Control.Scope.ORGANISATION,
        status="implemented",
    )
    pdf = io.BytesIO(samples.pdf_bytes(padding=4096))
    with pytest.raises(ValidationError) as refused:
        services.evidence_add_file(
            actor=officer,
            implementation=implementation,
            file=pdf,
            name="policy.pdf",
            description="Signed policy",
        )
    assert "storage is full" in str(refused.value)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert not Evidence.objects.exists()
