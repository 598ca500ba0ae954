"""The image workflow end to end through the local runtime: POST /uploads, the presigned form,
the S3 event, the state machine's parallel Rekognition branches and thumbnail, the job API."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from tests.e2e.conftest import SAMPLES, Client, wait_for_job
from tests.e2e.test_bad_input import tiny_png
from tests.e2e.test_document_workflow import execution_of, results_of, upload


def history(runtime: Any, machine: str, job_id: str) -> list[dict[str, Any]]:
    sfn = runtime.aws.client("stepfunctions")
    arn = execution_of(runtime, job_id, machine)
    return list(sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"])


def s3_bytes(runtime: Any, ref: dict[str, Any]) -> bytes:
    located = {"Bucket": ref["bucket"], "Key": ref["key"]}
    return bytes(runtime.aws.client("s3").get_object(**located)["Body"].read())


def photo(image_format: str, size: tuple[int, int] | None = None, quality: int = 90) -> bytes:
    """The sample astronaut photo in another format, or scaled to ``size``."""
    image = Image.open(SAMPLES / "astronaut.jpg").convert("RGB")
    if size is not None:
        image = image.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    image.save(buffer, image_format, quality=quality)
    return buffer.getvalue()


def test_an_uploaded_photo_is_analysed(runtime: Any, api: Client) -> None:
    # Given the sample photo: a portrait above a two-line caption
    data = (SAMPLES / "astronaut.jpg").read_bytes()
    # When it is uploaded through the API's presigned form
    job_id = upload(api, "astronaut.jpg", data, "image/jpeg")
    view = wait_for_job(api, job_id)
    job = view["job"]
    # Then the image workflow ran and the job SUCCEEDED with the image's summary
    assert job["status"] == "SUCCEEDED", job
    assert job["kind"] == "IMAGE"
    summary = job["summary"]
    assert (summary["width"], summary["height"], summary["media_type"]) == (512, 584, "image/jpeg")
    assert summary["faces"] == 1
    assert {"Person", "Face", "Text"} <= set(summary["labels"])
    assert "Eileen Collins, STS-93 commander" in summary["text"]
    # and moderation is recorded as unavailable, with why, not as a clean image
    assert summary["moderation"]["status"] == "unavailable"
    assert summary["moderation"]["labels"] == []
    assert "AccessDeniedException" in summary["moderation"]["reason"]
    assert "not available offline" in summary["moderation"]["reason"]
    # and the results document holds each analysis
    results = results_of(runtime, view)
    [face] = results["faces"]
    assert 0.3 < face["BoundingBox"]["Left"] < 0.45 and face["Confidence"] > 90
    assert {"eyeLeft", "eyeRight", "nose"} <= {landmark["Type"] for landmark in face["Landmarks"]}
    assert results["image_properties"]["DominantColors"]
    assert any(d["Type"] == "WORD" and d["DetectedText"] == "NASA" for d in results["text"]["detections"])
    # and the thumbnail is a JPEG within 256 pixels, in S3 and linked from the job
    thumbnail = Image.open(io.BytesIO(s3_bytes(runtime, summary["thumbnail"])))
    assert thumbnail.format == "JPEG" and max(thumbnail.size) == 256
    assert set(view["downloads"]) == {"results", "thumbnail"}
    # and the four analyses and the thumbnail ran as the branches of one Parallel state
    events = history(runtime, "ImageWorkflow", job_id)
    assert [e["type"] for e in events].count("ParallelStateEntered") == 1
    scheduled = [
        json.loads(e["lambdaFunctionScheduledEventDetails"]["input"])
        for e in events
        if "lambdaFunctionScheduledEventDetails" in e
    ]
    assert sorted(s["feature"] for s in scheduled if "feature" in s) == ["faces", "labels", "moderation", "text"]


def test_a_webp_image_is_analysed_through_a_converted_copy(runtime: Any, api: Client) -> None:
    # Given the photo as a WebP, which Rekognition does not read
    data = photo("WEBP")
    assert data[8:12] == b"WEBP"
    # When it is uploaded
    job_id = upload(api, "astronaut.webp", data, "image/webp")
    view = wait_for_job(api, job_id)
    # Then it was analysed through a JPEG copy in the job's files, and its face was found
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    assert view["job"]["summary"]["media_type"] == "image/webp"
    assert view["job"]["summary"]["faces"] == 1
    info = results_of(runtime, view)["image"]
    assert info["changes"] == ["converted from WEBP"]
    assert info["analysed_type"] == "image/jpeg"
    assert info["analysed"]["key"] == f"jobs/{job_id}/analysed.jpg"
    assert s3_bytes(runtime, info["analysed"]).startswith(b"\xff\xd8\xff")


def test_an_over_large_image_is_scaled_within_the_limits_before_analysis(runtime: Any, api: Client) -> None:
    # Given the photo scaled up to 6000 x 6844 pixels, over the analysed side of 4096
    data = photo("JPEG", size=(6000, 6844), quality=80)
    # When it is uploaded
    job_id = upload(api, "astronaut-large.jpg", data, "image/jpeg")
    view = wait_for_job(api, job_id, timeout=120)
    # Then Rekognition analysed a copy scaled to fit, and still found the face
    assert view["job"]["status"] == "SUCCEEDED", view["job"]
    summary = view["job"]["summary"]
    assert max(summary["width"], summary["height"]) == 4096
    assert summary["faces"] == 1
    info = results_of(runtime, view)["image"]
    assert info["changes"] == ["scaled from 6000 x 6844 to 3591 x 4096 pixels"]
    analysed = Image.open(io.BytesIO(s3_bytes(runtime, info["analysed"])))
    assert analysed.size == (3591, 4096)


@pytest.mark.parametrize(
    ("file_name", "data", "content_type", "reason"),
    [
        (
            "photo.png",
            (SAMPLES / "bad" / "not_a_png.png").read_bytes(),
            "image/png",
            "not an image of an accepted type",
        ),
        (
            "photo.png",
            (SAMPLES / "astronaut.jpg").read_bytes(),
            "image/png",
            "is a JPEG image but was uploaded as image/png",
        ),
        ("photo.jpg", (SAMPLES / "astronaut.jpg").read_bytes()[:20_000], "image/jpeg", "damaged or truncated"),
        ("dot.png", tiny_png(), "image/png", "at least 80 pixels on each side"),
    ],
)
def test_a_file_that_is_not_an_image_it_claims_ends_failed_with_the_reason(
    runtime: Any, api: Client, file_name: str, data: bytes, content_type: str, reason: str
) -> None:
    # Given a file declared as an image that is not one Insight can analyse
    # When it is uploaded
    job_id = upload(api, file_name, data, content_type)
    job = wait_for_job(api, job_id)["job"]
    # Then its job is FAILED with the reason, the upload is kept, and Rekognition was never asked
    assert job["status"] == "FAILED"
    assert job["error"]["type"] == "InvalidImage"
    assert reason in job["error"]["reason"]
    assert job["step"] == "validating"
    source = job["source"]
    runtime.aws.client("s3").head_object(Bucket=source["bucket"], Key=source["key"])
    assert not any(
        "lambdaFunctionScheduledEventDetails" in e and "feature" in e["lambdaFunctionScheduledEventDetails"]["input"]
        for e in history(runtime, "ImageWorkflow", job_id)
    )


def test_a_throttled_analysis_is_retried_and_a_refused_one_ends_failed(runtime: Any, api: Client) -> None:
    from insight_local import faults

    data = (SAMPLES / "astronaut.jpg").read_bytes()
    # Given Rekognition throttles the next two DetectFaces calls
    faults.inject("rekognition", "DetectFaces", "ThrottlingException", times=2)
    try:
        # When the photo is uploaded
        view = wait_for_job(api, upload(api, "astronaut.jpg", data, "image/jpeg"), timeout=120)
        # Then its branch retried with backoff, and the job SUCCEEDED with the face found
        assert faults.served("rekognition", "DetectFaces") == 2
        assert view["job"]["status"] == "SUCCEEDED", view["job"]
        assert view["job"]["summary"]["faces"] == 1
    finally:
        faults.clear()
    # Given Rekognition refuses DetectLabels for the image itself
    faults.inject(
        "rekognition", "DetectLabels", "InvalidImageFormatException", message="Request has invalid image format"
    )
    try:
        # When the photo is uploaded again
        job = wait_for_job(api, upload(api, "astronaut.jpg", data, "image/jpeg"), timeout=120)["job"]
        # Then the Parallel state's Catch recorded the job FAILED with Rekognition's reason
        assert job["status"] == "FAILED", job
        assert job["error"]["type"] == "InvalidImage"
        assert "Rekognition cannot read the image: Request has invalid image format" in job["error"]["reason"]
    finally:
        faults.clear()
