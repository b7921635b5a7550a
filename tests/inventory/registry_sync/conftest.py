"""A real MLflow tracking server on loopback, one per test session (SQLite backend),
filled through MLflow's own client. If it does not start, the tests fail."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from riskhub.accounts.models import User
from riskhub.inventory.mlflow import services
from riskhub.inventory.mlflow.models import ModelRegistry

START_TIMEOUT = 300.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("mlflow")
    port = _free_port()
    log = root / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    # No job runner: its queue consumers poll for the whole session and take a tenth of
    # a core from the tests; the registry API the sync reads does not use them.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--backend-store-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--default-artifact-root",
            str(root / "artifacts"),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
        ],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    started = False
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                started = response.status == 200
        except OSError:
            pass
        if started:
            break
        time.sleep(0.5)
    try:
        if not started:
            pytest.fail(
                f"The MLflow tracking server did not start within {START_TIMEOUT:.0f}s "
                f"(exit code {process.poll()}); its log:\n"
                + log.read_text(errors="replace")[-4000:]
            )
        yield Server(url, process, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="session")
def upstream(mlflow_server: Server) -> Any:
    """MLflow's own client, pointed at the test server."""
    import mlflow

    mlflow.set_tracking_uri(mlflow_server.url)
    return mlflow.MlflowClient(tracking_uri=mlflow_server.url)


@pytest.fixture
def prefix() -> str:
    """A name prefix of this test's own models: the server is shared by the session."""
    return f"m{uuid.uuid4().hex[:8]}"


@pytest.fixture
def train(upstream: Any) -> Callable[..., str]:
    """Log a training run with params, metrics and dataset inputs; returns its id."""
    import mlflow
    import pandas as pd

    def make(
        experiment: str,
        *,
        params: dict[str, Any] | None = None,
        metrics: dict[str, float] | None = None,
        training: str | None = None,
        evaluation: str | None = None,
        rows: int = 3,
    ) -> str:
        mlflow.set_experiment(experiment)
        frame = pd.DataFrame({"income": list(range(rows)), "default": [i % 2 for i in range(rows)]})
        with mlflow.start_run() as run:
            if params:
                mlflow.log_params(params)
            if metrics:
                mlflow.log_metrics(metrics)
            if training:
                data = mlflow.data.from_pandas(
                    frame, source=f"s3://data/{training}.parquet", name=training, targets="default"
                )
                mlflow.log_input(data, context="training")
            if evaluation:
                held_out = mlflow.data.from_pandas(frame.head(2), name=evaluation)
                mlflow.log_input(held_out, context="evaluation")
        return str(run.info.run_id)

    return make


@pytest.fixture
def register(upstream: Any) -> Callable[..., Any]:
    """Register a model version of a run (the registered model is created once)."""

    def make(name: str, run_id: str, **kwargs: Any) -> Any:
        try:
            upstream.get_registered_model(name)
        except Exception:  # noqa: BLE001 - MLflow's RESOURCE_DOES_NOT_EXIST
            upstream.create_registered_model(
                name,
                tags=kwargs.pop("model_tags", None),
                description=kwargs.pop("model_description", None),
            )
        kwargs.pop("model_tags", None)
        kwargs.pop("model_description", None)
        return upstream.create_model_version(name, f"runs:/{run_id}/model", run_id=run_id, **kwargs)

    return make


@pytest.fixture
def registry(db: None, officer: User, mlflow_server: Server) -> ModelRegistry:
    return services.registry_create(
        actor=officer, name="Platform MLflow", tracking_uri=mlflow_server.url, enabled=True
    )
