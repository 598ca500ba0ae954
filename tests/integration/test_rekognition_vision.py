"""Rekognition's DetectFaces, DetectLabels and DetectModerationLabels through boto3 against the
local AWS (moto's server with the offline engines): what an app's Lambda would get."""

from __future__ import annotations

from typing import Any

import botocore.session
import numpy as np
import pytest
from botocore.exceptions import ClientError

from bench.inputs import faces
from insight_local.server import LocalAWS
from tests.botocore_shapes import check_shape

REKOGNITION = botocore.session.get_session().get_service_model("rekognition")
BUCKET = "pictures"


BUCKETS = (BUCKET,)


@pytest.fixture(scope="module")
def rekognition(aws: LocalAWS) -> Any:
    return aws.client("rekognition")


def shaped(operation: str, response: dict[str, Any]) -> dict[str, Any]:
    answer = {key: value for key, value in response.items() if key != "ResponseMetadata"}
    check_shape(answer, REKOGNITION.operation_model(operation).output_shape)
    return answer


def upload(aws: LocalAWS, key: str, data: bytes) -> dict[str, Any]:
    aws.client("s3").put_object(Bucket=BUCKET, Key=key, Body=data)
    return {"S3Object": {"Bucket": BUCKET, "Name": key}}


def test_detect_faces_finds_the_astronaut_from_bytes_and_from_s3(aws: LocalAWS, rekognition: Any) -> None:
    # Given the astronaut's portrait, sent as bytes and stored in S3
    data = faces.encode(faces.astronaut(), "JPEG")
    # When DetectFaces is called both ways
    from_bytes = shaped("DetectFaces", rekognition.detect_faces(Image={"Bytes": data}, Attributes=["ALL"]))
    from_s3 = shaped("DetectFaces", rekognition.detect_faces(Image=upload(aws, "astronaut.jpg", data)))
    # Then both find her one face, at her face, with both eyes inside the box
    assert from_bytes == from_s3
    (face,) = from_bytes["FaceDetails"]
    box = face["BoundingBox"]
    assert box["Left"] == pytest.approx(0.355, abs=0.03) and box["Top"] == pytest.approx(0.12, abs=0.03)
    assert box["Width"] == pytest.approx(0.17, abs=0.03) and box["Height"] == pytest.approx(0.215, abs=0.03)
    eyes = [mark for mark in face["Landmarks"] if mark["Type"] in ("eyeLeft", "eyeRight")]
    assert len(eyes) == 2
    for eye in eyes:
        assert box["Left"] < eye["X"] < box["Left"] + box["Width"]
        assert box["Top"] < eye["Y"] < box["Top"] + box["Height"] / 2
    assert face["Confidence"] > 99


def test_detect_faces_finds_nobody_in_the_cat_picture(rekognition: Any) -> None:
    response = shaped("DetectFaces", rekognition.detect_faces(Image={"Bytes": faces.encode(faces.cat(), "JPEG")}))
    assert response["FaceDetails"] == []


def test_detect_labels_labels_people_only_and_respects_max_labels(rekognition: Any) -> None:
    # Given the astronaut and the cat
    astronaut = faces.encode(faces.astronaut())
    # When DetectLabels is asked for at most two labels, with image properties
    response = shaped(
        "DetectLabels",
        rekognition.detect_labels(
            Image={"Bytes": astronaut},
            MaxLabels=2,
            Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"],
            Settings={"ImageProperties": {"MaxDominantColors": 4}},
        ),
    )
    # Then the two most certain labels come back, the face among them with its box
    assert [label["Name"] for label in response["Labels"]] == ["Person", "Face"]
    assert len(response["Labels"][1]["Instances"]) == 1
    assert len(response["ImageProperties"]["DominantColors"]) == 4
    # And the cat, which the engine cannot classify, gets no label rather than a wrong one
    cat = shaped("DetectLabels", rekognition.detect_labels(Image={"Bytes": faces.encode(faces.cat())}))
    assert cat["Labels"] == []


def test_detect_moderation_labels_fails_clearly(rekognition: Any) -> None:
    with pytest.raises(ClientError) as raised:
        rekognition.detect_moderation_labels(Image={"Bytes": faces.encode(faces.astronaut())})
    error = raised.value.response["Error"]
    assert error["Code"] == "AccessDeniedException"
    assert "not available offline" in error["Message"]
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_bad_images_get_rekognitions_errors(rekognition: Any) -> None:
    noise = np.random.default_rng(3).integers(0, 256, (1200, 1800, 3), dtype=np.uint8)
    over_5_mb = faces.encode(noise)  # a real PNG: noise does not compress
    cases = [
        ({"Bytes": b"GIF89a" + b"\0" * 64}, "InvalidImageFormatException"),
        ({"Bytes": over_5_mb}, "ImageTooLargeException"),
        ({"S3Object": {"Bucket": BUCKET, "Name": "missing.png"}}, "InvalidS3ObjectException"),
    ]
    for image, code in cases:
        with pytest.raises(ClientError) as raised:
            rekognition.detect_faces(Image=image)
        assert raised.value.response["Error"]["Code"] == code
