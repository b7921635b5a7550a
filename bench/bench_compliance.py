"""Compliance at scale: 10,000 assets on PostgreSQL. Target: the overall coverage figures
of the three frameworks in <= 2 s with a constant number of queries.

Seeds the inventory demo (`scale`) and the compliance demo, recomputes all coverage once
(reported), then times the figures the dashboard reads (stored totals) and the same
figures aggregated from the stored per-asset statuses.

    .venv/bin/python bench/bench_compliance.py [--assets 10000] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_comp"
PASSWORD = "bench-password-2026"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    args = parser.parse_args()
    url = (
        f"{os.environ.get('BENCH_PG', 'postgres://postgres@127.0.0.1:5432')}/{DATABASE}"
        if args.keep
        else fresh_database(DATABASE)
    )
    env = {"DATABASE_URL": url, "RISKHUB_DEV_SECRETS": "1", "DEBUG": "1"}
    os.environ.update(env)
    if not args.keep:
        manage("migrate", "-v0", env=env)
        manage("load_catalogs", env=env)
        manage("seed_demo", "--users-only", "--force", "--password", PASSWORD, env=env)

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskhub.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from riskhub.accounts.models import User
    from riskhub.compliance import demo, selectors, services
    from riskhub.compliance.models import ControlImplementation, RequirementStatus
    from riskhub.inventory.models import Asset

    users = {u.role: u for u in User.objects.all()}
    seed_seconds = 0.0
    if not args.keep:
        from riskhub.inventory import demo as inventory_demo

        start = time.perf_counter()
        inventory_demo.seed(users=users, assets=args.assets, seed=1, stdout=sys.stdout)
        demo.seed(users=users, assets=args.assets, seed=1, stdout=io.StringIO())
        seed_seconds = time.perf_counter() - start

    assets = Asset.objects.count()
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as recompute_queries:
        services.coverage_recompute(asset_ids=None)
    recompute_seconds = time.perf_counter() - start

    def timed(fn):  # type: ignore[no-untyped-def]
        best, queries, result = None, 0, None
        for _ in range(5):
            start = time.perf_counter()
            with CaptureQueriesContext(connection) as ctx:
                result = fn()
            elapsed = time.perf_counter() - start
            best = elapsed if best is None else min(best, elapsed)
            queries = len(ctx)
        return best, queries, result

    stored_s, stored_q, stored = timed(
        lambda: [
            (c.framework.slug, c.met, c.partial, c.gap, c.applicable)
            for c in selectors.overall_coverage()
        ]
    )
    live_s, live_q, live = timed(selectors.overall_coverage_live)

    lines = [
        f"Inventory: {assets:,} assets (inventory demo `scale`, seed 1), "
        f"{ControlImplementation.objects.count():,} control implementations, "
        f"{RequirementStatus.objects.count():,} stored asset x requirement statuses.",
        "",
        "| measurement | time | queries |",
        "|---|---|---|",
        f"| overall coverage, 3 frameworks, stored totals (what the dashboard reads) | "
        f"{stored_s * 1000:.1f} ms | {stored_q} |",
        f"| overall coverage, 3 frameworks, aggregated from per-asset statuses | "
        f"{live_s * 1000:.1f} ms | {live_q} |",
        f"| full recompute of applicability and coverage for every asset | "
        f"{recompute_seconds:.1f} s | {len(recompute_queries)} |",
    ]
    if seed_seconds:
        lines.append(f"| seeding (inventory scale + compliance demo) | {seed_seconds:.1f} s | — |")
    lines += [
        "",
        "Figures (met / partial / gap of applicable): "
        + "; ".join(f"{slug} {m}/{p}/{g} of {a}" for slug, m, p, g, a in stored),
        "",
        f"Target <= 2 s with a constant number of queries: "
        f"{'met' if max(stored_s, live_s) <= 2 else 'NOT met'} "
        f"({stored_q} and {live_q} queries whatever the inventory size).",
    ]
    body = "\n".join(lines)
    print(body)
    assert live["gdpr"]["applicable"] == next(a for s, *_, a in stored if s == "gdpr")
    record("Compliance", body)


if __name__ == "__main__":
    main()
