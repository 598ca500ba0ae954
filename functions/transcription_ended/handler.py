"""EventBridge "Transcribe Job State Change" (COMPLETED, FAILED): resume the workflow waiting
on that transcription, or fail its step with Transcribe's reason."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from chalicelib.media_workflow import finish_transcription
from chalicelib.models import TranscriptionStateChange
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context(correlation_id_path="detail.TranscriptionJobName")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    change = TranscriptionStateChange.model_validate(parse(event=event, model=EventBridgeModel).detail)
    finish_transcription(change.TranscriptionJobName)
