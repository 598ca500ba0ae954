"""The local runtime, started once for the e2e tests: moto's server, the provisioned
resources, and the API on a free port of 127.0.0.1."""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.resources import STACK
from insight_local.runtime import Runtime
from insight_local.server import free_port

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


class Client:
    """A small HTTP client for the local API and presigned uploads."""

    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


#: Callbacks retried after 1 s, 2 s, ... and given up after 3 attempts, and the sweep sending
#: callbacks never attempted without waiting, so that tests see it soon.
SETTINGS = {
    "INSIGHT_CALLBACK_BACKOFF_SECONDS": "1",
    "INSIGHT_CALLBACK_MAX_ATTEMPTS": "3",
    "INSIGHT_CALLBACK_REDRIVE_SECONDS": "0",
}


#: Models whose lifecycle fits in a test: uploads settle for 2 s, a canary bakes 3 s and the
#: whole fleet 2 s before the old one goes.
FAST_MODELS = tuple(
    dataclasses.replace(
        model, settle_seconds=2, canary_wait_seconds=3, baking_seconds=2, max_deployment_seconds=600, spot=True
    )
    for model in STACK.models
)
#: The example model declared a second time, approved at registration: what it registers
#: deploys itself, through the registry's event (tests/e2e/test_model_auto_approval.py). Its
#: uploads settle for 6 s, long enough to stop a run while it settles and upload again.
AUTO_APPROVED = dataclasses.replace(
    FAST_MODELS[0],
    logical_id="AutoChurn",
    name="auto-churn",
    purpose="The example model, approved at registration.",
    auto_approve=True,
    settle_seconds=6,
)


@pytest.fixture(scope="session")
def runtime() -> Iterator[Runtime]:
    stack = dataclasses.replace(STACK, models=(*FAST_MODELS, AUTO_APPROVED))
    rt = Runtime(api_port=free_port(), settings=SETTINGS, stack=stack).start()
    yield rt
    rt.stop()


@pytest.fixture(scope="session")
def api(runtime: Runtime) -> Client:
    return Client(runtime.api.url)


def wait_for_job(api: Client, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = api.call("GET", f"/jobs/{job_id}")
        if status == 200 and body["job"]["status"] in ("SUCCEEDED", "FAILED"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s: {body}")
