"""The offline Rekognition engine's faces, labels and image properties (insight_local.ai.rekognition),
on real photographs from scikit-image's wheel and on pictures drawn by bench.inputs.faces."""

from __future__ import annotations

import io
from functools import lru_cache
from typing import Any

import botocore.session
import numpy as np
import pytest
from PIL import Image, ImageFilter

from bench.inputs import faces
from insight_local.ai.rekognition import (
    RekognitionError,
    detect_faces,
    detect_labels,
    detect_moderation_labels,
)
from tests.botocore_shapes import check_shape

REKOGNITION = botocore.session.get_session().get_service_model("rekognition")
# Where the astronaut's face is (pixels of the 512 x 512 picture, measured by eye on the photo):
# forehead to chin and ear to ear, as ratios of the picture.
ASTRONAUT_FACE = {"Left": 0.355, "Top": 0.12, "Width": 0.17, "Height": 0.215}


def call(operation: Any, data: bytes, **request: Any) -> dict[str, Any]:
    response: dict[str, Any] = operation(data, {"Image": {"Bytes": data}, **request})
    name = {detect_faces: "DetectFaces", detect_labels: "DetectLabels"}[operation]
    check_shape(response, REKOGNITION.operation_model(name).output_shape)
    return response


def face_details(pixels: np.ndarray, **request: Any) -> list[dict[str, Any]]:
    return list(call(detect_faces, faces.encode(pixels), **request)["FaceDetails"])


@lru_cache(maxsize=1)
def astronaut_face() -> dict[str, Any]:
    (face,) = face_details(faces.astronaut())
    return face


def landmarks(face: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {mark["Type"]: (mark["X"], mark["Y"]) for mark in face["Landmarks"]}


def inside(point: tuple[float, float], box: dict[str, float]) -> bool:
    x, y = point
    return box["Left"] <= x <= box["Left"] + box["Width"] and box["Top"] <= y <= box["Top"] + box["Height"]


def assert_box_near(box: dict[str, float], expected: dict[str, float], tolerance: float = 0.03) -> None:
    for key, value in expected.items():
        assert box[key] == pytest.approx(value, abs=tolerance), (key, box, expected)


# --------------------------------------------------------------------------- DetectFaces


def test_the_astronaut_has_one_face_where_her_face_is() -> None:
    # Given the astronaut's portrait
    # When DetectFaces runs on it
    face = astronaut_face()
    # Then her face is found, certain, where it is in the photo
    assert_box_near(face["BoundingBox"], ASTRONAUT_FACE)
    assert face["Confidence"] > 99


def test_the_landmarks_lie_where_a_face_has_them() -> None:
    # Given the astronaut's face
    face = astronaut_face()
    marks = landmarks(face)
    # Then the five landmarks are there, all inside the face box
    assert set(marks) == {"eyeLeft", "eyeRight", "nose", "mouthLeft", "mouthRight"}
    assert all(inside(point, face["BoundingBox"]) for point in marks.values())
    # And they are arranged as on a face: eyes side by side above the nose, the mouth below it
    assert marks["eyeLeft"][0] < marks["nose"][0] < marks["eyeRight"][0]
    assert marks["mouthLeft"][0] < marks["mouthRight"][0]
    eye_line = (marks["eyeLeft"][1] + marks["eyeRight"][1]) / 2
    mouth_line = (marks["mouthLeft"][1] + marks["mouthRight"][1]) / 2
    assert eye_line < marks["nose"][1] < mouth_line
    # And the eyes are in the upper half of the box, the mouth in the lower half
    box = face["BoundingBox"]
    assert eye_line < box["Top"] + box["Height"] / 2 < mouth_line


def test_default_attributes_are_answered_and_no_attribute_is_guessed() -> None:
    # Given the astronaut, with every attribute asked for
    (face,) = face_details(faces.astronaut(), Attributes=["ALL"])
    # Then the default set is answered, and no attribute that needs a model the engine lacks
    assert set(face) == {"BoundingBox", "Confidence", "Landmarks", "Pose", "Quality"}
    assert set(face["Pose"]) == {"Roll", "Yaw"}
    # And the answer is the same as without Attributes
    assert face == astronaut_face()


def test_an_unknown_attribute_is_an_invalid_parameter() -> None:
    data = faces.encode(faces.astronaut())
    with pytest.raises(RekognitionError) as raised:
        detect_faces(data, {"Image": {"Bytes": data}, "Attributes": ["SHOE_SIZE"]})
    assert raised.value.code == "InvalidParameterException"


def test_no_face_is_found_in_pictures_without_one() -> None:
    # Given a cat, coffee, a rocket, coins, bricks, grass, text pages and a gradient
    for name, picture in faces.NEGATIVES.items():
        # When DetectFaces runs on each
        # Then none has a face
        assert face_details(picture()) == [], name


def test_a_face_turned_aside_has_a_large_yaw_and_its_mirror_the_opposite() -> None:
    # Given the cameraman, whose face is turned to the picture's right, and his mirror image
    (turned,) = face_details(faces.cameraman())
    (mirrored,) = face_details(faces.cameraman()[:, ::-1].copy())
    # Then his yaw is large and positive, the mirror's large and negative, the frontal astronaut's small
    assert turned["Pose"]["Yaw"] > 30
    assert mirrored["Pose"]["Yaw"] < -30
    assert abs(astronaut_face()["Pose"]["Yaw"]) < 15
    # And the mirror's box is the box mirrored
    box, mirror = turned["BoundingBox"], mirrored["BoundingBox"]
    assert mirror["Left"] == pytest.approx(1 - box["Left"] - box["Width"], abs=0.02)


@pytest.mark.parametrize("degrees", [-20, 20])
def test_roll_follows_a_tilted_head(degrees: int) -> None:
    # Given the astronaut turned by some degrees (counter-clockwise for positive angles)
    tilted = np.asarray(Image.fromarray(faces.astronaut()).rotate(degrees, resample=Image.Resampling.BICUBIC))
    # When her face is detected
    (face,) = face_details(tilted)
    # Then the roll changes by the same angle (clockwise is positive)
    upright = astronaut_face()["Pose"]["Roll"]
    assert face["Pose"]["Roll"] - upright == pytest.approx(-degrees, abs=6)


def test_quality_measures_the_face_sharpness_and_brightness() -> None:
    # Given the astronaut, a blurred copy and a darkened copy
    sharp = astronaut_face()["Quality"]
    blurred_pixels = np.asarray(Image.fromarray(faces.astronaut()).filter(ImageFilter.GaussianBlur(3)))
    (blurred,) = face_details(blurred_pixels)
    (dark,) = face_details((faces.astronaut() * 0.4).astype(np.uint8))
    # Then blur lowers the sharpness, darkness the brightness, each by a wide margin
    assert 0 <= blurred["Quality"]["Sharpness"] < sharp["Sharpness"] / 2 <= 50
    assert 0 <= dark["Quality"]["Brightness"] < sharp["Brightness"] / 2 <= 50
    # And the other measure moves much less
    assert dark["Quality"]["Sharpness"] > blurred["Quality"]["Sharpness"]
    assert blurred["Quality"]["Brightness"] == pytest.approx(sharp["Brightness"], abs=3)


def test_two_people_give_two_faces_largest_first() -> None:
    # Given the astronaut beside the cameraman at half size
    small = np.asarray(Image.fromarray(faces.cameraman()).resize((256, 256)))
    together = np.zeros((512, 768, 3), dtype=np.uint8)
    together[:, :512] = faces.astronaut()
    together[128:384, 512:] = small
    # When DetectFaces runs
    found = face_details(together)
    # Then both faces are found, the astronaut's (the larger) first, each in its half
    assert len(found) == 2
    first, second = (face["BoundingBox"] for face in found)
    assert first["Width"] * first["Height"] > second["Width"] * second["Height"]
    assert first["Left"] + first["Width"] < 512 / 768 < second["Left"]


def test_most_faces_of_the_lfw_subset_are_found_and_no_other_crop_is_taken_for_one() -> None:
    # Given scikit-image's Labeled Faces in the Wild subset: 100 faces, 100 other crops
    hits = sum(1 for picture in faces.lfw_faces()[:25] if face_details(picture))
    false_alarms = sum(1 for picture in faces.lfw_non_faces()[:25] if face_details(picture))
    # Then (on the first 25 of each) nearly every face is found and nothing else is
    assert hits >= 23
    assert false_alarms == 0


# --------------------------------------------------------------------------- images


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_the_exif_orientation_of_a_jpeg_is_applied(orientation: int) -> None:
    # Given a portrait crop of the astronaut, stored turned with the EXIF tag that turns it back
    portrait = faces.astronaut()[:, 40:440].copy()
    upright = call(detect_faces, faces.encode(portrait, "JPEG"))["FaceDetails"]
    turned = call(detect_faces, faces.encode(portrait, "JPEG", orientation=orientation))["FaceDetails"]
    # Then the face is found at the same place of the picture as displayed
    assert len(upright) == len(turned) == 1
    assert_box_near(turned[0]["BoundingBox"], upright[0]["BoundingBox"], tolerance=0.02)


def test_images_other_than_jpeg_and_png_are_refused() -> None:
    buffer = io.BytesIO()
    Image.fromarray(faces.astronaut()).save(buffer, "GIF")
    png = faces.encode(faces.astronaut())
    for data in (buffer.getvalue(), b"not an image at all", png[: len(png) // 2], b"\x89PNG\r\n\x1a\n" + b"\0" * 64):
        with pytest.raises(RekognitionError) as raised:
            detect_faces(data, {"Image": {"Bytes": data}})
        assert raised.value.code == "InvalidImageFormatException"


def test_size_limits_are_5_mb_for_bytes_and_15_mb_for_s3_objects() -> None:
    # Given a real 6 MB PNG (noise does not compress) and a 16 MB one (its size alone matters)
    noise = np.random.default_rng(7).integers(0, 256, size=(1200, 1800, 3), dtype=np.uint8)
    six_mb = faces.encode(noise)
    assert 5 * 1024 * 1024 < len(six_mb) < 15 * 1024 * 1024
    sixteen_mb = b"\x89PNG\r\n\x1a\n" + b"\0" * (16 * 1024 * 1024)
    # Then 6 MB is too large as bytes but fine from S3, and 16 MB is too large from S3
    with pytest.raises(RekognitionError) as raised:
        detect_faces(six_mb, {"Image": {"Bytes": six_mb}})
    assert raised.value.code == "ImageTooLargeException"
    assert detect_faces(six_mb, {"Image": {"S3Object": {"Bucket": "b", "Name": "noise.png"}}}) == {"FaceDetails": []}
    with pytest.raises(RekognitionError) as raised:
        detect_faces(sixteen_mb, {"Image": {"S3Object": {"Bucket": "b", "Name": "big.png"}}})
    assert raised.value.code == "ImageTooLargeException"


def test_grey_16_bit_palette_and_transparent_pngs_are_read() -> None:
    # Given the astronaut as a grey PNG, a 16-bit grey PNG, a palette PNG and an RGBA PNG
    photo = Image.fromarray(faces.astronaut())
    grey = photo.convert("L")
    deep = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)
    palette = photo.convert("P", palette=Image.Palette.ADAPTIVE)
    for image, mode in ((grey, "L"), (deep, "I;16"), (palette, "P"), (photo.convert("RGBA"), "RGBA")):
        data = io.BytesIO()
        image.save(data, "PNG")
        assert Image.open(io.BytesIO(data.getvalue())).mode == mode
        # Then her face is found in each
        (face,) = call(detect_faces, data.getvalue())["FaceDetails"]
        assert_box_near(face["BoundingBox"], ASTRONAUT_FACE)


# --------------------------------------------------------------------------- DetectLabels


def labels(pixels: np.ndarray, **request: Any) -> dict[str, Any]:
    return call(detect_labels, faces.encode(pixels), **request)


def test_a_face_gives_the_person_labels_with_the_face_box() -> None:
    # Given the astronaut
    response = labels(faces.astronaut())
    by_name = {label["Name"]: label for label in response["Labels"]}
    # Then Person, Face and Head are labelled, with the taxonomy's parents, aliases and category
    assert list(by_name) == ["Person", "Face", "Head"]
    assert by_name["Person"]["Aliases"] == [{"Name": "Human"}]
    assert by_name["Face"]["Parents"] == [{"Name": "Head"}, {"Name": "Person"}]
    assert all(label["Categories"] == [{"Name": "Person Description"}] for label in by_name.values())
    # And the Face instance is her face box, with the face's confidence
    (instance,) = by_name["Face"]["Instances"]
    assert instance["BoundingBox"] == astronaut_face()["BoundingBox"]
    assert instance["Confidence"] == pytest.approx(astronaut_face()["Confidence"])
    assert response["LabelModelVersion"] == "3.0"


def test_pictures_without_a_face_or_text_get_no_label_at_all() -> None:
    # The engine has no general classifier: it must not pretend the cat is anything
    for name in ("cat", "coffee", "rocket"):
        assert labels(faces.NEGATIVES[name]())["Labels"] == [], name


def test_a_text_page_is_labelled_text_and_nothing_else() -> None:
    # Given a page of rendered sentences and a scanned page
    for name in ("text page", "scanned page"):
        # When its labels are detected
        (label,) = labels(faces.NEGATIVES[name]())["Labels"]
        # Then it is Text, in its category, as sure as the OCR's best line
        assert label["Name"] == "Text", name
        assert label["Categories"] == [{"Name": "Text and Documents"}]
        assert label["Confidence"] > 90
    # And a filter that leaves Text out leaves nothing
    excluded = labels(faces.text_page(), Settings={"GeneralLabels": {"LabelExclusionFilters": ["Text"]}})
    assert excluded["Labels"] == []


def test_max_labels_min_confidence_and_filters_are_respected() -> None:
    astronaut = faces.astronaut()
    confidence = astronaut_face()["Confidence"]
    assert [label["Name"] for label in labels(astronaut, MaxLabels=1)["Labels"]] == ["Person"]
    assert labels(astronaut, MaxLabels=0)["Labels"] == []
    assert len(labels(astronaut, MinConfidence=confidence - 0.01)["Labels"]) == 3
    assert labels(astronaut, MinConfidence=min(100.0, confidence + 0.001))["Labels"] == []
    only_face = {"GeneralLabels": {"LabelInclusionFilters": ["Face"]}}
    assert [label["Name"] for label in labels(astronaut, Settings=only_face)["Labels"]] == ["Face"]
    no_head = {"GeneralLabels": {"LabelExclusionFilters": ["Head"]}}
    assert [label["Name"] for label in labels(astronaut, Settings=no_head)["Labels"]] == ["Person", "Face"]
    no_people = {"GeneralLabels": {"LabelCategoryExclusionFilters": ["Person Description"]}}
    assert labels(astronaut, Settings=no_people)["Labels"] == []


def test_bad_label_parameters_are_invalid_parameters() -> None:
    data = faces.encode(faces.astronaut())
    for request in ({"MinConfidence": 101}, {"Features": ["CELEBRITIES"]}, {"MaxLabels": -1}):
        with pytest.raises(RekognitionError) as raised:
            detect_labels(data, {"Image": {"Bytes": data}, **request})
        assert raised.value.code == "InvalidParameterException", request


def test_image_properties_measure_colours_brightness_and_contrast() -> None:
    # Given a picture half pure red, half pure blue, and a flat mid-grey one
    halves = np.zeros((200, 300, 3), dtype=np.uint8)
    halves[:, :150] = (255, 0, 0)
    halves[:, 150:] = (0, 0, 255)
    grey = np.full((200, 300, 3), 128, dtype=np.uint8)
    # When their image properties are asked for (and no general labels)
    split = labels(halves, Features=["IMAGE_PROPERTIES"])
    flat = labels(grey, Features=["IMAGE_PROPERTIES"])["ImageProperties"]
    # Then the two halves are the two dominant colours, half the pixels each, named as they are
    assert split["Labels"] == []
    colors = split["ImageProperties"]["DominantColors"]
    assert {(c["CSSColor"], c["SimplifiedColor"], c["HexCode"]) for c in colors} == {
        ("red", "red", "#ff0000"),
        ("blue", "blue", "#0000ff"),
    }
    assert all(c["PixelPercent"] == pytest.approx(50, abs=2) for c in colors)
    # And flat grey has no contrast and no sharpness, and the brightness of its grey
    assert flat["Quality"]["Contrast"] == pytest.approx(0, abs=0.01)
    assert flat["Quality"]["Sharpness"] == pytest.approx(0, abs=0.01)
    assert flat["Quality"]["Brightness"] == pytest.approx(128 / 255 * 100, abs=0.1)
    assert [(c["CSSColor"], c["PixelPercent"]) for c in flat["DominantColors"]] == [("gray", 100.0)]
    # And black beside white has the highest contrast there is
    black_white = np.zeros((200, 300, 3), dtype=np.uint8)
    black_white[:, 150:] = 255
    quality = labels(black_white, Features=["IMAGE_PROPERTIES"])["ImageProperties"]["Quality"]
    assert quality["Contrast"] == pytest.approx(100, abs=0.01)
    assert quality["Brightness"] == pytest.approx(50, abs=0.01)


def test_max_dominant_colors_caps_the_colours() -> None:
    settings = {"ImageProperties": {"MaxDominantColors": 3}}
    response = labels(faces.astronaut(), Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"], Settings=settings)
    colors = response["ImageProperties"]["DominantColors"]
    assert len(colors) == 3
    assert sum(color["PixelPercent"] for color in colors) == pytest.approx(100, abs=0.01)
    assert [c["PixelPercent"] for c in colors] == sorted((c["PixelPercent"] for c in colors), reverse=True)
    assert [label["Name"] for label in response["Labels"]] == ["Person", "Face", "Head"]


# --------------------------------------------------------------------------- DetectModerationLabels


def test_moderation_says_it_is_not_available_offline() -> None:
    # Given a valid picture, moderation is refused with a clear word
    data = faces.encode(faces.astronaut())
    with pytest.raises(RekognitionError) as raised:
        detect_moderation_labels(data, {"Image": {"Bytes": data}})
    assert raised.value.code == "AccessDeniedException"
    assert "not available offline" in raised.value.message
    # And an invalid picture gets the error Rekognition gives it first
    with pytest.raises(RekognitionError) as raised:
        detect_moderation_labels(b"GIF89a....", {"Image": {"Bytes": b"GIF89a...."}})
    assert raised.value.code == "InvalidImageFormatException"
