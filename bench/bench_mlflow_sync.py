"""MLflow sync benchmark on PostgreSQL: 10,000 registered models.

A stand-in for the MLflow tracking server (the outside world) answers the REST calls the
connector makes (registered-models/search and model-versions/search with page tokens,
runs/get) from memory, on loopback. The sync itself is the worker's code path
(`riskhub.inventory.mlflow.sync.run_sync` on an ImportJob of kind "sync"), run in this
process. First the floor: the same number of models (and the same 100 datasets with
their trained-on links) through the file import's bulk path. Then the first sync
(everything created), a second one (nothing changed), and one after 100 descriptions
changed upstream. Writes the numbers and the machine's load under "## MLflow sync" in
bench/RESULTS.md.

Run: .venv/bin/python bench/bench_mlflow_sync.py   (BENCH_MODELS, BENCH_PG)
"""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import fresh_database, manage, record  # noqa: E402

DATABASE = "riskhub_bench_mlflow"
MODELS = int(os.environ.get("BENCH_MODELS", "10000"))
PAGE = 1000
DATASETS = 100  # runs share training sets, as teams do


class Registry:
    def __init__(self, count: int) -> None:
        self.descriptions = {i: f"Model {i} of the benchmark" for i in range(count)}
        self.count = count
        self.run_gets = 0

    def model(self, i: int) -> dict[str, Any]:
        return {
            "name": f"bench-model-{i:05d}",
            "description": self.descriptions[i],
            "tags": [{"key": "team", "value": f"team-{i % 20}"}],
            "aliases": [{"alias": "champion", "version": "1"}],
        }

    def version(self, i: int) -> dict[str, Any]:
        return {
            "name": f"bench-model-{i:05d}",
            "version": "1",
            "current_stage": "Production" if i % 3 == 0 else "None",
            "description": self.descriptions[i],
            "run_id": f"run{i:05d}",
            "status": "READY",
            "tags": [{"key": "validated", "value": "yes"}],
        }

    def run(self, i: int) -> dict[str, Any]:
        d = i % DATASETS
        return {
            "info": {"run_id": f"run{i:05d}"},
            "data": {
                "metrics": [
                    {"key": "auc", "value": 0.8 + (i % 100) / 1000},
                    {"key": "f1", "value": 0.7},
                ],
                "params": [{"key": "lr", "value": "0.1"}, {"key": "depth", "value": str(i % 10)}],
            },
            "inputs": {
                "dataset_inputs": [
                    {
                        "tags": [{"key": "mlflow.data.context", "value": "training"}],
                        "dataset": {
                            "name": f"bench-data-{d}",
                            "digest": f"{d:08x}",
                            "source_type": "s3",
                            "source": json.dumps({"uri": f"s3://bench/{d}.parquet"}),
                            "profile": json.dumps({"num_rows": 1000 + d}),
                        },
                    }
                ]
            },
        }

    def page(self, key: str, token: str, size: int) -> dict[str, Any]:
        start = int(token or 0)
        end = min(start + size, self.count)
        make = self.model if key == "registered_models" else self.version
        body: dict[str, Any] = {key: [make(i) for i in range(start, end)]}
        if end < self.count:
            body["next_page_token"] = str(end)
        return body


def _handler(registry: Registry) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the bench's own control: revise 1 in 100
            for i in range(0, registry.count, max(1, registry.count // 100)):
                registry.descriptions[i] = f"Model {i}, revised"
            self._send({})

        def do_GET(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            size = min(int(query.get("max_results", PAGE)), PAGE)
            if url.path.endswith("registered-models/search"):
                body = registry.page("registered_models", query.get("page_token", ""), size)
            elif url.path.endswith("model-versions/search"):
                body = registry.page("model_versions", query.get("page_token", ""), size)
            elif url.path.endswith("runs/get"):
                registry.run_gets += 1
                body = {"run": registry.run(int(query["run_id"][3:]))}
            elif url.path == "/bench/stats":
                body = {"run_gets": registry.run_gets}
            else:
                self.send_error(404)
                return
            self._send(body)

    return Handler


def _serve_forever(registry: Registry, port: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(registry))
    port.value = server.server_address[1]
    server.serve_forever()


def serve(registry: Registry) -> tuple[str, multiprocessing.Process]:
    """The stand-in runs in its own process, as MLflow does: its work does not take
    the sync's interpreter."""
    port = multiprocessing.Value("i", 0)
    process = multiprocessing.get_context("fork").Process(
        target=_serve_forever, args=(registry, port), daemon=True
    )
    process.start()
    while not port.value:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port.value}", process


def _call(url: str, method: str = "GET") -> dict[str, Any]:
    import urllib.request

    request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return dict(json.loads(response.read()))


def load() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def floor_file(count: int) -> bytes:
    """The same shape through the import: DATASETS datasets, `count` models each trained
    on one of them, with a description and tags."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "name", "description", "model_type", "tags", "trained_on"])
    for d in range(DATASETS):
        writer.writerow(["dataset", f"floor-data-{d}", "Benchmark data", "", "mlflow", ""])
    for i in range(count):
        writer.writerow(
            [
                "model",
                f"floor-model-{i:05d} v1",
                f"Model {i} of the benchmark",
                "other",
                "mlflow;team=x",
                f"floor-data-{i % DATASETS}",
            ]
        )
    return out.getvalue().encode()


def main() -> None:
    url = fresh_database(DATABASE)
    env = {"DATABASE_URL": url, "RISKHUB_DEV_SECRETS": "1"}
    manage("migrate", "-v0", env=env)
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "riskhub.settings")
    import django

    django.setup()
    from riskhub.accounts.policy import Role
    from riskhub.accounts.services import user_create
    from riskhub.inventory import io as inventory_io
    from riskhub.inventory import jobs
    from riskhub.inventory.mlflow import services, sync
    from riskhub.inventory.models import Asset, AssetLink

    registry_data = Registry(MODELS)
    base, server = serve(registry_data)
    officer = user_create(
        actor=None, email="bench@example.com", role=Role.RISK_OFFICER, password="x" * 20
    )
    registry = services.registry_create(
        actor=officer,
        name="Bench",
        tracking_uri=base,
    )
    jobs._enqueue = lambda job_id, kind="import": None  # type: ignore[assignment] - run here

    loads = [load()]
    start = time.perf_counter()
    report = inventory_io.import_stream(
        actor=officer, name="floor.csv", stream=io.BytesIO(floor_file(MODELS))
    )
    floor = time.perf_counter() - start
    assert report.ok, report.errors[:3]
    print(f"floor (import of {MODELS} models): {floor:.1f} s")

    def one(label: str) -> tuple[str, float, Any]:
        job = services.sync_request(actor=officer, registry=registry)
        loads.append(load())
        start = time.perf_counter()
        done = sync.run_sync(job.pk)
        seconds = time.perf_counter() - start
        assert done is not None and done.status == "succeeded", done and done.problems
        assert done.errors == 0, done.problems[:3]
        print(f"{label}: {seconds:.1f} s c={done.created} u={done.updated} n={done.unchanged}")
        return label, seconds, done

    rows = [one("first sync (every version created)")]
    rows.append(one("second sync (nothing changed upstream)"))
    _call(f"{base}/bench/revise", "POST")
    rows.append(one("third sync (100 descriptions changed upstream)"))
    loads.append(load())
    models = Asset.objects.filter(kind="model", name__startswith="bench-model-").count()
    links = AssetLink.objects.filter(downstream__name__startswith="bench-model-").count()
    table = "\n".join(
        f"| {label} | {seconds:.1f} s | {seconds / floor:.2f}x | {MODELS / seconds:,.0f} | "
        f"{run.created:,} | {run.updated:,} | {run.unchanged:,} |"
        for label, seconds, run in rows
    )
    shown_loads = "\n".join(f"- `{line}`" for line in loads)
    record(
        "MLflow sync",
        f"""{MODELS:,} registered models, one version each, each with its own source run (2
metrics, 2 parameters, 1 training dataset out of {DATASETS}), served by an in-memory
stand-in for the MLflow REST API on loopback, in its own process (pages of {PAGE}). The sync is the worker's
code path on PostgreSQL: an ImportJob of kind "sync", chunks of {sync.CHUNK} versions
each written in one transaction with the import's bulk path (bulk create/update with
history, one audit `record_events` per chunk), source runs read {sync.RUN_READERS} at a
time.

The floor: the same {MODELS:,} models and {DATASETS} datasets with their trained-on links
as one CSV through the file import (`io.import_stream`, the bulk path of the 10,000-row
import budget of 30 s), on the empty register, measured first: **{floor:.1f} s**.
The syncs then run with those {MODELS + DATASETS:,} assets already in the register.

| run | time | / floor | versions/s | created | updated | unchanged |
|---|---|---|---|---|---|---|
{table}

After the runs: {models:,} synced model assets, {links:,} lineage links to them; the
stand-in answered {_call(f"{base}/bench/stats")["run_gets"]:,} runs/get calls in all (every sync reads
every source run, so a changed metric is never missed). Machine load (`uptime`) before
the floor, before each sync and at the end (a shared 2-core machine, other engineers'
tests running):

{shown_loads}
""",
    )
    server.terminate()


if __name__ == "__main__":
    main()
