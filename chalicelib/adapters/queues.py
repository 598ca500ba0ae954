"""SQS: queuing work for the consumers and delaying a message's next delivery."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import service_call


class Queues:
    def __init__(self, client: Any) -> None:
        self._sqs = client

    def send(self, queue_url: str, body: Any, group_id: str | None = None, dedup_id: str | None = None) -> str:
        """Queue ``body`` as JSON; on a FIFO queue, in ``group_id``, dropped if ``dedup_id``
        was queued in the last 5 minutes. Returns the message id."""
        request: dict[str, Any] = {
            "QueueUrl": queue_url,
            "MessageBody": json.dumps(body, separators=(",", ":"), default=str),
        }
        if group_id is not None:
            request["MessageGroupId"] = group_id
        if dedup_id is not None:
            request["MessageDeduplicationId"] = dedup_id
        with service_call("SQS"):
            return str(self._sqs.send_message(**request)["MessageId"])

    def retry_after(self, queue_url: str, receipt_handle: str, seconds: int) -> None:
        """Let the received message be delivered again in ``seconds`` (at most 12 hours)."""
        with service_call("SQS"):
            self._sqs.change_message_visibility(
                QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=max(0, min(seconds, 43200))
            )
