"""Step: one deployment at a time per endpoint; take the endpoint's lock or raise EndpointBusy."""

from typing import Any

from chalicelib.deployments import acquire_endpoint
from chalicelib.lifecycle_models import DeploymentExecution
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return acquire_endpoint(DeploymentExecution.model_validate(event)).model_dump(mode="json")
