"""Inventory benchmark on PostgreSQL with 10,000 assets.

Creates (or recreates) the database `riskhub_bench`, migrates, seeds 10,000 assets with
`riskhub.inventory.demo`, then measures the median server time of the inventory list page
and the API list, and the time to import 10,000 assets from CSV (create, then update).
Writes the numbers under "## Inventory" in bench/RESULTS.md.

Run: .venv/bin/python bench/bench_inventory.py   (BENCH_PG to use another PostgreSQL server)
"""

from __future__ import annotations

import csv
import io
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import PG_BASE, fresh_database, record  # noqa: E402

DATABASE_URL = f"{PG_BASE}/riskhub_bench"
ASSETS = int(os.environ.get("BENCH_ASSETS", "10000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))


def setup_django() -> None:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("RISKHUB_DEV_SECRETS", "1")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskhub.settings")
    import django

    django.setup()


def median_ms(client, url: str) -> tuple[float, int]:  # type: ignore[no-untyped-def]
    for _ in range(3):  # warm caches and connections
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return statistics.median(times), len(response.content)


def csv_of_new_assets(count: int, prefix: str = "Imported") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        ["kind", "name", "description", "lifecycle", "model_type", "exposure",
         "intended_purpose", "tags", "trained_on", "serves", "part_of"]
    )  # fmt: skip
    kinds = ["dataset", "model", "endpoint", "system"]
    for i in range(count):
        kind = kinds[i % 4]
        previous = f"{prefix} {kinds[(i - 1) % 4]} {i - 1:05d}" if i % 4 else ""
        writer.writerow(
            [
                kind,
                f"{prefix} {kind} {i:05d}",
                f"Bench row {i}",
                "production",
                "classifier" if kind == "model" else "",
                "internal" if kind == "endpoint" else "",
                "Bench purpose" if kind == "system" else "",
                "bench, import",
                previous if kind == "model" else "",
                previous if kind == "endpoint" else "",
                previous if kind == "system" else "",
            ]
        )
    return buffer.getvalue().encode()


def main() -> None:
    fresh_database("riskhub_bench")
    setup_django()
    from django.core.management import call_command
    from django.core.management.base import OutputWrapper
    from django.db import connection
    from django.test import Client

    from riskhub.accounts.policy import Role
    from riskhub.accounts.services import user_create
    from riskhub.inventory import demo, selectors
    from riskhub.inventory import io as inventory_io
    from riskhub.inventory.models import Asset

    call_command("migrate", verbosity=0)
    users = {
        role: user_create(
            actor=None,
            email=f"{role.value}@bench.example",
            role=role,
            password="bench-password-42!",
        )
        for role in Role
    }
    start = time.perf_counter()
    demo.seed(users=users, assets=ASSETS, seed=1, stdout=OutputWrapper(sys.stdout))
    seed_seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    total = Asset.objects.count()

    client = Client()
    client.force_login(users[Role.EXECUTIVE])
    pages = [
        ("inventory list, first page", "/inventory/"),
        ("inventory list, search + filter + sort", "/inventory/?q=claims&kind=system&sort=-risk"),
        ("inventory list, page 100 sorted by tier", "/inventory/?sort=tier&page=100"),
        ("API list, first page", "/api/v1/assets/"),
        ("API list, search + filter", "/api/v1/assets/?search=claims&kind=model&ordering=-updated_at"),
    ]  # fmt: skip
    timings = [(label, url, *median_ms(client, url)) for label, url in pages]

    officer = users[Role.RISK_OFFICER]
    data = csv_of_new_assets(ASSETS)
    start = time.perf_counter()
    report = inventory_io.import_file(actor=officer, name="bench.csv", data=data)
    import_seconds = time.perf_counter() - start
    assert report.ok and report.created == ASSETS, report.errors[:5]

    exported = "".join(
        inventory_io.export_csv(selectors.assets(selectors.AssetFilters(q="Imported")))
    ).replace("Bench row", "Bench row (edited)")
    start = time.perf_counter()
    update = inventory_io.import_file(actor=officer, name="bench.csv", data=exported.encode())
    update_seconds = time.perf_counter() - start
    assert update.ok and update.updated == ASSETS, update.errors[:5]

    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()}: "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, PostgreSQL {pg_version}.",
        f"{total:,} assets seeded with `demo.seed(assets={ASSETS})` in {seed_seconds:.1f} s "
        "(bulk_create, one audit event per asset).",
        "",
        f"Median server time over {RUNS} requests (Django test client in-process, "
        "signed-in executive), target <= 100 ms:",
        "",
        "| page | URL | median | response |",
        "|---|---|---|---|",
    ]
    for label, url, ms, size in timings:
        lines.append(f"| {label} | `{url}` | {ms:.1f} ms | {size / 1024:.0f} KiB |")
    lines += [
        "",
        "CSV import (validate every row, bulk write, one audit lock), target <= 30 s:",
        "",
        f"- {ASSETS:,} new assets with lineage columns ({report.links:,} links): "
        f"{import_seconds:.1f} s",
        f"- the same {ASSETS:,} assets re-imported by UUID with a changed description: "
        f"{update_seconds:.1f} s",
    ]
    record("Inventory", "\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
