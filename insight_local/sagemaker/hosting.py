"""Models hosted for real: each production variant's model loaded through its inference
script (``model_fn``), requests answered through ``input_fn`` -> ``predict_fn`` ->
``output_fn``, as SageMaker's framework serving containers do.

A Model's ``PrimaryContainer`` names the archive (``ModelDataUrl``: unpacked as model_dir)
and the code (``Environment``: ``SAGEMAKER_PROGRAM`` inside the ``SAGEMAKER_SUBMIT_DIRECTORY``
archive). The script is imported in this process under a name of its own (two variants may
both ship an ``inference.py``), with its source directory on ``sys.path`` for its siblings.

Every invocation is counted per endpoint and variant into the AWS/SageMaker metrics that
CloudWatch alarms watch (Invocations, Invocation4XXErrors, Invocation5XXErrors,
ModelLatency and OverheadLatency in microseconds), published every second.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

from insight_local.sagemaker import requirements, storage
from insight_local.sagemaker.aws import client
from insight_local.sagemaker.container import unpack

CLIENT_ERRORS = (ValueError, TypeError, KeyError)


class ModelLoadError(Exception):
    pass


class InvocationError(Exception):
    """The script failed a request: SageMaker answers ModelError (424) with the container's
    status (400 for the script's refusal of its input, 500 for a crash) and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class LoadedModel:
    name: str
    module: ModuleType
    model: Any
    model_dir: Path
    code_dir: Path

    def invoke(self, body: bytes, content_type: str, accept: str) -> tuple[bytes, str]:
        module = self.module
        try:
            data = (module.input_fn if hasattr(module, "input_fn") else default_input_fn)(body, content_type)
            prediction = (module.predict_fn if hasattr(module, "predict_fn") else default_predict_fn)(data, self.model)
            result = (module.output_fn if hasattr(module, "output_fn") else default_output_fn)(prediction, accept)
        except CLIENT_ERRORS as error:
            raise InvocationError(400, f"{type(error).__name__}: {error}") from None
        except Exception as error:
            raise InvocationError(500, "".join(traceback.format_exception_only(error)).strip()) from None
        answer, media = result if isinstance(result, tuple) else (result, accept)
        return (answer.encode() if isinstance(answer, str) else bytes(answer)), media


def default_input_fn(body: bytes, content_type: str) -> Any:
    text = body.decode() if isinstance(body, bytes) else body
    if content_type.startswith("application/json"):
        return json.loads(text)
    if content_type.startswith("text/csv"):
        return [[float(cell) for cell in line.split(",")] for line in text.splitlines() if line.strip()]
    raise ValueError(f"unsupported content type {content_type}")


def default_predict_fn(data: Any, model: Any) -> Any:
    return model.predict(data)


def default_output_fn(prediction: Any, accept: str) -> tuple[str, str]:
    values = prediction.tolist() if hasattr(prediction, "tolist") else prediction
    return json.dumps(values), "application/json"


_loaded_count = 0
_load_lock = threading.Lock()


def load_model(model: dict[str, Any], scratch: Path, region: str, label: str) -> LoadedModel:
    """Download, unpack and load a Model (its Describe answer) through its inference script."""
    global _loaded_count
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    environment = container.get("Environment") or {}
    program = environment.get("SAGEMAKER_PROGRAM")
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY")
    if not program or not submit:
        raise ModelLoadError(
            "the local runtime hosts script-mode models only: the container's Environment must name "
            "SAGEMAKER_PROGRAM and SAGEMAKER_SUBMIT_DIRECTORY"
        )
    model_dir, code_dir = scratch / "model", scratch / "code"
    try:
        if container.get("ModelDataUrl"):
            archives = storage.download(container["ModelDataUrl"], scratch / "model-archive", region)
            unpack(archives[0], model_dir)
        else:
            model_dir.mkdir(parents=True, exist_ok=True)
        if submit.startswith("s3://"):
            sources = storage.download(submit, scratch / "code-archive", region)
            unpack(sources[0], code_dir)
        else:
            shutil.copytree(submit, code_dir)
    except storage.MissingData as missing:
        raise ModelLoadError(str(missing)) from None
    script = code_dir / program
    if not script.is_file():
        raise ModelLoadError(f"the source directory {submit} has no {program}")
    unmet = requirements.explain(code_dir)
    if unmet:
        raise ModelLoadError(unmet)
    with _load_lock:
        _loaded_count += 1
        module_name = f"_sagemaker_{_loaded_count}_{script.stem}"
    if str(code_dir) not in sys.path:
        sys.path.append(str(code_dir))
    try:
        spec = importlib.util.spec_from_file_location(module_name, script)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if not hasattr(module, "model_fn"):
            raise ModelLoadError(f"{program} defines no model_fn(model_dir)")
        loaded = module.model_fn(str(model_dir))
    except ModelLoadError:
        raise
    except Exception as error:
        raise ModelLoadError(f"{program} failed to load the model: {type(error).__name__}: {error}") from None
    return LoadedModel(name=label, module=module, model=loaded, model_dir=model_dir, code_dir=code_dir)


# --- endpoints ----------------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    model_name: str
    weight: float
    loaded: LoadedModel


@dataclass
class Fleet:
    """The variants of one endpoint config, loaded."""

    config_name: str
    variants: dict[str, Variant]
    scratch: Path

    def pick(self, target: str | None) -> Variant:
        if target:
            if target not in self.variants:
                raise KeyError(target)
            return self.variants[target]
        variants = list(self.variants.values())
        total = sum(variant.weight for variant in variants)
        if total <= 0:
            return variants[0]
        return random.choices(variants, weights=[v.weight for v in variants])[0]  # noqa: S311 (traffic split)

    def unload(self) -> None:
        for variant in self.variants.values():
            if str(variant.loaded.code_dir) in sys.path:
                sys.path.remove(str(variant.loaded.code_dir))
        shutil.rmtree(self.scratch, ignore_errors=True)


@dataclass
class HostedEndpoint:
    name: str
    arn: str
    region: str
    account: str
    fleet: Fleet | None = None
    #: during a blue/green deployment: the new fleet and the share of requests it takes
    green: Fleet | None = None
    green_share: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, target: str | None) -> tuple[Fleet, Variant]:
        with self.lock:
            fleet = self.fleet
            if self.green is not None and random.random() < self.green_share:  # noqa: S311 (traffic split)
                fleet = self.green
        if fleet is None:
            raise LookupError("the endpoint has no model loaded")
        return fleet, fleet.pick(target)


ENDPOINTS: dict[tuple[str, str, str], HostedEndpoint] = {}
_endpoints_lock = threading.Lock()


def endpoint(account: str, region: str, name: str) -> HostedEndpoint | None:
    with _endpoints_lock:
        return ENDPOINTS.get((account, region, name))


def register(hosted: HostedEndpoint) -> None:
    with _endpoints_lock:
        ENDPOINTS[(hosted.account, hosted.region, hosted.name)] = hosted


def forget(account: str, region: str, name: str) -> None:
    with _endpoints_lock:
        hosted = ENDPOINTS.pop((account, region, name), None)
    if hosted:
        for fleet in (hosted.fleet, hosted.green):
            if fleet:
                fleet.unload()


def load_fleet(config: dict[str, Any], models: dict[str, dict[str, Any]], region: str) -> Fleet:
    """Every production variant of an endpoint config, loaded (ModelLoadError names the one
    that failed)."""
    scratch = Path(tempfile.mkdtemp(prefix=f"sagemaker-endpoint-{config['EndpointConfigName'][:40]}-"))
    variants: dict[str, Variant] = {}
    try:
        for spec in config["ProductionVariants"]:
            model = models.get(spec["ModelName"])
            if model is None:
                raise ModelLoadError(f"Could not find model {spec['ModelName']}")
            try:
                loaded = load_model(model, scratch / spec["VariantName"], region, spec["VariantName"])
            except ModelLoadError as error:
                raise ModelLoadError(f"variant {spec['VariantName']} (model {spec['ModelName']}): {error}") from None
            variants[spec["VariantName"]] = Variant(
                name=spec["VariantName"],
                model_name=spec["ModelName"],
                weight=float(spec.get("InitialVariantWeight", 1.0)),
                loaded=loaded,
            )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return Fleet(config_name=config["EndpointConfigName"], variants=variants, scratch=scratch)


# --- invocation metrics ---------------------------------------------------------------------------


@dataclass
class _Tally:
    invocations: int = 0
    errors_4xx: int = 0
    errors_5xx: int = 0
    model_latency: list[float] = field(default_factory=list)
    overhead_latency: list[float] = field(default_factory=list)


class InvocationMetrics:
    """Counts per (region, endpoint, variant), put to CloudWatch (AWS/SageMaker) on flush."""

    def __init__(self) -> None:
        self._tallies: dict[tuple[str, str, str], _Tally] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def record(
        self, region: str, endpoint_name: str, variant: str, status: int, model_us: float, overhead_us: float
    ) -> None:
        with self._lock:
            tally = self._tallies.setdefault((region, endpoint_name, variant), _Tally())
            tally.invocations += 1
            if 400 <= status < 500:
                tally.errors_4xx += 1
            elif status >= 500:
                tally.errors_5xx += 1
            tally.model_latency.append(model_us)
            tally.overhead_latency.append(overhead_us)
            if self._thread is None:
                self._thread = threading.Thread(target=self._publish_forever, name="sagemaker-metrics", daemon=True)
                self._thread.start()

    def _publish_forever(self) -> None:
        while True:
            time.sleep(1)
            with contextlib.suppress(Exception):  # the next flush retries; invocations never fail for metrics
                self.flush()

    def flush(self) -> None:
        with self._lock:
            tallies, self._tallies = self._tallies, {}
        moment = datetime.now(UTC)
        for (region, endpoint_name, variant), tally in tallies.items():
            dimensions = [{"Name": "EndpointName", "Value": endpoint_name}, {"Name": "VariantName", "Value": variant}]

            def count(name: str, value: float, dims: list[dict[str, str]] = dimensions) -> dict[str, Any]:
                return {"MetricName": name, "Dimensions": dims, "Timestamp": moment, "Value": value, "Unit": "None"}

            def latency(name: str, values: list[float], dims: list[dict[str, str]] = dimensions) -> dict[str, Any]:
                return {
                    "MetricName": name,
                    "Dimensions": dims,
                    "Timestamp": moment,
                    "StatisticValues": {
                        "SampleCount": len(values),
                        "Sum": sum(values),
                        "Minimum": min(values),
                        "Maximum": max(values),
                    },
                    "Unit": "Microseconds",
                }

            data = [
                count("Invocations", tally.invocations),
                count("Invocation4XXErrors", tally.errors_4xx),
                count("Invocation5XXErrors", tally.errors_5xx),
                latency("ModelLatency", tally.model_latency),
                latency("OverheadLatency", tally.overhead_latency),
            ]
            client("cloudwatch", region).put_metric_data(Namespace="AWS/SageMaker", MetricData=data)


METRICS = InvocationMetrics()
