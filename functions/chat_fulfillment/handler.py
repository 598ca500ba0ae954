"""The Lex V2 bot alias's code hook (dialog and fulfillment): Insight's assistant."""

from typing import Any

from pydantic import ValidationError

from chalicelib.assistant import respond, unreadable
from chalicelib.lex import LexEvent
from chalicelib.observability import logger, metrics, traced


@logger.inject_lambda_context(correlation_id_path="sessionId")
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    try:
        request = LexEvent.model_validate(event)
    except ValidationError as error:
        return unreadable(event, str(error)).dump()
    return respond(request).dump()
