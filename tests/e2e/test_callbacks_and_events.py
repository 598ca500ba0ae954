"""Job callbacks and events out, end to end through the local runtime: a job created with a
callback URL gets its outcome POSTed, signed, to a receiver on 127.0.0.1, retried after a
failure, with every attempt on the job; every job state change reaches a rule on the bus."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_document_workflow import execution_of, upload


class Receiver:
    """An HTTP server on 127.0.0.1 that answers callbacks with the statuses it is given."""

    def __init__(self, answers: list[int]) -> None:
        self.answers = list(answers)
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status = receiver.answers.pop(0) if receiver.answers else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/insight"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver([500])  # the first delivery fails, the next succeeds
    yield made
    made.close()


def upload_with_callback(api: Client, callback_url: str) -> str:
    data = (SAMPLES / "invoice.pdf").read_bytes()
    status, ticket = api.call(
        "POST",
        "/uploads",
        {
            "file_name": "invoice.pdf",
            "content_type": "application/pdf",
            "size": len(data),
            "callback_url": callback_url,
        },
    )
    assert status == 201, ticket
    code, body = post_form(ticket["upload"]["url"], ticket["upload"]["fields"], "invoice.pdf", data, "application/pdf")
    assert code == 204, body
    return str(ticket["job_id"])


def wait_for_execution_end(runtime: Any, execution_arn: str, timeout: float = 60) -> str:
    """The execution's final status, once it has one."""
    sfn = runtime.aws.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while (status := sfn.describe_execution(executionArn=execution_arn)["status"]) == "RUNNING":
        assert time.monotonic() < deadline, f"{execution_arn} still running after {timeout} s"
        time.sleep(0.1)
    return str(status)


def wait_for_callback(api: Client, job_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.call("GET", f"/jobs/{job_id}")[1]["job"]
        if job["callback"] and job["callback"]["state"] != "PENDING":
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"the callback of job {job_id} is still pending: {job['callback']}")


def test_a_finished_job_calls_back_signed_and_retries_after_a_failure(
    runtime: Any, api: Client, receiver: Receiver
) -> None:
    from standardwebhooks.webhooks import Webhook

    # Given a job created with a callback URL on a receiver that fails the first delivery
    job_id = upload_with_callback(api, receiver.url)
    # When the job ends
    assert wait_for_job(api, job_id)["job"]["status"] == "SUCCEEDED"
    job = wait_for_callback(api, job_id)
    # Then the callback was retried and delivered, and both attempts are on the job
    assert job["callback"]["state"] == "DELIVERED"
    attempts = job["callback"]["attempts"]
    assert [a["status_code"] for a in attempts] == [500, 200]
    assert "500" in attempts[0]["error"] and attempts[1]["error"] is None
    # with a backoff between them
    first, second = (datetime.fromisoformat(a["at"].replace("Z", "+00:00")) for a in attempts)
    assert (second - first).total_seconds() >= 1, attempts
    # And each delivery was signed with Insight's callback key, over the job's outcome
    secret = runtime.deployment.secrets["CallbackSigningSecret"]
    for headers, body in receiver.requests:
        payload = Webhook(secret).verify(body, headers)
        assert payload["type"] == "job.succeeded"
        assert payload["data"]["job"]["job_id"] == job_id
        assert payload["data"]["job"]["summary"]["pages"] == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0][0]["webhook-id"] == receiver.requests[1][0]["webhook-id"] == f"{job_id}.SUCCEEDED"


def test_a_callback_that_never_gets_through_ends_failed_with_every_attempt(api: Client) -> None:
    # Given a receiver that always fails (the runtime gives up after 3 attempts)
    receiver = Receiver([503] * 10)
    try:
        job_id = upload_with_callback(api, receiver.url)
        wait_for_job(api, job_id)
        # When every attempt has been made
        job = wait_for_callback(api, job_id)
    finally:
        receiver.close()
    # Then the callback is FAILED, with each attempt and the receiver's answer on the job
    assert job["callback"]["state"] == "FAILED"
    assert [a["status_code"] for a in job["callback"]["attempts"]] == [503, 503, 503]
    assert len(receiver.requests) == 3


def test_a_callback_lost_with_its_event_is_sent_by_the_sweep(runtime: Any, api: Client, receiver: Receiver) -> None:
    from insight_local import faults

    receiver.answers.clear()  # this receiver takes the first delivery
    # Given EventBridge refuses every event while a job with a callback runs and ends
    faults.inject("events", "PutEvents", "InternalFailure", times=100_000, status=500)
    try:
        job_id = upload_with_callback(api, receiver.url)
        assert wait_for_job(api, job_id)["job"]["status"] == "SUCCEEDED"
        # (the record is SUCCEEDED before its last step has finished retrying the refused
        # publication: keep refusing until the execution has ended)
        wait_for_execution_end(runtime, execution_of(runtime, job_id))
        job = api.call("GET", f"/jobs/{job_id}")[1]["job"]
    finally:
        faults.clear()
    # and so its callback was never queued
    assert job["callback"] == {"url": receiver.url, "state": "PENDING", "attempts": []}
    assert receiver.requests == []
    # When the scheduled sweep runs
    report = runtime.scheduler.fire("UploadsSweep")
    # Then it publishes the job's end again and the callback is delivered, once
    assert job_id in report["callbacks_redriven"]
    job = wait_for_callback(api, job_id)
    assert job["callback"]["state"] == "DELIVERED"
    assert len(job["callback"]["attempts"]) == 1
    assert len(receiver.requests) == 1
    # And a second sweep finds nothing more to send
    assert job_id not in runtime.scheduler.fire("UploadsSweep")["callbacks_redriven"]


@pytest.mark.parametrize(
    "url",
    ["ftp://127.0.0.1/x", "http://example.com/hook", "https://user:pw@example.com/hook", "not a url"],
)
def test_callback_urls_that_the_stage_does_not_allow_are_refused(api: Client, url: str) -> None:
    status, answer = api.call(
        "POST", "/uploads", {"file_name": "a.pdf", "content_type": "application/pdf", "size": 10, "callback_url": url}
    )
    assert status in (400, 422), answer
    assert "callback_url" in answer["message"]


def test_every_job_state_change_reaches_a_rule_on_the_job_events_bus(runtime: Any, api: Client) -> None:
    # Given a user's rule on Insight's job events bus, sending them to the user's queue
    sqs, events = runtime.aws.client("sqs"), runtime.aws.client("events")
    queue = sqs.create_queue(QueueName="users-job-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    bus = runtime.deployment.names["JobEvents"]
    events.put_rule(
        Name="users-rule", EventBusName=bus, EventPattern=json.dumps({"source": ["insight"]}), State="ENABLED"
    )
    events.put_targets(Rule="users-rule", EventBusName=bus, Targets=[{"Id": "mine", "Arn": queue_arn}])
    try:
        # When an invoice is uploaded and analysed
        job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
        wait_for_job(api, job_id)
        time.sleep(0.5)
        received = []
        while True:
            messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            received += [json.loads(m["Body"]) for m in messages]
    finally:
        events.remove_targets(Rule="users-rule", EventBusName=bus, Ids=["mine"])
        events.delete_rule(Name="users-rule", EventBusName=bus)
    # Then the rule saw each state of the job, in order, as typed "Job State Change" events
    mine = [e for e in received if e["detail"]["job_id"] == job_id]
    assert {e["source"] for e in mine} == {"insight"}
    assert {e["detail-type"] for e in mine} == {"Job State Change"}
    states = [
        (e["detail"]["status"], e["detail"]["step"]) for e in sorted(mine, key=lambda e: e["detail"]["updated_at"])
    ]
    assert states == [
        ("AWAITING_UPLOAD", "uploading"),
        ("RECEIVED", "queued"),
        ("RUNNING", "validating"),
        ("RUNNING", "extracting_text"),
        ("RUNNING", "analyzing_text"),
        ("RUNNING", "writing_results"),
        ("SUCCEEDED", "done"),
    ]
    assert all(e["detail"]["kind"] == "DOCUMENT" and not e["detail"]["has_callback"] for e in mine)
    assert all(e["detail"]["error"] is None for e in mine)
