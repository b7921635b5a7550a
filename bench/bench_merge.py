"""The merge and signature of a long report, alone: does their memory grow with pages?

Renders a register of a few hundred assets in this process (its chunks kept as files),
then merges its head, N copies of one 500-risk chunk and its closing chunks in a fresh
process, as a worker's merge task does (merge.merge into a file, signing.sign_file from
it), for N = 16 and N = 166 (about 1,500 and 14,800 pages: the register of 60,000 risks
has 13,974). Reads each process's wall time and peak RSS (VmHWM). Target: the merge
and signature within the workers' 600 MB, and memory flat as the pages grow.

    .venv/bin/python bench/bench_merge.py [--keep] [--assets 300]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import PG_BASE, ROOT, fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_merge"
LIMIT_MIB = 600e6 / 2**20

MERGE = """
import json, sys, time
from pathlib import Path
import django
django.setup()
from riskhub.reports import merge, rendering, signing
from riskhub.reports.models import Report
sys.path.insert(0, "bench")
from common import peak_rss_mib as peak
folder, copies = Path(sys.argv[1]), int(sys.argv[2])
start_peak = peak()
meta = json.loads((folder / "pieces.json").read_text())
row = next(m for m in meta if m["role"] == "rows")
pieces = [merge.Piece(meta[0]["role"], meta[0]["label"], Path(meta[0]["pdf"]), meta[0]["pages"],
                      meta[0]["headings"])]
pieces += [merge.Piece("rows", f"Risk register, rows {n * 500 + 1} to {n * 500 + 500}",
                       Path(row["pdf"]), row["pages"], []) for n in range(copies)]
closing = next(i for i, m in enumerate(meta) if m["role"] == "tail")
pieces += [merge.Piece(m["role"], m["label"], Path(m["pdf"]), m["pages"], m["headings"])
           for m in meta[closing:]]
report = Report.objects.get(pk=int(meta[0]["report"]))
start = time.perf_counter()
merged = merge.merge(pieces, context=rendering._context(report, {}), with_toc=True,
                     into=folder / "merged.pdf")
merge_seconds = time.perf_counter() - start
merge_peak = peak()
start = time.perf_counter()
signing.sign_file(folder / "merged.pdf", folder / "signed.pdf", reason="benchmark")
print(json.dumps({"pages": merged.pages, "merge": merge_seconds, "merge_peak": merge_peak,
                  "sign": time.perf_counter() - start,
                  "peak": peak(), "start": start_peak,
                  "size": (folder / "signed.pdf").stat().st_size}))
"""


def keep_chunks(assets: int, folder: Path) -> None:
    """A register of the first `assets` assessed assets, rendered in this process, its
    chunks copied to `folder` instead of merged."""
    import django

    django.setup()
    from django.core.files.storage import default_storage

    from riskhub.accounts.models import User
    from riskhub.celery import app
    from riskhub.reports import services
    from riskhub.reports.models import ReportChunk
    from riskhub.risk.models import Assessment

    app.conf.task_always_eager = True
    scope = [
        str(u)
        for u in Assessment.objects.filter(is_current=True)
        .order_by("asset_id")
        .values_list("asset__uuid", flat=True)
        .distinct()[:assets]
    ]

    def keep(report_id: int) -> str:
        meta = []
        for part in ReportChunk.objects.filter(report_id=report_id).order_by("index"):
            target = folder / f"{part.index:05d}.pdf"
            with default_storage.open(part.pdf_file, "rb") as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst)
            meta.append(
                {
                    "report": report_id,
                    "role": part.role,
                    "label": part.label,
                    "pdf": str(target),
                    "pages": part.pages,
                    "headings": part.headings,
                }
            )
        (folder / "pieces.json").write_text(json.dumps(meta))
        return "kept"

    services.run_merge = keep  # type: ignore[assignment]
    auditor = User.objects.get(email="auditor@example.com")
    services.report_request(actor=auditor, kind="risk-register", parameters={"assets": scope})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", action="store_true", help="reuse an already seeded database")
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--assets", type=int, default=300)
    args = parser.parse_args()
    url = f"{PG_BASE}/{args.database}" if args.keep else fresh_database(args.database)
    folder = Path(tempfile.mkdtemp(prefix="riskhub-bench-merge-"))
    env = {
        "DATABASE_URL": url,
        "RISKHUB_DEV_SECRETS": "1",
        "DEBUG": "0",
        "MEDIA_ROOT": str(folder / "media"),
        "DJANGO_SETTINGS_MODULE": "riskhub.settings",
        "PYTHONPATH": str(ROOT),
    }
    os.environ.update(env)
    manage("migrate", "-v0", env=env)
    if not args.keep:
        manage("load_catalogs", env=env)
        manage(
            "seed_demo",
            "--force",
            "--password",
            "bench-password-2026",
            "--assets",
            str(max(args.assets, 300)),
            env=env,
        )
    keep_chunks(args.assets, folder)
    results = []
    for copies in (16, 166):
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", MERGE, str(folder), str(copies)],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(copies, result, flush=True)
        results.append(result)
    shutil.rmtree(folder, ignore_errors=True)
    small, large = results
    rows = [
        f"| {r['pages']:,} | {r['merge']:.1f} s | {r['merge_peak']:.0f} MiB | {r['sign']:.1f} s "
        f"| {r['peak']:.0f} MiB | {r['size'] / 2**20:.1f} MiB |"
        for r in results
    ]
    growth = large["peak"] / small["peak"]
    flat = growth <= 1.5
    within = large["peak"] <= LIMIT_MIB
    body = "\n".join(
        [
            f"A register of {args.assets} assets rendered on PostgreSQL, its chunks kept; "
            "then, each in a fresh process as a worker's merge task runs them, the merge "
            "(`merge.merge` into a file: contents, page numbers, bookmarks, links) of its "
            "head, N copies of one 500-risk chunk and its closing chunks, and the "
            "signature from that file (`signing.sign_file`). Peak RSS is the process's "
            f"VmHWM, start-up included (about {small['start']:.0f} MiB after Django's "
            "start-up).",
            "",
            "| pages | merge | peak after the merge | signature | peak after both | size |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Targets: within 600 MB: {'met' if within else 'NOT met'} "
            f"({large['peak']:.0f} MiB at {large['pages']:,} pages); memory flat as the "
            f"pages grow (at most 1.5x for 10x the pages): {'met' if flat else 'NOT met'} "
            f"({growth:.2f}x).",
        ]
    )
    print(body)
    record("Merge and signature of a long report", body)


if __name__ == "__main__":
    main()
