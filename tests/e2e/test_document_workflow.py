"""The document workflow end to end through the local runtime: the API, a presigned POST
upload, the S3 event, the state machine and its in-process Lambdas, the job API."""

from __future__ import annotations

from typing import Any

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job


def upload(api: Client, file_name: str, data: bytes, content_type: str) -> str:
    status, ticket = api.call("POST", "/uploads", {"file_name": file_name, "content_type": content_type, "size": len(data)})
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
