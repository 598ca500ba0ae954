"""The SageMaker loop in the local runtime: new data to a live endpoint answering, in seconds,
split into the model's scripts' own time (processing, training, evaluation: the subprocesses
the local SageMaker runs) and the orchestration's (S3 events, Step Functions, the Lambdas,
the engine's downloads and uploads, the registry, the deployment and the endpoint's start);
and predict latency through the API (``POST /predict/churn``: HTTP, Chalice, schema check,
InvokeEndpoint through moto's server, the inference script) as a ratio to calling the
model's inference functions in process.

The settle window is set to 0 s here: it is a configured wait, not work.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import statistics
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any

from infra.resources import MODELS

PREDICTIONS = 200
CUSTOMER = MODELS[0].example()


def _wait(call: Any, done: Any, timeout: float = 300) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = call()
        if done(value):
            return value
        time.sleep(0.05)
    raise RuntimeError(f"the loop did not finish in {timeout}s: {value}")


def figures() -> dict[str, float]:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from infra.resources import STACK
    from insight_local.model_loop import churn_csv
    from insight_local.runtime import Runtime
    from insight_local.sagemaker import script_seconds
    from insight_local.server import free_port
    from tests.e2e.conftest import Client

    models = tuple(dataclasses.replace(m, settle_seconds=0, max_deployment_seconds=600) for m in STACK.models)
    runtime = Runtime(api_port=free_port(), access_log=False, stack=dataclasses.replace(STACK, models=models))
    with contextlib.redirect_stderr(io.StringIO()):
        runtime.start()
    try:
        assert runtime.deployment is not None
        api = Client(runtime.api.url)
        model = models[0]
        data = churn_csv(model, 1500, 7)
        s3 = runtime.aws.client("s3")
        started = time.perf_counter()
        s3.put_object(Bucket=runtime.deployment.names["ModelData"], Key="training/churn/bench.csv", Body=data)
        runs = _wait(lambda: api.call("GET", "/models/churn")[1]["trainings"], bool)
        run = _wait(
            lambda: api.call("GET", f"/models/churn/trainings/{runs[0]['run_id']}")[1],
            lambda r: r["status"] in ("SUCCEEDED", "REJECTED", "FAILED"),
        )
        registered = time.perf_counter()
        assert run["status"] == "SUCCEEDED", run
        accepted = api.call("POST", f"/models/churn/versions/{run['version']}/approve")[1]
        _wait(
            lambda: api.call("GET", f"/deployments/{accepted['deployment']['deployment_id']}")[1]["status"],
            lambda status: status in ("DEPLOYED", "ROLLED_BACK", "FAILED"),
        )
        _wait(lambda: api.call("POST", "/predict/churn", {"instances": [CUSTOMER]})[0], lambda status: status == 200)
        answered = time.perf_counter()
        jobs = run["jobs"]
        scripts = sum(
            script_seconds(kind, jobs[name]) or 0.0
            for kind, name in (("Processing", "processing"), ("Training", "training"), ("Processing", "evaluation"))
        )
        # Predict latency: through the API, and the inference functions in process, interleaved.
        inference, loaded = _in_process_model(runtime, run["package_arn"])
        body = json.dumps({"instances": [CUSTOMER]})
        through, direct = [], []
        for _ in range(PREDICTIONS):
            began = time.perf_counter()
            status, _ = api.call("POST", "/predict/churn", {"instances": [CUSTOMER]})
            through.append(time.perf_counter() - began)
            assert status == 200
            began = time.perf_counter()
            inference.output_fn(
                inference.predict_fn(inference.input_fn(body, "application/json"), loaded), "application/json"
            )
            direct.append(time.perf_counter() - began)
        loop = answered - started
        return {
            "loop_seconds": loop,
            "to_registered_seconds": registered - started,
            "scripts_seconds": scripts,
            "orchestration_seconds": loop - scripts,
            "scripts_share": scripts / loop,
            "predict_api_ms": statistics.median(through) * 1000,
            "predict_in_process_ms": statistics.median(direct) * 1000,
            "predict_ratio": statistics.median(through) / statistics.median(direct),
        }
    finally:
        runtime.stop()


def _in_process_model(runtime: Any, package_arn: str) -> tuple[Any, Any]:
    import importlib.util

    from infra.resources import STACK

    container = runtime.aws.client("sagemaker").describe_model_package(ModelPackageName=package_arn)
    url = container["InferenceSpecification"]["Containers"][0]["ModelDataUrl"]
    bucket, _, key = url.removeprefix("s3://").partition("/")
    directory = tempfile.mkdtemp(prefix="insight-bench-")
    archive = Path(directory) / "model.tar.gz"
    archive.write_bytes(runtime.aws.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read())
    with tarfile.open(archive) as tar:
        tar.extractall(directory, filter="data")
    spec = importlib.util.spec_from_file_location("churn_inference_bench", STACK.models[0].source / "inference.py")
    assert spec and spec.loader
    inference = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inference)
    return inference, inference.model_fn(directory)


def main() -> dict[str, float]:
    result = figures()
    print("SageMaker loop, local (new data under training/churn/ to POST /predict answering from the deployed model):")
    print(
        f"  {result['loop_seconds']:.1f} s in all ({result['to_registered_seconds']:.1f} s to a registered version): "
        f"the scripts' own time {result['scripts_seconds']:.1f} s ({result['scripts_share']:.0%}), "
        f"orchestration {result['orchestration_seconds']:.1f} s ({1 - result['scripts_share']:.0%})"
    )
    print(
        f"  predict through the API {result['predict_api_ms']:.1f} ms (median of {PREDICTIONS}) = "
        f"{result['predict_ratio']:.1f}x the model's inference functions in process "
        f"({result['predict_in_process_ms']:.2f} ms)"
    )
    return result


if __name__ == "__main__":
    main()
