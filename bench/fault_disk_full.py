"""Fault check: the disk fills up during an evidence upload.

MEDIA_ROOT is a 1 MB tmpfs (where mounting is refused, the script says so and stops);
a 2 MB PDF is uploaded through the API. Expected: a clear 400 error, no file or partial
file left in the media folder, no Evidence row; a small upload afterwards still works.

    .venv/bin/python bench/fault_disk_full.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_database, manage, record  # noqa: E402

PORT = 8767


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for key, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def pdf(size: int) -> bytes:
    """A real one-page PDF (evidence is parsed, not just sniffed) of about `size` bytes."""
    import io

    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    content = StreamObject()
    content.set_data(b"%" + b"0" * size + b"\n")
    page[NameObject("/Contents")] = writer._add_object(content)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def main() -> None:
    media = Path(tempfile.mkdtemp(prefix="riskhub-tmpfs-"))
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(media)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        print("mounting a tmpfs was refused:", mounted.stderr.strip())
        print("the same behaviour is covered by tests/compliance/test_storage_failure.py")
        return
    url = fresh_database("riskhub_fault_disk")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "RISKHUB_DEV_SECRETS": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "false",
        "MEDIA_ROOT": str(media),
        "RISKHUB_DEMO_PASSWORD": "fault-pass-2026",
    }
    server = None
    try:
        manage("migrate", "--noinput", "-v", "0", env=env)
        manage("load_catalogs", env=env)
        manage("seed_demo", "--force", "--users-only", env=env)
        setup = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-v",
                "0",
                "-c",
                "from riskhub.accounts.models import User; from riskhub.compliance import services;"
                "from riskhub.compliance.models import Control;"
                "u=User.objects.get(email='officer@example.com');"
                "i=services.implementation_create(actor=u, control=Control.objects.order_by('code').first(),"
                " scope=Control.Scope.ORGANISATION, status='implemented'); print(i.uuid)",
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        implementation = setup.stdout.strip().splitlines()[-1]
        token = subprocess.run(
            [sys.executable, "manage.py", "create_api_token", "officer@example.com"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "riskhub.wsgi:application",
                "--bind",
                f"127.0.0.1:{PORT}",
                "--workers",
                "1",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        base = f"http://127.0.0.1:{PORT}"
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz/", timeout=2)
                break
            except OSError:
                time.sleep(1)

        def upload(size: int) -> tuple[int, str]:
            body, content_type = multipart(
                {"implementation": implementation, "description": "Policy"}, "policy.pdf", pdf(size)
            )
            request = urllib.request.Request(
                base + "/api/v1/evidence/",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
            )
            try:
                with urllib.request.urlopen(request, timeout=60) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        big_status, big_body = upload(2 * 1024 * 1024)
        leftovers = [str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()]
        small_status, _ = upload(10 * 1024)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    rows = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from riskhub.compliance.models import Evidence; print(Evidence.objects.count())",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(["umount", str(media)], check=False)
    message = json.loads(big_body).get("error", {}) if big_body.startswith("{") else big_body[:200]
    ok = big_status == 400 and not leftovers and small_status == 201 and rows == "1"
    body = f"""
MEDIA_ROOT on a 1 MB tmpfs; a 2 MB PDF uploaded through the API, then a 10 kB one.

| large upload | its message | files left after it | small upload after | evidence rows | verdict |
|---|---|---|---|---|---|
| {big_status} | {message} | {leftovers or "none"} | {small_status} | {rows} | {"PASS" if ok else "FAIL"} |
"""
    record("Fault: disk full during an upload", body)
    print(body)


if __name__ == "__main__":
    main()
