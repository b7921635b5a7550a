"""Risk at scale on PostgreSQL: 10,000 assets and ~60,000 risks.

Targets: the risk register page median server time <= 150 ms; recomputing inherited
(effective) risk for every asset <= 10 s.

Seeds the inventory demo (`scale`) and the risk demo (`--assets N`: ~6 risks per asset
with bulk_create), then times the register page through Django's test client (the whole
server side: middleware, view, selectors, template) and a full recompute.

    .venv/bin/python bench/bench_risk.py [--assets 10000] [--keep] [--runs 30]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_BASE, ROOT, fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_risk"
PASSWORD = "bench-password-2026"


def timed(func, runs: int) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    func()  # warm up
    samples = []
    queries = 0
    for _ in range(runs):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            func()
            samples.append(time.perf_counter() - start)
        queries = len(ctx.captured_queries)
    return statistics.median(samples) * 1000, queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--assets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    args = parser.parse_args()
    url = f"{PG_BASE}/{DATABASE}" if args.keep else fresh_database(DATABASE)
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
    from django.conf import settings
    from django.test import Client

    from riskhub.accounts.models import User
    from riskhub.accounts.policy import Role
    from riskhub.inventory.models import Asset, AssetLink
    from riskhub.risk import demo, services
    from riskhub.risk.models import Risk

    settings.ALLOWED_HOSTS = ["*"]
    users = {u.role: u for u in User.objects.all()}
    seed_seconds = None
    if not args.keep:
        from riskhub.inventory import demo as inventory_demo

        inventory_demo.seed(users=users, assets=args.assets, seed=1, stdout=io.StringIO())
        start = time.perf_counter()
        demo.seed(users=users, assets=args.assets, seed=1, stdout=io.StringIO())
        seed_seconds = time.perf_counter() - start
    assets = Asset.objects.count()
    links = AssetLink.objects.count()
    risks = Risk.objects.count()
    current = Risk.objects.filter(assessment__is_current=True).count()

    client = Client()
    client.force_login(users[Role.EXECUTIVE])

    def page(query: str = "") -> None:
        response = client.get("/assessments/register/" + query)
        assert response.status_code == 200, response.status_code

    results = []
    for label, query in [
        ("register, default (all current risks by residual risk)", ""),
        ("register, band=critical", "?band=critical"),
        ("register, overdue treatments", "?overdue=1"),
        (
            "register, heatmap cell residual 4x3 on default-5x5",
            "?matrix=default-5x5&impact=4&likelihood=3",
        ),
        ("register, sorted by due date, page 20", "?sort=due&page=20"),
    ]:
        ms, queries = timed(lambda q=query: page(q), args.runs)
        results.append((label, ms, queries))

    # Full recompute, worst case: every asset's stored values are stale and rewritten.
    Asset.objects.update(effective_risk_band="not-assessed", effective_risk_path=[])
    start = time.perf_counter()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        changed = services.effective_risk_recompute()
    recompute_all = time.perf_counter() - start
    recompute_queries = len(ctx.captured_queries)
    start = time.perf_counter()
    unchanged = services.effective_risk_recompute()
    recompute_noop = time.perf_counter() - start
    inherited = Asset.objects.filter(effective_risk_source="inherited").count()

    register_median = results[0][1]
    rows = "\n".join(f"| {label} | {ms:.1f} ms | {q} |" for label, ms, q in results)
    body = f"""
Inventory: {assets:,} assets and {links:,} lineage links (inventory demo `scale`, seed 1);
{risks:,} risks, {current:,} of them on current approved assessments (risk demo `--assets`).
Register timings are the median of {args.runs} requests through Django's test client
(middleware, view, selectors and template; no network), signed in as an executive.

| measurement | median server time | queries |
|---|---|---|
{rows}
| recompute effective risk for all assets (all rows stale, {changed:,} written) | {recompute_all * 1000:.0f} ms | {recompute_queries} |
| recompute effective risk for all assets (nothing changed, {unchanged} written) | {recompute_noop * 1000:.0f} ms | — |
{"| seeding the risk demo (bulk) | " + f"{seed_seconds:.1f} s" + " | — |" if seed_seconds else ""}

{inherited:,} assets carry an inherited effective risk.
Targets: register median <= 150 ms: {"met" if register_median <= 150 else "NOT met"} ({register_median:.0f} ms);
recompute all <= 10 s: {"met" if recompute_all <= 10 else "NOT met"} ({recompute_all:.1f} s).
"""
    record("Risk", body)
    print(body)


if __name__ == "__main__":
    main()
