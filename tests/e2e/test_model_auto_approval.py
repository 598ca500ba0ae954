"""A model approved at registration, end to end in the local runtime: what it registers is
deployed by the registry's "Model Package State Change" event alone (no approval call), and
a version that comes after one whose endpoint Failed makes that endpoint again.

The story, in order: the model's first version has a broken model archive; registered
Approved, it deploys itself and its endpoint fails to load it. A second broken version makes
the endpoint again, which fails again: the first one's config and model go all the same.
Then new data trains a good version, registered Approved, which deploys itself over the
failed endpoint: deleted and created again, never updated (SageMaker refuses UpdateEndpoint
on a Failed endpoint).
"""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pytest

from chalicelib.deployments import deployment_id
from insight_local.runtime import Runtime
from insight_local.server import REGION
from tests.e2e.conftest import AUTO_APPROVED, Client
from tests.e2e.test_model_lifecycle import (
    CUSTOMER,
    data_csv,
    in_process_predictions,
    new_run,
    wait_for_deployment,
    wait_for_run,
)

MODEL = AUTO_APPROVED.name


def executions_named(runtime: Runtime, name: str) -> int:
    assert runtime.deployment is not None
    states = runtime.aws.client("stepfunctions")
    paginator = states.get_paginator("list_executions")
    pages = paginator.paginate(stateMachineArn=runtime.deployment.arns["DeploymentWorkflow"])
    return sum(1 for page in pages for execution in page["executions"] if execution["name"] == name)


def broken_version(runtime: Runtime, api: Client, description: str) -> dict[str, Any]:
    """A version whose model archive holds no model, registered Approved: it deploys itself
    and its endpoint cannot load it."""
    assert runtime.deployment is not None
    bucket = runtime.deployment.names["ModelData"]
    s3, sagemaker = runtime.aws.client("s3"), runtime.aws.client("sagemaker")
    broken = io.BytesIO()
    with tarfile.open(fileobj=broken, mode="w:gz") as archive:
        note = b"no model.joblib here"
        info = tarfile.TarInfo("README.txt")
        info.size = len(note)
        archive.addfile(info, io.BytesIO(note))
    s3.put_object(Bucket=bucket, Key=f"artifacts/{MODEL}/broken/model.tar.gz", Body=broken.getvalue())
    container = {
        "Image": AUTO_APPROVED.image_uri(REGION, AUTO_APPROVED.image.account(REGION)),
        "ModelDataUrl": f"s3://{bucket}/artifacts/{MODEL}/broken/model.tar.gz",
        "Environment": {
            "SAGEMAKER_PROGRAM": "inference.py",
            "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/code/{MODEL}/sourcedir.tar.gz",
            "SAGEMAKER_REGION": REGION,
        },
    }
    package_arn = sagemaker.create_model_package(
        ModelPackageGroupName=runtime.deployment.names[AUTO_APPROVED.package_group],
        ModelPackageDescription=description,
        InferenceSpecification={
            "Containers": [container],
            "SupportedContentTypes": ["text/csv", "application/json"],
            "SupportedResponseMIMETypes": ["application/json"],
        },
        ModelApprovalStatus="Approved",
    )["ModelPackageArn"]
    deployment = wait_for_deployment(api, deployment_id(package_arn))
    endpoint = sagemaker.describe_endpoint(EndpointName=runtime.deployment.names[AUTO_APPROVED.endpoint])
    return {"package_arn": package_arn, "deployment": deployment, "endpoint": endpoint}


@pytest.fixture(scope="module")
def failed_first_version(runtime: Runtime, api: Client) -> dict[str, Any]:
    """Given the model's first version, whose model archive holds no model."""
    return broken_version(runtime, api, "a model archive without its model")


@pytest.fixture(scope="module")
def failed_again(runtime: Runtime, api: Client, failed_first_version: dict[str, Any]) -> dict[str, Any]:
    """When a second version as broken deploys itself over the Failed endpoint."""
    return broken_version(runtime, api, "the same archive without its model, again")


@pytest.fixture(scope="module")
def trained_version(runtime: Runtime, api: Client, failed_again: dict[str, Any]) -> dict[str, Any]:
    """When new data lands under training/auto-churn/ and its run registers a good model."""
    assert runtime.deployment is not None
    bucket = runtime.deployment.names["ModelData"]
    before = {run["run_id"] for run in api.call("GET", f"/models/{MODEL}")[1]["trainings"]}
    runtime.aws.client("s3").put_object(Bucket=bucket, Key=f"training/{MODEL}/2026-11.csv", Body=data_csv(1500, 11))
    run = wait_for_run(api, new_run(api, before, MODEL)["run_id"], model=MODEL)
    assert run["status"] == "SUCCEEDED", run
    deployment = wait_for_deployment(api, deployment_id(run["package_arn"]))
    return {"run": run, "deployment": deployment}


def test_the_first_version_deployed_itself_and_its_endpoint_failed_to_load_it(
    runtime: Runtime, failed_first_version: dict[str, Any]
) -> None:
    deployment, endpoint = failed_first_version["deployment"], failed_first_version["endpoint"]
    # Then the registry's event started its deployment, which made the endpoint
    assert (deployment["trigger"], deployment["strategy"]) == ("event", "create")
    # And the endpoint failed to load the model, and the deployment says so
    assert endpoint["EndpointStatus"] == "Failed"
    assert deployment["status"] == "FAILED", deployment
    assert deployment["reason"] == endpoint["FailureReason"]
    assert "model.joblib" in deployment["reason"]


def test_an_endpoint_made_again_that_fails_again_leaves_nothing_of_the_first_failure(
    runtime: Runtime, failed_first_version: dict[str, Any], failed_again: dict[str, Any]
) -> None:
    assert runtime.deployment is not None
    first, again = failed_first_version["deployment"], failed_again["deployment"]
    # Then the second version made the Failed endpoint again, and it failed again
    assert (again["strategy"], again["status"]) == ("create", "FAILED"), again
    assert failed_again["endpoint"]["EndpointStatus"] == "Failed"
    assert failed_again["endpoint"]["EndpointConfigName"] == again["endpoint_config"]
    # And the first version's config and model, which serve nothing since, are deleted all the same
    assert again["superseded"] == [first["endpoint_config"], first["model_name"]]
    sagemaker = runtime.aws.client("sagemaker")
    configs = [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    models = [m["ModelName"] for m in sagemaker.list_models()["Models"]]
    assert first["endpoint_config"] not in configs
    assert first["model_name"] not in models
    # But the second version's stay with the Failed endpoint that is on them
    assert again["endpoint_config"] in configs
    assert again["model_name"] in models


def test_a_version_registered_approved_deploys_itself_once_with_no_approval_call(
    runtime: Runtime, api: Client, trained_version: dict[str, Any]
) -> None:
    run, deployment = trained_version["run"], trained_version["deployment"]
    # Then the run registered its package Approved, as the model's settings say
    detail = api.call("GET", f"/models/{MODEL}")[1]
    version = next(v for v in detail["versions"] if v["version"] == run["version"])
    assert version["approval"] == "Approved"
    # And the registry's event deployed it, once: one deployment, one execution
    assert deployment["trigger"] == "event"
    assert deployment["status"] == "DEPLOYED", deployment
    assert executions_named(runtime, deployment["deployment_id"]) == 1
    # And the endpoint serves it
    assert detail["endpoint_status"] == "InService"
    assert detail["model"]["live_version"] == run["version"]
    status, answer = api.call("POST", f"/predict/{MODEL}", {"instances": [CUSTOMER]})
    assert status == 200, answer
    assert answer["predictions"] == in_process_predictions(runtime, run["package_arn"], [CUSTOMER])


def test_a_failed_endpoint_is_deleted_and_made_again_by_the_next_version(
    runtime: Runtime, failed_again: dict[str, Any], trained_version: dict[str, Any]
) -> None:
    assert runtime.deployment is not None
    failed, deployment = failed_again["deployment"], trained_version["deployment"]
    # Then the next version did not update the Failed endpoint (SageMaker refuses that): it
    # made it again from its own endpoint config
    assert deployment["strategy"] == "create", deployment
    assert deployment["status"] == "DEPLOYED", deployment
    sagemaker = runtime.aws.client("sagemaker")
    endpoint = sagemaker.describe_endpoint(EndpointName=runtime.deployment.names[AUTO_APPROVED.endpoint])
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == deployment["endpoint_config"]
    assert endpoint["CreationTime"] > failed_again["endpoint"]["CreationTime"]
    # And the failed version's endpoint config and model, which served nothing, are deleted
    assert deployment["superseded"] == [failed["endpoint_config"], failed["model_name"]]
    configs = [c["EndpointConfigName"] for c in sagemaker.list_endpoint_configs()["EndpointConfigs"]]
    assert failed["endpoint_config"] not in configs
    assert failed["model_name"] not in [m["ModelName"] for m in sagemaker.list_models()["Models"]]
