"""Endpoints for real: CreateEndpoint loads every variant's model (InService once loaded,
Failed with the reason when model_fn fails), InvokeEndpoint answers through the inference
script, and UpdateEndpoint deploys a new endpoint config blue/green: the new fleet comes up,
takes the canary share of the traffic (or linear steps, or all at once), is watched for the
deployment's auto-rollback alarms while it bakes, then takes all traffic and bakes again for
TerminationWaitInSeconds; an alarm in ALARM (or the deployment running past
MaximumExecutionTimeoutInSeconds, or the new model failing to load) rolls it back to the old
fleet, which never stopped serving.

Events, as SageMaker publishes them: "SageMaker Endpoint State Change" on each status change
and "SageMaker Endpoint Deployment State Change" at each step of an update. Their detail is
the endpoint's Describe answer (times in epoch milliseconds, ``Tags`` as a map) with
``EndpointStatus`` spelt as the events spell it (``CREATING``, ``UPDATING``,
``ROLLING_BACK``, ``IN_SERVICE``, ``FAILED``), ``PendingDeploymentSummary`` while a
deployment runs, and ``FailureReason`` when it failed or was rolled back. The outcome of an
update is the final deployment event: ``IN_SERVICE`` with ``EndpointConfigName`` the new
config (deployed), or the old config and a ``FailureReason`` starting "Rolled back" (an alarm
or the time limit) or "Failed" (the new fleet could not start).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime
from typing import Any

from insight_local.sagemaker import alarms, hosting
from insight_local.sagemaker.aws import emit, tags_as_map

#: how often a baking deployment looks at its alarms (seconds)
WATCH_INTERVAL = 0.5


class Rollback(Exception):
    pass


class UpdateRefused(Exception):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def event_status(status: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", status).upper()


def _describe(endpoint: Any) -> dict[str, Any]:
    detail = dict(endpoint.response_object)
    detail["Tags"] = tags_as_map(endpoint.tags)
    detail["EndpointStatus"] = event_status(endpoint.endpoint_status)
    return detail


def _emit(endpoint: Any, region: str, deployment: bool = False, state: bool = True) -> None:
    detail = _describe(endpoint)
    try:
        if state:
            emit(region, "SageMaker Endpoint State Change", endpoint.arn, detail)
        if deployment:
            emit(region, "SageMaker Endpoint Deployment State Change", endpoint.arn, detail)
    except Exception:  # noqa: S110 (an event that cannot be put does not change the endpoint)
        pass


def _set(endpoint: Any, status: str, reason: str | None = None) -> None:
    endpoint.endpoint_status = status
    endpoint.failure_reason = reason
    endpoint.last_modified_time = now()


def _models(backend: Any) -> dict[str, dict[str, Any]]:
    return {name: model.response_object for name, model in backend._models.items()}


# --- create, delete -------------------------------------------------------------------------------


def create(backend: Any, endpoint: Any) -> None:
    """Host the endpoint's models: Creating now, InService (or Failed) once they loaded."""
    region = backend.region_name
    hosted = hosting.HostedEndpoint(endpoint.endpoint_name, endpoint.arn, region, backend.account_id)
    hosting.register(hosted)
    _set(endpoint, "Creating")
    endpoint.pending_deployment_summary = None
    endpoint.last_deployment_config = None
    config = backend.endpoint_configs[endpoint.endpoint_config_name].response_object
    models = _models(backend)
    _emit(endpoint, region)

    def load() -> None:
        try:
            fleet = hosting.load_fleet(config, models, region)
        except hosting.ModelLoadError as error:
            _set(endpoint, "Failed", f"Failed to start the endpoint's model: {error}")
        except Exception as error:
            _set(endpoint, "Failed", f"InternalServerError: the local runtime could not host the model: {error!r}")
        else:
            with hosted.lock:
                hosted.fleet = fleet
            _set(endpoint, "InService")
        _emit(endpoint, region)

    threading.Thread(target=load, name=f"sagemaker-endpoint:{endpoint.endpoint_name}", daemon=True).start()


def delete(backend: Any, name: str) -> None:
    hosting.forget(backend.account_id, backend.region_name, name)


# --- invoke ---------------------------------------------------------------------------------------


class InvokeError(Exception):
    def __init__(self, status: int, code: str, message: str, extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra or {}


def invoke(
    backend: Any,
    name: str,
    body: bytes,
    content_type: str,
    accept: str,
    target_variant: str | None,
) -> tuple[bytes, str, str]:
    """(answer, content type, the variant that answered), or InvokeError as SageMaker's."""
    started = time.perf_counter()
    account, region = backend.account_id, backend.region_name
    endpoint = backend.endpoints.get(name)
    hosted = hosting.endpoint(account, region, name)
    if endpoint is None or hosted is None:
        raise InvokeError(400, "ValidationError", f"Endpoint {name} of account {account} not found.")
    if endpoint.endpoint_status not in ("InService", "Updating", "RollingBack"):
        raise InvokeError(
            400,
            "ValidationError",
            f"Endpoint {name} of account {account} is not in service ({endpoint.endpoint_status}).",
        )
    try:
        _, variant = hosted.route(target_variant)
    except KeyError:
        raise InvokeError(
            400, "ValidationError", f"Target variant {target_variant} not found for endpoint {name}."
        ) from None
    model_started = time.perf_counter()
    try:
        answer, media = variant.loaded.invoke(body, content_type, accept)
    except hosting.InvocationError as error:
        model_us = (time.perf_counter() - model_started) * 1e6
        hosting.METRICS.record(region, name, variant.name, error.status, model_us, 0.0)
        log = f"arn:aws:logs:{region}:{account}:log-group:/aws/sagemaker/Endpoints/{name}"
        kind = "client" if error.status < 500 else "server"
        message = (
            f'Received {kind} error ({error.status}) from primary with message "{error.message}". See '
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logEventViewer:"
            f"group=/aws/sagemaker/Endpoints/{name} in account {account} for more information."
        )
        raise InvokeError(
            424,
            "ModelError",
            message,
            {"OriginalStatusCode": error.status, "OriginalMessage": error.message, "LogStreamArn": log},
        ) from None
    model_us = (time.perf_counter() - model_started) * 1e6
    overhead_us = max(0.0, (time.perf_counter() - started) * 1e6 - model_us)
    hosting.METRICS.record(region, name, variant.name, 200, model_us, overhead_us)
    return answer, media, variant.name


# --- update ---------------------------------------------------------------------------------------


def _instances(config: dict[str, Any]) -> int:
    return sum(int(variant.get("InitialInstanceCount") or 1) for variant in config["ProductionVariants"])


def _share(size: dict[str, Any] | None, instances: int) -> float:
    if not size:
        return 1.0
    if size["Type"] == "CAPACITY_PERCENT":
        return max(0.0, min(1.0, float(size["Value"]) / 100))
    return max(0.0, min(1.0, float(size["Value"]) / max(1, instances)))


def update(backend: Any, endpoint: Any, config_name: str, deployment_config: dict[str, Any] | None) -> None:
    """Start a deployment of ``config_name`` on the endpoint (UpdateEndpoint)."""
    region = backend.region_name
    hosted = hosting.endpoint(backend.account_id, region, endpoint.endpoint_name)
    if endpoint.endpoint_status != "InService" or hosted is None or hosted.fleet is None:
        raise UpdateRefused(
            f'Cannot update in-progress endpoint "{endpoint.arn}".'
            if endpoint.endpoint_status in ("Creating", "Updating", "RollingBack", "SystemUpdating")
            else f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.endpoint_status}.'
        )
    config = backend.endpoint_configs[config_name].response_object
    old_names = sorted(variant["VariantName"] for variant in endpoint.production_variants)
    new_names = sorted(variant["VariantName"] for variant in config["ProductionVariants"])
    if deployment_config and deployment_config.get("BlueGreenUpdatePolicy") and old_names != new_names:
        raise UpdateRefused(
            f"A blue/green update must keep the endpoint's variant names: the endpoint has {old_names}, "
            f"the endpoint config {config_name} has {new_names}."
        )
    models = _models(backend)
    old_config = endpoint.endpoint_config_name
    started = now()
    instances = _instances(config)
    endpoint.pending_deployment_summary = {
        "EndpointConfigName": config_name,
        "StartTime": started,
        "ProductionVariants": [
            {
                "VariantName": variant["VariantName"],
                "DesiredWeight": float(variant.get("InitialVariantWeight", 1.0)),
                "DesiredInstanceCount": int(variant.get("InitialInstanceCount") or 1),
                "VariantStatus": [
                    {
                        "Status": "Creating",
                        "StatusMessage": f"Launching {int(variant.get('InitialInstanceCount') or 1)} instance(s).",
                        "StartTime": started,
                    }
                ],
            }
            for variant in config["ProductionVariants"]
        ],
    }
    _set(endpoint, "Updating")
    _emit(endpoint, region, deployment=True)

    def variant_status(status: str, message: str) -> None:
        # a new summary, never one changed in place: a Describe may be reading it
        moment = now()
        summary = endpoint.pending_deployment_summary
        variants = [
            {**variant, "VariantStatus": [{"Status": status, "StatusMessage": message, "StartTime": moment}]}
            for variant in summary["ProductionVariants"]
        ]
        endpoint.pending_deployment_summary = {**summary, "ProductionVariants": variants}
        endpoint.last_modified_time = moment
        _emit(endpoint, region, deployment=True, state=False)

    def deploy() -> None:
        policy = (deployment_config or {}).get("BlueGreenUpdatePolicy") or {}
        routing = policy.get("TrafficRoutingConfiguration") or {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
        alarm_names = [
            alarm["AlarmName"]
            for alarm in (deployment_config or {}).get("AutoRollbackConfiguration", {}).get("Alarms", [])
        ]
        deadline = time.monotonic() + float(policy.get("MaximumExecutionTimeoutInSeconds") or 3600)

        def bake(seconds: float) -> None:
            end = time.monotonic() + seconds
            while True:
                if alarm_names:
                    hosting.METRICS.flush()
                    firing = alarms.check(alarm_names, region)
                    if firing:
                        names = ", ".join(name for name, _ in firing)
                        raise Rollback(
                            f"Rolled back: the auto-rollback alarm(s) {names} went into ALARM during the deployment "
                            f"of {config_name} ({firing[0][1]})"
                        )
                if time.monotonic() > deadline:
                    raise Rollback(
                        f"Rolled back: the deployment of {config_name} ran past MaximumExecutionTimeoutInSeconds "
                        f"({policy.get('MaximumExecutionTimeoutInSeconds')})"
                    )
                if time.monotonic() >= end:
                    return
                time.sleep(min(WATCH_INTERVAL, max(0.0, end - time.monotonic())))

        try:
            green = hosting.load_fleet(config, models, region)
        except Exception as error:
            _end_failed(f"Failed to deploy {config_name}: the new fleet could not start: {error}")
            return
        with hosted.lock:
            hosted.green, hosted.green_share = green, 0.0
        try:
            wait = float(routing.get("WaitIntervalInSeconds") or 0)
            kind = routing.get("Type", "ALL_AT_ONCE")
            if kind == "CANARY":
                share = _share(routing.get("CanarySize"), instances)
                canary = max(1, round(share * instances))
                variant_status("ActivatingTraffic", f"Activating traffic on canary capacity of {canary} instance(s).")
                with hosted.lock:
                    hosted.green_share = share
                variant_status(
                    "Baking",
                    f"Baking for {wait:g} seconds (WaitIntervalInSeconds) with traffic enabled on canary capacity "
                    f"of {canary} instance(s).",
                )
                bake(wait)
            elif kind == "LINEAR":
                step = _share(routing.get("LinearStepSize"), instances)
                share = 0.0
                while share < 1.0 - 1e-9:
                    share = min(1.0, share + step)
                    with hosted.lock:
                        hosted.green_share = share
                    variant_status(
                        "Baking",
                        f"Baking for {wait:g} seconds (WaitIntervalInSeconds) with traffic enabled on "
                        f"{share:.0%} of the capacity.",
                    )
                    bake(wait)
            with hosted.lock:
                hosted.green_share = 1.0
            termination = float(policy.get("TerminationWaitInSeconds") or 0)
            variant_status(
                "Baking",
                f"Baking for {termination:g} seconds (TerminationWaitInSeconds) with traffic enabled on full "
                f"capacity of {instances} instance(s).",
            )
            bake(termination)
        except Rollback as rollback:
            _set(endpoint, "RollingBack", str(rollback))
            with hosted.lock:
                hosted.green, hosted.green_share = None, 0.0
            green.unload()
            _emit(endpoint, region, deployment=True)
            _end_failed(str(rollback))
            return
        with hosted.lock:
            blue, hosted.fleet, hosted.green, hosted.green_share = hosted.fleet, green, None, 0.0
        if blue:
            blue.unload()
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        endpoint.last_deployment_config = deployment_config or None
        endpoint.pending_deployment_summary = None
        _set(endpoint, "InService")
        _emit(endpoint, region, deployment=True)

    def _end_failed(reason: str) -> None:
        endpoint.pending_deployment_summary = None
        endpoint.endpoint_config_name = old_config
        _set(endpoint, "InService", reason)
        _emit(endpoint, region, deployment=True)

    threading.Thread(target=deploy, name=f"sagemaker-deployment:{endpoint.endpoint_name}", daemon=True).start()
