"""SQS (FIFO) consumer of verified webhooks: each event routed once, by its event id.

Powertools' batch processing reports the events that failed (ReportBatchItemFailures): only
those come back, and after the queue's maxReceiveCount they go to its dead-letter queue."""

from typing import Any

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.parser.models import SqsRecordModel
from pydantic import Json

from chalicelib import webhooks
from chalicelib.models import WebhookEvent
from chalicelib.observability import logger, metrics, traced


class WebhookRecord(SqsRecordModel):
    body: Json[WebhookEvent]  # type: ignore[assignment]


def record_handler(record: WebhookRecord) -> dict[str, Any]:
    return webhooks.process_once(record.body).model_dump(mode="json")


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    webhooks.register_context(context)
    # Each event is its own message group: one failing event holds back no other.
    processor = SqsFifoPartialProcessor(model=WebhookRecord, skip_group_on_error=True)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
