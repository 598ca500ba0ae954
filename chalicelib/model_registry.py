"""The models as the API shows them: declared models, their registered versions (the model
package group), which one is live, their training runs; approving a version."""

from __future__ import annotations

from typing import Any

from chalicelib import services
from chalicelib.deployments import deployment_id, deployment_key, start_deployment
from chalicelib.errors import Conflict, NotFound
from chalicelib.lifecycle_models import (
    ApprovalAccepted,
    DeploymentStatus,
    ModelDetail,
    ModelList,
    ModelSummary,
    ModelVersion,
    TrainingRun,
)
from chalicelib.settings import MlModel, get_settings
from chalicelib.trainings import declared_model, evaluation_metrics, live_key

MAX_VERSIONS = 20


def summary(model: MlModel) -> ModelSummary:
    live = services.model_records().find(live_key(model.endpoint))
    return ModelSummary(
        name=model.name,
        endpoint=model.endpoint,
        package_group=model.package_group,
        live_version=int(live["version"]) if live else None,
        metric=model.metric,
        threshold=model.threshold,
    )


def list_models() -> ModelList:
    return ModelList(models=[summary(model) for model in get_settings().ml_models])


def version_of(package: dict[str, Any], live_arn: str | None) -> ModelVersion:
    metadata = package.get("CustomerMetadataProperties") or {}
    uri = package.get("ModelMetrics", {}).get("ModelQuality", {}).get("Statistics", {}).get("S3Uri")
    found: dict[str, float] = {}
    if uri:
        try:
            found = evaluation_metrics(uri)
        except NotFound:
            found = {}
    return ModelVersion(
        version=int(package.get("ModelPackageVersion") or 0),
        package_arn=package["ModelPackageArn"],
        approval=package.get("ModelApprovalStatus", "Unknown"),
        status=package.get("ModelPackageStatus", "Unknown"),
        created_at=package.get("CreationTime"),
        metrics=found,
        data_version=metadata.get("data_version"),
        code_version=metadata.get("code_version"),
        run_id=metadata.get("run_id"),
        live=package["ModelPackageArn"] == live_arn,
    )


def get_model(name: str) -> ModelDetail:
    model = declared_model(name)
    about = summary(model)
    live = services.model_records().find(live_key(model.endpoint))
    registry = services.registry()
    versions = []
    for index, listed in enumerate(registry.packages(model.package_group)):
        if index >= MAX_VERSIONS:
            break
        versions.append(version_of(registry.describe(listed["ModelPackageArn"]), (live or {}).get("package_arn")))
    endpoint = services.hosting().endpoint(model.endpoint)
    trainings = [TrainingRun.model_validate(item) for item in services.model_records().of_model(name, "run#", 10)]
    return ModelDetail(
        model=about,
        endpoint_status=(endpoint or {}).get("EndpointStatus"),
        versions=versions,
        trainings=trainings,
    )


def package_of_version(model: MlModel, version: int) -> dict[str, Any]:
    registry = services.registry()
    for listed in registry.packages(model.package_group):
        if int(listed.get("ModelPackageVersion") or 0) == version:
            return registry.describe(listed["ModelPackageArn"])
    raise NotFound(f"model {model.name} has no version {version}")


def approve(name: str, version_text: str) -> ApprovalAccepted:
    """Approve a registered version: UpdateModelPackage, then its deployment (once: the
    package's state change event leads to the same one)."""
    model = declared_model(name)
    if not version_text.isdigit():
        raise NotFound(f"model versions are numbers, not {version_text[:32]!r}")
    package = package_of_version(model, int(version_text))
    if package.get("ModelApprovalStatus") == "Rejected":
        raise Conflict(f"version {version_text} of {name} was rejected; register a new one")
    records = services.model_records()
    ended = records.find(deployment_key(deployment_id(package["ModelPackageArn"])))
    live = records.find(live_key(model.endpoint))
    if (
        ended
        and DeploymentStatus(ended["status"]).finished
        and (live or {}).get("package_arn") != package["ModelPackageArn"]
    ):
        # A package deploys once per approval: approving it again would only answer with the
        # deployment that ended, as if it were serving.
        now_live = f"version {live['version']} is live" if live else "no version is live"
        raise Conflict(
            f"version {version_text} of {name} was approved before and its deployment "
            f"{ended['deployment_id']} ended {ended['status']}; {now_live}. A version deploys once: "
            "to serve this model again, train and register it as a new version"
        )
    if package.get("ModelApprovalStatus") != "Approved":
        services.registry().approve(
            package["ModelPackageArn"], "approved through POST /models/{name}/versions/{v}/approve"
        )
    deployment = start_deployment(model, package["ModelPackageArn"], int(version_text), "api")
    return ApprovalAccepted(
        model=name, version=int(version_text), package_arn=package["ModelPackageArn"], deployment=deployment
    )
