"""No upload is lost and no job waits for ever: the job exists from the moment its form is
issued, and the scheduled sweep (ReconcileUploads) catches what the S3 event missed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job

INVOICE = (SAMPLES / "invoice.pdf").read_bytes()
Sweep = Callable[[], dict[str, Any]]


def ticket(api: Client, data: bytes = INVOICE) -> dict[str, Any]:
    status, body = api.call(
        "POST", "/uploads", {"file_name": "invoice.pdf", "content_type": "application/pdf", "size": len(data)}
    )
    assert status == 201, body
    return dict(body)


def job(api: Client, job_id: str) -> dict[str, Any]:
    status, body = api.call("GET", f"/jobs/{job_id}")
    assert status == 200, body
    return dict(body["job"])


@pytest.fixture
def sweep_now(runtime: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sweep]:
    """Run the sweep as if forms lapsed and stalls counted after one second."""
    from chalicelib import services

    def sweep() -> dict[str, Any]:
        for name in ("INSIGHT_UPLOAD_URL_EXPIRY_SECONDS", "INSIGHT_STALLED_JOB_SECONDS"):
            monkeypatch.setenv(name, "1")
        monkeypatch.setenv("INSIGHT_UPLOAD_GRACE_SECONDS", "0")
        services.reset()
        time.sleep(1.1)
        return dict(runtime.scheduler.fire("UploadsSweep"))

    yield sweep
    monkeypatch.undo()
    services.reset()


def test_a_job_exists_as_soon_as_its_form_is_issued(api: Client) -> None:
    issued = ticket(api)
    record = job(api, issued["job_id"])
    assert (record["status"], record["step"]) == ("AWAITING_UPLOAD", "uploading")
    assert record["size"] == len(INVOICE)


def test_an_unused_form_expires(runtime: Any, api: Client, sweep_now: Sweep) -> None:
    # Given a form that was never used, past its expiry
    issued = ticket(api)
    # When the sweep runs
    report = sweep_now()
    # Then the job is EXPIRED: finished, with nothing to analyse
    assert issued["job_id"] in report["expired"]
    record = job(api, issued["job_id"])
    assert record["status"] == "EXPIRED" and record["finished_at"]


def test_an_upload_whose_event_was_lost_is_analysed(runtime: Any, api: Client, sweep_now: Sweep) -> None:
    s3 = runtime.aws.client("s3")
    bucket = runtime.deployment.names["Uploads"]
    saved = s3.get_bucket_notification_configuration(Bucket=bucket)
    saved.pop("ResponseMetadata", None)
    # Given a file uploaded while S3 delivered no event
    issued = ticket(api)
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        code, body = post_form(
            issued["upload"]["url"], issued["upload"]["fields"], "invoice.pdf", INVOICE, "application/pdf"
        )
        assert code == 204, body
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=saved)
    assert job(api, issued["job_id"])["status"] == "AWAITING_UPLOAD"
    # When the sweep runs
    report = sweep_now()
    # Then it received the upload and the job was analysed
    assert issued["job_id"] in report["redriven"]
    assert wait_for_job(api, issued["job_id"])["job"]["status"] == "SUCCEEDED"


def test_a_job_whose_workflow_did_not_start_is_started(runtime: Any, api: Client, sweep_now: Sweep) -> None:
    from insight_local import faults

    # Given Step Functions refused to start the workflow for as long as Lambda retried
    faults.inject("stepfunctions", "StartExecution", "ThrottlingException", times=10_000)
    try:
        issued = ticket(api)
        code, body = post_form(
            issued["upload"]["url"], issued["upload"]["fields"], "invoice.pdf", INVOICE, "application/pdf"
        )
        assert code == 204, body
        # (the upload's handler gives up after its client's 5 attempts)
        deadline = time.monotonic() + 30
        while faults.served("stepfunctions", "StartExecution") < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
    finally:
        faults.clear()
    assert job(api, issued["job_id"])["status"] == "RECEIVED"
    # When the sweep runs
    report = sweep_now()
    # Then the workflow started and the job was analysed
    assert issued["job_id"] in report["redriven"]
    assert wait_for_job(api, issued["job_id"])["job"]["status"] == "SUCCEEDED"


def test_the_sweep_leaves_fresh_and_running_jobs_alone(runtime: Any, api: Client) -> None:
    issued = ticket(api)  # its form is still valid (default settings)
    report = runtime.scheduler.fire("UploadsSweep")
    assert issued["job_id"] not in report["redriven"] + report["expired"] + report["deferred"]
    assert job(api, issued["job_id"])["status"] == "AWAITING_UPLOAD"


def test_a_second_post_of_the_form_does_not_change_what_the_job_reads(runtime: Any, api: Client) -> None:
    import json

    s3 = runtime.aws.client("s3")
    bucket = runtime.deployment.names["Uploads"]
    saved = s3.get_bucket_notification_configuration(Bucket=bucket)
    saved.pop("ResponseMetadata", None)
    # Given an invoice uploaded, then the same form POSTed again with another file,
    # before the first upload's event is handled
    issued = ticket(api)
    form = issued["upload"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    try:
        assert post_form(form["url"], form["fields"], "invoice.pdf", INVOICE, "application/pdf")[0] == 204
        key = form["fields"]["key"]
        first = s3.head_object(Bucket=bucket, Key=key)["VersionId"]
        assert post_form(form["url"], form["fields"], "invoice.pdf", b"not a pdf at all", "application/pdf")[0] == 204
    finally:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=saved)
    assert s3.head_object(Bucket=bucket, Key=key)["VersionId"] != first
    # When the first upload's event arrives
    event = json.loads((SAMPLES.parent / "tests" / "events" / "s3_object_created.json").read_text())
    record = event["Records"][0]["s3"]
    record["bucket"]["name"], record["object"]["key"], record["object"]["versionId"] = bucket, key, first
    answer = runtime.aws.client("lambda").invoke(
        FunctionName=runtime.deployment.names["OnUpload"], Payload=json.dumps(event)
    )
    assert "FunctionError" not in answer
    # Then the job analyses the invoice as it was uploaded, not the later file
    view = wait_for_job(api, issued["job_id"])
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    assert view["job"]["source"]["version"] == first
    assert view["job"]["size"] == len(INVOICE)
