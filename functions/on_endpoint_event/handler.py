"""EventBridge "SageMaker Endpoint (Deployment) State Change": resume the deployment waiting on it."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.deployments import endpoint_changed
from chalicelib.lifecycle_models import EndpointStateChange
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context(correlation_id_path="detail.EndpointName")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    change = EndpointStateChange.model_validate(parse(event=event, model=EventBridgeModel).detail)
    outcome = endpoint_changed(change)
    return {"outcome": outcome.model_dump(mode="json") if outcome else None}
