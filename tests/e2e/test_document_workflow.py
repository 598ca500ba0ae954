"""The document workflow end to end through the local runtime: the API, a presigned POST
upload, the S3 event, the state machine and its in-process Lambdas, the job API."""

from __future__ import annotations

from typing import Any

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job


def upload(api: Client, file_name: str, data: bytes, content_type: str, **fields: Any) -> str:
    """POST /uploads (with any further ``fields`` of the request), then the presigned form."""
    status, ticket = api.call(
        "POST", "/uploads", {"file_name": file_name, "content_type": content_type, "size": len(data), **fields}
    )
    assert status == 201, ticket
    code, body = post_form(ticket["upload"]["url"], ticket["upload"]["fields"], file_name, data, content_type)
    assert code == 204, body
    return str(ticket["job_id"])


def results_of(runtime: Any, view: dict[str, Any]) -> dict[str, Any]:
    import json

    ref = view["job"]["results"]
    s3 = runtime.aws.client("s3")
    return json.loads(s3.get_object(Bucket=ref["bucket"], Key=ref["key"])["Body"].read())


def test_an_uploaded_invoice_is_analysed(runtime: Any, api: Client) -> None:
    # Given the one-page sample invoice
    data = (SAMPLES / "invoice.pdf").read_bytes()
    # When it is uploaded through the API's presigned form
    job_id = upload(api, "invoice.pdf", data, "application/pdf")
    # Then the job ends SUCCEEDED with a summary and results of the invoice's own text
    view = wait_for_job(api, job_id)
    job = view["job"]
    assert job["status"] == "SUCCEEDED", job
    assert job["step"] == "done"
    assert job["summary"]["pages"] == 1
    assert job["summary"]["language"] == "en"
    results = results_of(runtime, view)
    assert "INV-2026-0042" in results["text"]
    assert "$1,234.50" in results["text"]
    entity_texts = {entity["Text"] for entity in results["entities"]}
    assert any("March 14, 2026" in text for text in entity_texts)
    pii_types = {entity["Type"] for entity in results["pii_entities"]}
    assert "EMAIL" in pii_types
    assert view["results_url"].startswith("http://127.0.0.1")


def test_a_scanned_invoice_is_read_by_ocr(runtime: Any, api: Client) -> None:
    from bench.inputs.text_images import encode, invoice_page, scanned_pdf

    page = invoice_page()
    for file_name, data, content_type in (
        ("invoice-scan.png", encode(page.image), "image/png"),
        ("invoice-scan.pdf", scanned_pdf([page.image]), "application/pdf"),
    ):
        # Given an invoice with no text layer, as a photo and as a scanned PDF
        # When it is uploaded to be read as a document (a photo is analysed as an image otherwise)
        job_id = upload(api, file_name, data, content_type, kind="DOCUMENT")
        # Then OCR read it: the job SUCCEEDED and its results hold the invoice's number, date,
        # customer and amounts, and Comprehend found the date and the customer's name
        view = wait_for_job(api, job_id)
        assert view["job"]["status"] == "SUCCEEDED", view["job"]
        results = results_of(runtime, view)
        for expected in ("INV-2026-0042", "March 14, 2026", "Maria Anders", "264.00", "PO-7781"):
            assert expected in results["text"], (file_name, expected, results["text"])
        assert any(e["Type"] == "DATE" and "March 14, 2026" in e["Text"] for e in results["entities"])
        assert any(e["Type"] == "NAME" for e in results["pii_entities"])


def execution_of(runtime: Any, job_id: str, machine: str = "DocumentWorkflow") -> str:
    """The ARN of the job's execution of ``machine`` (executions are named from the job id)."""
    arn = runtime.deployment.arns[machine]
    return f"{arn.replace(':stateMachine:', ':execution:')}:{job_id}"


def history(runtime: Any, job_id: str) -> list[dict[str, Any]]:
    sfn = runtime.aws.client("stepfunctions")
    return list(sfn.get_execution_history(executionArn=execution_of(runtime, job_id), maxResults=1000)["events"])


def test_a_multi_page_document_goes_through_asynchronous_detection(runtime: Any, api: Client) -> None:
    # Given the three-page sample report
    data = (SAMPLES / "report.pdf").read_bytes()
    # When it is uploaded
    job_id = upload(api, "report.pdf", data, "application/pdf")
    view = wait_for_job(api, job_id)
    # Then it SUCCEEDED with the text of all three pages
    assert view["job"]["status"] == "SUCCEEDED", view
    assert view["job"]["summary"]["pages"] == 3
    results = results_of(runtime, view)
    assert [page["page"] for page in results["pages"]] == [1, 2, 3]
    # and the workflow waited on a task token that the completion notification resumed
    events = history(runtime, job_id)
    submitted = [e for e in events if e["type"] == "TaskSubmitted"]
    assert (
        submitted
        and "waitForTaskToken"
        in submitted[0]["taskSubmittedEventDetails"]["resourceType"]
        + submitted[0]["taskSubmittedEventDetails"]["resource"]
    )
    assert any(e["type"] == "TaskSucceeded" for e in events)
    assert not any(e["type"] == "WaitStateEntered" for e in events)


def test_a_repeated_s3_event_starts_nothing_new(runtime: Any, api: Client) -> None:
    import json

    # Given an invoice that was uploaded and analysed
    job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
    first = wait_for_job(api, job_id)["job"]
    # When S3 delivers the same object-created event again
    event = json.loads((SAMPLES.parent / "tests" / "events" / "s3_object_created.json").read_text())
    event["Records"][0]["s3"]["bucket"]["name"] = first["source"]["bucket"]
    event["Records"][0]["s3"]["object"]["key"] = first["source"]["key"]
    answer = runtime.aws.client("lambda").invoke(
        FunctionName=runtime.deployment.names["OnUpload"], Payload=json.dumps(event)
    )
    assert "FunctionError" not in answer
    # Then no second execution started and the job is as it was
    sfn = runtime.aws.client("stepfunctions")
    executions = sfn.list_executions(stateMachineArn=runtime.deployment.arns["DocumentWorkflow"])["executions"]
    assert [e["name"] for e in executions].count(job_id) == 1
    assert wait_for_job(api, job_id)["job"] == first


def test_a_throttled_call_succeeds_on_retry(runtime: Any, api: Client) -> None:
    from insight_local import faults

    # Given Comprehend throttles more sentiment calls than the SDK's own retries absorb
    faults.inject("comprehend", "DetectSentiment", "ThrottlingException", times=4)
    try:
        # When an invoice is analysed
        job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
        job = wait_for_job(api, job_id)["job"]
    finally:
        faults.clear()
    # Then the workflow's Retry ran the step again and the job SUCCEEDED
    assert job["status"] == "SUCCEEDED", job
    failures = [e for e in history(runtime, job_id) if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    details = [e.get("taskFailedEventDetails") or e.get("lambdaFunctionFailedEventDetails") for e in failures]
    assert [d["error"] for d in details] == ["ServiceThrottled"]


def test_a_permanent_failure_ends_the_job_failed(runtime: Any, api: Client) -> None:
    from insight_local import faults

    # Given Comprehend refuses entity detection outright
    faults.inject("comprehend", "DetectEntities", "InvalidRequestException", times=1, message="the text is not valid")
    try:
        job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
        job = wait_for_job(api, job_id)["job"]
    finally:
        faults.clear()
    # Then the job is FAILED with the service's error, without retries, and the upload is kept
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "InvalidRequestException"
    assert "the text is not valid" in job["error"]["reason"]
    assert job["step"] == "analyzing_text"
    source = job["source"]
    runtime.aws.client("s3").head_object(Bucket=source["bucket"], Key=source["key"])


def test_a_failed_asynchronous_detection_fails_the_job(runtime: Any, api: Client) -> None:
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    # Given a two-page scan (pages with no text layer) whose image is JBIG2 data that cannot be
    # decoded, so the offline engine cannot rasterise the pages for OCR
    writer = PdfWriter()
    page = PdfReader(SAMPLES / "bad" / "scanned_no_text.pdf").pages[0]
    writer.add_page(page)
    writer.add_page(page)
    for added in writer.pages:
        xobjects: Any = added["/Resources"]["/XObject"]  # type: ignore[index]
        for image in xobjects.values():
            image.get_object()[NameObject("/Filter")] = NameObject("/JBIG2Decode")
    buffer = io.BytesIO()
    writer.write(buffer)
    # When it is uploaded
    job_id = upload(api, "scan.pdf", buffer.getvalue(), "application/pdf")
    job = wait_for_job(api, job_id)["job"]
    # Then Textract's FAILED status reached the waiting workflow and the job says why
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "TextDetectionFailed"
    assert "OCR" in job["error"]["reason"] or "offline" in job["error"]["reason"]


def test_jobs_are_listed_newest_first_page_by_page(api: Client) -> None:
    # Given three new jobs
    ids = [upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf") for _ in range(3)]
    for job_id in ids:
        wait_for_job(api, job_id)
    # When the jobs are listed two at a time
    status, first = api.call("GET", "/jobs?limit=2")
    assert status == 200 and len(first["jobs"]) == 2 and first["next_token"]
    status, second = api.call("GET", f"/jobs?limit=2&next_token={first['next_token']}")
    assert status == 200
    # Then the newest come first and no job appears twice
    listed = [job["job_id"] for job in first["jobs"] + second["jobs"]]
    assert listed[:3] == list(reversed(ids))
    assert len(set(listed)) == len(listed)
    created = [job["created_at"] for job in first["jobs"] + second["jobs"]]
    assert created == sorted(created, reverse=True)


def test_a_job_whose_execution_is_stopped_does_not_stay_in_progress(runtime: Any, api: Client) -> None:
    import time

    from insight_local import faults

    # Given a job whose workflow is stuck retrying a throttled Comprehend
    faults.inject("comprehend", "DetectDominantLanguage", "ThrottlingException", times=10_000)
    sfn = runtime.aws.client("stepfunctions")
    try:
        job_id = upload(api, "invoice.pdf", (SAMPLES / "invoice.pdf").read_bytes(), "application/pdf")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, view = api.call("GET", f"/jobs/{job_id}")
            if status == 200 and view["job"]["step"] == "analyzing_text":
                break
            time.sleep(0.05)
        assert view["job"]["status"] == "RUNNING"
        # When an operator stops the execution, outside any Catch of the workflow
        sfn.stop_execution(executionArn=execution_of(runtime, job_id), error="Stopped", cause="stopped by an operator")
    finally:
        faults.clear()
    # Then the execution-ended rule marks the job FAILED with why
    job = wait_for_job(api, job_id)["job"]
    assert job["status"] == "FAILED"
    assert job["step"] == "analyzing_text"
    assert job["error"]["type"] in ("Stopped", "ExecutionAborted")
    assert "stopped" in job["error"]["reason"] or "ABORTED" in job["error"]["reason"]
