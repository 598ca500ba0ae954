"""The API's answers to bad requests, and its OpenAPI document (no AWS is reached)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from chalicelib import services


@pytest.fixture
def client(monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setenv("INSIGHT_MAX_UPLOAD_BYTES", "1000")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens: no call may get out
    services.reset()
    from app import app

    with Client(app) as test_client:
        yield test_client
    services.reset()


def post(client: Client, body: Any, raw: bytes | None = None) -> tuple[int, dict[str, Any]]:
    response = client.http.post(
        "/uploads", headers={"Content-Type": "application/json"}, body=raw if raw is not None else json.dumps(body)
    )
    return response.status_code, json.loads(response.body)


def test_a_content_type_outside_the_allowed_list_is_refused(client: Client) -> None:
    status, body = post(client, {"file_name": "a.exe", "content_type": "application/x-msdownload", "size": 10})
    assert status == 400
    assert body["code"] == "InvalidRequest"
    assert "application/x-msdownload" in body["message"] and "application/pdf" in body["message"]


def test_a_file_over_the_size_limit_is_refused(client: Client) -> None:
    status, body = post(client, {"file_name": "a.pdf", "content_type": "application/pdf", "size": 1001})
    assert status == 400
    assert "over the limit of 1000 bytes" in body["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size": 0}, "size"),
        ({"file_name": "../etc/passwd", "content_type": "application/pdf", "size": 10}, "file_name"),
        ({"file_name": "a.pdf", "content_type": "application/pdf"}, "size"),
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size": 1, "extra": 1}, "extra"),
        ({"file_name": "a.pdf\n", "content_type": "application/pdf", "size": 10}, "file_name"),
        # a size that is not a whole number of bytes, written as one (not true, "10" or 10.0)
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size": True}, "size"),
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size": "10"}, "size"),
        ({"file_name": "a.pdf", "content_type": "application/pdf", "size": 10.5}, "size"),
    ],
)
def test_a_body_that_breaks_the_schema_gets_422_naming_the_field(client: Client, body: Any, field: str) -> None:
    status, answer = post(client, body)
    assert status == 422
    assert answer["code"] == "ValidationError"
    assert field in {detail["field"] for detail in answer["details"]}


def test_a_body_of_another_content_type_gets_415_in_the_apis_error_shape(client: Client) -> None:
    body = json.dumps({"file_name": "a.pdf", "content_type": "application/pdf", "size": 10})
    response = client.http.post("/uploads", headers={"Content-Type": "text/plain"}, body=body)
    assert response.status_code == 415
    answer = json.loads(response.body)
    assert answer["code"] == "UnsupportedMediaType"
    assert "text/plain" in answer["message"] and "application/json" in answer["message"]


def test_a_method_a_route_does_not_have_gets_405_in_the_apis_error_shape(client: Client) -> None:
    response = client.http.delete("/jobs")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET"
    assert json.loads(response.body) == {"code": "MethodNotAllowed", "message": "DELETE is not a method of /jobs: GET"}


def test_malformed_json_gets_400(client: Client) -> None:
    status, body = post(client, None, raw=b'{"file_name": ')
    assert status == 400
    assert body["code"] == "MalformedBody"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"[" * 8000 + b"]" * 8000, "nested too deeply"),  # within 16 KiB, deeper than the parser's stack
        (b'{"file_name": "a.pdf", "content_type": "application/pdf", "size": NaN}', "NaN is not a JSON value"),
        (
            b'{"file_name": "a.pdf", "content_type": "application/pdf", "size": -Infinity}',
            "-Infinity is not a JSON value",
        ),
    ],
    ids=["nested", "nan", "infinity"],
)
def test_json_that_no_json_parser_should_take_gets_400(client: Client, raw: bytes, why: str) -> None:
    status, body = post(client, None, raw=raw)
    assert status == 400
    assert body["code"] == "MalformedBody"
    assert why in body["message"]


def test_an_oversized_body_gets_413(client: Client) -> None:
    status, body = post(client, None, raw=json.dumps({"file_name": "a" * 20_000}).encode())
    assert status == 413
    assert body["code"] == "BodyTooLarge"


def test_a_bad_next_token_gets_400(client: Client) -> None:
    response = client.http.get("/jobs?next_token=not-a-token")
    assert response.status_code == 400
    assert "next_token" in json.loads(response.body)["message"]


def test_a_forged_next_token_gets_400(client: Client) -> None:
    import base64

    key = {"job_id": {"S": "x"}, "list_pk": {"S": "OTHER"}, "created_at": {"S": "2026"}}
    token = base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")
    response = client.http.get(f"/jobs?next_token={token}")
    assert response.status_code == 400


def test_a_next_token_nested_too_deeply_gets_400(client: Client) -> None:
    import base64

    token = base64.urlsafe_b64encode(b"[" * 1500).decode().rstrip("=")
    response = client.http.get(f"/jobs?next_token={token}")
    assert response.status_code == 400
    assert "next_token" in json.loads(response.body)["message"]


@pytest.mark.parametrize("job_id", ["x" * 3000, "0123456789ABCDEF0123456789ABCDEF"], ids=["long", "upper-case"])
def test_a_job_id_that_cannot_be_one_is_404_without_a_lookup(client: Client, job_id: str) -> None:
    response = client.http.get("/jobs/" + job_id)
    assert response.status_code == 404
    # the message says what a job id is, in terms that rule this one out
    assert "32 lower-case hexadecimal characters (0-9, a-f)" in json.loads(response.body)["message"]


def test_a_limit_out_of_range_gets_422(client: Client) -> None:
    response = client.http.get("/jobs?limit=1000")
    assert response.status_code == 422


def test_the_openapi_document_is_generated_from_the_models(client: Client) -> None:
    response = client.http.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.body)
    assert document["openapi"].startswith("3.1")
    assert set(document["paths"]) >= {"/uploads", "/jobs", "/jobs/{job_id}"}
    upload = document["paths"]["/uploads"]["post"]
    assert upload["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UploadRequest"
    }
    schemas = document["components"]["schemas"]
    assert set(schemas["UploadRequest"]["required"]) == {"file_name", "content_type", "size"}
    assert "SUCCEEDED" in json.dumps(schemas["JobStatus"])
    assert document["paths"]["/jobs/{job_id}"]["get"]["parameters"][0]["name"] == "job_id"
    assert {p["name"] for p in document["paths"]["/jobs"]["get"]["parameters"]} == {"limit", "next_token"}
