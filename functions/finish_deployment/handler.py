"""Step: the deployment's outcome on its record; superseded configs and models deleted; the endpoint freed."""

from typing import Any

from chalicelib.deployments import finish_deployment
from chalicelib.lifecycle_models import DeploymentEnd
from chalicelib.observability import workflow_step


@workflow_step
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return finish_deployment(DeploymentEnd.model_validate(event)).model_dump(mode="json")
