"""`make run`'s SageMaker loop, shown as it goes: new data lands under training/churn/, one
training run follows (each job's status and the metrics parsed so far), the model is
registered, approved through the API and deployed; predictions come from it; more data trains
a better model, deployed blue/green (the canary's share of traffic as it shifts)."""

from __future__ import annotations

import csv
import dataclasses
import importlib.util
import io
import time
from collections.abc import Callable
from typing import Any

from infra.resources import STACK, Model, Stack
from insight_local.runtime import Runtime


def demo_stack(stack: Stack = STACK) -> Stack:
    """The stack with the models' waits cut to seconds: settle 3 s, canary 5 s, baking 3 s."""
    fast = tuple(
        dataclasses.replace(m, settle_seconds=3, canary_wait_seconds=5, baking_seconds=3, max_deployment_seconds=600)
        for m in stack.models
    )
    return dataclasses.replace(stack, models=fast)


def churn_csv(model: Model, rows: int, seed: int) -> bytes:
    spec = importlib.util.spec_from_file_location("churn_data_demo", model.source / "data.py")
    assert spec and spec.loader
    data = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(data)
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=data.COLUMNS)
    writer.writeheader()
    writer.writerows(data.generate(rows, seed))
    return buffer.getvalue().encode()


class Watcher:
    """Prints the local SageMaker's jobs and endpoints whenever what they say changes."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def tick(self) -> None:
        from insight_local.sagemaker import progress

        for job in progress.jobs_snapshot():
            self._show(f"job:{job.name}", job.line())
        for endpoint in progress.endpoints_snapshot():
            self._show(f"endpoint:{endpoint.name}", endpoint.line())

    def _show(self, key: str, line: str) -> None:
        if self._seen.get(key) != line:
            self._seen[key] = line
            print(f"    {line}", flush=True)


def until(call: Callable[[], Any], done: Callable[[Any], bool], watcher: Watcher, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    value = call()
    while not done(value) and time.monotonic() < deadline:
        watcher.tick()
        time.sleep(0.2)
        value = call()
    watcher.tick()
    return value


def run_loop(runtime: Runtime, call: Callable[..., tuple[int, Any]]) -> None:
    assert runtime.deployment is not None
    if not runtime.stack.models:
        return
    model = runtime.stack.models[0]
    bucket = runtime.deployment.names["ModelData"]
    s3 = runtime.aws.client("s3")
    customer = model.example()
    watcher = Watcher()
    where = model.source.relative_to(model.source.parents[1])
    print(f"\nThe SageMaker loop of the {model.name} model (scripts in {where}):")

    def latest_run(exclude: set[str]) -> dict[str, Any] | None:
        runs = call("GET", f"/models/{model.name}")[1]["trainings"]
        return next((run for run in runs if run["run_id"] not in exclude), None)

    def train_from_data(keys: list[str], seeds: list[int], exclude: set[str]) -> dict[str, Any] | None:
        for key, seed in zip(keys, seeds, strict=True):
            s3.put_object(Bucket=bucket, Key=key, Body=churn_csv(model, 800, seed))
            print(f"  new data: s3://{bucket}/{key}")
        run = until(lambda: latest_run(exclude), lambda r: r is not None, watcher)
        if run is None:
            print("  no training run started")
            return None
        print(f"  training run {run['run_id']} ({run['trigger']}), settling {model.settle_seconds}s...", flush=True)
        run = until(
            lambda: call("GET", f"/models/{model.name}/trainings/{run['run_id']}")[1],
            lambda r: r["status"] in ("SUCCEEDED", "REJECTED", "FAILED"),
            watcher,
        )
        print(f"  -> {run['status']}: {run.get('verdict') or (run.get('error') or {}).get('reason')}")
        if run["status"] == "SUCCEEDED":
            metrics = ", ".join(f"{k} {v:.3f}" for k, v in sorted(run["metrics"].items()))
            print(f"     registered version {run['version']} ({metrics}), data {run['data_version']}")
        return dict(run)

    def deploy(version: int) -> dict[str, Any]:
        status, accepted = call("POST", f"/models/{model.name}/versions/{version}/approve")
        print(f"  POST /models/{model.name}/versions/{version}/approve -> {status}")
        deployment_id = accepted["deployment"]["deployment_id"]
        deployment = until(
            lambda: call("GET", f"/deployments/{deployment_id}")[1],
            lambda d: d["status"] in ("DEPLOYED", "ROLLED_BACK", "FAILED"),
            watcher,
        )
        extra = f" ({deployment['reason']})" if deployment.get("reason") else ""
        print(f"  deployment {deployment_id} ({deployment['strategy']}): {deployment['status']}{extra}")
        return dict(deployment)

    def predict() -> None:
        status, answer = call("POST", f"/predict/{model.name}", {"instances": [customer]})
        print(f"  POST /predict/{model.name} {customer}\n  -> {status} {answer}")

    started = time.monotonic()
    first = train_from_data([f"training/{model.name}/2026-10.csv"], [7], set())
    if first is None or first["status"] != "SUCCEEDED":
        return
    deploy(first["version"])
    print(f"  new data to a live endpoint in {time.monotonic() - started:.1f}s")
    predict()
    status, bad = call("POST", f"/predict/{model.name}", {"instances": [{**customer, "contract": "weekly"}]})
    print(f"  malformed input -> {status} {bad.get('message')}")
    print("\n  More data, a burst of three files (one training run):")
    second = train_from_data(
        [f"training/{model.name}/2026-11/part-{i}.csv" for i in range(3)], [101, 102, 103], {first["run_id"]}
    )
    if second and second["status"] == "SUCCEEDED":
        deploy(second["version"])
        predict()
