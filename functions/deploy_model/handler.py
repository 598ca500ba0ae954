"""Step (waits on a task token): the model, its endpoint config and alarms; the endpoint or its update."""

from typing import Any

from chalicelib.deployments import deploy_model
from chalicelib.lifecycle_models import DeploymentStart
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    deploy_model(DeploymentStart.model_validate(event))
