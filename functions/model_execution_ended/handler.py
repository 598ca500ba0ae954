"""EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED) of the
training, transform and deployment workflows: nothing stays in progress once its execution ended."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.models import ExecutionStatusChange
from chalicelib.observability import logger, metrics, traced
from chalicelib.trainings import execution_ended


@logger.inject_lambda_context(correlation_id_path="detail.name")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    ended = ExecutionStatusChange.model_validate(parse(event=event, model=EventBridgeModel).detail)
    return {"record": execution_ended(ended)}
