"""Reports at scale on PostgreSQL. Targets: the EU AI Act compliance report for 1,000
assets in <= 90 s with the worker's peak memory <= 1 GB; the executive summary in
<= 10 s; the enqueue request in <= 50 ms.

Each render runs the task function in a fresh subprocess (as a worker would), which
reports its wall time and its peak resident memory from resource.getrusage.

    .venv/bin/python bench/bench_reports.py [--assets 1000] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_BASE, ROOT, fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_rep"
PASSWORD = "bench-password-2026"

RENDER = """
import json, os, resource, sys, time
import django
django.setup()
from riskhub.reports import services
from riskhub.reports.models import Report
start = time.perf_counter()
outcome = services.run(int(sys.argv[1]))
elapsed = time.perf_counter() - start
report = Report.objects.get(pk=int(sys.argv[1]))
peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"outcome": outcome, "seconds": elapsed, "peak_mib": peak_kib / 1024,
                  "pages": report.pages, "size": report.size, "error": report.error}))
"""


def render_in_subprocess(report_id: int, env: dict[str, str]) -> dict[str, object]:
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", RENDER, str(report_id)],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    args = parser.parse_args()
    url = f"{PG_BASE}/{DATABASE}" if args.keep else fresh_database(DATABASE)
    media = ROOT / "var" / "bench-media"
    env = {
        "DATABASE_URL": url,
        "RISKHUB_DEV_SECRETS": "1",
        "DEBUG": "1",
        "MEDIA_ROOT": str(media),
        "DJANGO_SETTINGS_MODULE": "riskhub.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    seed_seconds = 0.0
    if not args.keep:
        manage("migrate", "-v0", env=env)
        manage("load_catalogs", env=env)
        start = time.perf_counter()
        manage(
            "seed_demo", "--force", "--password", PASSWORD, "--assets", str(args.assets), env=env
        )
        seed_seconds = time.perf_counter() - start

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.test import Client

    from riskhub.accounts.models import User
    from riskhub.inventory.models import Asset
    from riskhub.reports import services
    from riskhub.reports.models import Report
    from riskhub.risk.models import Risk

    auditor = User.objects.get(email="auditor@example.com")
    assets = Asset.objects.filter(archived_at__isnull=True).count()
    risks = Risk.objects.filter(assessment__is_current=True).count()

    # The enqueue request: the API call an auditor's client makes (session auth), with
    # the real broker publish on commit. Median of 30 after 3 warm-up requests.
    client = Client()
    client.force_login(auditor)
    timings = []
    for index in range(33):
        start = time.perf_counter()
        response = client.post(
            "/api/v1/reports/",
            {"kind": "executive-summary"},
            content_type="application/json",
        )
        elapsed = time.perf_counter() - start
        assert response.status_code == 201, response.content
        if index >= 3:
            timings.append(elapsed)
    enqueue_ms = statistics.median(timings) * 1000
    enqueue_p95 = sorted(timings)[int(len(timings) * 0.95) - 1] * 1000
    # Those were never rendered: no worker consumes the benchmark's queue.
    Report.objects.filter(status="queued").delete()

    def timed_report(kind: str, parameters: dict[str, str]) -> dict[str, object]:
        report = services.report_request(actor=auditor, kind=kind, parameters=parameters)
        Report.objects.filter(pk=report.pk).update(queued_at=report.queued_at)
        return render_in_subprocess(report.pk, env)

    compliance = timed_report("framework-compliance", {"framework": "eu-ai-act"})
    summary = timed_report("executive-summary", {})
    register = timed_report("risk-register", {})
    for result in (compliance, summary, register):
        assert result["outcome"] == "succeeded", result

    def row(label: str, r: dict[str, object]) -> str:
        return (
            f"| {label} | {float(r['seconds']):.1f} s | {float(r['peak_mib']):.0f} MiB | "
            f"{r['pages']} | {int(r['size']) / 1024:.0f} KiB |"  # type: ignore[call-overload]
        )

    ok_compliance = float(compliance["seconds"]) <= 90 and float(compliance["peak_mib"]) <= 1024  # type: ignore[arg-type]
    ok_summary = float(summary["seconds"]) <= 10  # type: ignore[arg-type]
    lines = [
        f"Inventory: {assets:,} active assets (seed_demo --assets {args.assets}), {risks:,} risks "
        "on current assessments; PostgreSQL; broker "
        f"`{os.environ.get('CELERY_BROKER_URL', 'filesystem://')}`. Each render runs the task "
        "function in a fresh process (build the data, HTML, WeasyPrint PDF/A-3b, pyHanko "
        "signature, store); peak memory is that process's ru_maxrss.",
        "",
        "| report | wall time | worker peak RSS | pages | size |",
        "|---|---|---|---|---|",
        row("EU AI Act compliance, whole organisation", compliance),
        row("executive summary", summary),
        row("risk register (every risk)", register),
        "",
        f"Enqueue request (POST /api/v1/reports/, session auth, on-commit publish): median "
        f"{enqueue_ms:.1f} ms, p95 {enqueue_p95:.1f} ms over 30 requests.",
        "",
        f"Targets: compliance report <= 90 s and <= 1 GB: {'met' if ok_compliance else 'NOT met'}; "
        f"executive summary <= 10 s: {'met' if ok_summary else 'NOT met'}; enqueue <= 50 ms: "
        f"{'met' if enqueue_ms <= 50 else 'NOT met'}.",
    ]
    if seed_seconds:
        lines.append(f"Seeding took {seed_seconds:.0f} s (not part of any target).")
    body = "\n".join(lines)
    print(body)
    record("Reports", body)


if __name__ == "__main__":
    main()
