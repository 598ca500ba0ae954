"""Polly's synthesis task notifications (SNS): resume the workflow waiting on the spoken summary."""

from typing import Any

from aws_lambda_powertools.utilities.parser import parse
from aws_lambda_powertools.utilities.parser.models import SnsModel

from chalicelib.media_workflow import finish_speech_synthesis
from chalicelib.models import SpeechSynthesisCompleted
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> None:
    for record in parse(event=event, model=SnsModel).Records:
        finish_speech_synthesis(SpeechSynthesisCompleted.model_validate_json(record.Sns.Message))
