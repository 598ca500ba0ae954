"""Scheduled (EventBridge): heartbeats for the workflows waiting on Transcribe while its jobs
work, and the end of any job whose event was lost. No media job waits for ever."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.media_workflow import watch_transcriptions
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    parse(event=event, model=EventBridgeModel)  # a "Scheduled Event"
    return watch_transcriptions().model_dump(mode="json")
