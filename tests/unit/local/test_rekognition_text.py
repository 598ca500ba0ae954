"""Rekognition DetectText offline (insight_local.ai.rekognition.detect_text, on the OCR)."""

from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

import botocore.session
import pytest

from bench.inputs.text_images import TextImage, encode, text_page
from insight_local.ai.rekognition import RekognitionError, detect_text
from tests.botocore_shapes import check_shape

REKOGNITION = botocore.session.get_session().get_service_model("rekognition")


@lru_cache(maxsize=1)
def sign() -> TextImage:
    return text_page(size=26, lines_per_column=3, width=900, title="Harbor Street Market", seed=4)


@lru_cache(maxsize=1)
def answer() -> dict[str, Any]:
    return detect_text(encode(sign().image, "jpeg", quality=92), {"Image": {"Bytes": b""}})


def lines_and_words(response: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    detections = response["TextDetections"]
    return [d for d in detections if d["Type"] == "LINE"], [d for d in detections if d["Type"] == "WORD"]


def test_detect_text_reads_the_lines_and_words_of_a_picture() -> None:
    # Given a JPEG picture with a title and three lines of text
    response = answer()
    check_shape(response, REKOGNITION.operation_model("DetectText").output_shape)
    lines, words = lines_and_words(response)
    # Then the LINE detections are the drawn lines, in order, listed before every WORD
    read = [line["DetectedText"] for line in lines]
    drawn = [line.text for line in sign().lines]
    assert difflib.SequenceMatcher(a="\n".join(read), b="\n".join(drawn)).ratio() > 0.98
    assert read[0] == "Harbor Street Market"
    types = [d["Type"] for d in response["TextDetections"]]
    assert types == ["LINE"] * len(lines) + ["WORD"] * len(words)
    # And Ids count from 0; each word names its line as ParentId; a line is its words
    assert [d["Id"] for d in response["TextDetections"]] == list(range(len(types)))
    for line in lines:
        assert "ParentId" not in line
        mine = [w["DetectedText"] for w in words if w["ParentId"] == line["Id"]]
        assert line["DetectedText"] == " ".join(mine)
    assert response["TextModelVersion"]


def test_detected_text_is_placed_where_it_was_drawn() -> None:
    # Given the title's words as drawn
    width, height = sign().size
    drawn = {word.text: word.box for word in sign().lines[0].words}
    _, words = lines_and_words(answer())
    # Then each title word's box is its drawn box, in ratios of the picture
    for text, (left, top, right, bottom) in drawn.items():
        (word,) = [w for w in words if w["DetectedText"] == text]
        box = word["Geometry"]["BoundingBox"]
        assert box["Left"] == pytest.approx(left / width, abs=0.006)
        assert box["Top"] == pytest.approx(top / height, abs=0.012)
        assert box["Width"] == pytest.approx((right - left) / width, abs=0.01)
        assert box["Height"] == pytest.approx((bottom - top) / height, abs=0.02)
        assert word["Geometry"]["Polygon"][2] == {"X": box["Left"] + box["Width"], "Y": box["Top"] + box["Height"]}


def test_word_filter_and_regions_of_interest_narrow_the_answer() -> None:
    data = encode(sign().image)
    title = sign().lines[0].box
    width, height = sign().size
    # When only the region of the title is of interest
    region = {
        "BoundingBox": {
            "Left": title[0] / width - 0.01,
            "Top": title[1] / height - 0.01,
            "Width": (title[2] - title[0]) / width + 0.02,
            "Height": (title[3] - title[1]) / height + 0.02,
        }
    }
    regional = detect_text(data, {"Image": {"Bytes": b""}, "Filters": {"RegionsOfInterest": [region]}})
    lines, _ = lines_and_words(regional)
    # Then the title alone is read
    assert [line["DetectedText"] for line in lines] == ["Harbor Street Market"]
    # And the same region as a polygon gives the same
    box = region["BoundingBox"]
    polygon = [
        {"X": box["Left"], "Y": box["Top"]},
        {"X": box["Left"] + box["Width"], "Y": box["Top"]},
        {"X": box["Left"] + box["Width"], "Y": box["Top"] + box["Height"]},
        {"X": box["Left"], "Y": box["Top"] + box["Height"]},
    ]
    by_polygon = detect_text(data, {"Image": {"Bytes": b""}, "Filters": {"RegionsOfInterest": [{"Polygon": polygon}]}})
    assert [d["DetectedText"] for d in lines_and_words(by_polygon)[0]] == ["Harbor Street Market"]
    # When words must be at least as tall as the shortest title word (the title is drawn larger)
    shortest = min(bottom - top for _, top, _, bottom in (word.box for word in sign().lines[0].words))
    threshold = 0.95 * shortest / height
    everything = lines_and_words(answer())[1]
    tall = detect_text(data, {"Image": {"Bytes": b""}, "Filters": {"WordFilter": {"MinBoundingBoxHeight": threshold}}})
    kept = lines_and_words(tall)[1]
    # Then the title's words are kept, every word kept is that tall, and shorter words are gone
    assert {"Harbor", "Street", "Market"} <= {w["DetectedText"] for w in kept}
    assert all(w["Geometry"]["BoundingBox"]["Height"] >= threshold for w in kept)
    assert len(kept) < len(everything) / 2
    # When no word can be that confident
    none = detect_text(data, {"Image": {"Bytes": b""}, "Filters": {"WordFilter": {"MinConfidence": 100}}})
    assert none["TextDetections"] == [] or all(d["Confidence"] >= 100 for d in none["TextDetections"])


def test_at_most_one_hundred_words_are_returned() -> None:
    # Given a page of more than a hundred words
    page = text_page(size=16, lines_per_column=12, width=1200, seed=1)
    assert sum(len(line.words) for line in page.lines) > 100
    # When its text is detected
    _, words = lines_and_words(detect_text(encode(page.image), {"Image": {"Bytes": b""}}))
    # Then a hundred words come back, the first ones in reading order
    assert len(words) == 100
    assert words[0]["DetectedText"] == page.lines[0].words[0].text


@pytest.mark.parametrize(
    ("data", "image", "code"),
    [
        (b"GIF89a" + bytes(100), {"Bytes": b""}, "InvalidImageFormatException"),
        (b"II*\x00" + bytes(100), {"Bytes": b""}, "InvalidImageFormatException"),
        (b"\x89PNG\r\n\x1a\n" + bytes(5 * 1024 * 1024), {"Bytes": b""}, "ImageTooLargeException"),
        (
            b"\x89PNG\r\n\x1a\n" + bytes(15 * 1024 * 1024),
            {"S3Object": {"Bucket": "b", "Name": "n"}},
            "ImageTooLargeException",
        ),
    ],
    ids=["gif", "tiff", "bytes-over-5-MB", "s3-over-15-MB"],
)
def test_images_rekognition_refuses(data: bytes, image: dict[str, Any], code: str) -> None:
    with pytest.raises(RekognitionError) as raised:
        detect_text(data, {"Image": image})
    assert raised.value.code == code


def test_a_picture_without_text_has_no_detections() -> None:
    from PIL import Image

    blank = Image.new("RGB", (400, 300), (200, 220, 240))
    assert detect_text(encode(blank), {"Image": {"Bytes": b""}})["TextDetections"] == []


def test_bad_filters_are_refused() -> None:
    with pytest.raises(RekognitionError) as raised:
        detect_text(encode(sign().image), {"Image": {"Bytes": b""}, "Filters": {"WordFilter": {"MinConfidence": 101}}})
    assert raised.value.code == "InvalidParameterException"
