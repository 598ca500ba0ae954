"""EventBridge "SageMaker Model Package State Change" (Approved, Insight's groups): its deployment, once."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.deployments import package_approved
from chalicelib.lifecycle_models import ModelPackageStateChange
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context(correlation_id_path="detail.ModelPackageArn")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    change = ModelPackageStateChange.model_validate(parse(event=event, model=EventBridgeModel).detail)
    deployment = package_approved(change)
    return {"deployment_id": deployment.deployment_id if deployment else None}
