"""Textract: text detection, synchronous for one page, asynchronous for many."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from chalicelib.errors import AnalysisFailed, InvalidDocument, aws_error_code, service_call
from chalicelib.models import ObjectRef

#: Textract's answers that mean the document itself is the problem, not the service.
DOCUMENT_ERRORS = frozenset(
    {
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "InvalidS3ObjectException",
        "InvalidParameterException",
    }
)


class TextDetectionFailed(AnalysisFailed):
    """Textract finished the job without text (FAILED status)."""


class Textract:
    def __init__(self, client: Any) -> None:
        self._textract = client

    def detect_text(self, document: ObjectRef) -> list[dict[str, Any]]:
        """The blocks of a single-page document or image."""
        with _document_errors(), service_call("Textract"):
            response = self._textract.detect_document_text(
                Document={"S3Object": document.s3_object()}
            )
        return list(response.get("Blocks", []))

    def start_text_detection(self, document: ObjectRef, job_tag: str, topic_arn: str, role_arn: str) -> str:
        """Start detection of a multi-page document; completion is published to ``topic_arn``."""
        with _document_errors(), service_call("Textract"):
            response = self._textract.start_document_text_detection(
                DocumentLocation={"S3Object": document.s3_object()},
                ClientRequestToken=job_tag[:64],
                JobTag=job_tag[:64],
                NotificationChannel={"SNSTopicArn": topic_arn, "RoleArn": role_arn},
            )
        return str(response["JobId"])

    def text_detection_blocks(self, textract_job_id: str) -> Iterator[dict[str, Any]]:
        """Every block of a finished asynchronous detection, page after page of results."""
        token: str | None = None
        while True:
            request: dict[str, Any] = {"JobId": textract_job_id, "MaxResults": 1000}
            if token:
                request["NextToken"] = token
            with service_call("Textract"):
                response = self._textract.get_document_text_detection(**request)
            status = response.get("JobStatus")
            if status in ("FAILED", "PARTIAL_SUCCESS"):
                warnings = "; ".join(str(w.get("ErrorCode")) for w in response.get("Warnings", []))
                reason = response.get("StatusMessage") or warnings or f"text detection ended {status}"
                raise TextDetectionFailed(f"{reason} (Textract: {status}; the whole text was not detected)")
            if status == "IN_PROGRESS":
                raise AnalysisFailed(f"text detection job {textract_job_id} has not finished")
            yield from response.get("Blocks", [])
            token = response.get("NextToken")
            if not token:
                return


@contextmanager
def _document_errors() -> Iterator[None]:
    """Textract's rejections of the document become ``InvalidDocument``: no retry helps."""
    try:
        yield
    except Exception as error:
        if aws_error_code(error) in DOCUMENT_ERRORS:
            message = getattr(error, "response", {}).get("Error", {}).get("Message", "")
            raise InvalidDocument(f"Textract cannot read the document: {message}") from error
        raise
