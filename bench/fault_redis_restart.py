"""Fault check: Redis restarted with reports queued.

Four reports are requested with a worker running; Redis (which keeps nothing on disk
here) is restarted at once, losing what it held. The database is the source of truth:
the periodic re-queue (run here with the clock moved past its 15-minute threshold, as
beat would after 15 minutes) sends lost reports again, and every report completes,
once, with one file. Restarts the machine's shared Redis, so it is not in CI.

    .venv/bin/python bench/fault_redis_restart.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_database, manage, record  # noqa: E402

BROKER = "redis://127.0.0.1:6379/13"
REDIS_START = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]


def shell(code: str, env: dict[str, str]) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def states(env: dict[str, str]) -> list[dict[str, object]]:
    out = shell(
        "import json; from riskhub.reports.models import Report;"
        "print(json.dumps([{'status': r.status, 'file': bool(r.file), 'attempt': r.attempt}"
        " for r in Report.objects.order_by('id')]))",
        env,
    )
    return json.loads(out.splitlines()[-1])


def main() -> None:
    url = fresh_database("riskhub_fault_redis")
    media = Path(tempfile.mkdtemp(prefix="riskhub-fault-redis-"))
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": BROKER,
        "DEBUG": "false",
        "RISKHUB_DEV_SECRETS": "1",
        "MEDIA_ROOT": str(media),
        "RISKHUB_DEMO_PASSWORD": "fault-pass-2026",
    }
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("load_catalogs", env=env)
    manage("seed_demo", "--force", env=env)
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "riskhub",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        time.sleep(8)
        shell(
            "from riskhub.accounts.models import User; from riskhub.reports import services;"
            "a=User.objects.get(email='auditor@example.com');"
            "[services.report_request(actor=a, kind=k, parameters=p) for k, p in ["
            "('framework-compliance', {'framework': 'eu-ai-act'}), ('framework-compliance', {'framework': 'gdpr'}),"
            "('risk-register', {}), ('executive-summary', {})]]",
            env,
        )
        queued = subprocess.run(
            ["redis-cli", "-n", "13", "llen", "celery"], capture_output=True, text=True
        ).stdout.strip()
        print("restarting Redis ...", flush=True)
        subprocess.run(["redis-cli", "shutdown", "nosave"], capture_output=True)
        time.sleep(2)
        subprocess.run(REDIS_START, check=True)
        for _ in range(30):
            if subprocess.run(["redis-cli", "ping"], capture_output=True).returncode == 0:
                break
            time.sleep(0.5)
        time.sleep(10)
        before = states(env)
        shell(
            "import datetime as dt; from django.utils import timezone; from riskhub.reports import services;"
            "print(services.requeue_stale(now=timezone.now() + dt.timedelta(minutes=16),"
            " stale_after=dt.timedelta(minutes=30)))",
            env,
        )
        deadline = time.monotonic() + 300
        after = states(env)
        while time.monotonic() < deadline and any(r["status"] != "succeeded" for r in after):
            time.sleep(3)
            after = states(env)
    finally:
        worker.terminate()
        worker.wait(timeout=60)
    files = [p for p in media.rglob("*.pdf")]
    done = sum(1 for r in after if r["status"] == "succeeded")
    ok = done == len(after) == 4 and len(files) == 4 and worker.returncode is not None
    body = f"""
Four reports requested with a worker running on Redis; Redis restarted at once (nothing on
disk: its queue is lost); the beat re-queue run with the clock past 15 minutes.

| messages in Redis before | states just after the restart | re-queued and finished | PDF files | verdict |
|---|---|---|---|---|
| {queued} | {[r["status"] for r in before]} | {done} of {len(after)} succeeded | {len(files)} | {"PASS" if ok else "FAIL"} |
"""
    record("Fault: Redis restarted with reports queued", body)
    print(body)


if __name__ == "__main__":
    main()
