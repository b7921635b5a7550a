"""The consistency comparison (tests/consistency) at scale on PostgreSQL: 10,000 assets.

Seeds with `seed_demo --assets N`, takes today's snapshot, then compares, for the whole
organisation and for the first business unit, the dashboard API summary, the dashboard
page's data tables, today's snapshot and the data JSON of the executive summary, the
risk register and the framework compliance report of each framework (the same
`compare_scope` the test suite runs). Records how long each comparison took and
whether every figure agreed.

    .venv/bin/python bench/bench_consistency.py [--assets 10000] [--keep]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_BASE, ROOT, fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_consistency"
PASSWORD = "bench-password-2026"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    args = parser.parse_args()
    url = f"{PG_BASE}/{DATABASE}" if args.keep else fresh_database(DATABASE)
    env = {"DATABASE_URL": url, "RISKHUB_DEV_SECRETS": "1", "DEBUG": "1"}
    os.environ.update(env)
    seed_seconds = None
    if not args.keep:
        start = time.perf_counter()
        manage("migrate", "-v0", env=env)
        manage("load_catalogs", env=env)
        manage(
            "seed_demo", "--assets", str(args.assets), "--force", "--password", PASSWORD, env=env
        )
        seed_seconds = time.perf_counter() - start

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskhub.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.test import Client
    from django.utils import timezone

    from riskhub.accounts.models import User
    from riskhub.accounts.policy import Role
    from riskhub.dashboard import services as snapshots
    from riskhub.inventory.models import Asset, BusinessUnit
    from riskhub.risk.models import Risk
    from tests.consistency import generator as gen
    from tests.consistency.test_figures_agree import compare_scope

    settings.ALLOWED_HOSTS = ["*"]
    client = Client()
    users = {u.role: u for u in User.objects.all()}
    client.force_login(users[Role.AUDITOR])
    start = time.perf_counter()
    snapshots.snapshot_take(day=timezone.localdate())
    snapshot_seconds = time.perf_counter() - start
    assets = list(Asset.objects.all())
    built = gen.Built(
        units=list(BusinessUnit.objects.order_by("name")),
        assets=assets,
        systems=[a for a in assets if a.kind == Asset.Kind.SYSTEM],
    )
    rows = []
    verdict = "PASS"
    for label, unit in (("whole organisation", None), ("first business unit", built.units[0])):
        start = time.perf_counter()
        try:
            compare_scope(client, built, unit)
            result = "all figures agree"
        except AssertionError as exc:
            # Name the figure that differs: the failing comparison and its values.
            where = traceback.extract_tb(exc.__traceback__)[-1]
            result = f"DISAGREE at `{where.line}`: {(str(exc).splitlines() or [''])[0][:160]}"
            traceback.print_exc()
            verdict = "FAIL"
        seconds = time.perf_counter() - start
        rows.append(f"| {label} | {seconds:.1f} s | {result} |")
        print(label, f"{seconds:.1f} s", result, flush=True)
    body = f"""
PostgreSQL, {Asset.objects.count()} assets, {Risk.objects.count()} risks (seed_demo
--assets {args.assets}){f"; seeded in {seed_seconds:.0f} s" if seed_seconds else ""}; today's
snapshot taken in {snapshot_seconds:.1f} s. Each scope compares the dashboard API summary,
the dashboard page's data tables, today's snapshot, and the data JSON of the executive
summary, the risk register and the framework compliance report of every framework
(`compare_scope` from tests/consistency).

| scope | comparison time | result |
|---|---|---|
{chr(10).join(rows)}

Verdict: {verdict}
"""
    record("Consistency at 10,000 assets", body)
    print(verdict)
    sys.exit(0 if verdict == "PASS" else 1)


if __name__ == "__main__":
    main()
