"""Scheduled (EventBridge): receive uploads whose S3 event was lost, restart workflows that
did not start, expire unused upload forms. No upload is lost, no job waits for ever."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.observability import logger, metrics, traced
from chalicelib.uploads import reconcile_uploads


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parse(event=event, model=EventBridgeModel)  # a "Scheduled Event"
    return reconcile_uploads().model_dump(mode="json")
