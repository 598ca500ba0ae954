"""The two SQS consumers' handlers against real-shaped Lambda events (tests/events/): each
record parsed into its model, handed to the domain, failures reported per record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib import callbacks, webhooks
from chalicelib.errors import ServiceThrottled
from chalicelib.models import CallbackState, JobStateChange, WebhookEvent, WebhookOutcome

EVENTS = Path(__file__).resolve().parents[1] / "events"


class Context:
    function_name = "insight-test"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:insight-test"
    memory_limit_in_mb = 512
    aws_request_id = "test"
    log_group_name = "/aws/lambda/insight-test"
    log_stream_name = "test"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def fixture(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def test_the_webhook_consumer_reports_only_the_event_that_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.webhook_events import handler

    # Given two queued webhooks, the second of which meets a throttled service
    seen: list[WebhookEvent] = []

    def process_once(event: WebhookEvent) -> WebhookOutcome:
        seen.append(event)
        if event.source == "github":
            raise ServiceThrottled("Step Functions throttled the call")
        return WebhookOutcome(
            source=event.source, event_id=event.event_id, event_type=event.event_type, outcome="started", job_id="j"
        )

    monkeypatch.setattr(webhooks, "process_once", process_once)
    monkeypatch.setattr(webhooks, "register_context", lambda context: None)
    # When the batch is handled
    answer = handler.lambda_handler(fixture("sqs_fifo_webhook_events.json"), Context())
    # Then each body was parsed into the event it holds, and only the failed one comes back
    assert [(e.source, e.event_id) for e in seen] == [("crm", "evt_001"), ("github", "d-002")]
    assert seen[0].payload["data"]["key"].endswith("/invoice.pdf")
    assert answer == {"batchItemFailures": [{"itemIdentifier": "2e1424d4-f796-459a-8184-9c92662be6da"}]}


def test_the_callback_consumer_passes_the_attempt_number_and_reports_failures(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions.deliver_callbacks import handler

    calls: list[tuple[JobStateChange, int, str]] = []

    def deliver(change: JobStateChange, attempt: int, receipt_handle: str) -> CallbackState:
        calls.append((change, attempt, receipt_handle))
        raise callbacks.CallbackNotDelivered("attempt 3: the receiver answered HTTP 503")

    monkeypatch.setattr(callbacks, "deliver", deliver)
    # Given a finished job's state change as the callback rule queues it, on its third receive
    answer = handler.lambda_handler(fixture("sqs_job_state_changes.json"), Context())
    # Then the delivery was attempt 3 of that job's SUCCEEDED state
    [(change, attempt, receipt)] = calls
    assert (change.job_id, change.status.value, change.has_callback, attempt) == (
        "0123456789abcdef0123456789abcdef",
        "SUCCEEDED",
        True,
        3,
    )
    assert receipt.startswith("AQEB")
    # And the failed delivery is reported, not raised (its message comes back after its backoff)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "059f36b4-87a3-44ab-83d2-661975830a7d"}]}
