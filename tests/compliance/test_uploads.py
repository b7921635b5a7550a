"""Evidence uploads: type by content, refusals store nothing and say why."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from riskhub.compliance import services
from riskhub.compliance.models import Evidence
from riskhub.compliance.uploads import check_upload, sanitise_name

from . import samples
from .conftest import control


def docx_bytes(extra: bytes = samples.DOCX_DOCUMENT.encode()) -> bytes:
    return samples.docx_bytes({"word/document.xml": extra})


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


@pytest.fixture
def implementation(catalogs, officer):  # type: ignore[no-untyped-def]
    return services.implementation_create(
        actor=officer,
        control=control("CTL-INCIDENT-RESPONSE"),
        scope="organisation",
        status="implemented",
    )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def upload(officer, implementation, content: bytes, name: str):  # type: ignore[no-untyped-def]
    return services.evidence_add_file(
        actor=officer,
        implementation=implementation,
        file=io.BytesIO(content),
        name=name,
        size=len(content),
        description="Evidence",
    )


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "report.pdf", "Executable"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "policy.docx", "Executable"),
        (b"plain text pretending", "scan.pdf", "named .pdf but its content is text"),
        (b"\x00\x01\x02binary", "notes.txt", "not one of the accepted types"),
        (b"\xff\xfe\xfa latin", "notes.txt", "UTF-8"),
        (b"hello", "tool.exe", "Files ending in .exe are not accepted"),
        (b"PK\x03\x04garbage", "sheet.xlsx", "cannot be read"),
    ],
)
def test_refused_uploads_store_nothing_and_say_why(
    officer, implementation, media, content, name, message
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        upload(officer, implementation, content, name)
    assert message in " ".join(caught.value.messages)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_oversize_upload_is_refused(officer, implementation, media, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError, match="larger than"):
        upload(officer, implementation, b"a" * 2048, "big.txt")
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_zip_bomb_docx_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    bomb = docx_bytes(b"\x00" * (30 * 1024 * 1024))
    assert len(bomb) < 100_000
    with pytest.raises(ValidationError, match="zip bomb"):
        upload(officer, implementation, bomb, "policy.docx")
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_zip_without_office_content_types_is_refused(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ")
    with pytest.raises(ValidationError, match="only DOCX and XLSX"):
        upload(officer, implementation, buffer.getvalue(), "policy.docx")
    assert stored_files(media) == []


def test_path_traversal_name_is_sanitised_and_stored_under_a_random_name(
    officer, implementation, media
) -> None:  # type: ignore[no-untyped-def]
    evidence = upload(officer, implementation, b"training log\n", "../../../etc/passwd.txt")
    assert evidence.original_name == "passwd.txt"
    files = stored_files(media)
    assert len(files) == 1
    assert files[0].parent == media / "evidence"
    assert "passwd" not in files[0].name and len(files[0].stem) >= 24


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (samples.pdf_bytes(), "report.pdf", "application/pdf"),
        (samples.png_bytes(), "shot.png", "image/png"),
        (samples.jpeg_bytes(), "photo.jpg", "image/jpeg"),
        (b'{"ok": true}', "result.json", "application/json"),
        (b"a,b\n1,2\n", "table.csv", "text/csv"),
        (b"plain notes", "notes", "text/plain"),
    ],
)
def test_accepted_types_are_decided_by_content(
    officer, implementation, media, content, name, content_type
) -> None:  # type: ignore[no-untyped-def]
    evidence = upload(officer, implementation, content, name)
    assert evidence.content_type == content_type
    assert len(evidence.sha256) == 64


def test_a_real_docx_is_accepted(officer, implementation, media) -> None:  # type: ignore[no-untyped-def]
    evidence = upload(officer, implementation, docx_bytes(), "Policy.docx")
    assert evidence.content_type.endswith("wordprocessingml.document")


def test_an_xlsx_workbook_is_accepted() -> None:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    checked = check_upload(io.BytesIO(buffer.getvalue()), "register.xlsx")
    assert checked.kind == "xlsx"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("..\\..\\windows\\evil.pdf", "evil.pdf"),
        ("/etc/passwd", "passwd"),
        ("...hidden.txt", "hidden.txt"),
        ("a\x00b\nc.txt", "abc.txt"),
        ("", "evidence"),
        ("rapport été.pdf", "rapport été.pdf"),
    ],
)
def test_sanitise_name(raw: str, clean: str) -> None:
    assert sanitise_name(raw) == clean
