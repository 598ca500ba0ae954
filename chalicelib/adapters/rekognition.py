"""Rekognition: what is in an image (labels, text, faces) and whether it is fit to show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import AnalysisUnavailable, InvalidImage, aws_error_code, service_call
from chalicelib.models import ObjectRef

#: Rekognition's answers that mean the image itself is the problem, not the service.
IMAGE_ERRORS = frozenset({"InvalidImageFormatException", "ImageTooLargeException", "InvalidS3ObjectException"})
#: Dominant colours asked of DetectLabels' image properties.
DOMINANT_COLORS = 5


def _message(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Message", "")) or str(error)


@contextmanager
def _image_errors() -> Iterator[None]:
    try:
        yield
    except Exception as error:
        if aws_error_code(error) in IMAGE_ERRORS:
            raise InvalidImage(f"Rekognition cannot read the image: {_message(error)}") from error
        raise


class Rekognition:
    def __init__(self, client: Any) -> None:
        self._rekognition = client

    def labels(self, image: ObjectRef, max_labels: int = 50) -> dict[str, Any]:
        """Labels (with instances, parents, categories) and the image's quality and colours."""
        with _image_errors(), service_call("Rekognition"):
            response = self._rekognition.detect_labels(
                Image={"S3Object": image.s3_object()},
                MaxLabels=max_labels,
                Features=["GENERAL_LABELS", "IMAGE_PROPERTIES"],
                Settings={"ImageProperties": {"MaxDominantColors": DOMINANT_COLORS}},
            )
        return {
            "Labels": list(response.get("Labels", [])),
            "ImageProperties": response.get("ImageProperties"),
            "LabelModelVersion": response.get("LabelModelVersion"),
        }

    def text(self, image: ObjectRef) -> list[dict[str, Any]]:
        """LINE and WORD detections (at most 100 words, Rekognition's limit)."""
        with _image_errors(), service_call("Rekognition"):
            response = self._rekognition.detect_text(Image={"S3Object": image.s3_object()})
        return list(response.get("TextDetections", []))

    def faces(self, image: ObjectRef) -> list[dict[str, Any]]:
        """Every face's box, landmarks, pose, quality and confidence."""
        with _image_errors(), service_call("Rekognition"):
            response = self._rekognition.detect_faces(Image={"S3Object": image.s3_object()}, Attributes=["DEFAULT"])
        return list(response.get("FaceDetails", []))

    def moderation_labels(self, image: ObjectRef) -> list[dict[str, Any]]:
        """Unsafe content found; ``AnalysisUnavailable`` when Rekognition refuses to check
        (AccessDeniedException: no permission, or no offline model), never an empty answer."""
        with _image_errors(), service_call("Rekognition"):
            try:
                response = self._rekognition.detect_moderation_labels(Image={"S3Object": image.s3_object()})
            except Exception as error:
                if aws_error_code(error) == "AccessDeniedException":
                    raise AnalysisUnavailable(f"AccessDeniedException: {_message(error)}") from error
                raise
        return list(response.get("ModerationLabels", []))
