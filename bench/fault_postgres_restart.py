"""Fault check: PostgreSQL restarted under load.

Expected: requests during the outage fail cleanly (an HTTP error, never a hang), the
service recovers by itself once PostgreSQL is back, and no partial write is left: every
asset the API confirmed with 201 exists with its audit event, nothing else does, and the
audit chain verifies. Restarts the machine's shared PostgreSQL, so it is not in CI.

    .venv/bin/python bench/fault_postgres_restart.py
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_database, manage, record  # noqa: E402

PORT = 8766


def main() -> None:
    url = fresh_database("riskhub_fault_pg")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "RISKHUB_DEV_SECRETS": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "false",
        "RISKHUB_DEMO_PASSWORD": "fault-pass-2026",
    }
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("seed_demo", "--force", "--users-only", env=env)
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
            "2",
            "--timeout",
            "30",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{PORT}"
    created: list[str] = []
    outcomes: dict[str, int] = {}
    slowest = 0.0
    stop = threading.Event()

    def writer() -> None:
        nonlocal slowest
        n = 0
        while not stop.is_set():
            n += 1
            body = json.dumps({"kind": "dataset", "name": f"fault-dataset-{n}"}).encode()
            request = urllib.request.Request(
                base + "/api/v1/assets/",
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            )
            start = time.perf_counter()
            try:
                with urllib.request.urlopen(request, timeout=35) as response:
                    payload = json.loads(response.read())
                    created.append(payload["id"])
                    key = str(response.status)
            except urllib.error.HTTPError as error:
                key = str(error.code)
            except OSError as error:
                key = type(error).__name__
            slowest = max(slowest, time.perf_counter() - start)
            outcomes[key] = outcomes.get(key, 0) + 1
            time.sleep(0.05)

    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz/", timeout=2)
                break
            except OSError:
                time.sleep(1)
        thread = threading.Thread(target=writer)
        thread.start()
        time.sleep(5)
        cluster = subprocess.run(
            ["ls", "/etc/postgresql"], capture_output=True, text=True
        ).stdout.split()[0]
        print("restarting PostgreSQL ...", flush=True)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast"],
            check=True,
        )
        time.sleep(5)
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main", "start"], check=True
        )
        restarted = time.monotonic()
        recovered_after = None
        while time.monotonic() - restarted < 60:
            try:
                with urllib.request.urlopen(base + "/healthz/", timeout=5) as response:
                    if response.status == 200:
                        recovered_after = time.monotonic() - restarted
                        break
            except (urllib.error.HTTPError, OSError):
                time.sleep(0.5)
        time.sleep(5)
        stop.set()
        thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    check = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-v",
            "0",
            "-c",
            "from riskhub.inventory.models import Asset; from riskhub.audit.models import AuditEvent;"
            "import json; ids={str(u) for u in Asset.objects.filter(name__startswith='fault-').values_list('uuid', flat=True)};"
            "ev={e for e in AuditEvent.objects.filter(action='asset.create').values_list('object_id', flat=True)};"
            "print(json.dumps({'assets': sorted(ids), 'events': sorted(ev)}))",
        ],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    state = json.loads(check.stdout)
    verify = subprocess.run(
        [sys.executable, "manage.py", "verify_audit_trail"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    consistent = set(state["assets"]) == set(created) and set(state["assets"]) <= set(
        state["events"]
    )
    ok = bool(
        recovered_after is not None and consistent and verify.returncode == 0 and slowest < 35
    )
    body = f"""
Writer creating datasets through the API every 50 ms against gunicorn (2 workers);
PostgreSQL stopped (fast) for 5 s, then started.

| outcome counts | slowest request | recovered after restart | confirmed = stored | audit chain | verdict |
|---|---|---|---|---|---|
| {outcomes} | {slowest:.1f} s | {f"{recovered_after:.1f} s" if recovered_after is not None else "no"} | {consistent} ({len(created)} confirmed, {len(state["assets"])} stored) | {"intact" if verify.returncode == 0 else verify.stderr.strip()} | {"PASS" if ok else "FAIL"} |
"""
    record("Fault: PostgreSQL restarted under load", body)
    print(body)


if __name__ == "__main__":
    main()
