"""Load: 30 concurrent users, each waiting about 1 s between requests, for 60 s, mixing
the dashboard, lists, detail pages and the API, against gunicorn on PostgreSQL with
10,000 assets. Target: no errors, p95 <= 500 ms.

    .venv/bin/python bench/bench_load.py [--users 30] [--seconds 60] [--assets 10000]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_database, manage, record  # noqa: E402

PASSWORD = "bench-password-2026"  # noqa: S105
PORT = 8765


class User:
    def __init__(self, base: str, email: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.email = email

    def login(self) -> None:
        page = self.opener.open(self.base + "/accounts/login/").read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": self.email, "password": PASSWORD}
        ).encode()
        request = urllib.request.Request(
            self.base + "/accounts/login/",
            data=data,
            headers={"Referer": self.base + "/accounts/login/"},
        )
        self.opener.open(request).read()

    def get(self, path: str) -> tuple[int, float]:
        start = time.perf_counter()
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        return status, time.perf_counter() - start


def discover_paths(user: User) -> list[str]:
    """Pages a CTO would open: the main pages, some asset pages, the API lists."""
    paths = [
        "/dashboard/",
        "/inventory/",
        "/inventory/?page=5",
        "/assessments/",
        "/compliance/",
        "/api/v1/assets/",
        "/api/v1/assets/?kind=model",
        "/api/v1/me/",
    ]
    optional = ["/assessments/register/", "/incidents/", "/reports/", "/api/v1/risks/"]
    for path in optional:
        if user.get(path)[0] == 200:
            paths.append(path)
    html = user.opener.open(user.base + "/inventory/").read().decode()
    paths += sorted(set(re.findall(r'href="(/inventory/[0-9a-f-]{36}/)"', html)))[:20]
    return paths


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--assets", type=int, default=10_000)
    args = parser.parse_args()

    url = fresh_database("riskhub_bench_load")
    env = {
        "DATABASE_URL": url,
        "DEBUG": "false",
        "RISKHUB_DEV_SECRETS": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
        "HTTPS": "false",
        # The demo admin has no authenticator app; production would send it to enrol.
        "REQUIRE_2FA_FOR_ADMINS": "false",
        "RISKHUB_DEMO_PASSWORD": PASSWORD,
        "CELERY_TASK_ALWAYS_EAGER": "false",
    }
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("load_catalogs", env=env)
    print(f"seeding {args.assets} assets ...", flush=True)
    manage("seed_demo", "--force", "--assets", str(args.assets), "--seed", "7", env=env)

    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "riskhub.wsgi:application",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "4",
            "--threads",
            "4",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(base + "/healthz/", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(1)
        emails = [
            "cto@example.com",
            "officer@example.com",
            "auditor@example.com",
            "admin@example.com",
        ]
        probe = User(base, emails[0])
        probe.login()
        paths = discover_paths(probe)
        timings: list[float] = []
        errors: list[tuple[str, int]] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + args.seconds

        def run(index: int) -> None:
            rng = random.Random(index)
            user = User(base, emails[index % len(emails)])
            user.login()
            while time.monotonic() < stop_at:
                path = rng.choice(paths)
                status, elapsed = user.get(path)
                with lock:
                    timings.append(elapsed)
                    if status >= 400:
                        errors.append((path, status))
                time.sleep(rng.uniform(0.7, 1.3))

        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.users)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    timings.sort()
    p95 = timings[int(len(timings) * 0.95) - 1] * 1000
    median = statistics.median(timings) * 1000
    verdict = "PASS" if not errors and p95 <= 500 else "FAIL"
    body = f"""
{args.users} users, ~1 s think time, {args.seconds} s, gunicorn 4 workers x 4 threads,
PostgreSQL, {args.assets} assets (seed_demo), {len(paths)} distinct URLs (dashboard, lists,
asset pages, API).

| requests | errors | median | p95 | target | verdict |
|---|---|---|---|---|---|
| {len(timings)} | {len(errors)} | {median:.0f} ms | {p95:.0f} ms | no errors, p95 <= 500 ms | {verdict} |
"""
    if errors:
        body += "\nErrors: " + ", ".join(f"{p} {s}" for p, s in errors[:10]) + "\n"
    record("Load (30 users, 60 s)", body)
    print(body)


if __name__ == "__main__":
    main()
