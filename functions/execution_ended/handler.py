"""EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED) of the
document workflow: no job stays in progress once its execution has ended."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.document_workflow import record_execution_end
from chalicelib.models import ExecutionStatusChange
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context(correlation_id_path="detail.name")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    ended = ExecutionStatusChange.model_validate(parse(event=event, model=EventBridgeModel).detail)
    record_execution_end(ended)
