"""SQS consumer of finished jobs' "Job State Change" events (queued by a rule on the job
events bus): POST each job's outcome to its callback URL, signed.

A failed attempt sets when its message comes back (exponential backoff) and is reported as
a batch item failure; the other records of the batch are done."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel, SqsRecordModel
from pydantic import Json

from chalicelib import callbacks
from chalicelib.models import JobStateChange
from chalicelib.observability import logger, metrics, traced


class JobEvent(EventBridgeModel):
    detail: JobStateChange  # type: ignore[assignment]


class CallbackRecord(SqsRecordModel):
    body: Json[JobEvent]  # type: ignore[assignment]


def record_handler(record: CallbackRecord) -> str:
    attempt = int(record.attributes.ApproximateReceiveCount)
    return callbacks.deliver(record.body.detail, attempt, record.receiptHandle).value


@logger.inject_lambda_context(clear_state=True)
@traced
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # A batch whose every delivery failed is reported like any other: each has its own backoff.
    processor = BatchProcessor(event_type=EventType.SQS, model=CallbackRecord, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
