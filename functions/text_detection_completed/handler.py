"""Textract's completion notifications (SNS): resume the workflow waiting on that detection."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import SnsModel

from chalicelib.document_workflow import finish_text_detection
from chalicelib.models import TextDetectionCompleted
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    for record in parse(event=event, model=SnsModel).Records:
        completed = TextDetectionCompleted.model_validate_json(record.Sns.Message)
        logger.set_correlation_id(completed.JobTag)
        finish_text_detection(completed.JobTag, completed.JobId, completed.Status)
