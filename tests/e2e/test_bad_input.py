"""Bad input through the real paths: each gets a clear 4xx, or a FAILED job that says why,
and the upload is kept."""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

import pytest

from insight_local.uploading import post_form
from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_document_workflow import upload


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("file_name", "data", "content_type", "reason"),
    [
        ("truncated.pdf", (SAMPLES / "bad" / "truncated.pdf").read_bytes(), "application/pdf", "damaged or truncated"),
        ("encrypted.pdf", (SAMPLES / "bad" / "encrypted.pdf").read_bytes(), "application/pdf", "encrypted"),
        ("photo.png", (SAMPLES / "bad" / "not_a_png.png").read_bytes(), "image/png", "not one of the accepted types"),
        ("invoice.pdf", tiny_png(), "application/pdf", "is a PNG image but was uploaded as application/pdf"),
    ],
)
def test_a_bad_document_ends_failed_with_the_reason_and_is_kept(
    runtime: Any, api: Client, file_name: str, data: bytes, content_type: str, reason: str
) -> None:
    # Given a file that is not a document Insight can analyse
    # When it is uploaded through the real path, to be read as a document
    job_id = upload(api, file_name, data, content_type, kind="DOCUMENT")
    # Then its job is FAILED with the error's name and the reason in words
    job = wait_for_job(api, job_id)["job"]
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "InvalidDocument"
    assert reason in job["error"]["reason"]
    assert job["finished_at"] is not None
    # and the upload is still there
    source = job["source"]
    assert runtime.aws.client("s3").head_object(Bucket=source["bucket"], Key=source["key"])["ContentLength"] == len(
        data
    )


def test_a_content_type_outside_the_list_is_refused_by_the_api(api: Client) -> None:
    status, body = api.call("POST", "/uploads", {"file_name": "x.zip", "content_type": "application/zip", "size": 10})
    assert status == 400
    assert "application/zip" in body["message"]


def test_a_file_over_the_limit_is_refused_by_the_api(api: Client) -> None:
    status, body = api.call(
        "POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 10**12}
    )
    assert status == 400
    assert "over the limit" in body["message"]


def test_a_zero_byte_file_is_refused_by_the_api_and_by_the_form(api: Client) -> None:
    status, body = api.call("POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 0})
    assert status == 422
    assert body["details"][0]["field"] == "size"
    # and a form obtained for a real size still refuses an empty file
    _, ticket = api.call("POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 10})
    code, answer = post_form(ticket["upload"]["url"], ticket["upload"]["fields"], "x.pdf", b"", "application/pdf")
    assert code == 403 and "content-length-range" in answer


def test_a_file_larger_than_declared_is_refused_by_the_form(api: Client) -> None:
    _, ticket = api.call("POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 10})
    assert ticket["max_size"] == 10
    code, answer = post_form(
        ticket["upload"]["url"], ticket["upload"]["fields"], "x.pdf", b"%PDF-" + b"x" * 20, "application/pdf"
    )
    assert code == 403 and "content-length-range" in answer


def test_an_upload_of_another_type_than_declared_is_refused_by_the_form(api: Client) -> None:
    _, ticket = api.call("POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 10})
    fields = {**ticket["upload"]["fields"], "Content-Type": "image/png"}
    code, answer = post_form(ticket["upload"]["url"], fields, "x.pdf", tiny_png(), "image/png")
    assert code == 403 and "Content-Type" in answer


def test_a_form_whose_policy_was_rewritten_is_refused_by_its_signature(api: Client) -> None:
    # Given a form for 10 bytes whose policy a client rewrote to allow any size
    _, ticket = api.call("POST", "/uploads", {"file_name": "x.pdf", "content_type": "application/pdf", "size": 10})
    fields = ticket["upload"]["fields"]
    policy = json.loads(base64.b64decode(fields["policy"]))
    policy["conditions"] = [c for c in policy["conditions"] if not (isinstance(c, list) and "content-length" in c[0])]
    rewritten = base64.b64encode(json.dumps(policy).encode()).decode()
    # When a larger file is posted with it
    code, answer = post_form(
        ticket["upload"]["url"], {**fields, "policy": rewritten}, "x.pdf", b"%PDF-" + b"x" * 20, "application/pdf"
    )
    # Then S3 refuses it, as the signature no longer matches, and the job still waits for its upload
    assert code == 403 and "SignatureDoesNotMatch" in answer
    assert api.call("GET", f"/jobs/{ticket['job_id']}")[1]["job"]["status"] == "AWAITING_UPLOAD"


def test_an_unknown_job_id_is_404(api: Client) -> None:
    status, body = api.call("GET", "/jobs/0123456789abcdef0123456789abcdef")
    assert status == 404
    assert body["code"] == "NotFound"


def test_a_malformed_body_is_400_and_an_oversized_one_413(api: Client) -> None:
    status, body = api.call("POST", "/uploads", raw=b"{not json")
    assert status == 400 and body["code"] == "MalformedBody"
    status, body = api.call("POST", "/uploads", raw=json.dumps({"file_name": "x" * 40_000}).encode())
    assert status == 413 and body["code"] == "BodyTooLarge"
