"""Textract (images, scans, AnalyzeDocument and its asynchronous jobs) and Rekognition DetectText
through boto3 against the local AWS (moto's server with the offline OCR): what a Lambda would get."""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from bench.inputs.text_images import (
    INVOICE_ALIGNED_FIELDS,
    INVOICE_FIELDS,
    TextImage,
    encode,
    invoice_page,
    multipage_tiff,
    scanned_pdf,
    text_page,
)
from insight_local.server import LocalAWS
from tests.botocore_shapes import check_shape

SESSION = botocore.session.get_session()
TEXTRACT = SESSION.get_service_model("textract")
REKOGNITION = SESSION.get_service_model("rekognition")
BUCKET = "scans"
ROLE = "arn:aws:iam::123456789012:role/textract"


BUCKETS = (BUCKET,)


@lru_cache(maxsize=1)
def invoice() -> TextImage:
    return invoice_page()


@lru_cache(maxsize=1)
def letter() -> TextImage:
    return text_page(columns=2, size=20, lines_per_column=4, width=1300, title="Letter to members", seed=9)


def shaped(model: Any, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    answer = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    check_shape(answer, model.operation_model(operation).output_shape)
    return answer


def upload(aws: LocalAWS, key: str, data: bytes) -> dict[str, Any]:
    aws.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)
    return {"S3Object": {"Bucket": BUCKET, "Name": key}}


def key_values(blocks: list[dict[str, Any]]) -> dict[str, str]:
    index = {block["Id"]: block for block in blocks}

    def text(block: dict[str, Any]) -> str:
        ids = [i for rel in block.get("Relationships", []) if rel["Type"] == "CHILD" for i in rel["Ids"]]
        return " ".join(index[i]["Text"] for i in ids)

    pairs = {}
    for block in blocks:
        if block["BlockType"] == "KEY_VALUE_SET" and block["EntityTypes"] == ["KEY"]:
            value = next(rel["Ids"][0] for rel in block["Relationships"] if rel["Type"] == "VALUE")
            pairs[text(block)] = text(index[value])
    return pairs


def cells(blocks: list[dict[str, Any]]) -> dict[tuple[int, int], str]:
    index = {block["Id"]: block for block in blocks}
    return {
        (block["RowIndex"], block["ColumnIndex"]): " ".join(
            index[i]["Text"] for rel in block.get("Relationships", []) for i in rel["Ids"]
        )
        for block in blocks
        if block["BlockType"] == "CELL"
    }


def test_detect_document_text_reads_a_png_sent_as_bytes(aws: LocalAWS) -> None:
    # Given the two-column letter as PNG bytes
    textract = aws.client("textract")
    # When DetectDocumentText is called
    response = shaped(
        TEXTRACT, "DetectDocumentText", textract.detect_document_text(Document={"Bytes": encode(letter().image)})
    )
    # Then the lines come back column by column: the title, the left column, the right column
    lines = [b["Text"] for b in response["Blocks"] if b["BlockType"] == "LINE"]
    assert lines[0] == "Letter to members"
    left, right = letter().columns
    assert lines[1] == left[0].text and lines[1 + len(left)] == right[0].text
    assert response["DocumentMetadata"] == {"Pages": 1}


def test_analyze_document_finds_the_forms_and_table_of_an_image_in_s3(aws: LocalAWS) -> None:
    # Given the invoice image stored in S3
    location = upload(aws, "invoice.png", encode(invoice().image))
    # When AnalyzeDocument is asked for FORMS and TABLES
    response = shaped(
        TEXTRACT,
        "AnalyzeDocument",
        aws.client("textract").analyze_document(Document=location, FeatureTypes=["FORMS", "TABLES"]),
    )
    # Then its fields are key/value pairs, and its line items are table cells at their row and column
    expected = {f"{label}:": value for label, value in INVOICE_FIELDS} | dict(INVOICE_ALIGNED_FIELDS)
    assert key_values(response["Blocks"]) == expected
    grid = cells(response["Blocks"])
    for row, values in enumerate(invoice().table, start=1):
        for column, value in enumerate(values, start=1):
            assert grid[(row, column)] == value


def test_analyze_document_refuses_features_that_need_a_model_it_lacks(aws: LocalAWS) -> None:
    textract = aws.client("textract")
    for features in (["LAYOUT"], ["SIGNATURES"]):
        with pytest.raises(ClientError) as raised:
            textract.analyze_document(Document={"Bytes": encode(invoice().image)}, FeatureTypes=features)
        error = raised.value.response["Error"]
        assert error["Code"] == "InvalidParameterException"
        assert "not available in the offline Textract engine" in error["Message"]


def queue_for(aws: LocalAWS, name: str) -> tuple[str, str]:
    """An SNS topic with an SQS queue subscribed to it: (topic ARN, queue URL)."""
    sns, sqs = aws.client("sns"), aws.client("sqs")
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    return topic, queue


def completion(aws: LocalAWS, queue: str, seconds: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    sqs = aws.client("sqs")
    while time.monotonic() < deadline:
        messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
        if messages:
            return dict(json.loads(json.loads(messages[0]["Body"])["Message"]))
    raise AssertionError("no completion notification")


def test_document_analysis_job_notifies_by_sns_and_pages_its_results(aws: LocalAWS) -> None:
    # Given a two-page scanned PDF in S3 (the invoice, then the letter) and a topic for completions
    location = upload(aws, "scan.pdf", scanned_pdf([invoice().image, letter().image]))
    topic, queue = queue_for(aws, "analysis-done")
    textract = aws.client("textract")
    # When an analysis job is started on it
    job_id = textract.start_document_analysis(
        DocumentLocation=location,
        FeatureTypes=["TABLES", "FORMS"],
        NotificationChannel={"SNSTopicArn": topic, "RoleArn": ROLE},
        JobTag="invoice-7",
    )["JobId"]
    # Then Textract's completion message arrives on the topic
    message = completion(aws, queue)
    assert message["JobId"] == job_id and message["Status"] == "SUCCEEDED"
    assert message["API"] == "StartDocumentAnalysis" and message["JobTag"] == "invoice-7"
    assert message["DocumentLocation"] == {"S3ObjectName": "scan.pdf", "S3Bucket": BUCKET}
    # And the results come 100 blocks at a time, following NextToken, each response in shape
    blocks: list[dict[str, Any]] = []
    token: str | None = None
    calls = 0
    while True:
        kwargs: dict[str, Any] = {"JobId": job_id, "MaxResults": 100} | ({"NextToken": token} if token else {})
        response = shaped(TEXTRACT, "GetDocumentAnalysis", textract.get_document_analysis(**kwargs))
        assert response["JobStatus"] == "SUCCEEDED" and response["DocumentMetadata"] == {"Pages": 2}
        calls += 1
        blocks += response["Blocks"]
        token = response.get("NextToken")
        if token is None:
            break
    assert calls == -(-len(blocks) // 100) and calls >= 2
    assert len({b["Id"] for b in blocks}) == len(blocks)
    # And they hold both pages' text, the invoice's fields and its table
    assert {b["Page"] for b in blocks} == {1, 2}
    assert key_values(blocks)["Invoice number:"] == "INV-2026-0042"
    assert cells(blocks)[(3, 4)] == "264.00"
    page_two = [b["Text"] for b in blocks if b["BlockType"] == "LINE" and b["Page"] == 2]
    assert page_two[0] == "Letter to members"
    # And the job is unknown to the text detection API
    with pytest.raises(ClientError) as raised:
        textract.get_document_text_detection(JobId=job_id)
    assert raised.value.response["Error"]["Code"] == "InvalidJobIdException"


def test_text_detection_job_reads_a_multi_page_tiff(aws: LocalAWS) -> None:
    # Given a two-page TIFF in S3
    location = upload(aws, "pages.tiff", multipage_tiff([letter().image, invoice().image]))
    topic, queue = queue_for(aws, "text-done")
    textract = aws.client("textract")
    # When a text detection job runs on it
    job_id = textract.start_document_text_detection(
        DocumentLocation=location, NotificationChannel={"SNSTopicArn": topic, "RoleArn": ROLE}
    )["JobId"]
    assert completion(aws, queue)["Status"] == "SUCCEEDED"
    response = shaped(TEXTRACT, "GetDocumentTextDetection", textract.get_document_text_detection(JobId=job_id))
    # Then both pages are read, without analysis blocks
    assert response["DocumentMetadata"] == {"Pages": 2}
    assert {b["BlockType"] for b in response["Blocks"]} == {"PAGE", "LINE", "WORD"}
    lines = [b["Text"] for b in response["Blocks"] if b["BlockType"] == "LINE"]
    assert "Letter to members" in lines and "Invoice number: INV-2026-0042" in lines


def test_rekognition_detect_text_reads_a_picture_from_bytes_and_from_s3(aws: LocalAWS) -> None:
    rekognition = aws.client("rekognition")
    data = encode(invoice().image, "jpeg", quality=92)
    # When DetectText reads the invoice picture both ways
    from_bytes = shaped(REKOGNITION, "DetectText", rekognition.detect_text(Image={"Bytes": data}))
    from_s3 = shaped(REKOGNITION, "DetectText", rekognition.detect_text(Image=upload(aws, "invoice.jpg", data)))
    # Then both answers are the same, and hold the invoice's lines and words
    assert from_bytes == from_s3
    lines = [d["DetectedText"] for d in from_bytes["TextDetections"] if d["Type"] == "LINE"]
    assert lines[:2] == ["Northwind Traders", "Invoice number: INV-2026-0042"]
    words = [d for d in from_bytes["TextDetections"] if d["Type"] == "WORD"]
    assert {"INV-2026-0042", "264.00", "Anders"} <= {w["DetectedText"] for w in words}
    assert all(w["ParentId"] < len(lines) for w in words)


def test_rekognition_detect_text_refuses_what_rekognition_refuses(aws: LocalAWS) -> None:
    rekognition = aws.client("rekognition")
    tiff = encode(invoice().image, "tiff")
    for image, code in (
        ({"Bytes": tiff}, "InvalidImageFormatException"),
        (upload(aws, "huge.png", b"\x89PNG\r\n\x1a\n" + bytes(16 * 1024 * 1024)), "ImageTooLargeException"),
    ):
        with pytest.raises(ClientError) as raised:
            rekognition.detect_text(Image=image)
        assert raised.value.response["Error"]["Code"] == code
