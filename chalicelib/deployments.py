"""Deployments (``statemachines/deployment.asl.json``): an approved model package goes to its
model's endpoint, once, one deployment at a time per endpoint.

- ``start_deployment``: the deployment's id is a digest of the package ARN, its record is put
  only if absent and its execution is named by it: the package's state change event, its
  repeats and ``POST /models/{name}/versions/{v}/approve`` all lead to one deployment.
- ``acquire_endpoint``: the endpoint's lock item (``lock#<endpoint>``) names the deployment
  that holds it; another one waits (the workflow retries ``EndpointBusy``).
- ``deploy_model``: the SageMaker Model from the package, an endpoint config with the same
  variant name, CloudWatch alarms on the variant's 5XX errors and model latency; then
  CreateEndpoint, or UpdateEndpoint blue/green with canary traffic, baking and auto-rollback
  on those alarms. The step waits on a task token held on the record.
- ``endpoint_changed``: SageMaker's endpoint events resume it with the outcome (the first one
  that tells it; repeats find no token).
- ``finish_deployment``: the outcome on the record; after a deploy, the live record moves; the
  configs and models that serve nothing are deleted (``leftovers``); the endpoint is freed.

Every endpoint config and model a deployment makes is on its record before it is made, so one
that does not end live deletes them when it ends, or, if a Failed endpoint is still on them,
the next deployment does when it makes that endpoint again.
"""

from __future__ import annotations

import hashlib
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import services
from chalicelib.adapters.model_records import ConditionFailed
from chalicelib.clock import now
from chalicelib.errors import InsightError, InvalidRequest, NotFound
from chalicelib.lifecycle_models import (
    Deployment,
    DeploymentEnd,
    DeploymentExecution,
    DeploymentOutcome,
    DeploymentStart,
    DeploymentStatus,
    EndpointStateChange,
    Live,
    ModelPackageStateChange,
)
from chalicelib.observability import logger, metrics
from chalicelib.settings import MlModel, get_settings
from chalicelib.trainings import JOB_TAG, declared_model, live_key


class EndpointBusy(InsightError):
    """Another deployment holds the endpoint; the workflow retries later."""


def deployment_id(package_arn: str) -> str:
    return hashlib.sha256(package_arn.encode()).hexdigest()[:32]


def deployment_key(deployment: str) -> str:
    return f"deployment#{deployment}"


def get_deployment(deployment: str) -> Deployment:
    found = services.model_records().find(deployment_key(deployment)) if len(deployment) <= 64 else None
    if found is None:
        raise NotFound(f"no deployment with id {deployment[:64]!r}")
    found.pop("task_token", None)
    return Deployment.model_validate(found)


def model_of_group(group: str) -> MlModel | None:
    return next((model for model in get_settings().ml_models if model.package_group == group), None)


def start_deployment(model: MlModel, package_arn: str, version: int, trigger: str) -> Deployment:
    """The deployment of ``package_arn``: recorded once, its execution started once."""
    records = services.model_records()
    identifier = deployment_id(package_arn)
    moment = now()
    deployment = Deployment(
        deployment_id=identifier,
        model=model.name,
        endpoint=model.endpoint,
        package_arn=package_arn,
        version=version,
        status=DeploymentStatus.PENDING,
        trigger="api" if trigger == "api" else "event",
        created_at=moment,
        updated_at=moment,
    )
    try:
        records.create(deployment_key(identifier), deployment.model_dump(mode="json", exclude_none=True))
        metrics.add_metric(name="DeploymentsStarted", unit=MetricUnit.Count, value=1)
    except ConditionFailed:
        deployment = Deployment.model_validate(records.get(deployment_key(identifier)))
        logger.info("deployment exists already", deployment_id=identifier, status=deployment.status.value)
    if deployment.status == DeploymentStatus.PENDING:
        # Named by the deployment: an execution that started already is not started again.
        services.workflows().start(
            get_settings().deployment_workflow_arn,
            identifier,
            DeploymentExecution(deployment_id=identifier).model_dump(mode="json"),
        )
    return deployment


def package_approved(change: ModelPackageStateChange) -> Deployment | None:
    """ "SageMaker Model Package State Change": an Approved package of a model's group deploys."""
    model = model_of_group(change.ModelPackageGroupName)
    if model is None or change.ModelApprovalStatus != "Approved":
        logger.info("not an approved package of Insight's models; ignored", group=change.ModelPackageGroupName)
        return None
    version = change.ModelPackageVersion
    if version is None:
        version = int(services.registry().describe(change.ModelPackageArn).get("ModelPackageVersion") or 0)
    return start_deployment(model, change.ModelPackageArn, version, "event")


def acquire_endpoint(execution: DeploymentExecution) -> Deployment:
    records = services.model_records()
    deployment = get_deployment(execution.deployment_id)
    if deployment.status.finished:
        raise InvalidRequest(f"deployment {deployment.deployment_id} has ended {deployment.status.value}")
    try:
        records.hold(
            f"lock#{deployment.endpoint}",
            deployment.deployment_id,
            {"endpoint": deployment.endpoint, "since": now().isoformat()},
        )
    except ConditionFailed as busy:
        holder = (records.find(f"lock#{deployment.endpoint}") or {}).get("holder")
        raise EndpointBusy(f"endpoint {deployment.endpoint} is being deployed by {holder}") from busy
    return deployment


def resource_name(model: MlModel, deployment: Deployment) -> str:
    """The SageMaker Model's and endpoint config's name (at most 63 characters)."""
    return f"{model.name}-v{deployment.version}-{deployment.deployment_id[:12]}"


def alarm_requests(model: MlModel, deployment: Deployment) -> list[dict[str, Any]]:
    """The auto-rollback alarms, on the variant's metrics that SageMaker publishes each minute."""
    dimensions = [{"Name": "EndpointName", "Value": model.endpoint}, {"Name": "VariantName", "Value": model.variant}]
    prefix = f"{model.endpoint}-{deployment.deployment_id[:12]}"
    common = {
        "Namespace": "AWS/SageMaker",
        "Dimensions": dimensions,
        "Period": 60,
        "EvaluationPeriods": 1,
        "DatapointsToAlarm": 1,
        "TreatMissingData": "notBreaching",
        "ActionsEnabled": False,
        "Tags": [{"Key": JOB_TAG, "Value": deployment.deployment_id}],
    }
    return [
        {
            **common,
            "AlarmName": f"{prefix}-5xx-errors",
            "AlarmDescription": f"Rolls back deployment {deployment.deployment_id}: the model answers with errors.",
            "MetricName": "Invocation5XXErrors",
            "Statistic": "Sum",
            "Threshold": float(model.max_errors_per_minute),
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        },
        {
            **common,
            "AlarmName": f"{prefix}-model-latency",
            "AlarmDescription": f"Rolls back deployment {deployment.deployment_id}: the model is too slow.",
            "MetricName": "ModelLatency",
            "Statistic": "Average",
            "Unit": "Microseconds",
            "Threshold": float(model.max_latency_ms * 1000),
            "ComparisonOperator": "GreaterThanThreshold",
        },
    ]


def deployment_config(model: MlModel, alarms: list[str]) -> dict[str, Any]:
    """UpdateEndpoint's DeploymentConfig: blue/green, canary traffic shifting, baking, auto-rollback."""
    return {
        "BlueGreenUpdatePolicy": {
            "TrafficRoutingConfiguration": {
                "Type": "CANARY",
                "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": model.canary_percent},
                "WaitIntervalInSeconds": model.canary_wait_seconds,
            },
            "TerminationWaitInSeconds": model.baking_seconds,
            "MaximumExecutionTimeoutInSeconds": model.max_deployment_seconds,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": name} for name in alarms]},
    }


def deploy_model(start: DeploymentStart) -> None:
    """Make the model and its endpoint config, then create the endpoint or update it blue/green.
    The workflow waits on ``start.task_token`` until an endpoint event resumes it."""
    settings = get_settings()
    records = services.model_records()
    deployment = get_deployment(start.deployment_id)
    model = declared_model(deployment.model)
    package = services.registry().describe(deployment.package_arn)
    if package.get("ModelApprovalStatus") != "Approved":
        raise InvalidRequest(
            f"model package {deployment.package_arn} is {package.get('ModelApprovalStatus')}, not Approved"
        )
    container = package["InferenceSpecification"]["Containers"][0]
    name = resource_name(model, deployment)
    tags = [{"Key": JOB_TAG, "Value": deployment.deployment_id}, {"Key": "insight:model", "Value": model.name}]
    hosting = services.hosting()
    # On the record before they are made: however the deployment ends, it knows what to delete.
    records.update(deployment_key(deployment.deployment_id), {"model_name": name, "endpoint_config": name})
    hosting.create_model(
        {
            "ModelName": name,
            "ExecutionRoleArn": settings.sagemaker_role_arn,
            "PrimaryContainer": {
                "Image": container["Image"],
                "ModelDataUrl": container["ModelDataUrl"],
                "Environment": dict(container.get("Environment") or {}),
            },
            "Tags": tags,
        }
    )
    hosting.create_endpoint_config(
        {
            "EndpointConfigName": name,
            "ProductionVariants": [
                {
                    # The same variant name in every config: blue/green updates need it.
                    "VariantName": model.variant,
                    "ModelName": name,
                    "InitialInstanceCount": model.inference_instance_count,
                    "InstanceType": model.inference_instance_type,
                    "InitialVariantWeight": 1.0,
                }
            ],
            "Tags": tags,
        }
    )
    endpoint = hosting.endpoint(model.endpoint)
    alarms: list[str] = []
    values: dict[str, Any] = {
        "status": DeploymentStatus.DEPLOYING.value,
        "updated_at": now().isoformat(),
        "task_token": start.task_token,
    }
    if endpoint is not None and endpoint.get("EndpointStatus") == "Failed":
        # A failed endpoint cannot be updated: it is deleted and made again from this config.
        # What it was made from serves nothing from then on: deleted when this deployment
        # ends, whatever the outcome (recorded first: SageMaker deletes the endpoint while the
        # step is retried, and a retry finds it Deleting, then gone).
        failed_config = str(endpoint["EndpointConfigName"])
        made_from = {"failed_config": failed_config, "failed_model": hosting.model_of_config(failed_config)}
        records.update(deployment_key(deployment.deployment_id), {k: v for k, v in made_from.items() if v})
        hosting.delete_endpoint(model.endpoint)
        logger.warning("failed endpoint deleted", endpoint=model.endpoint, reason=endpoint.get("FailureReason"))
        endpoint = hosting.endpoint(model.endpoint)
    if endpoint is None:
        values["strategy"] = "create"
    else:
        if endpoint.get("EndpointStatus") != "InService":
            # Creating, Updating, Deleting...: the step is retried until it can go on.
            raise EndpointBusy(f"endpoint {model.endpoint} is {endpoint.get('EndpointStatus')}")
        for request in alarm_requests(model, deployment):
            services.alarms().put(request)
            alarms.append(request["AlarmName"])
        live = records.find(live_key(model.endpoint))
        values.update(
            strategy="blue_green_canary",
            alarms=alarms,
            previous_config=endpoint.get("EndpointConfigName"),
            previous_model=(live or {}).get("model_name"),
        )
    # The token is on the record before SageMaker starts: its events always find it.
    records.update(deployment_key(deployment.deployment_id), values)
    if endpoint is None:
        hosting.create_endpoint(model.endpoint, name, tags)
    elif endpoint.get("EndpointConfigName") == name:
        logger.info("endpoint already on this config (a retried step)", endpoint=model.endpoint)
    else:
        hosting.update_endpoint(model.endpoint, name, deployment_config(model, alarms))
    logger.info("deployment started", deployment_id=deployment.deployment_id, strategy=values["strategy"])


def outcome_of(change: EndpointStateChange, deployment: Deployment) -> DeploymentOutcome | None:
    """What an endpoint event says of the deployment waiting on it, or None (not its end)."""
    status = change.EndpointStatus.upper().replace(" ", "_")
    ours = change.EndpointConfigName == deployment.endpoint_config
    if status == "FAILED":
        if deployment.strategy == "create" and change.EndpointConfigName not in (None, deployment.endpoint_config):
            return None  # a late FAILED of the endpoint this deployment deleted to make it again
        return DeploymentOutcome(status=DeploymentStatus.FAILED, reason=change.FailureReason or "the endpoint failed")
    if status != "IN_SERVICE":
        return None
    if ours and not change.FailureReason:
        return DeploymentOutcome(status=DeploymentStatus.DEPLOYED)
    if not ours and change.FailureReason and deployment.strategy == "blue_green_canary":
        return update_ended_elsewhere(change.FailureReason)
    return None


def update_ended_elsewhere(reason: str | None) -> DeploymentOutcome:
    """A blue/green update that left the endpoint in service on another config: rolled back
    (an alarm, the time limit) or failed (the new fleet could not start)."""
    text = (reason or "").lower()
    failed = text.startswith("failed") and "roll" not in text
    return DeploymentOutcome(
        status=DeploymentStatus.FAILED if failed else DeploymentStatus.ROLLED_BACK,
        reason=reason or "the update ended with the endpoint back on its previous config",
    )


def confirmed_outcome(change: EndpointStateChange, deployment: Deployment) -> DeploymentOutcome | None:
    """The outcome an event tells, or, for an IN_SERVICE event on another config that names
    no reason, the endpoint as DescribeEndpoint shows it: in service on another config and no
    deployment pending means the update ended without this config (a stale event of the
    state before the update finds it Updating, and tells nothing)."""
    outcome = outcome_of(change, deployment)
    if outcome is not None or deployment.strategy != "blue_green_canary":
        return outcome
    if change.EndpointStatus.upper() != "IN_SERVICE" or change.EndpointConfigName == deployment.endpoint_config:
        return None
    endpoint = services.hosting().endpoint(deployment.endpoint) or {}
    if endpoint.get("EndpointStatus") != "InService" or endpoint.get("PendingDeploymentSummary"):
        return None
    if endpoint.get("EndpointConfigName") == deployment.endpoint_config:
        return DeploymentOutcome(status=DeploymentStatus.DEPLOYED)
    return update_ended_elsewhere(endpoint.get("FailureReason"))


def endpoint_changed(change: EndpointStateChange) -> DeploymentOutcome | None:
    """Resume the deployment that waits on this endpoint, if the event tells its outcome."""
    records = services.model_records()
    lock = records.find(f"lock#{change.EndpointName}")
    if lock is None:
        logger.info("no deployment holds the endpoint; event ignored", endpoint=change.EndpointName)
        return None
    found = records.find(deployment_key(str(lock["holder"])))
    if found is None or not found.get("task_token"):
        logger.info("no deployment waits on the endpoint; event ignored", endpoint=change.EndpointName)
        return None
    token = str(found.pop("task_token"))
    deployment = Deployment.model_validate(found)
    outcome = confirmed_outcome(change, deployment)
    if outcome is None:
        return None
    try:  # only the first event that tells the outcome resumes the workflow
        records.update(
            deployment_key(deployment.deployment_id), {}, remove=("task_token",), only_if={"task_token": token}
        )
    except ConditionFailed:
        return None
    services.workflows().resume(token, outcome.model_dump(mode="json"))
    logger.info("deployment resumed", deployment_id=deployment.deployment_id, outcome=outcome.status.value)
    return outcome


def finish_deployment(end: DeploymentEnd) -> Deployment:
    """Record the outcome; after a deploy, move the live record; delete the configs and models
    that serve nothing (``leftovers``); free the endpoint whatever happened."""
    records = services.model_records()
    deployment = get_deployment(end.deployment_id)
    if deployment.status.finished:
        # A repeated end (the safety net after the workflow's own end, a retried step): the
        # first one recorded the outcome, moved the live record and deleted what was left.
        return _release(deployment)
    if end.outcome is not None:
        outcome = end.outcome
    else:
        from chalicelib.trainings import failure_reason

        failure = end.failure
        outcome = DeploymentOutcome(
            status=DeploymentStatus.FAILED,
            reason=failure_reason(failure.error, failure.cause) if failure else "the deployment failed",
        )
    moment = now()
    values: dict[str, Any] = {
        "status": outcome.status.value,
        "updated_at": moment.isoformat(),
        "finished_at": moment.isoformat(),
    }
    if outcome.reason:
        values["reason"] = outcome.reason[:4000]
    deployed = False
    if outcome.status == DeploymentStatus.DEPLOYED and deployment.model_name and deployment.endpoint_config:
        live = Live(
            endpoint=deployment.endpoint,
            model=deployment.model,
            package_arn=deployment.package_arn,
            version=deployment.version,
            model_name=deployment.model_name,
            endpoint_config=deployment.endpoint_config,
            deployment_id=deployment.deployment_id,
            deployed_at=moment,
        )
        records.put(live_key(deployment.endpoint), live.model_dump(mode="json"))
        deployed = True
    configs, models = leftovers(deployment, deployed)
    hosting = services.hosting()
    for config in configs:
        hosting.delete_endpoint_config(config)
    for model in models:
        hosting.delete_model(model)
    if configs or models:
        values["superseded"] = [*configs, *models]
    try:
        updated = records.update(
            deployment_key(deployment.deployment_id),
            values,
            remove=("task_token",),
            only_if_in=("status", (DeploymentStatus.PENDING.value, DeploymentStatus.DEPLOYING.value)),
        )
        deployment = Deployment.model_validate({k: v for k, v in updated.items() if k != "task_token"})
    except ConditionFailed:
        return _release(get_deployment(deployment.deployment_id))
    metrics.add_metric(
        name=f"Deployments{outcome.status.value.title().replace('_', '')}", unit=MetricUnit.Count, value=1
    )
    logger.info("deployment ended", deployment_id=deployment.deployment_id, status=deployment.status.value)
    return _release(deployment)


def _release(deployment: Deployment) -> Deployment:
    services.model_records().release(f"lock#{deployment.endpoint}", deployment.deployment_id)
    return deployment


def leftovers(deployment: Deployment, deployed: bool) -> tuple[list[str], list[str]]:
    """The endpoint configs and models that serve nothing once the deployment has ended: those
    of a Failed endpoint it made again, whatever the outcome; deployed, those the endpoint was on
    before; not deployed, its own. Never what serves: its own once deployed; otherwise the live
    record's, and what the endpoint is on or moving to (a Failed endpoint keeps its config and
    model until the next deployment makes it again and deletes them)."""
    pairs = [(deployment.failed_config, deployment.failed_model)]
    if deployed:
        pairs.append((deployment.previous_config, deployment.previous_model))
        serving = [(deployment.endpoint_config, deployment.model_name)]
    else:
        pairs.append((deployment.endpoint_config, deployment.model_name))
        if not any(name for pair in pairs for name in pair):
            return [], []
        live = services.model_records().find(live_key(deployment.endpoint)) or {}
        endpoint = services.hosting().endpoint(deployment.endpoint) or {}
        pending = endpoint.get("PendingDeploymentSummary") or {}
        serving = [
            (live.get("endpoint_config"), live.get("model_name")),
            (endpoint.get("EndpointConfigName"), None),
            (pending.get("EndpointConfigName"), None),
        ]
    kept_configs = {config for config, _ in serving if config}
    kept_models = {model for _, model in serving if model}
    unused = [(config, model) for config, model in pairs if config not in kept_configs]
    configs = list(dict.fromkeys(config for config, _ in unused if config))
    models = list(dict.fromkeys(model for _, model in unused if model and model not in kept_models))
    return configs, models
